//===- OpHandlers.cpp - the table of ONNX op importers --------------------===//
//
// One handler per ONNX op, keyed by (domain, op type, since-version) as in
// torch-mlir's OnnxToTorch. A handler reads its operands through the
// NodeBinder, and either folds (constants, shape arithmetic, the token
// count), relabels (Transpose, Squeeze, Reshape... change only the ONNX
// view of a dialect value), or creates student ops.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>

using namespace kdc::import;
using namespace mlir;
namespace student = kdc::student;
using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

bool isIntegerType(int32_t dtype) {
  return !ConstTensor::isFloatType(dtype) && dtype != TensorProto::BOOL &&
         ConstTensor::isSupportedType(dtype);
}

/// The dialect shape of a value whose dimension i is ONNX axis dims[i].
SmallVector<int64_t> dialectShape(ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> dims) {
  SmallVector<int64_t> out;
  for (int64_t d : dims)
    out.push_back(shape[d]);
  return out;
}

RankedTensorType f32Tensor(NodeBinder &b, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.builder().getF32Type());
}

/// Checks that a runtime tensor is float (activations always are).
LogicalResult requireFloat(NodeBinder &b, const OnnxValue &v, StringRef role) {
  if (v.dtype == TensorProto::FLOAT)
    return success();
  return b.emitError() << role << " has element type " << dtypeName(v.dtype)
                       << "; kdc imports float activations";
}

/// Maps the non-unit axes of `from` to those of `to` in order. Unit axes of
/// `from` map to -1. Nullopt if the non-unit sizes differ (a real reshape).
std::optional<SmallVector<int64_t>> reshapeAxisMap(ArrayRef<int64_t> from,
                                                   ArrayRef<int64_t> to) {
  SmallVector<int64_t> map(from.size(), -1);
  size_t j = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] == 1)
      continue;
    while (j < to.size() && to[j] == 1)
      ++j;
    if (j == to.size() || to[j] != from[i])
      return std::nullopt;
    map[i] = j++;
  }
  while (j < to.size() && to[j] == 1)
    ++j;
  if (j != to.size())
    return std::nullopt;
  return map;
}

/// `v` seen with ONNX shape `shape`, where old axis a is new axis
/// axisMap[a] (-1: dropped; it has size 1). Dialect values are unchanged.
FailureOr<OnnxValue> relabel(NodeBinder &b, const OnnxValue &v,
                             ArrayRef<int64_t> shape,
                             ArrayRef<int64_t> axisMap) {
  OnnxValue r = v;
  r.shape.assign(shape.begin(), shape.end());
  switch (v.kind) {
  case ValueKind::Constant: {
    ConstTensor c = v.getConst();
    c.shape.assign(shape.begin(), shape.end());
    r = OnnxValue::makeConstant(std::move(c), v.name);
    return r;
  }
  case ValueKind::Tensor:
  case ValueKind::Masked:
    for (int64_t &d : r.dims) {
      if (axisMap[d] < 0) {
        b.emitError() << "would drop ONNX axis " << d << " of "
                      << shapeString(v.shape)
                      << ", a dimension of the student value; the student "
                         "dialect has no reshape";
        return failure();
      }
      d = axisMap[d];
    }
    return r;
  case ValueKind::Mask:
    if (axisMap[v.maskAxis] < 0) {
      b.emitError() << "would drop the position axis of the token mask";
      return failure();
    }
    r.maskAxis = axisMap[v.maskAxis];
    return r;
  case ValueKind::Count:
    return r;
  }
  return r;
}

/// Relabels `v` to `shape` where only unit axes differ.
FailureOr<OnnxValue> reshapeValue(NodeBinder &b, const OnnxValue &v,
                                  ArrayRef<int64_t> shape) {
  if (numElements(shape) != numElements(v.shape)) {
    b.emitError() << "cannot reshape " << shapeString(v.shape) << " ("
                  << numElements(v.shape) << " elements) to "
                  << shapeString(shape);
    return failure();
  }
  if (v.isConstant())
    return relabel(b, v, shape, {});
  std::optional<SmallVector<int64_t>> map = reshapeAxisMap(v.shape, shape);
  if (!map) {
    b.emitError() << "reshapes the " << kindName(v.kind) << " "
                  << shapeString(v.shape) << " to " << shapeString(shape)
                  << ", which merges or splits dimensions; kdc supports "
                     "reshapes of runtime values that only add or remove "
                     "size-1 axes (the student dialect has no reshape)";
    return failure();
  }
  return relabel(b, v, shape, *map);
}

/// If `c` holds 0, 1, ..., L-1 along its one non-unit axis, that axis.
std::optional<int64_t> positionsAxis(const ConstTensor &c) {
  if (c.isFloat() || c.shape.empty())
    return std::nullopt;
  int64_t axis = -1;
  for (size_t i = 0; i < c.shape.size(); ++i) {
    if (c.shape[i] == 1)
      continue;
    if (axis >= 0)
      return std::nullopt;
    axis = i;
  }
  if (axis < 0)
    axis = c.shape.size() - 1;
  for (int64_t i = 0, n = c.size(); i < n; ++i)
    if (c.ints[i] != i)
      return std::nullopt;
  return axis;
}

/// -inf, or a value so negative (torch.finfo(float).min) that it acts so.
bool isNegInfScalar(const ConstTensor &c) {
  return c.isFloat() && c.size() == 1 && c.fp[0] <= -1.0e30;
}

std::optional<int64_t> intScalar(const ConstTensor &c) {
  if (c.isFloat() || c.size() != 1)
    return std::nullopt;
  return c.ints[0];
}

} // namespace

/// The `index` operand for a count over a sequence of `length` rows. The
/// kernels clamp counts to [1, length], so bounds inside that are free.
FailureOr<Value> kdc::import::countOperand(NodeBinder &b, const CountInfo &c,
                                           int64_t length) {
  if (c.lower && *c.lower > 1) {
    b.emitError() << "the token count is clamped to at least " << *c.lower
                  << "; kdc supports counts n + k clamped to [1, " << length
                  << "]";
    return failure();
  }
  if (c.upper && *c.upper < length) {
    b.emitError() << "the token count is clamped to at most " << *c.upper
                  << "; kdc supports counts n + k clamped to [1, " << length
                  << "]";
    return failure();
  }
  return b.state.countIndex(c.offset, b.loc());
}

namespace {

/// Materializes constant `c`, broadcast to the ONNX shape of tensor `t`, in
/// t's dialect layout.
Value constInLayout(NodeBinder &b, const ConstTensor &c, const OnnxValue &t,
                    StringRef name) {
  ConstTensor full = broadcastTo(c, t.shape);
  SmallVector<int64_t> ds = dialectShape(t.shape, t.dims);
  ConstTensor out = ConstTensor::zeros(TensorProto::FLOAT, ds);
  SmallVector<int64_t> strides = stridesOf(t.shape);
  SmallVector<int64_t> idx(ds.size(), 0);
  for (int64_t i = 0, n = out.size(); i < n; ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < ds.size(); ++d)
      src += idx[d] * strides[t.dims[d]];
    out.fp[i] = full.asDouble(src);
    for (int64_t d = static_cast<int64_t>(ds.size()) - 1; d >= 0; --d) {
      if (++idx[d] < ds[d])
        break;
      idx[d] = 0;
    }
  }
  return b.state.materializeWeight(out, name, b.loc(), /*cache=*/false);
}

//===----------------------------------------------------------------------===//
// Constants and aliases
//===----------------------------------------------------------------------===//

LogicalResult importIdentity(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "input");
  if (failed(in))
    return failure();
  b.setOutput(0, **in);
  return success();
}

LogicalResult importDropout(NodeBinder &b) {
  if (b.hasInput(2)) {
    FailureOr<const ConstTensor *> training =
        b.requireConstInput(2, "training_mode");
    if (failed(training))
      return failure();
    if ((*training)->size() != 1 || (*training)->asInt(0) != 0)
      return b.emitError() << "training_mode must be false in an "
                              "inference model";
  }
  if (b.isOutputUsed(1))
    return b.emitError() << "the mask output is not supported (an inference "
                            "model has no dropout mask)";
  return importIdentity(b);
}

LogicalResult importConstant(NodeBinder &b) {
  if (b.node.attribute_size() != 1)
    return b.emitError() << "needs exactly one value attribute";
  const onnx::AttributeProto &a = b.node.attribute(0);
  ConstTensor c;
  StringRef name = a.name();
  if (name == "value") {
    std::string error;
    if (!decodeTensor(a.t(), c, error))
      return b.emitError() << "its value " << error;
  } else if (name == "value_float") {
    c = ConstTensor::zeros(TensorProto::FLOAT, {});
    c.set(0, a.f());
  } else if (name == "value_floats") {
    c = ConstTensor::zeros(TensorProto::FLOAT, {a.floats_size()});
    for (int i = 0; i < a.floats_size(); ++i)
      c.set(i, a.floats(i));
  } else if (name == "value_int") {
    c = ConstTensor::zeros(TensorProto::INT64, {});
    c.setInt(0, a.i());
  } else if (name == "value_ints") {
    c = ConstTensor::zeros(TensorProto::INT64, {a.ints_size()});
    for (int i = 0; i < a.ints_size(); ++i)
      c.setInt(i, a.ints(i));
  } else {
    return b.emitError() << "attribute '" << name
                         << "' is not supported (supported: value, "
                            "value_float(s), value_int(s))";
  }
  b.setOutput(0, OnnxValue::makeConstant(std::move(c)));
  return success();
}

