//===- PackBits.cpp - bit-pack codebook indices ---------------------------===//
//
// Training and k-means clustering write one index per byte; the generated
// code reads `bits` bits per index. This pass turns the former into the
// latter so a 4-bit model ships half the bytes of an 8-bit-index one.
//
//===----------------------------------------------------------------------===//

#include "kdc/Dialect/Student/Passes.h"
#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace kdc::student {
#define GEN_PASS_DEF_PACKBITSPASS
#include "kdc/Dialect/Student/Passes.h.inc"
} // namespace kdc::student

using namespace mlir;
using namespace kdc::student;

namespace kdc::student {
/// Packs one-byte indices into a little-endian bit stream of `bits` bits per
/// index. Shared with the tests so the format has one definition.
SmallVector<uint8_t> packIndices(ArrayRef<uint8_t> indices, unsigned bits) {
  SmallVector<uint8_t> out(
      CodebookAttr::getIndexBytes(indices.size(), bits, /*packed=*/true), 0);
  for (size_t i = 0; i < indices.size(); ++i) {
    size_t bit = i * bits;
    unsigned v = indices[i] & ((1u << bits) - 1);
    out[bit / 8] |= uint8_t(v << (bit % 8));
    if (bit % 8 + bits > 8)
      out[bit / 8 + 1] |= uint8_t(v >> (8 - bit % 8));
  }
  return out;
}
} // namespace kdc::student

namespace {
struct PackBitsPass
    : kdc::student::impl::PackBitsPassBase<PackBitsPass> {
  using PackBitsPassBase::PackBitsPassBase;

  void runOnOperation() override {
    getOperation()->walk([&](ConstantOp op) {
      auto codebook = dyn_cast<CodebookAttr>(op.getValue());
      if (!codebook || codebook.getPacked())
        return;
      std::optional<SmallVector<uint8_t>> bytes = codebook.getIndexData();
      if (!bytes) {
        op.emitWarning("codebook index blob is not available; left unpacked");
        return;
      }
      unsigned bits = codebook.getBits();
      for (auto [i, v] : llvm::enumerate(*bytes))
        if (v >> bits) {
          op.emitError() << "codebook index " << unsigned(v) << " at element "
                         << i << " does not fit in " << bits << " bits";
          return signalPassFailure();
        }
      SmallVector<uint8_t> packed = packIndices(*bytes, bits);
      MLIRContext *ctx = &getContext();
      auto type = RankedTensorType::get({int64_t(packed.size())},
                                        IntegerType::get(ctx, 8));
      ElementsAttr indices;
      if (int64_t(packed.size()) > resourceThreshold) {
        indices = DenseResourceElementsAttr::get(
            type, "codebook_indices",
            HeapAsmResourceBlob::allocateAndCopyInferAlign(
                ArrayRef<char>(reinterpret_cast<const char *>(packed.data()),
                               packed.size())));
      } else {
        indices = DenseIntElementsAttr::get(
            type, ArrayRef<char>(reinterpret_cast<const char *>(packed.data()),
                                 packed.size()));
      }
      op.setValueAttr(CodebookAttr::get(
          ctx, codebook.getType(), bits, codebook.getAxis(),
          codebook.getCentroids(), indices, /*packed=*/true));
    });
  }
};
} // namespace
