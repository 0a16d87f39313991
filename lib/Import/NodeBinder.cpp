//===- NodeBinder.cpp - operands, attributes and errors of one node -------===//

#include "ImporterImpl.h"

#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

using namespace kdc::import;
using namespace mlir;
using llvm::SmallVector;
using llvm::StringRef;

OnnxValue OnnxValue::makeConstant(ConstTensor c, std::string name) {
  OnnxValue v;
  v.kind = ValueKind::Constant;
  v.dtype = c.dtype;
  v.shape = c.shape;
  v.constant = std::make_shared<const ConstTensor>(std::move(c));
  v.name = std::move(name);
  return v;
}

OnnxValue OnnxValue::makeTensor(Value value, int32_t dtype,
                                llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<int64_t> dims) {
  OnnxValue v;
  v.kind = ValueKind::Tensor;
  v.dtype = dtype;
  v.value = value;
  v.shape.assign(shape.begin(), shape.end());
  v.dims.assign(dims.begin(), dims.end());
  return v;
}

StringRef kdc::import::kindName(ValueKind kind) {
  switch (kind) {
  case ValueKind::Tensor:
    return "runtime tensor";
  case ValueKind::Constant:
    return "constant";
  case ValueKind::Count:
    return "token count (derived from 'length')";
  case ValueKind::Mask:
    return "token mask";
  case ValueKind::Masked:
    return "masked sequence";
  }
  return "value";
}

//===----------------------------------------------------------------------===//
// ImportState
//===----------------------------------------------------------------------===//

/// Resource keys are printed as bare identifiers when they can be; ONNX names
/// such as "onnx::MatMul_12" cannot, so keep letters, digits, '_' and '.'.
static std::string resourceKey(StringRef name) {
  std::string key;
  for (char c : name)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (key.empty() || llvm::isDigit(key[0]))
    key.insert(key.begin(), 'w');
  return key;
}

Value ImportState::materializeWeight(const ConstTensor &c, StringRef name,
                                     Location loc, bool cache) {
  if (cache) {
    auto it = weights.find(&c);
    if (it != weights.end())
      return it->second;
  }
  auto type = RankedTensorType::get(c.shape, builder.getF32Type());
  SmallVector<float> data;
  data.reserve(c.size());
  for (int64_t i = 0, n = c.size(); i < n; ++i)
    data.push_back(static_cast<float>(c.asDouble(i)));
  TypedAttr attr;
  int64_t bytes = c.size() * static_cast<int64_t>(sizeof(float));
  if (bytes >= options.resourceThresholdBytes && !data.empty()) {
    // The blob manager makes the key unique; it is a hint that keeps the
    // weight traceable to its initializer.
    attr = DenseResourceElementsAttr::get(
        type, resourceKey(name),
        HeapAsmResourceBlob::allocateAndCopyInferAlign<float>(data));
  } else {
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<float>(data));
  }
  Value v = builder.create<student::ConstantOp>(loc, type, attr);
  if (cache)
    weights[&c] = v;
  return v;
}

Value ImportState::countIndex(int64_t offset, Location loc) {
  if (offset == 0)
    return lengthArg;
  auto it = counts.find(offset);
  if (it != counts.end())
    return it->second;
  Value k = builder.create<arith::ConstantIndexOp>(loc, std::abs(offset));
  Value v = offset < 0
                ? builder.create<arith::SubIOp>(loc, lengthArg, k).getResult()
                : builder.create<arith::AddIOp>(loc, lengthArg, k).getResult();
  counts[offset] = v;
  return v;
}

//===----------------------------------------------------------------------===//
// NodeBinder
//===----------------------------------------------------------------------===//

Location NodeBinder::loc() {
  StringRef name = node.name();
  if (name.empty() && node.output_size())
    name = node.output(0);
  return NameLoc::get(
      StringAttr::get(&state.context, name),
      FileLineColLoc::get(&state.context, state.options.sourceName, 0, 0));
}

std::string NodeBinder::describe() const { return describeNode(node, opset); }

std::string kdc::import::describeNode(const onnx::NodeProto &node,
                                      int64_t opset) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (!node.name().empty())
    os << "node '" << node.name() << "'";
  else if (node.output_size())
    os << "node producing '" << node.output(0) << "'";
  else
    os << "node";
  os << " (" << node.op_type();
  if (node.domain() == kPatternDomain)
    os << " pattern";
  else if (!node.domain().empty() && node.domain() != "ai.onnx")
    os << ", domain " << node.domain();
  os << ", opset " << opset << ")";
  return s;
}