LogicalResult importCast(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "input");
  if (failed(in))
    return failure();
  if (!b.attr("to"))
    return b.emitError() << "needs attribute 'to'";
  FailureOr<int64_t> to = b.intAttr("to", 0);
  if (failed(to))
    return failure();
  int32_t dtype = static_cast<int32_t>(*to);
  const OnnxValue &v = **in;
  if (!ConstTensor::isSupportedType(dtype))
    return b.emitError() << "cast to " << dtypeName(dtype)
                         << " is not supported";
  OnnxValue r = v;
  r.dtype = dtype;
  switch (v.kind) {
  case ValueKind::Constant:
    b.setOutput(
        0, OnnxValue::makeConstant(castConst(v.getConst(), dtype), v.name));
    return success();
  case ValueKind::Count:
    if (!isIntegerType(dtype))
      break;
    b.setOutput(0, r);
    return success();
  case ValueKind::Mask:
    // As float (0/1) it masks a recurrence step (the pQRNN's Scan).
    if (dtype != TensorProto::BOOL && dtype != TensorProto::FLOAT)
      break;
    b.setOutput(0, r);
    return success();
  case ValueKind::Tensor:
    // Token ids may be cast between integer widths: the embedding accepts
    // i32 and i64 ids alike, so the dialect value keeps its type.
    if (dtype != v.dtype && !(isIntegerType(dtype) && isIntegerType(v.dtype)))
      break;
    b.setOutput(0, r);
    return success();
  case ValueKind::Masked:
    break;
  }
  return b.emitError() << "cast of a " << kindName(v.kind) << " from "
                       << dtypeName(v.dtype) << " to " << dtypeName(dtype)
                       << " is not supported (kdc folds casts of constants "
                          "and allows casts between integer types of the "
                          "token ids and count)";
}

LogicalResult importShape(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "input");
  if (failed(in))
    return failure();
  int64_t rank = (*in)->shape.size();
  FailureOr<int64_t> start = b.intAttr("start", 0);
  FailureOr<int64_t> end = b.intAttr("end", rank);
  if (failed(start) || failed(end))
    return failure();
  auto clampAxis = [&](int64_t a) {
    if (a < 0)
      a += rank;
    return std::min(std::max<int64_t>(a, 0), rank);
  };
  int64_t s = clampAxis(*start), e = clampAxis(*end);
  ConstTensor c =
      ConstTensor::zeros(TensorProto::INT64, {std::max<int64_t>(e - s, 0)});
  for (int64_t i = s; i < e; ++i)
    c.ints[i - s] = (*in)->shape[i];
  b.setOutput(0, OnnxValue::makeConstant(std::move(c)));
  return success();
}

LogicalResult importConstantOfShape(NodeBinder &b) {
  FailureOr<const ConstTensor *> shape = b.requireConstInput(0, "shape");
  if (failed(shape))
    return failure();
  ConstTensor fill = ConstTensor::zeros(TensorProto::FLOAT, {1});
  if (const onnx::AttributeProto *a = b.attr("value")) {
    std::string error;
    if (!decodeTensor(a->t(), fill, error))
      return b.emitError() << "its value " << error;
    if (fill.size() != 1)
      return b.emitError() << "value must have one element";
  }
  SmallVector<int64_t> dims;
  for (int64_t i = 0, n = (*shape)->size(); i < n; ++i) {
    if ((*shape)->asInt(i) < 0)
      return b.emitError() << "shape has a negative dimension";
    dims.push_back((*shape)->asInt(i));
  }
  ConstTensor c =
      broadcastTo(ConstTensor{fill.dtype, {}, fill.fp, fill.ints}, dims);
  b.setOutput(0, OnnxValue::makeConstant(std::move(c)));
  return success();
}

LogicalResult importRange(NodeBinder &b) {
  FailureOr<const ConstTensor *> start = b.requireConstInput(0, "start");
  FailureOr<const ConstTensor *> limit = b.requireConstInput(1, "limit");
  FailureOr<const ConstTensor *> delta = b.requireConstInput(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if ((*start)->size() != 1 || (*limit)->size() != 1 || (*delta)->size() != 1)
    return b.emitError() << "start, limit and delta must be scalars";
  double s = (*start)->asDouble(0), l = (*limit)->asDouble(0),
         d = (*delta)->asDouble(0);
  if (d == 0)
    return b.emitError() << "delta must not be 0";
  int64_t n =
      std::max<int64_t>(static_cast<int64_t>(std::ceil((l - s) / d)), 0);
  ConstTensor c = ConstTensor::zeros((*start)->dtype, {n});
  for (int64_t i = 0; i < n; ++i)
    c.set(i, s + i * d);
  b.setOutput(0, OnnxValue::makeConstant(std::move(c)));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape and layout ops
//===----------------------------------------------------------------------===//

LogicalResult importGather(NodeBinder &b) {
  FailureOr<const OnnxValue *> data = b.requireInput(0, "data");
  FailureOr<const OnnxValue *> indices = b.requireInput(1, "indices");
  if (failed(data) || failed(indices))
    return failure();
  FailureOr<int64_t> axisAttr = b.intAttr("axis", 0);
  if (failed(axisAttr))
    return failure();
  int64_t rank = (*data)->shape.size();
  FailureOr<int64_t> axis = b.normalizeAxis(*axisAttr, rank, "axis");
  if (failed(axis))
    return failure();

  if ((*data)->isConstant() && (*indices)->isConstant()) {
    const ConstTensor &d = (*data)->getConst();
    const ConstTensor &idx = (*indices)->getConst();
    if (idx.isFloat())
      return b.emitError() << "indices must be integers";
    SmallVector<int64_t> shape(d.shape.begin(), d.shape.begin() + *axis);
    shape.append(idx.shape.begin(), idx.shape.end());
    shape.append(d.shape.begin() + *axis + 1, d.shape.end());
    ConstTensor out = ConstTensor::zeros(d.dtype, shape);
    int64_t outer = numElements(ArrayRef<int64_t>(d.shape).take_front(*axis));
    int64_t inner =
        numElements(ArrayRef<int64_t>(d.shape).drop_front(*axis + 1));
    int64_t extent = d.shape[*axis], n = idx.size();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < n; ++j) {
        int64_t k = idx.ints[j] < 0 ? idx.ints[j] + extent : idx.ints[j];
        if (k < 0 || k >= extent)
          return b.emitError() << "index " << idx.ints[j]
                               << " is out of range for axis size " << extent;
        for (int64_t i = 0; i < inner; ++i) {
          int64_t src = (o * extent + k) * inner + i;
          int64_t dst = (o * n + j) * inner + i;
          if (d.isFloat())
            out.fp[dst] = d.fp[src];
          else
            out.ints[dst] = d.ints[src];
        }
      }
    b.setOutput(0, OnnxValue::makeConstant(std::move(out)));
    return success();
  }

  // The embedding: a constant [V, D] table indexed by the token ids.
  if ((*data)->isConstant() && (*indices)->isTensor()) {
    const OnnxValue &ids = **indices;
    if (*axis != 0 || rank != 2)
      return b.emitError() << "a runtime Gather is supported as an embedding "
                              "lookup (axis 0 of a [V, D] table), not axis "
                           << *axis << " of " << shapeString((*data)->shape);
    if (!isIntegerType(ids.dtype))
      return b.emitError() << "indices '" << b.inputName(1)
                           << "' must be integer token ids, not "
                           << dtypeName(ids.dtype);
    if (ids.dims.size() != 1)
      return b.emitError() << "indices must be a sequence of token ids, got "
                           << shapeString(ids.shape);
    FailureOr<Value> table = b.requireWeight(0, "embedding table", 2);
    if (failed(table))
      return failure();
    int64_t dim = (*data)->shape[1];
    SmallVector<int64_t> shape(ids.shape.begin(), ids.shape.end());
    shape.push_back(dim);
    SmallVector<int64_t> dims(ids.dims.begin(), ids.dims.end());
    dims.push_back(ids.shape.size());
    auto type = f32Tensor(b, dialectShape(shape, dims));
    Value e = b.builder().create<student::EmbeddingOp>(b.loc(), type, ids.value,
                                                       *table);
    b.setOutput(0, OnnxValue::makeTensor(e, TensorProto::FLOAT, shape, dims));
    return success();
  }
  return b.emitError() << "Gather of a " << kindName((*data)->kind) << " by a "
                       << kindName((*indices)->kind)
                       << " is not supported (supported: an embedding lookup "
                          "of the token ids in a constant table, and "
                          "constants)";
}

LogicalResult importUnsqueeze(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "data");
  FailureOr<const ConstTensor *> axes = b.requireConstInput(1, "axes");
  if (failed(in) || failed(axes))
    return failure();
  int64_t rank = (*in)->shape.size() + (*axes)->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t i = 0, n = (*axes)->size(); i < n; ++i) {
    FailureOr<int64_t> a = b.normalizeAxis((*axes)->asInt(i), rank, "axis");
    if (failed(a))
      return failure();
    if (inserted[*a])
      return b.emitError() << "axis " << *a << " appears twice";
    inserted[*a] = true;
  }
  SmallVector<int64_t> shape, map;
  for (int64_t i = 0, j = 0; i < rank; ++i) {
    if (inserted[i]) {
      shape.push_back(1);
      continue;
    }
    shape.push_back((*in)->shape[j++]);
    map.push_back(i);
  }
  FailureOr<OnnxValue> r = relabel(b, **in, shape, map);
  if (failed(r))
    return failure();
  b.setOutput(0, *r);
  return success();
}

