//===- StudentAttributes.cpp - student attributes -------------------------===//

#include "kdc/Dialect/Student/StudentAttributes.h"
#include "kdc/Dialect/Student/StudentDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kdc::student;

#include "kdc/Dialect/Student/StudentEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "kdc/Dialect/Student/StudentAttributes.cpp.inc"

void StudentDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "kdc/Dialect/Student/StudentAttributes.cpp.inc"
      >();
}

int64_t CodebookAttr::getIndexBytes(int64_t numElements, unsigned bits,
                                    bool packed) {
  return packed ? (numElements * bits + 7) / 8 : numElements;
}

unsigned CodebookAttr::readIndex(ArrayRef<uint8_t> bytes, int64_t i,
                                 unsigned bits, bool packed) {
  if (!packed)
    return bytes[i];
  // Little-endian bit stream: an index may straddle two bytes when bits does
  // not divide 8 (3, 5, 6, 7 bits).
  int64_t bit = i * bits;
  unsigned word = bytes[bit / 8];
  if (bit / 8 + 1 < int64_t(bytes.size()))
    word |= unsigned(bytes[bit / 8 + 1]) << 8;
  return (word >> (bit % 8)) & ((1u << bits) - 1);
}

std::optional<SmallVector<uint8_t>> CodebookAttr::getIndexData() const {
  ElementsAttr indices = getIndices();
  if (auto dense = llvm::dyn_cast<DenseIntElementsAttr>(indices)) {
    SmallVector<uint8_t> out;
    out.reserve(dense.getNumElements());
    for (const APInt &v : dense.getValues<APInt>())
      out.push_back(static_cast<uint8_t>(v.getZExtValue()));
    return out;
  }
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(indices)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    return SmallVector<uint8_t>(data.begin(), data.end());
  }
  return std::nullopt;
}

std::optional<SmallVector<float>> CodebookAttr::decode() const {
  std::optional<SmallVector<uint8_t>> bytes = getIndexData();
  if (!bytes)
    return std::nullopt;
  ShapedType type = getType();
  int64_t k = getNumCentroids();
  int64_t stride = 1, channels = 1;
  if (std::optional<int64_t> axis = getAxis()) {
    for (int64_t d = *axis + 1; d < type.getRank(); ++d)
      stride *= type.getDimSize(d);
    channels = type.getDimSize(*axis);
  }
  SmallVector<float> centroids;
  for (const APFloat &c : getCentroids().getValues<APFloat>())
    centroids.push_back(c.convertToFloat());
  SmallVector<float> out(getNumElements());
  for (int64_t i = 0, e = getNumElements(); i < e; ++i) {
    int64_t channel = getAxis() ? (i / stride) % channels : 0;
    out[i] = centroids[channel * k + readIndex(*bytes, i, getBits(), getPacked())];
  }
  return out;
}

LogicalResult
CodebookAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     ShapedType type, unsigned bits,
                     std::optional<int64_t> axis,
                     DenseFPElementsAttr centroids, ElementsAttr indices,
                     bool packed) {
  if (bits < 1 || bits > 8)
    return emitError() << "codebook bits must be in 1...8, got " << bits;
  if (!type.hasStaticShape() || !llvm::isa<FloatType>(type.getElementType()))
    return emitError()
           << "codebook weight type must be a statically shaped tensor of "
              "floats, got "
           << type;
  if (centroids.getElementType() != type.getElementType())
    return emitError() << "codebook centroids have element type "
                       << centroids.getElementType() << " but the weight has "
                       << type.getElementType();

  int64_t k = int64_t(1) << bits;
  SmallVector<int64_t> expected{k};
  if (axis) {
    if (*axis < 0 || *axis >= type.getRank())
      return emitError() << "codebook axis " << *axis
                         << " is out of range for a weight of rank "
                         << type.getRank();
    expected = {type.getDimSize(*axis), k};
  }
  if (centroids.getType().getShape() != ArrayRef<int64_t>(expected)) {
    InFlightDiagnostic diag = emitError();
    diag << "codebook with " << bits << " bits needs " << k
         << " centroids per " << (axis ? "channel" : "tensor")
         << " (shape [";
    llvm::interleaveComma(expected, diag);
    return diag << "]), got " << centroids.getType();
  }

  auto indexType = llvm::dyn_cast<ShapedType>(indices.getType());
  if (!indexType || indexType.getRank() != 1 ||
      !indexType.getElementType().isInteger(8))
    return emitError()
           << "codebook indices must be a rank-1 tensor of 8-bit integers, got "
           << indices.getType();
  int64_t numElements = type.getNumElements();
  int64_t want = getIndexBytes(numElements, bits, packed);
  if (indexType.getDimSize(0) != want)
    return emitError() << "codebook index blob has " << indexType.getDimSize(0)
                       << " bytes, expected " << want << " for " << numElements
                       << " elements " << (packed ? "packed" : "unpacked")
                       << " at " << bits << " bits";

  // An unpacked index has 8 bits of room for `bits` bits of value. (Blobs in
  // dense_resource are checked where they are decoded.)
  if (!packed) {
    if (auto dense = llvm::dyn_cast<DenseIntElementsAttr>(indices)) {
      int64_t i = 0;
      for (const APInt &v : dense.getValues<APInt>()) {
        if (v.getZExtValue() >= uint64_t(k))
          return emitError() << "codebook index " << v.getZExtValue()
                             << " at element " << i << " is out of range for "
                             << bits << " bits (at most " << k - 1 << ")";
        ++i;
      }
    }
  }
  return success();
}
