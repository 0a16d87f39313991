//===- ConstTensor.cpp - constants known at import time -------------------===//
//
// Decoding of ONNX TensorProtos (both the typed repeated fields the ONNX
// text parser and older exporters write and the raw_data PyTorch writes) and
// the small array operations constant folding needs.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace kdc::import;
using llvm::ArrayRef;
using llvm::SmallVector;

std::string kdc::import::dtypeName(int32_t dtype) {
  switch (dtype) {
  case TensorProto::FLOAT:
    return "float";
  case TensorProto::UINT8:
    return "uint8";
  case TensorProto::INT8:
    return "int8";
  case TensorProto::UINT16:
    return "uint16";
  case TensorProto::INT16:
    return "int16";
  case TensorProto::INT32:
    return "int32";
  case TensorProto::INT64:
    return "int64";
  case TensorProto::STRING:
    return "string";
  case TensorProto::BOOL:
    return "bool";
  case TensorProto::FLOAT16:
    return "float16";
  case TensorProto::DOUBLE:
    return "double";
  case TensorProto::UINT32:
    return "uint32";
  case TensorProto::UINT64:
    return "uint64";
  case TensorProto::BFLOAT16:
    return "bfloat16";
  case TensorProto::UNDEFINED:
    return "undefined";
  default:
    return "data type " + std::to_string(dtype);
  }
}

std::string kdc::import::shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << '[';
  llvm::interleaveComma(shape, os);
  os << ']';
  return s;
}

int64_t kdc::import::numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool ConstTensor::isSupportedType(int32_t dtype) {
  switch (dtype) {
  case TensorProto::FLOAT:
  case TensorProto::DOUBLE:
  case TensorProto::UINT8:
  case TensorProto::INT8:
  case TensorProto::UINT16:
  case TensorProto::INT16:
  case TensorProto::INT32:
  case TensorProto::INT64:
  case TensorProto::UINT32:
  case TensorProto::UINT64:
  case TensorProto::BOOL:
    return true;
  default:
    return false;
  }
}

ConstTensor ConstTensor::zeros(int32_t dtype, ArrayRef<int64_t> shape) {
  ConstTensor c;
  c.dtype = dtype;
  c.shape.assign(shape.begin(), shape.end());
  if (c.isFloat())
    c.fp.assign(c.size(), 0.0);
  else
    c.ints.assign(c.size(), 0);
  return c;
}

/// Wraps an integer to the width of `dtype`, as a C cast would.
static int64_t wrapInt(int32_t dtype, int64_t v) {
  switch (dtype) {
  case TensorProto::BOOL:
    return v != 0;
  case TensorProto::UINT8:
    return static_cast<uint8_t>(v);
  case TensorProto::INT8:
    return static_cast<int8_t>(v);
  case TensorProto::UINT16:
    return static_cast<uint16_t>(v);
  case TensorProto::INT16:
    return static_cast<int16_t>(v);
  case TensorProto::INT32:
    return static_cast<int32_t>(v);
  case TensorProto::UINT32:
    return static_cast<uint32_t>(v);
  default:
    return v;
  }
}

void ConstTensor::set(int64_t i, double v) {
  if (dtype == TensorProto::FLOAT)
    fp[i] = static_cast<float>(v);
  else if (dtype == TensorProto::DOUBLE)
    fp[i] = v;
  else if (dtype == TensorProto::BOOL)
    ints[i] = v != 0.0;
  else if (std::isfinite(v))
    ints[i] = wrapInt(dtype, static_cast<int64_t>(v));
  else
    ints[i] = 0;
}

void ConstTensor::setInt(int64_t i, int64_t v) {
  if (isFloat())
    set(i, static_cast<double>(v));
  else
    ints[i] = wrapInt(dtype, v);
}

static int64_t elementBytes(int32_t dtype) {
  switch (dtype) {
  case TensorProto::FLOAT:
  case TensorProto::INT32:
  case TensorProto::UINT32:
    return 4;
  case TensorProto::DOUBLE:
  case TensorProto::INT64:
  case TensorProto::UINT64:
    return 8;
  case TensorProto::UINT16:
  case TensorProto::INT16:
    return 2;
  default:
    return 1;
  }
}

/// Reads element `i` of little-endian raw data.
template <typename T> static T readRaw(const std::string &raw, int64_t i) {
  T v;
  std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
  return v;
}

/// Which typed field holds data, for "its data is in X" hints.
static const char *nonEmptyField(const onnx::TensorProto &p) {
  if (p.float_data_size())
    return "float_data";
  if (p.int32_data_size())
    return "int32_data";
  if (p.int64_data_size())
    return "int64_data";
  if (p.double_data_size())
    return "double_data";
  if (p.uint64_data_size())
    return "uint64_data";
  if (p.string_data_size())
    return "string_data";
  return nullptr;
}