LogicalResult importSqueeze(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "data");
  if (failed(in))
    return failure();
  int64_t rank = (*in)->shape.size();
  SmallVector<bool> removed(rank, false);
  if (b.hasInput(1)) {
    FailureOr<const ConstTensor *> axes = b.requireConstInput(1, "axes");
    if (failed(axes))
      return failure();
    for (int64_t i = 0, n = (*axes)->size(); i < n; ++i) {
      FailureOr<int64_t> a = b.normalizeAxis((*axes)->asInt(i), rank, "axis");
      if (failed(a))
        return failure();
      if ((*in)->shape[*a] != 1)
        return b.emitError() << "cannot squeeze axis " << *a << " of size "
                             << (*in)->shape[*a];
      removed[*a] = true;
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      removed[i] = (*in)->shape[i] == 1;
  }
  SmallVector<int64_t> shape, map;
  for (int64_t i = 0; i < rank; ++i) {
    map.push_back(removed[i] ? -1 : static_cast<int64_t>(shape.size()));
    if (!removed[i])
      shape.push_back((*in)->shape[i]);
  }
  FailureOr<OnnxValue> r = relabel(b, **in, shape, map);
  if (failed(r))
    return failure();
  b.setOutput(0, *r);
  return success();
}

LogicalResult importReshape(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "data");
  FailureOr<const ConstTensor *> target = b.requireConstInput(1, "shape");
  if (failed(in) || failed(target))
    return failure();
  FailureOr<int64_t> allowZero = b.intAttr("allowzero", 0);
  if (failed(allowZero))
    return failure();
  const OnnxValue &v = **in;
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (int64_t i = 0, n = (*target)->size(); i < n; ++i) {
    int64_t d = (*target)->asInt(i);
    if (d == 0 && !*allowZero) {
      if (i >= static_cast<int64_t>(v.shape.size()))
        return b.emitError()
               << "shape entry " << i << " is 0 (copy) beyond the input's rank";
      d = v.shape[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return b.emitError() << "shape has more than one -1";
      inferred = i;
    } else if (d < 0) {
      return b.emitError() << "shape has a negative entry " << d;
    } else {
      known *= d;
    }
    shape.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || numElements(v.shape) % known != 0)
      return b.emitError() << "cannot infer the -1 of shape "
                           << shapeString(shape) << " for "
                           << shapeString(v.shape);
    shape[inferred] = numElements(v.shape) / known;
  }
  FailureOr<OnnxValue> r = reshapeValue(b, v, shape);
  if (failed(r))
    return failure();
  b.setOutput(0, *r);
  return success();
}

LogicalResult importFlatten(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "input");
  if (failed(in))
    return failure();
  int64_t rank = (*in)->shape.size();
  FailureOr<int64_t> axisAttr = b.intAttr("axis", 1);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = b.normalizeAxis(*axisAttr, rank + 1, "axis");
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> s = (*in)->shape;
  SmallVector<int64_t> shape = {numElements(s.take_front(*axis)),
                                numElements(s.drop_front(*axis))};
  FailureOr<OnnxValue> r = reshapeValue(b, **in, shape);
  if (failed(r))
    return failure();
  b.setOutput(0, *r);
  return success();
}

LogicalResult importTranspose(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "data");
  if (failed(in))
    return failure();
  const OnnxValue &v = **in;
  int64_t rank = v.shape.size();
  FailureOr<std::optional<SmallVector<int64_t>>> permAttr = b.intsAttr("perm");
  if (failed(permAttr))
    return failure();
  SmallVector<int64_t> perm;
  if (*permAttr)
    perm = **permAttr;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t> inverse(rank, -1);
  if (static_cast<int64_t>(perm.size()) != rank)
    return b.emitError() << "perm has " << perm.size() << " entries for rank "
                         << rank;
  for (int64_t j = 0; j < rank; ++j) {
    if (perm[j] < 0 || perm[j] >= rank || inverse[perm[j]] >= 0)
      return b.emitError() << "perm is not a permutation of 0.." << rank - 1;
    inverse[perm[j]] = j;
  }
  if (v.isConstant()) {
    b.setOutput(
        0, OnnxValue::makeConstant(transposeConst(v.getConst(), perm), v.name));
    return success();
  }
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(v.shape[p]);
  FailureOr<OnnxValue> r = relabel(b, v, shape, inverse);
  if (failed(r))
    return failure();
  b.setOutput(0, *r);
  return success();
}

LogicalResult importConcat(NodeBinder &b) {
  if (!b.attr("axis"))
    return b.emitError() << "needs attribute 'axis'";
  FailureOr<int64_t> axisAttr = b.intAttr("axis", 0);
  if (failed(axisAttr))
    return failure();
  SmallVector<const OnnxValue *> inputs;
  for (int i = 0; i < b.getNumInputs(); ++i) {
    FailureOr<const OnnxValue *> in = b.requireInput(i, "input");
    if (failed(in))
      return failure();
    inputs.push_back(*in);
  }
  if (inputs.empty())
    return b.emitError() << "needs at least one input";
  int64_t rank = inputs[0]->shape.size();
  FailureOr<int64_t> axis = b.normalizeAxis(*axisAttr, rank, "axis");
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(inputs[0]->shape.begin(), inputs[0]->shape.end());
  shape[*axis] = 0;
  bool allConst = true, allTensor = true;
  for (auto [i, in] : llvm::enumerate(inputs)) {
    bool sameRank = static_cast<int64_t>(in->shape.size()) == rank;
    for (int64_t d = 0; sameRank && d < rank; ++d)
      if (d != *axis && in->shape[d] != inputs[0]->shape[d])
        sameRank = false;
    if (!sameRank)
      return b.emitError() << "input " << i << " has shape "
                           << shapeString(in->shape) << ", which does not "
                           << "match " << shapeString(inputs[0]->shape)
                           << " outside axis " << *axis;
    shape[*axis] += in->shape[*axis];
    allConst &= in->isConstant();
    allTensor &= in->isTensor();
  }

  if (allConst) {
    int32_t dtype = inputs[0]->dtype;
    ConstTensor out = ConstTensor::zeros(dtype, shape);
    int64_t outer = numElements(ArrayRef<int64_t>(shape).take_front(*axis));
    int64_t inner = numElements(ArrayRef<int64_t>(shape).drop_front(*axis + 1));
    int64_t dst = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (const OnnxValue *in : inputs) {
        const ConstTensor &c = in->getConst();
        if (c.dtype != dtype)
          return b.emitError()
                 << "inputs have element types " << dtypeName(dtype) << " and "
                 << dtypeName(c.dtype);
        int64_t block = c.shape[*axis] * inner;
        for (int64_t i = 0; i < block; ++i, ++dst) {
          if (c.isFloat())
            out.fp[dst] = c.fp[o * block + i];
          else
            out.ints[dst] = c.ints[o * block + i];
        }
      }
    b.setOutput(0, OnnxValue::makeConstant(std::move(out)));
    return success();
  }
  if (!allTensor)
    return b.emitError() << "concatenates runtime tensors with constants or "
                            "token counts, which kdc does not support";

  const OnnxValue &first = *inputs[0];
  auto it = llvm::find(first.dims, *axis);
  if (it == first.dims.end())
    return b.emitError() << "concatenates along axis " << *axis
                         << ", which has size 1 in the student function";
  int64_t dialectAxis = it - first.dims.begin();
  SmallVector<Value> values;
  for (const OnnxValue *in : inputs) {
    if (in->dims != first.dims)
      return b.emitError() << "inputs are laid out differently in the "
                              "student function";
    if (failed(requireFloat(b, *in, "input")))
      return failure();
    values.push_back(in->value);
  }
  if (values.size() == 1) {
    b.setOutput(0, first);
    return success();
  }
  auto type = f32Tensor(b, dialectShape(shape, first.dims));
  Value cat = b.builder().create<student::ConcatOp>(
      b.loc(), type, values, b.builder().getI64IntegerAttr(dialectAxis));
  b.setOutput(
      0, OnnxValue::makeTensor(cat, TensorProto::FLOAT, shape, first.dims));
  return success();
}