InFlightDiagnostic NodeBinder::emitError() {
  InFlightDiagnostic diag = mlir::emitError(loc());
  diag << describe() << ": ";
  return diag;
}

const OnnxValue &NodeBinder::input(int i) const {
  return state.values.find(node.input(i))->second;
}

FailureOr<const OnnxValue *> NodeBinder::requireInput(int i, StringRef role) {
  if (!hasInput(i)) {
    emitError() << "needs input " << i << " (" << role << ")";
    return failure();
  }
  return &input(i);
}

FailureOr<const ConstTensor *> NodeBinder::requireConstInput(int i,
                                                             StringRef role) {
  FailureOr<const OnnxValue *> v = requireInput(i, role);
  if (failed(v))
    return failure();
  if (!(*v)->isConstant()) {
    emitError() << role << " '" << inputName(i) << "' must be a constant "
                << "(an initializer or folded from constants), but it is a "
                << kindName((*v)->kind);
    return failure();
  }
  return (*v)->constant.get();
}

FailureOr<const OnnxValue *> NodeBinder::requireTensorInput(int i,
                                                            StringRef role) {
  FailureOr<const OnnxValue *> v = requireInput(i, role);
  if (failed(v))
    return failure();
  if (!(*v)->isTensor()) {
    emitError() << role << " '" << inputName(i) << "' must be a runtime "
                << "tensor computed from the token ids, but it is a "
                << kindName((*v)->kind);
    return failure();
  }
  return *v;
}

FailureOr<const ConstTensor *>
NodeBinder::requireWeightConst(int i, StringRef role, int64_t rank) {
  FailureOr<const ConstTensor *> c = requireConstInput(i, role);
  if (failed(c))
    return failure();
  if ((*c)->dtype != TensorProto::FLOAT) {
    emitError() << role << " '" << inputName(i) << "' has element type "
                << dtypeName((*c)->dtype) << "; kdc imports float weights";
    return failure();
  }
  if (static_cast<int64_t>((*c)->shape.size()) != rank) {
    emitError() << role << " '" << inputName(i) << "' must have rank " << rank
                << ", but has shape " << shapeString((*c)->shape);
    return failure();
  }
  return *c;
}

StringRef NodeBinder::weightName(int i) const {
  const OnnxValue &v = input(i);
  return v.name.empty() ? inputName(i) : StringRef(v.name);
}

FailureOr<Value> NodeBinder::requireWeight(int i, StringRef role,
                                           int64_t rank) {
  FailureOr<const ConstTensor *> c = requireWeightConst(i, role, rank);
  if (failed(c))
    return failure();
  return state.materializeWeight(**c, weightName(i), loc());
}

const onnx::AttributeProto *NodeBinder::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

FailureOr<int64_t> NodeBinder::intAttr(StringRef name, int64_t dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::INT) {
    emitError() << "attribute '" << name << "' must be an int";
    return failure();
  }
  return a->i();
}

FailureOr<float> NodeBinder::floatAttr(StringRef name, float dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::FLOAT) {
    emitError() << "attribute '" << name << "' must be a float";
    return failure();
  }
  return a->f();
}

FailureOr<std::string> NodeBinder::stringAttr(StringRef name, StringRef dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt.str();
  if (a->type() != onnx::AttributeProto::STRING) {
    emitError() << "attribute '" << name << "' must be a string";
    return failure();
  }
  return a->s();
}

FailureOr<std::optional<SmallVector<int64_t>>>
NodeBinder::intsAttr(StringRef name) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::optional<SmallVector<int64_t>>();
  if (a->type() != onnx::AttributeProto::INTS) {
    emitError() << "attribute '" << name << "' must be a list of ints";
    return failure();
  }
  return std::optional<SmallVector<int64_t>>(
      SmallVector<int64_t>(a->ints().begin(), a->ints().end()));
}

bool NodeBinder::isOutputUsed(int i) const {
  if (i >= node.output_size() || node.output(i).empty())
    return false;
  auto it = state.useCounts.find(node.output(i));
  return it != state.useCounts.end() && it->second > 0;
}

void NodeBinder::setOutput(int i, OnnxValue value) {
  if (i >= node.output_size() || node.output(i).empty())
    return;
  if (value.isConstant() && value.name.empty())
    value.name = node.output(i);
  state.values[node.output(i)] = std::move(value);
}

FailureOr<int64_t> NodeBinder::normalizeAxis(int64_t axis, int64_t rank,
                                             StringRef what) {
  if (axis < -rank || axis >= rank) {
    emitError() << what << " " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}
