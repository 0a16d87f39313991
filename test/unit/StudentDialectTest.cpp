// Unit tests of the codebook storage format: packing, decoding and the
// student-pack-bits pass, which must agree bit for bit.
#include "kdc/Dialect/Student/Passes.h"
#include "kdc/Dialect/Student/StudentDialect.h"
#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir;
using namespace kdc::student;

namespace {

TEST(CodebookPacking, RoundTripsEveryWidth) {
  std::mt19937 rng(42);
  for (unsigned bits = 1; bits <= 8; ++bits) {
    // Sizes below, at and above a byte boundary for every width.
    for (int n : {1, 7, 8, 9, 63, 64, 65, 1000}) {
      std::vector<uint8_t> idx(n);
      for (auto &v : idx)
        v = rng() % (1u << bits);
      llvm::SmallVector<uint8_t> packed = packIndices(idx, bits);
      ASSERT_EQ(int64_t(packed.size()), (n * int64_t(bits) + 7) / 8);
      for (int i = 0; i < n; ++i)
        ASSERT_EQ(CodebookAttr::readIndex(packed, i, bits, true), idx[i])
            << "bits=" << bits << " n=" << n << " i=" << i;
    }
  }
}

TEST(CodebookPacking, KnownBitOrder) {
  // Index i occupies bits [2i, 2i+2), least significant first.
  llvm::SmallVector<uint8_t> packed = packIndices({1, 2, 3, 0, 3}, 2);
  ASSERT_EQ(packed.size(), 2u);
  EXPECT_EQ(packed[0], 0b00111001);
  EXPECT_EQ(packed[1], 0b00000011);
}

class PackBitsPassTest : public ::testing::Test {
protected:
  PackBitsPassTest() {
    ctx.loadDialect<StudentDialect, func::FuncDialect>();
  }
  MLIRContext ctx;
};

TEST_F(PackBitsPassTest, PackingPreservesDecodedWeights) {
  // A per-channel 3-bit codebook: 3 does not divide 8, so indices straddle
  // bytes.
  const char *src = R"mlir(
    func.func @f() -> tensor<2x5xf32> {
      %w = student.constant #student.codebook<bits = 3, axis = 0,
        centroids = dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
                           [0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0]]>
          : tensor<2x8xf32>,
        indices = dense<[7, 6, 5, 4, 3, 1, 2, 3, 4, 5]> : tensor<10xi8>>
        : tensor<2x5xf32>
      return %w : tensor<2x5xf32>
    })mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, &ctx);
  ASSERT_TRUE(module);
  ConstantOp before;
  module->walk([&](ConstantOp op) { before = op; });
  auto unpacked = cast<CodebookAttr>(before.getValue());
  std::optional<llvm::SmallVector<float>> expected = unpacked.decode();
  ASSERT_TRUE(expected);
  EXPECT_EQ((*expected)[0], 7.0f);
  EXPECT_EQ((*expected)[5], -1.0f);
  EXPECT_EQ((*expected)[9], -5.0f);

  PassManager pm(&ctx);
  pm.addPass(createPackBitsPass());
  ASSERT_TRUE(succeeded(pm.run(*module)));
  ConstantOp after;
  module->walk([&](ConstantOp op) { after = op; });
  auto packed = cast<CodebookAttr>(after.getValue());
  EXPECT_TRUE(packed.getPacked());
  EXPECT_EQ(cast<ShapedType>(packed.getIndices().getType()).getDimSize(0), 4);
  EXPECT_EQ(packed.decode(), expected);
}

TEST_F(PackBitsPassTest, LargeBlobsBecomeResources) {
  std::string idx;
  for (int i = 0; i < 4096; ++i)
    idx += (i ? ", " : "") + std::to_string(i % 2);
  std::string src = "func.func @f() -> tensor<4096xf32> {\n"
                    "  %w = student.constant #student.codebook<bits = 1, "
                    "centroids = dense<[-1.0, 1.0]> : tensor<2xf32>, "
                    "indices = dense<[" + idx + "]> : tensor<4096xi8>> "
                    ": tensor<4096xf32>\n"
                    "  return %w : tensor<4096xf32>\n}\n";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, &ctx);
  ASSERT_TRUE(module);
  PassManager pm(&ctx);
  PackBitsPassOptions options;
  options.resourceThreshold = 256;
  pm.addPass(createPackBitsPass(options));
  ASSERT_TRUE(succeeded(pm.run(*module)));
  ConstantOp op;
  module->walk([&](ConstantOp c) { op = c; });
  auto packed = cast<CodebookAttr>(op.getValue());
  EXPECT_TRUE(isa<DenseResourceElementsAttr>(packed.getIndices()));
  std::optional<llvm::SmallVector<float>> w = packed.decode();
  ASSERT_TRUE(w);
  for (int i = 0; i < 4096; ++i)
    ASSERT_EQ((*w)[i], i % 2 ? 1.0f : -1.0f);
}

} // namespace