LogicalResult importSlice(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "data");
  if (failed(in))
    return failure();
  if (!(*in)->isConstant())
    return b.emitError() << "Slice of a " << kindName((*in)->kind)
                         << " is not supported (kdc folds Slice of constants)";
  FailureOr<const ConstTensor *> starts = b.requireConstInput(1, "starts");
  FailureOr<const ConstTensor *> ends = b.requireConstInput(2, "ends");
  if (failed(starts) || failed(ends))
    return failure();
  const ConstTensor &data = (*in)->getConst();
  int64_t rank = data.shape.size(), n = (*starts)->size();
  if ((*ends)->size() != n)
    return b.emitError() << "starts and ends differ in length";
  const ConstTensor *axes = nullptr, *steps = nullptr;
  if (b.hasInput(3)) {
    FailureOr<const ConstTensor *> a = b.requireConstInput(3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  }
  if (b.hasInput(4)) {
    FailureOr<const ConstTensor *> s = b.requireConstInput(4, "steps");
    if (failed(s))
      return failure();
    steps = *s;
  }
  SmallVector<int64_t> begin(rank, 0), step(rank, 1), shape(data.shape);
  for (int64_t i = 0; i < n; ++i) {
    FailureOr<int64_t> axis =
        b.normalizeAxis(axes ? axes->asInt(i) : i, rank, "axis");
    if (failed(axis))
      return failure();
    int64_t dim = data.shape[*axis];
    int64_t st = steps ? steps->asInt(i) : 1;
    if (st == 0)
      return b.emitError() << "step must not be 0";
    int64_t s = (*starts)->asInt(i), e = (*ends)->asInt(i);
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    int64_t len = st > 0 ? (e - s + st - 1) / st : (s - e - st - 1) / -st;
    begin[*axis] = s;
    step[*axis] = st;
    shape[*axis] = std::max<int64_t>(len, 0);
  }
  ConstTensor out = ConstTensor::zeros(data.dtype, shape);
  SmallVector<int64_t> strides = stridesOf(data.shape);
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t i = 0, total = out.size(); i < total; ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (begin[d] + idx[d] * step[d]) * strides[d];
    if (data.isFloat())
      out.fp[i] = data.fp[src];
    else
      out.ints[i] = data.ints[src];
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  b.setOutput(0, OnnxValue::makeConstant(std::move(out)));
  return success();
}

LogicalResult importExpand(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "input");
  FailureOr<const ConstTensor *> shapeC = b.requireConstInput(1, "shape");
  if (failed(in) || failed(shapeC))
    return failure();
  SmallVector<int64_t> target;
  for (int64_t i = 0, n = (*shapeC)->size(); i < n; ++i)
    target.push_back((*shapeC)->asInt(i));
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes((*in)->shape, target);
  if (!shape)
    return b.emitError() << "cannot expand " << shapeString((*in)->shape)
                         << " to " << shapeString(target);
  if ((*in)->isConstant()) {
    b.setOutput(
        0, OnnxValue::makeConstant(broadcastTo((*in)->getConst(), *shape)));
    return success();
  }
  if (*shape == (*in)->shape) {
    b.setOutput(0, **in);
    return success();
  }
  return b.emitError() << "expanding a " << kindName((*in)->kind)
                       << " is not supported (kdc folds Expand of constants)";
}

//===----------------------------------------------------------------------===//
// Elementwise ops, the token count and its mask
//===----------------------------------------------------------------------===//

enum class BinOp {
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  Less,
  Greater,
  LessOrEqual,
  GreaterOrEqual,
  Equal
};

bool isComparison(BinOp op) {
  return op == BinOp::Less || op == BinOp::Greater ||
         op == BinOp::LessOrEqual || op == BinOp::GreaterOrEqual ||
         op == BinOp::Equal;
}

template <typename T> T applyBinary(BinOp op, T a, T c) {
  switch (op) {
  case BinOp::Add:
    return a + c;
  case BinOp::Sub:
    return a - c;
  case BinOp::Mul:
    return a * c;
  case BinOp::Div:
    return a / c;
  case BinOp::Max:
    return std::max(a, c);
  case BinOp::Min:
    return std::min(a, c);
  case BinOp::Less:
    return a < c;
  case BinOp::Greater:
    return a > c;
  case BinOp::LessOrEqual:
    return a <= c;
  case BinOp::GreaterOrEqual:
    return a >= c;
  case BinOp::Equal:
    return a == c;
  }
  return a;
}

LogicalResult foldBinary(NodeBinder &b, BinOp op, const ConstTensor &x,
                         const ConstTensor &y) {
  if (x.dtype != y.dtype)
    return b.emitError() << "inputs have element types " << dtypeName(x.dtype)
                         << " and " << dtypeName(y.dtype)
                         << "; ONNX requires them to match";
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(x.shape, y.shape);
  if (!shape)
    return b.emitError() << "shapes " << shapeString(x.shape) << " and "
                         << shapeString(y.shape) << " do not broadcast";
  ConstTensor a = broadcastTo(x, *shape), c = broadcastTo(y, *shape);
  ConstTensor out = ConstTensor::zeros(
      isComparison(op) ? int32_t(TensorProto::BOOL) : x.dtype, *shape);
  for (int64_t i = 0, n = out.size(); i < n; ++i) {
    if (x.isFloat()) {
      out.set(i, applyBinary<double>(op, a.fp[i], c.fp[i]));
      continue;
    }
    if (op == BinOp::Div && c.ints[i] == 0)
      return b.emitError() << "integer division by zero";
    out.setInt(i, applyBinary<int64_t>(op, a.ints[i], c.ints[i]));
  }
  b.setOutput(0, OnnxValue::makeConstant(std::move(out)));
  return success();
}

/// Add/Sub/Max/Min of the token count and an integer scalar.
LogicalResult countArithmetic(NodeBinder &b, BinOp op, const OnnxValue &count,
                              const ConstTensor &k, bool countFirst) {
  std::optional<int64_t> value = intScalar(k);
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(count.shape, k.shape);
  if (!value || !shape || numElements(*shape) != 1)
    return b.emitError() << "the token count can only be combined with an "
                            "integer scalar, not a constant of shape "
                         << shapeString(k.shape);
  OnnxValue r = count;
  r.shape = *shape;
  CountInfo &c = r.count;
  switch (op) {
  case BinOp::Sub:
    if (!countFirst)
      break;
    *value = -*value;
    [[fallthrough]];
  case BinOp::Add:
    c.offset += *value;
    if (c.lower)
      *c.lower += *value;
    if (c.upper)
      *c.upper += *value;
    b.setOutput(0, r);
    return success();
  case BinOp::Max:
    c.lower = c.lower ? std::max(*c.lower, *value) : *value;
    b.setOutput(0, r);
    return success();
  case BinOp::Min:
    c.upper = c.upper ? std::min(*c.upper, *value) : *value;
    b.setOutput(0, r);
    return success();
  default:
    break;
  }
  return b.emitError() << "this arithmetic on the token count is not "
                          "supported (supported: count + k, count - k, "
                          "Max(count, k), Min(count, k))";
}

/// positions < count (Less(p, n), Greater(n, p)) or its complement
/// (GreaterOrEqual(p, n), LessOrEqual(n, p)).
LogicalResult makeMask(NodeBinder &b, const ConstTensor &positions,
                       const OnnxValue &count, bool inverted) {
  std::optional<int64_t> axis = positionsAxis(positions);
  if (!axis)
    return b.emitError() << "compares the token count with a constant that "
                            "is not the positions 0, 1, ..., L-1";
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(positions.shape, count.shape);
  if (!shape)
    return b.emitError() << "shapes do not broadcast";
  OnnxValue m;
  m.kind = ValueKind::Mask;
  m.dtype = TensorProto::BOOL;
  m.shape = *shape;
  m.count = count.count;
  m.maskAxis = *axis + (shape->size() - positions.shape.size());
  m.maskInverted = inverted;
  b.setOutput(0, m);
  return success();
}

/// Add(dense(x, W), b) becomes dense(x, W, b) when the dense result has no
/// other reader: what PyTorch's MatMul + Add for a Linear layer means.
bool fuseDenseBias(NodeBinder &b, const OnnxValue &t, StringRef tName,
                   const ConstTensor &c, StringRef cName) {
  auto dense = t.value.getDefiningOp<student::DenseOp>();
  if (!dense || dense.getBias() || !dense->use_empty() || !c.isFloat() ||
      b.state.useCounts.lookup(tName) != 1 || t.shape.empty())
    return false;
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(t.shape, c.shape);
  if (!shape || *shape != t.shape)
    return false;
  // The constant may vary along the last (output feature) axis only.
  for (size_t i = 0; i + 1 < c.shape.size(); ++i)
    if (c.shape[i] != 1)
      return false;
  int64_t n = t.shape.back();
  ConstTensor bias = ConstTensor::zeros(TensorProto::FLOAT, {n});
  bool varies = !c.shape.empty() && c.shape.back() != 1;
  for (int64_t i = 0; i < n; ++i)
    bias.fp[i] = c.fp[varies ? i : 0];
  Value bv = b.state.materializeWeight(bias, cName, b.loc(), /*cache=*/false);
  OpBuilder &builder = b.builder();
  auto fused = builder.create<student::DenseOp>(
      dense.getLoc(), dense.getType(), dense.getInput(), dense.getWeight(), bv,
      dense.getActivationAttr());
  dense.erase();
  OnnxValue r = t;
  r.value = fused;
  b.setOutput(0, r);
  return true;
}