bool kdc::import::decodeTensor(const onnx::TensorProto &p, ConstTensor &out,
                               std::string &error) {
  llvm::raw_string_ostream os(error);
  out = ConstTensor();
  out.dtype = p.data_type();
  if (!ConstTensor::isSupportedType(out.dtype)) {
    os << "has element type " << dtypeName(out.dtype)
       << ", which kdc does not import (supported: float, double, bool and "
          "integer types)";
    return false;
  }
  if (p.data_location() == onnx::TensorProto::EXTERNAL) {
    os << "keeps its data in an external file, which kdc does not read "
          "(save the model with its weights inside)";
    return false;
  }
  if (p.has_segment()) {
    os << "is segmented, which kdc does not read";
    return false;
  }
  int64_t n = 1;
  for (int64_t d : p.dims()) {
    if (d < 0) {
      os << "has a negative dimension " << d;
      return false;
    }
    if (d != 0 && n > std::numeric_limits<int32_t>::max() / d) {
      os << "is too large";
      return false;
    }
    out.shape.push_back(d);
    n *= d;
  }
  if (out.isFloat())
    out.fp.resize(n);
  else
    out.ints.resize(n);

  if (p.has_raw_data()) {
    const std::string &raw = p.raw_data();
    int64_t want = n * elementBytes(out.dtype);
    if (static_cast<int64_t>(raw.size()) != want) {
      os << "has " << raw.size() << " bytes of raw_data, but " << n
         << " elements of " << dtypeName(out.dtype) << " need " << want;
      return false;
    }
    for (int64_t i = 0; i < n; ++i) {
      switch (out.dtype) {
      case TensorProto::FLOAT:
        out.fp[i] = readRaw<float>(raw, i);
        break;
      case TensorProto::DOUBLE:
        out.fp[i] = readRaw<double>(raw, i);
        break;
      case TensorProto::INT64:
        out.ints[i] = readRaw<int64_t>(raw, i);
        break;
      case TensorProto::UINT64:
        out.ints[i] = static_cast<int64_t>(readRaw<uint64_t>(raw, i));
        break;
      case TensorProto::INT32:
        out.ints[i] = readRaw<int32_t>(raw, i);
        break;
      case TensorProto::UINT32:
        out.ints[i] = readRaw<uint32_t>(raw, i);
        break;
      case TensorProto::INT16:
        out.ints[i] = readRaw<int16_t>(raw, i);
        break;
      case TensorProto::UINT16:
        out.ints[i] = readRaw<uint16_t>(raw, i);
        break;
      case TensorProto::INT8:
        out.ints[i] = readRaw<int8_t>(raw, i);
        break;
      default: // UINT8, BOOL
        out.ints[i] = readRaw<uint8_t>(raw, i);
        break;
      }
    }
    return true;
  }

  // Typed fields: which one ONNX uses depends on the element type.
  const char *field = nullptr;
  int64_t have = 0;
  switch (out.dtype) {
  case TensorProto::FLOAT:
    field = "float_data";
    have = p.float_data_size();
    break;
  case TensorProto::DOUBLE:
    field = "double_data";
    have = p.double_data_size();
    break;
  case TensorProto::INT64:
    field = "int64_data";
    have = p.int64_data_size();
    break;
  case TensorProto::UINT32:
  case TensorProto::UINT64:
    field = "uint64_data";
    have = p.uint64_data_size();
    break;
  default:
    field = "int32_data";
    have = p.int32_data_size();
    break;
  }
  if (have != n) {
    os << "has " << have << " values in " << field << ", but its shape "
       << shapeString(out.shape) << " needs " << n;
    if (have == 0)
      if (const char *other = nonEmptyField(p))
        os << " (its data is in " << other << ", which does not match "
           << "data_type " << dtypeName(out.dtype) << ")";
    return false;
  }
  for (int64_t i = 0; i < n; ++i) {
    switch (out.dtype) {
    case TensorProto::FLOAT:
      out.fp[i] = p.float_data(i);
      break;
    case TensorProto::DOUBLE:
      out.fp[i] = p.double_data(i);
      break;
    case TensorProto::INT64:
      out.ints[i] = p.int64_data(i);
      break;
    case TensorProto::UINT32:
    case TensorProto::UINT64:
      out.ints[i] = static_cast<int64_t>(p.uint64_data(i));
      break;
    default:
      out.ints[i] = wrapInt(out.dtype, p.int32_data(i));
      break;
    }
  }
  return true;
}

SmallVector<int64_t> kdc::import::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::optional<SmallVector<int64_t>>
kdc::import::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

ConstTensor kdc::import::broadcastTo(const ConstTensor &c,
                                     ArrayRef<int64_t> shape) {
  ConstTensor out = ConstTensor::zeros(c.dtype, shape);
  size_t rank = shape.size();
  size_t offset = rank - c.shape.size();
  SmallVector<int64_t> srcStrides = stridesOf(c.shape);
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t i = 0, n = out.size(); i < n; ++i) {
    int64_t src = 0;
    for (size_t d = offset; d < rank; ++d)
      if (c.shape[d - offset] != 1)
        src += idx[d] * srcStrides[d - offset];
    if (c.isFloat())
      out.fp[i] = c.fp[src];
    else
      out.ints[i] = c.ints[src];
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

ConstTensor kdc::import::transposeConst(const ConstTensor &c,
                                        ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(c.shape[p]);
  ConstTensor out = ConstTensor::zeros(c.dtype, shape);
  SmallVector<int64_t> srcStrides = stridesOf(c.shape);
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0, n = out.size(); i < n; ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      src += idx[d] * srcStrides[perm[d]];
    if (c.isFloat())
      out.fp[i] = c.fp[src];
    else
      out.ints[i] = c.ints[src];
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

ConstTensor kdc::import::castConst(const ConstTensor &c, int32_t dtype) {
  ConstTensor out = ConstTensor::zeros(dtype, c.shape);
  for (int64_t i = 0, n = c.size(); i < n; ++i) {
    if (c.isFloat())
      out.set(i, c.fp[i]);
    else
      out.setInt(i, c.ints[i]);
  }
  return out;
}