LogicalResult importBinary(NodeBinder &b, BinOp op) {
  if (b.getNumInputs() != 2)
    return b.emitError() << "kdc supports this op with exactly 2 inputs, "
                            "not "
                         << b.getNumInputs();
  FailureOr<const OnnxValue *> lhs = b.requireInput(0, "A");
  FailureOr<const OnnxValue *> rhs = b.requireInput(1, "B");
  if (failed(lhs) || failed(rhs))
    return failure();
  const OnnxValue &x = **lhs, &y = **rhs;
  if (x.isConstant() && y.isConstant())
    return foldBinary(b, op, x.getConst(), y.getConst());

  // The token count and the mask derived from it (docs/onnx.md).
  if (x.kind == ValueKind::Count && y.isConstant()) {
    if (op == BinOp::Greater)
      return makeMask(b, y.getConst(), x, /*inverted=*/false);
    if (op == BinOp::LessOrEqual)
      return makeMask(b, y.getConst(), x, /*inverted=*/true);
    if (!isComparison(op))
      return countArithmetic(b, op, x, y.getConst(), /*countFirst=*/true);
  }
  if (y.kind == ValueKind::Count && x.isConstant()) {
    if (op == BinOp::Less)
      return makeMask(b, x.getConst(), y, /*inverted=*/false);
    if (op == BinOp::GreaterOrEqual)
      return makeMask(b, x.getConst(), y, /*inverted=*/true);
    if (!isComparison(op))
      return countArithmetic(b, op, y, x.getConst(), /*countFirst=*/false);
  }

  if (op == BinOp::Add) {
    if (x.isTensor() && y.isTensor() && x.shape == y.shape &&
        x.dims == y.dims) {
      if (failed(requireFloat(b, x, "input")))
        return failure();
      Value sum = b.builder().create<student::AddOp>(b.loc(), x.value.getType(),
                                                     x.value, y.value);
      OnnxValue r = x;
      r.value = sum;
      b.setOutput(0, r);
      return success();
    }
    const OnnxValue *t = x.isTensor() && y.isConstant()   ? &x
                         : y.isTensor() && x.isConstant() ? &y
                                                          : nullptr;
    if (t) {
      const OnnxValue &c = t == &x ? y : x;
      int tIndex = t == &x ? 0 : 1;
      if (failed(requireFloat(b, *t, "input")))
        return failure();
      if (!c.getConst().isFloat())
        return b.emitError() << "adds a constant of element type "
                             << dtypeName(c.dtype) << " to a float tensor";
      if (fuseDenseBias(b, *t, b.inputName(tIndex), c.getConst(),
                        c.name.empty() ? b.inputName(1 - tIndex) : c.name))
        return success();
      std::optional<SmallVector<int64_t>> shape =
          broadcastShapes(t->shape, c.shape);
      if (!shape || *shape != t->shape)
        return b.emitError() << "adds a constant of shape "
                             << shapeString(c.shape) << " that broadcasts "
                             << shapeString(t->shape) << " to a larger shape";
      Value cv = constInLayout(b, c.getConst(), *t, c.name);
      Value sum = b.builder().create<student::AddOp>(
          b.loc(), t->value.getType(), t->value, cv);
      OnnxValue r = *t;
      r.value = sum;
      b.setOutput(0, r);
      return success();
    }
  }
  return b.emitError() << b.opType() << " of a " << kindName(x.kind)
                       << " and a " << kindName(y.kind)
                       << " is not supported (supported: constants, the "
                          "token count with an integer, the mask pattern of "
                          "docs/onnx.md, Add of tensors and biases, GELU)";
}

template <BinOp op> LogicalResult importBinaryOp(NodeBinder &b) {
  return importBinary(b, op);
}

/// Max and Min are variadic; with more than two inputs only constants fold.
template <BinOp op> LogicalResult importVariadic(NodeBinder &b) {
  if (b.getNumInputs() == 2)
    return importBinary(b, op);
  if (b.getNumInputs() == 1)
    return importIdentity(b);
  FailureOr<const ConstTensor *> acc = b.requireConstInput(0, "input");
  if (failed(acc))
    return failure();
  ConstTensor result = **acc;
  for (int i = 1; i < b.getNumInputs(); ++i) {
    FailureOr<const ConstTensor *> next = b.requireConstInput(i, "input");
    if (failed(next))
      return failure();
    std::optional<SmallVector<int64_t>> shape =
        broadcastShapes(result.shape, (*next)->shape);
    if (!shape || result.dtype != (*next)->dtype)
      return b.emitError() << "inputs do not broadcast or differ in type";
    ConstTensor a = broadcastTo(result, *shape),
                c = broadcastTo(**next, *shape);
    for (int64_t j = 0, n = a.size(); j < n; ++j) {
      if (a.isFloat())
        a.set(j, applyBinary<double>(op, a.fp[j], c.fp[j]));
      else
        a.setInt(j, applyBinary<int64_t>(op, a.ints[j], c.ints[j]));
    }
    result = std::move(a);
  }
  b.setOutput(0, OnnxValue::makeConstant(std::move(result)));
  return success();
}

LogicalResult importNot(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "X");
  if (failed(in))
    return failure();
  if ((*in)->kind == ValueKind::Mask) {
    OnnxValue r = **in;
    r.maskInverted = !r.maskInverted;
    b.setOutput(0, r);
    return success();
  }
  if ((*in)->isConstant()) {
    ConstTensor c = castConst((*in)->getConst(), TensorProto::BOOL);
    for (int64_t &v : c.ints)
      v = !v;
    b.setOutput(0, OnnxValue::makeConstant(std::move(c)));
    return success();
  }
  return b.emitError() << "Not of a " << kindName((*in)->kind)
                       << " is not supported";
}

LogicalResult importWhere(NodeBinder &b) {
  FailureOr<const OnnxValue *> cond = b.requireInput(0, "condition");
  FailureOr<const OnnxValue *> x = b.requireInput(1, "X");
  FailureOr<const OnnxValue *> y = b.requireInput(2, "Y");
  if (failed(cond) || failed(x) || failed(y))
    return failure();
  if ((*cond)->isConstant() && (*x)->isConstant() && (*y)->isConstant()) {
    const ConstTensor &c = (*cond)->getConst(), &a = (*x)->getConst(),
                      &d = (*y)->getConst();
    std::optional<SmallVector<int64_t>> s1 = broadcastShapes(c.shape, a.shape);
    std::optional<SmallVector<int64_t>> shape =
        s1 ? broadcastShapes(*s1, d.shape) : std::nullopt;
    if (!shape || a.dtype != d.dtype)
      return b.emitError() << "inputs do not broadcast or differ in type";
    ConstTensor cb = broadcastTo(c, *shape), ab = broadcastTo(a, *shape),
                db = broadcastTo(d, *shape);
    ConstTensor out = ConstTensor::zeros(a.dtype, *shape);
    for (int64_t i = 0, n = out.size(); i < n; ++i) {
      const ConstTensor &src = cb.asInt(i) ? ab : db;
      if (out.isFloat())
        out.fp[i] = src.fp[i];
      else
        out.ints[i] = src.ints[i];
    }
    b.setOutput(0, OnnxValue::makeConstant(std::move(out)));
    return success();
  }

  const OnnxValue &mask = **cond;
  if (mask.kind != ValueKind::Mask)
    return b.emitError() << "Where on a " << kindName(mask.kind)
                         << " condition is not supported (supported: "
                            "constants, and Where(positions < count, x, -inf) "
                            "masking padded tokens before a max over time)";
  const OnnxValue &kept = mask.maskInverted ? **y : **x;
  const OnnxValue &fill = mask.maskInverted ? **x : **y;
  bool zeroFill = fill.isConstant() && fill.getConst().isFloat() &&
                  fill.getConst().size() == 1 && fill.getConst().fp[0] == 0.0;
  if (!kept.isTensor() || !fill.isConstant() ||
      (!isNegInfScalar(fill.getConst()) && !zeroFill))
    return b.emitError() << "a token mask must select between a sequence and "
                            "-inf (Where(positions < count, x, -inf)), so "
                            "that a max over time ignores padded tokens, or "
                            "0 (Where(positions < count, x, 0)), which zeroes "
                            "the rows past the count";
  if (failed(requireFloat(b, kept, "the masked sequence")))
    return failure();
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(mask.shape, kept.shape);
  int64_t axis = mask.maskAxis + static_cast<int64_t>(kept.shape.size()) -
                 static_cast<int64_t>(mask.shape.size());
  if (!shape || *shape != kept.shape || axis < 0)
    return b.emitError() << "the mask " << shapeString(mask.shape)
                         << " does not broadcast to the sequence "
                         << shapeString(kept.shape);
  if (kept.dims.size() != 2 || kept.dims[0] != axis)
    return b.emitError() << "masks ONNX axis " << axis << " of "
                         << shapeString(kept.shape)
                         << ", which is not the time axis of a sequence";
  OnnxValue r = kept;
  if (zeroFill) {
    // Rows at and past the count become 0: an ordinary tensor again.
    FailureOr<Value> count =
        countOperand(b, mask.count, kept.shape[kept.dims[0]]);
    if (failed(count))
      return failure();
    r.value = b.builder().create<student::MaskRowsOp>(
        b.loc(), kept.value.getType(), kept.value, *count);
    b.setOutput(0, r);
    return success();
  }
  r.kind = ValueKind::Masked;
  r.count = mask.count;
  b.setOutput(0, r);
  return success();
}

enum class Unary { Relu, Tanh, Sigmoid, Neg };

template <Unary kind> LogicalResult importUnary(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "X");
  if (failed(in))
    return failure();
  const OnnxValue &v = **in;
  if (v.isConstant()) {
    ConstTensor c = v.getConst();
    for (int64_t i = 0, n = c.size(); i < n; ++i) {
      double x = c.asDouble(i);
      double y = kind == Unary::Relu      ? std::max(x, 0.0)
                 : kind == Unary::Tanh    ? std::tanh(x)
                 : kind == Unary::Sigmoid ? 1.0 / (1.0 + std::exp(-x))
                                          : -x;
      c.set(i, y);
    }
    b.setOutput(0, OnnxValue::makeConstant(std::move(c)));
    return success();
  }
  if (kind == Unary::Neg || !v.isTensor())
    return b.emitError() << b.opType() << " of a " << kindName(v.kind)
                         << " is not supported"
                         << (v.kind == ValueKind::Masked
                                 ? " (apply activations before masking)"
                                 : "");
  if (failed(requireFloat(b, v, "input")))
    return failure();
  OpBuilder &builder = b.builder();
  Value r;
  if (kind == Unary::Relu)
    r = builder.create<student::ReluOp>(b.loc(), v.value);
  else if (kind == Unary::Tanh)
    r = builder.create<student::TanhOp>(b.loc(), v.value);
  else
    r = builder.create<student::SigmoidOp>(b.loc(), v.value);
  OnnxValue out = v;
  out.value = r;
  b.setOutput(0, out);
  return success();
}

/// Gelu: ONNX's (opset 20), com.microsoft's, and the fused node the pattern
/// rewrite creates from PyTorch's Erf or Tanh decomposition.
LogicalResult importGelu(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireTensorInput(0, "X");
  if (failed(in))
    return failure();
  if (failed(requireFloat(b, **in, "input")))
    return failure();
  FailureOr<std::string> approx = b.stringAttr("approximate", "none");
  if (failed(approx))
    return failure();
  if (*approx != "none" && *approx != "tanh")
    return b.emitError() << "approximate = \"" << *approx
                         << "\" is not supported (none, tanh)";
  Value r = b.builder().create<student::GeluOp>(b.loc(), (*in)->value,
                                                *approx == "tanh");
  OnnxValue out = **in;
  out.value = r;
  b.setOutput(0, out);
  return success();
}

LogicalResult importSoftmax(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireTensorInput(0, "input");
  if (failed(in))
    return failure();
  const OnnxValue &v = **in;
  if (failed(requireFloat(b, v, "input")))
    return failure();
  FailureOr<int64_t> axisAttr = b.intAttr("axis", -1);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = b.normalizeAxis(*axisAttr, v.shape.size(), "axis");
  if (failed(axis))
    return failure();
  auto it = llvm::find(v.dims, *axis);
  if (it == v.dims.end())
    return b.emitError() << "softmax over axis " << *axis
                         << ", which has size 1, is not supported";
  int64_t d = it - v.dims.begin();
  int64_t dialectAxis = d + 1 == static_cast<int64_t>(v.dims.size()) ? -1 : d;
  Value r = b.builder().create<student::SoftmaxOp>(
      b.loc(), v.value, b.builder().getI64IntegerAttr(dialectAxis));
  OnnxValue out = v;
  out.value = r;
  b.setOutput(0, out);
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution, pooling, dense layers
//===----------------------------------------------------------------------===//

/// Conv: a 1-D convolution over time of a [1, C, T] sequence, or a 2-D one
/// that is the same thing. PyTorch ports of Kim (2014) write the latter:
/// Conv2d(1, F, (K, D)) over the embeddings unsqueezed to [1, 1, T, D], a
/// kernel that spans the whole embedding; [1, C, T, 1] with a (K, 1) kernel
/// is the other form. Either way the kernel covers the second spatial axis
/// completely, so the weight [F, C, kT, kS] is rewritten to conv1d's
/// [F, C * kS, kT] (C or kS is 1) and the result is [1, F, T', 1].
LogicalResult importConv(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireTensorInput(0, "input");
  if (failed(in))
    return failure();
  const OnnxValue &x = **in;
  int64_t rank = x.shape.size();
  if (rank != 3 && rank != 4)
    return b.emitError() << "only 1-D convolution ([1, C, T]) and 2-D "
                            "convolution over a whole embedding ([1, 1, T, D] "
                            "with a (K, D) kernel) are supported; the input "
                            "has shape "
                         << shapeString(x.shape);
  // The ONNX axes of time and of the second spatial axis (2-D only).
  int64_t timeAxis = x.dims.empty() ? -1 : x.dims[0], otherAxis = -1;
  if (rank == 3) {
    if (ArrayRef<int64_t>(x.dims) != ArrayRef<int64_t>{2, 1})
      return b.emitError() << "the input must be a time-major sequence seen "
                              "as [1, C, T] (e.g. Transpose(perm = [0, 2, 1]) "
                              "of an embedding)";
  } else {
    // ONNX axes that are not dialect dimensions have size 1, so features
    // on axis 1 leave the other spatial axis 1 wide and vice versa.
    otherAxis = timeAxis == 2 ? 3 : 2;
    if (x.dims.size() != 2 || (timeAxis != 2 && timeAxis != 3) ||
        (x.dims[1] != 1 && x.dims[1] != otherAxis))
      return b.emitError() << "the input of a 2-D convolution must be a "
                              "sequence seen as [1, 1, T, D] (e.g. "
                              "Unsqueeze(axes = [1]) of an embedding) or "
                              "[1, C, T, 1]; it is "
                           << shapeString(x.shape)
                           << " with no time axis among its spatial axes";
  }
  if (failed(requireFloat(b, x, "input")))
    return failure();
  FailureOr<const ConstTensor *> wc = b.requireWeightConst(1, "weight", rank);
  if (failed(wc))
    return failure();
  const ConstTensor &wt = **wc;
  int64_t spatial = rank - 2, timeIdx = timeAxis - 2;
  int64_t channels = x.shape[1], time = x.shape[timeAxis];
  int64_t filters = wt.shape[0], width = wt.shape[timeAxis];

  FailureOr<int64_t> group = b.intAttr("group", 1);
  FailureOr<std::optional<SmallVector<int64_t>>> strides =
      b.intsAttr("strides");
  FailureOr<std::optional<SmallVector<int64_t>>> dilations =
      b.intsAttr("dilations");
  FailureOr<std::optional<SmallVector<int64_t>>> kernel =
      b.intsAttr("kernel_shape");
  FailureOr<std::optional<SmallVector<int64_t>>> pads = b.intsAttr("pads");
  FailureOr<std::string> autoPad = b.stringAttr("auto_pad", "NOTSET");
  if (failed(group) || failed(strides) || failed(dilations) || failed(kernel) ||
      failed(pads) || failed(autoPad))
    return failure();
  if (*group != 1)
    return b.emitError() << "group = " << *group
                         << " is not supported (only group = 1)";
  if (wt.shape[1] != channels)
    return b.emitError() << "weight has " << wt.shape[1]
                         << " input channels, but the input has " << channels;
  if (*strides && static_cast<int64_t>((*strides)->size()) != spatial)
    return b.emitError() << "strides = " << shapeString(**strides)
                         << " are not valid for a " << spatial
                         << "-D convolution";
  if (*strides && llvm::any_of(**strides, [](int64_t s) { return s != 1; }))
    return b.emitError() << "strides = " << shapeString(**strides)
                         << " are not supported (only stride 1)";
  SmallVector<int64_t> dilation(spatial, 1);
  if (*dilations) {
    if (static_cast<int64_t>((*dilations)->size()) != spatial ||
        llvm::any_of(**dilations, [](int64_t d) { return d < 1; }))
      return b.emitError() << "dilations = " << shapeString(**dilations)
                           << " are not valid for a " << spatial
                           << "-D convolution";
    dilation.assign((*dilations)->begin(), (*dilations)->end());
  }
  ArrayRef<int64_t> wSpatial = ArrayRef<int64_t>(wt.shape).drop_front(2);
  if (*kernel && ArrayRef<int64_t>(**kernel) != wSpatial) {
    auto diag = b.emitError() << "kernel_shape = " << shapeString(**kernel)
                              << " does not match the weight's ";
    if (rank == 3)
      diag << "width " << width;
    else
      diag << "kernel " << shapeString(wSpatial);
    return diag;
  }
  SmallVector<int64_t> extent, before(spatial, 0), after(spatial, 0);
  for (int64_t i = 0; i < spatial; ++i)
    extent.push_back(dilation[i] * (wSpatial[i] - 1));
  if (*autoPad == "NOTSET") {
    if (*pads) {
      if (static_cast<int64_t>((*pads)->size()) != 2 * spatial ||
          llvm::any_of(**pads, [](int64_t p) { return p < 0; }))
        return b.emitError()
               << "pads = " << shapeString(**pads) << " are not valid for a "
               << spatial << "-D convolution";
      for (int64_t i = 0; i < spatial; ++i) {
        before[i] = (**pads)[i];
        after[i] = (**pads)[spatial + i];
      }
    }
  } else if (*autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t small = extent[i] / 2, large = extent[i] - small;
      before[i] = *autoPad == "SAME_UPPER" ? small : large;
      after[i] = extent[i] - before[i];
    }
  } else if (*autoPad != "VALID") {
    return b.emitError() << "auto_pad = \"" << *autoPad
                         << "\" is not valid (NOTSET, VALID, SAME_UPPER, "
                            "SAME_LOWER)";
  }
  if (rank == 4) {
    // The kernel must cover the second spatial axis exactly once: as wide
    // as the axis, unpadded, and undilated (unless 1 wide).
    int64_t o = otherAxis - 2, size = x.shape[otherAxis];
    if (before[o] != 0 || after[o] != 0 || wSpatial[o] != size ||
        (size > 1 && dilation[o] != 1))
      return b.emitError()
             << "a 2-D convolution must cover the whole of input axis "
             << otherAxis << " (" << size
             << " wide) with one unpadded, undilated window, as Kim's "
                "Conv2d(1, F, (K, D)) over [1, 1, T, D] does; the kernel is "
             << shapeString(wSpatial) << " with pads "
             << shapeString({before[o], after[o]}) << " and dilation "
             << dilation[o] << " along that axis";
  }
  int64_t outTime = time + before[timeIdx] + after[timeIdx] - extent[timeIdx];
  if (outTime < 1)
    return b.emitError() << "the sequence of " << time
                         << " steps is shorter than the kernel extent "
                         << extent[timeIdx] + 1;

  Value w;
  if (rank == 3) {
    w = b.state.materializeWeight(wt, b.weightName(1), b.loc());
  } else {
    // [F, C, k2, k3] -> [F, C * kS, kT]; one of C, kS is 1.
    int64_t kOther = wt.shape[otherAxis];
    ConstTensor w1 = ConstTensor::zeros(TensorProto::FLOAT,
                                        {filters, channels * kOther, width});
    SmallVector<int64_t> strides4 = stridesOf(wt.shape);
    for (int64_t f = 0; f < filters; ++f)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t j = 0; j < kOther; ++j)
          for (int64_t k = 0; k < width; ++k)
            w1.fp[(f * channels * kOther + c * kOther + j) * width + k] =
                wt.fp[f * strides4[0] + c * strides4[1] +
                      k * strides4[timeAxis] + j * strides4[otherAxis]];
    w = b.state.materializeWeight(w1, b.weightName(1), b.loc(),
                                  /*cache=*/false);
  }

  Value bias;
  if (b.hasInput(2)) {
    FailureOr<Value> bv = b.requireWeight(2, "bias", 1);
    if (failed(bv))
      return failure();
    if (b.input(2).shape[0] != filters)
      return b.emitError() << "bias has " << b.input(2).shape[0]
                           << " entries for " << filters << " filters";
    bias = *bv;
  }
  auto type = f32Tensor(b, {outTime, filters});
  Value conv = b.builder().create<student::Conv1dOp>(
      b.loc(), type, x.value, w, bias,
      ArrayRef<int64_t>{before[timeIdx], after[timeIdx]},
      static_cast<uint64_t>(dilation[timeIdx]));
  SmallVector<int64_t> shape = {x.shape[0], filters, outTime};
  if (rank == 4)
    shape.insert(shape.begin() + otherAxis, 1);
  b.setOutput(
      0, OnnxValue::makeTensor(conv, TensorProto::FLOAT, shape, {timeAxis, 1}));
  return success();
}

/// A max over the time axis of a [T, F] sequence: ReduceMax, GlobalMaxPool,
/// or a MaxPool whose window is the whole sequence. `reduced` are the ONNX
/// axes reduced.
LogicalResult poolOverTime(NodeBinder &b, const OnnxValue &in,
                           ArrayRef<int64_t> reduced, bool keepDims) {
  if (in.kind != ValueKind::Tensor && in.kind != ValueKind::Masked)
    return b.emitError() << "max over time of a " << kindName(in.kind)
                         << " is not supported";
  if (in.dims.size() != 2)
    return b.emitError() << "max over time needs a sequence ([T, F] in the "
                            "student function); the input has ONNX shape "
                         << shapeString(in.shape);
  if (failed(requireFloat(b, in, "input")))
    return failure();
  int64_t timeAxis = in.dims[0], featureAxis = in.dims[1];
  if (!llvm::is_contained(reduced, timeAxis) ||
      llvm::is_contained(reduced, featureAxis))
    return b.emitError() << "reduces axes " << shapeString(reduced) << " of "
                         << shapeString(in.shape)
                         << "; kdc supports a max over the time axis ("
                         << timeAxis << ") only";
  Value count;
  if (in.kind == ValueKind::Masked) {
    FailureOr<Value> c = countOperand(b, in.count, in.shape[timeAxis]);
    if (failed(c))
      return failure();
    count = *c;
  }
  int64_t features = in.shape[featureAxis];
  Value pooled = b.builder().create<student::MaxPoolTimeOp>(
      b.loc(), f32Tensor(b, {features}), in.value, count);
  SmallVector<int64_t> shape;
  int64_t newFeatureAxis = -1;
  for (int64_t a = 0, r = in.shape.size(); a < r; ++a) {
    bool isReduced = llvm::is_contained(reduced, a);
    if (isReduced && !keepDims)
      continue;
    if (a == featureAxis)
      newFeatureAxis = shape.size();
    shape.push_back(isReduced ? 1 : in.shape[a]);
  }
  b.setOutput(0, OnnxValue::makeTensor(pooled, TensorProto::FLOAT, shape,
                                       {newFeatureAxis}));
  return success();
}

LogicalResult importReduceMax(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "data");
  if (failed(in))
    return failure();
  int64_t rank = (*in)->shape.size();
  FailureOr<int64_t> keepDims = b.intAttr("keepdims", 1);
  FailureOr<std::optional<SmallVector<int64_t>>> axesAttr = b.intsAttr("axes");
  if (failed(keepDims) || failed(axesAttr))
    return failure();
  SmallVector<int64_t> axes;
  if (*axesAttr && !(*axesAttr)->empty()) {
    for (int64_t a : **axesAttr) {
      FailureOr<int64_t> n = b.normalizeAxis(a, rank, "axis");
      if (failed(n))
        return failure();
      axes.push_back(*n);
    }
  } else {
    for (int64_t a = 0; a < rank; ++a)
      axes.push_back(a);
  }
  return poolOverTime(b, **in, axes, *keepDims != 0);
}

/// The spatial axes of a pooling input: [1, C, T] (1-D), or [1, C, T, 1] /
/// [1, C, 1, T] (2-D: the output of Kim's Conv2d before its Squeeze).
FailureOr<SmallVector<int64_t>> poolingAxes(NodeBinder &b, const OnnxValue &x) {
  int64_t rank = x.shape.size();
  if (rank != 3 && rank != 4) {
    b.emitError() << "only 1-D pooling over [1, C, T] (or 2-D over [1, C, "
                     "T, 1]) is supported; the input has shape "
                  << shapeString(x.shape);
    return failure();
  }
  SmallVector<int64_t> axes;
  for (int64_t a = 2; a < rank; ++a)
    axes.push_back(a);
  return axes;
}

LogicalResult importGlobalMaxPool(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "X");
  if (failed(in))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = poolingAxes(b, **in);
  if (failed(axes))
    return failure();
  return poolOverTime(b, **in, *axes, /*keepDims=*/true);
}

LogicalResult importMaxPool(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireInput(0, "X");
  if (failed(in))
    return failure();
  const OnnxValue &x = **in;
  FailureOr<SmallVector<int64_t>> axes = poolingAxes(b, x);
  if (failed(axes))
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> kernel =
      b.intsAttr("kernel_shape");
  FailureOr<std::optional<SmallVector<int64_t>>> pads = b.intsAttr("pads");
  FailureOr<std::optional<SmallVector<int64_t>>> dilations =
      b.intsAttr("dilations");
  FailureOr<std::string> autoPad = b.stringAttr("auto_pad", "NOTSET");
  FailureOr<int64_t> storageOrder = b.intAttr("storage_order", 0);
  if (failed(kernel) || failed(pads) || failed(dilations) || failed(autoPad) ||
      failed(storageOrder))
    return failure();
  if (!*kernel)
    return b.emitError() << "needs attribute 'kernel_shape'";
  // A window over the whole input is a global max (strides do not matter).
  ArrayRef<int64_t> spatial = ArrayRef<int64_t>(x.shape).drop_front(2);
  bool noPads =
      !*pads || llvm::all_of(**pads, [](int64_t p) { return p == 0; });
  bool noDilation = !*dilations ||
                    llvm::all_of(**dilations, [](int64_t d) { return d == 1; });
  if (ArrayRef<int64_t>(**kernel) != spatial || !noPads || !noDilation ||
      (*autoPad != "NOTSET" && *autoPad != "VALID")) {
    auto diag = b.emitError() << "a MaxPool with kernel_shape "
                              << shapeString(**kernel) << " over ";
    if (spatial.size() == 1)
      diag << spatial[0] << " time steps";
    else
      diag << shapeString(spatial);
    return diag << " is a windowed max; kdc supports only global max "
                   "pooling (kernel_shape = "
                << shapeString(spatial) << ", no padding or dilation)";
  }
  if (b.isOutputUsed(1))
    return b.emitError() << "the Indices output is not supported";
  return poolOverTime(b, x, *axes, /*keepDims=*/true);
}

LogicalResult importGemm(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireTensorInput(0, "A");
  FailureOr<const ConstTensor *> bc = b.requireConstInput(1, "B");
  if (failed(in) || failed(bc))
    return failure();
  const OnnxValue &a = **in;
  FailureOr<float> alpha = b.floatAttr("alpha", 1.0f);
  FailureOr<float> beta = b.floatAttr("beta", 1.0f);
  FailureOr<int64_t> transA = b.intAttr("transA", 0);
  FailureOr<int64_t> transB = b.intAttr("transB", 0);
  if (failed(alpha) || failed(beta) || failed(transA) || failed(transB))
    return failure();
  if (failed(requireFloat(b, a, "A")))
    return failure();
  if (a.shape.size() != 2)
    return b.emitError() << "A must be a matrix, got " << shapeString(a.shape);
  int64_t kAxis = *transA ? 0 : 1, mAxis = 1 - kAxis;
  if (a.dims.empty() || a.dims.back() != kAxis)
    return b.emitError() << "A's inner dimension must be its last dimension "
                            "in the student function";
  const ConstTensor &bw = **bc;
  if (bw.shape.size() != 2 || bw.dtype != TensorProto::FLOAT)
    return b.emitError() << "B must be a float matrix, got "
                         << dtypeName(bw.dtype) << shapeString(bw.shape);
  int64_t m = a.shape[mAxis], k = a.shape[kAxis];
  int64_t n = *transB ? bw.shape[0] : bw.shape[1];
  int64_t bk = *transB ? bw.shape[1] : bw.shape[0];
  if (bk != k)
    return b.emitError() << "B " << shapeString(bw.shape) << " does not match "
                         << "A " << shapeString(a.shape);

  // The dialect's dense takes [N, K] weights (PyTorch's Linear, transB = 1);
  // other forms are rewritten at import time.
  Value weight;
  if (*transB && *alpha == 1.0f) {
    FailureOr<Value> w = b.requireWeight(1, "B", 2);
    if (failed(w))
      return failure();
    weight = *w;
  } else {
    ConstTensor w = *transB ? bw : transposeConst(bw, {1, 0});
    for (double &v : w.fp)
      v = static_cast<float>(v * *alpha);
    const OnnxValue &bv = b.input(1);
    weight = b.state.materializeWeight(
        w, bv.name.empty() ? b.inputName(1) : StringRef(bv.name), b.loc(),
        /*cache=*/false);
  }
  Value bias;
  if (b.hasInput(2) && *beta != 0.0f) {
    FailureOr<const ConstTensor *> cc = b.requireConstInput(2, "C");
    if (failed(cc))
      return failure();
    const ConstTensor &c = **cc;
    std::optional<SmallVector<int64_t>> shape =
        broadcastShapes({m, n}, c.shape);
    bool perColumn = c.shape.size() < 2 || c.shape[0] == 1;
    if (!c.isFloat() || !shape || *shape != SmallVector<int64_t>{m, n} ||
        !perColumn)
      return b.emitError() << "C must be a float bias broadcastable to [1, "
                           << n << "], got " << dtypeName(c.dtype)
                           << shapeString(c.shape);
    const OnnxValue &cv = b.input(2);
    if (*beta == 1.0f && c.shape == SmallVector<int64_t>{n}) {
      FailureOr<Value> bw = b.requireWeight(2, "C", 1);
      if (failed(bw))
        return failure();
      bias = *bw;
    } else {
      ConstTensor v = ConstTensor::zeros(TensorProto::FLOAT, {n});
      bool varies = !c.shape.empty() && c.shape.back() != 1;
      for (int64_t i = 0; i < n; ++i)
        v.fp[i] = static_cast<float>(*beta * c.fp[varies ? i : 0]);
      bias = b.state.materializeWeight(
          v, cv.name.empty() ? b.inputName(2) : StringRef(cv.name), b.loc(),
          /*cache=*/false);
    }
  }
  bool vector = a.dims.size() == 1;
  auto type = vector ? f32Tensor(b, {n}) : f32Tensor(b, {m, n});
  Value d = b.builder().create<student::DenseOp>(b.loc(), type, a.value, weight,
                                                 bias);
  b.setOutput(0, OnnxValue::makeTensor(d, TensorProto::FLOAT, {m, n},
                                       vector ? SmallVector<int64_t>{1}
                                              : SmallVector<int64_t>{0, 1}));
  return success();
}

LogicalResult importMatMul(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireTensorInput(0, "A");
  FailureOr<const ConstTensor *> bc = b.requireConstInput(1, "B");
  if (failed(in) || failed(bc))
    return failure();
  const OnnxValue &a = **in;
  const ConstTensor &bw = **bc;
  if (failed(requireFloat(b, a, "A")))
    return failure();
  int64_t rank = a.shape.size();
  if (bw.shape.size() != 2 || bw.dtype != TensorProto::FLOAT)
    return b.emitError() << "B must be a float matrix [K, N], got "
                         << dtypeName(bw.dtype) << shapeString(bw.shape);
  if (rank < 1 || a.dims.empty() || a.dims.back() != rank - 1)
    return b.emitError() << "A's last axis must be its last dimension in the "
                            "student function";
  if (a.shape.back() != bw.shape[0])
    return b.emitError() << "B " << shapeString(bw.shape) << " does not match "
                         << "A " << shapeString(a.shape);
  int64_t n = bw.shape[1];
  ConstTensor w = transposeConst(bw, {1, 0});
  const OnnxValue &bv = b.input(1);
  Value weight = b.state.materializeWeight(
      w, bv.name.empty() ? b.inputName(1) : StringRef(bv.name), b.loc(),
      /*cache=*/false);
  SmallVector<int64_t> shape(a.shape.begin(), a.shape.end());
  shape.back() = n;
  auto type = f32Tensor(b, dialectShape(shape, a.dims));
  Value d = b.builder().create<student::DenseOp>(b.loc(), type, a.value, weight,
                                                 Value());
  b.setOutput(0, OnnxValue::makeTensor(d, TensorProto::FLOAT, shape, a.dims));
  return success();
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

// Since-versions are those of the ONNX op definitions whose semantics the
// handler implements for the types kdc sees; the model-level check limits
// the default domain to opsets 13-17, so a definition that changes later
// (ReduceMax, Squeeze, Unsqueeze take axes as inputs from 18) needs a new
// row before that limit is raised.
const OpHandlerEntry kOpHandlers[] = {
    {kOnnxDomain, "Add", 7, importBinaryOp<BinOp::Add>},
    {kOnnxDomain, "Cast", 6, importCast},
    {kOnnxDomain, "Concat", 11, importConcat},
    {kOnnxDomain, "Constant", 12, importConstant},
    {kOnnxDomain, "ConstantOfShape", 9, importConstantOfShape},
    {kOnnxDomain, "Conv", 11, importConv},
    {kOnnxDomain, "Div", 7, importBinaryOp<BinOp::Div>},
    {kOnnxDomain, "Dropout", 12, importDropout},
    {kOnnxDomain, "Equal", 11, importBinaryOp<BinOp::Equal>},
    {kOnnxDomain, "Expand", 8, importExpand},
    {kOnnxDomain, "Flatten", 11, importFlatten},
    {kOnnxDomain, "Gather", 11, importGather},
    {kOnnxDomain, "Gemm", 11, importGemm},
    {kOnnxDomain, "GlobalMaxPool", 1, importGlobalMaxPool},
    {kOnnxDomain, "Greater", 9, importBinaryOp<BinOp::Greater>},
    {kOnnxDomain, "GreaterOrEqual", 12, importBinaryOp<BinOp::GreaterOrEqual>},
    {kOnnxDomain, "Identity", 1, importIdentity},
    {kOnnxDomain, "Less", 9, importBinaryOp<BinOp::Less>},
    {kOnnxDomain, "LessOrEqual", 12, importBinaryOp<BinOp::LessOrEqual>},
    {kOnnxDomain, "MatMul", 9, importMatMul},
    {kOnnxDomain, "Max", 8, importVariadic<BinOp::Max>},
    {kOnnxDomain, "MaxPool", 10, importMaxPool},
    {kOnnxDomain, "Min", 8, importVariadic<BinOp::Min>},
    {kOnnxDomain, "Mul", 7, importBinaryOp<BinOp::Mul>},
    {kOnnxDomain, "Neg", 6, importUnary<Unary::Neg>},
    {kOnnxDomain, "Not", 1, importNot},
    {kOnnxDomain, "Range", 11, importRange},
    {kOnnxDomain, "ReduceMax", 11, importReduceMax},
    {kOnnxDomain, "Relu", 6, importUnary<Unary::Relu>},
    {kOnnxDomain, "Reshape", 5, importReshape},
    {kOnnxDomain, "Scan", 11, importScan},
    {kOnnxDomain, "Shape", 1, importShape},
    {kOnnxDomain, "Sigmoid", 6, importUnary<Unary::Sigmoid>},
    {kOnnxDomain, "Slice", 10, importSlice},
    {kOnnxDomain, "Softmax", 13, importSoftmax},
    {kOnnxDomain, "Squeeze", 13, importSqueeze},
    {kOnnxDomain, "Sub", 7, importBinaryOp<BinOp::Sub>},
    {kOnnxDomain, "Tanh", 6, importUnary<Unary::Tanh>},
    {kOnnxDomain, "Transpose", 1, importTranspose},
    {kOnnxDomain, "Unsqueeze", 13, importUnsqueeze},
    {kOnnxDomain, "Where", 9, importWhere},
    {kMicrosoftDomain, "Gelu", 1, importGelu},
    {kPatternDomain, "AttentionPool", 1, importAttentionPool},
    {kPatternDomain, "Gelu", 1, importGelu},
};

} // namespace

ArrayRef<OpHandlerEntry> kdc::import::getOpHandlers() { return kOpHandlers; }
