// Unit tests of --emit obj's lowering (lib/Target/ObjectLowering.h): every
// KernelStep::Kind and both inputs (token ids, per-token features with and
// without the projection featurizer) get the entry points NAME.h declares
// and nothing else; a step of a kind it does not know is rejected with a
// diagnostic naming it (never a crash or a missing symbol); size_t follows
// the target's pointer width.
#include "ObjectLowering.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace kdc::conversion;
using namespace kdc::target::lowering;

namespace {

/// A two-class program: softmax of a workspace vector into the logits.
KernelProgram tinyProgram() {
  KernelProgram prog;
  prog.numClasses = 2;
  prog.maxTokens = 4;
  prog.vocabSize = 8;
  prog.labels = {"a", "b"};
  prog.weights.assign(64, 0);
  KernelStep softmax{KernelStep::Kind::Softmax};
  softmax.op = "student.softmax";
  softmax.inOffset = 0;
  softmax.outOffset = 64;
  softmax.bytes = 8;
  prog.steps.push_back(softmax);
  prog.logitsOffset = 64;
  prog.workspaceBytes = 128;
  return prog;
}

struct Lowered {
  OwningOpRef<ModuleOp> module;
  std::string errors;
};

Lowered lower(MLIRContext &ctx, KernelProgram prog, unsigned pointerBits = 64) {
  Lowered out;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    out.errors += d.str();
    return success();
  });
  LoweringOptions options;
  options.name = "m";
  options.triple =
      pointerBits == 64 ? "x86_64-unknown-linux-gnu" : "thumbv7em-none-eabihf";
  options.pointerBits = pointerBits;
  TextLayout layout = computeTextLayout(prog, false, 0);
  out.module = lowerToLLVMDialect(&ctx, UnknownLoc::get(&ctx), prog, {}, layout,
                                  options);
  return out;
}

TEST(ObjectLowering, LowersAProgram) {
  MLIRContext ctx;
  Lowered l = lower(ctx, tinyProgram());
  ASSERT_TRUE(l.module) << l.errors;
  EXPECT_TRUE(l.errors.empty());
  auto predict = l.module->lookupSymbol<LLVM::LLVMFuncOp>("m_predict_ids");
  ASSERT_TRUE(predict);
  EXPECT_EQ(predict.getLinkage(), LLVM::Linkage::External);
  auto run = l.module->lookupSymbol<LLVM::LLVMFuncOp>("m_run");
  ASSERT_TRUE(run);
  EXPECT_EQ(run.getLinkage(), LLVM::Linkage::Internal);
  EXPECT_TRUE(l.module->lookupSymbol("kdc_f32_softmax_ukernel__scalar"));
  auto weights = l.module->lookupSymbol<LLVM::GlobalOp>("m_weights");
  ASSERT_TRUE(weights);
  EXPECT_TRUE(weights.getConstant());
  EXPECT_EQ(weights.getAlignment(), std::optional<uint64_t>(64));
  EXPECT_TRUE(isa<DenseResourceElementsAttr>(*weights.getValue()));
  EXPECT_TRUE(l.module->lookupSymbol<LLVM::GlobalOp>("m_labels"));
  // No text front end without a BPE model.
  EXPECT_FALSE(l.module->lookupSymbol("m_predict"));
}

TEST(ObjectLowering, SizeTIsThePointerWidth) {
  MLIRContext ctx;
  for (unsigned bits : {32u, 64u}) {
    Lowered l = lower(ctx, tinyProgram(), bits);
    ASSERT_TRUE(l.module) << l.errors;
    auto predict = l.module->lookupSymbol<LLVM::LLVMFuncOp>("m_predict_ids");
    ASSERT_TRUE(predict);
    // int m_predict_ids(const int32_t *, size_t, float *, void *)
    Type n = predict.getFunctionType().getParams()[1];
    EXPECT_TRUE(n.isInteger(bits)) << "pointer bits " << bits;
  }
}

TEST(ObjectLowering, RejectsAStepKindItDoesNotKnow) {
  MLIRContext ctx;
  KernelProgram prog = tinyProgram();
  KernelStep unknown{static_cast<KernelStep::Kind>(99)};
  unknown.op = "student.future_op";
  unknown.where = "Future_7";
  prog.steps.insert(prog.steps.begin(), unknown);
  Lowered l = lower(ctx, std::move(prog));
  EXPECT_FALSE(l.module);
  EXPECT_EQ(l.errors, "--emit obj does not support student.future_op at "
                      "Future_7 (kernel step kind 99)");
}

/// A features program in the shape of a pQRNN, one step of each kind the
/// pQRNN added: [4, 8] features -> dense over n rows -> relu over n rows ->
/// mask_rows ->
/// conv1d -> qrnn (backward) into a concat's column slice -> mask_rows
/// copy into the other slice -> attention_pool -> dense logits.
KernelProgram featuresProgram() {
  KernelProgram prog;
  prog.numClasses = 2;
  prog.maxTokens = 4;
  prog.labels = {"a", "b"};
  prog.input = ModelInput::Features;
  prog.hasCountArg = true;
  prog.numFeatures = 8;
  prog.featuresOffset = 0; // [4, 8]: 128 bytes
  prog.featureRows = CountExpr{false, true, 2};
  prog.weights.assign(1024, 0);
  CountExpr n{false, true, 0};
  KernelStep dense{KernelStep::Kind::Dense};
  dense.op = "student.dense";
  dense.rows = 4, dense.inFeatures = 8, dense.outFeatures = 4;
  dense.inOffset = 0, dense.outOffset = 128, dense.tileN = 4;
  dense.computeRows = n;
  KernelStep relu{KernelStep::Kind::Activation};
  relu.op = "student.relu";
  relu.rows = 4, relu.inFeatures = relu.outFeatures = 4, relu.bytes = 64;
  relu.inOffset = relu.outOffset = 128, relu.activation = 1;
  relu.computeRows = n; // n rows of 4 floats, not 16 floats
  KernelStep mask{KernelStep::Kind::MaskRows};
  mask.op = "student.mask_rows";
  mask.rows = 4, mask.inFeatures = 4, mask.inStride = 4, mask.outStride = 4;
  mask.inOffset = mask.outOffset = 128;
  mask.count = n;
  mask.computeRows = CountExpr{false, true, 2};
  KernelStep conv{KernelStep::Kind::Conv1d};
  conv.op = "student.conv1d";
  conv.rows = 4, conv.inFeatures = 4, conv.inStride = 4;
  conv.kernelWidth = 3, conv.outFeatures = 12, conv.padBefore = 2;
  conv.outRows = 4, conv.outStride = 12, conv.tileN = 4;
  conv.inOffset = 128, conv.outOffset = 256;
  conv.weightOffset = 64, conv.biasOffset = 640;
  conv.scratchOffset = 512, conv.scratchBytes = 16;
  conv.computeRows = n;
  KernelStep qrnn{KernelStep::Kind::Qrnn};
  qrnn.op = "student.qrnn";
  qrnn.rows = 4, qrnn.outFeatures = 4, qrnn.inStride = 12, qrnn.outStride = 8;
  qrnn.inOffset = 256, qrnn.outOffset = 576;
  qrnn.count = n, qrnn.computeRows = n;
  qrnn.direction = 1;
  KernelStep slice{KernelStep::Kind::MaskRows};
  slice.op = "student.concat";
  slice.rows = 4, slice.inFeatures = 4, slice.inStride = 4;
  slice.outStride = 8, slice.inOffset = 128, slice.outOffset = 592;
  slice.computeRows = n; // count `all`: a copy
  KernelStep pool{KernelStep::Kind::AttentionPool};
  pool.op = "student.attention_pool";
  pool.rows = 4, pool.inFeatures = 8, pool.inStride = 8;
  pool.inOffset = 576, pool.outOffset = 704, pool.weightOffset = 704;
  pool.count = n;
  KernelStep logits{KernelStep::Kind::Dense};
  logits.op = "student.dense";
  logits.rows = 1, logits.inFeatures = 8, logits.outFeatures = 2;
  logits.inOffset = 704, logits.outOffset = 768, logits.tileN = 2;
  logits.weightOffset = 768;
  prog.steps = {dense, relu, mask, conv, qrnn, slice, pool, logits};
  prog.logitsOffset = 768;
  prog.workspaceBytes = 832;
  return prog;
}

TEST(ObjectLowering, LowersEveryPqrnnStep) {
  MLIRContext ctx;
  for (unsigned bits : {32u, 64u}) {
    Lowered l = lower(ctx, featuresProgram(), bits);
    ASSERT_TRUE(l.module) << l.errors;
    EXPECT_TRUE(l.errors.empty()) << l.errors;
    for (const char *fn :
         {"kdc_f32_dense_ukernel__scalar", "kdc_f32_vact_ukernel__scalar",
          "kdc_f32_mask_rows",
          "kdc_f32_conv1d_ukernel__scalar", "kdc_f32_qrnn_ukernel__scalar",
          "kdc_f32_attnpool_ukernel__scalar"})
      EXPECT_TRUE(l.module->lookupSymbol<LLVM::LLVMFuncOp>(fn)) << fn;
    // The conv1d parameters: a constant global of 8 size_t, 2 pointers and
    // the activation.
    auto params = l.module->lookupSymbol<LLVM::GlobalOp>("m_step3_params");
    ASSERT_TRUE(params);
    EXPECT_TRUE(params.getConstant());
    auto paramsTy = dyn_cast<LLVM::LLVMStructType>(params.getType());
    ASSERT_TRUE(paramsTy);
    ASSERT_EQ(paramsTy.getBody().size(), 11u);
    EXPECT_TRUE(paramsTy.getBody()[7].isInteger(bits));
    EXPECT_TRUE(paramsTy.getBody()[10].isInteger(32));
    // The relu runs over n rows of 4 floats: a product, not a constant.
    bool reluOverRows = false;
    l.module->walk([&](LLVM::CallOp call) {
      if (call.getCallee() == StringRef("kdc_f32_vact_ukernel__scalar"))
        reluOverRows = isa_and_nonnull<LLVM::MulOp>(
            call.getArgOperands()[0].getDefiningOp());
    });
    EXPECT_TRUE(reluOverRows);
    // The features entry point, and no other (no projection featurizer).
    auto predict =
        l.module->lookupSymbol<LLVM::LLVMFuncOp>("m_predict_features");
    ASSERT_TRUE(predict);
    EXPECT_EQ(predict.getLinkage(), LLVM::Linkage::External);
    EXPECT_TRUE(predict.getFunctionType().getParams()[1].isInteger(bits));
    EXPECT_FALSE(l.module->lookupSymbol("m_predict_ids"));
    EXPECT_FALSE(l.module->lookupSymbol("m_predict"));
    EXPECT_FALSE(l.module->lookupSymbol("kdc_projection_features"));
  }
}

TEST(ObjectLowering, LowersTheProjectionFeaturizer) {
  MLIRContext ctx;
  KernelProgram prog = featuresProgram();
  prog.projection = ProjectionConfig{8, 6, 0xF00DFACECAFEBEEFull};
  Lowered l = lower(ctx, std::move(prog));
  ASSERT_TRUE(l.module) << l.errors;
  EXPECT_TRUE(l.module->lookupSymbol<LLVM::LLVMFuncOp>("m_predict_features"));
  auto predict = l.module->lookupSymbol<LLVM::LLVMFuncOp>("m_predict");
  ASSERT_TRUE(predict);
  EXPECT_EQ(predict.getLinkage(), LLVM::Linkage::External);
  EXPECT_TRUE(
      l.module->lookupSymbol<LLVM::LLVMFuncOp>("kdc_projection_features"));
  EXPECT_FALSE(l.module->lookupSymbol("kdc_bpe_encode"));
  EXPECT_FALSE(l.module->lookupSymbol("m_predict_ids"));
  // kdc_projection_config_t {num_features, flags, seed}, constant.
  auto config = l.module->lookupSymbol<LLVM::GlobalOp>("m_projection_config");
  ASSERT_TRUE(config);
  EXPECT_TRUE(config.getConstant());
  auto configTy = dyn_cast<LLVM::LLVMStructType>(config.getType());
  ASSERT_TRUE(configTy);
  ASSERT_EQ(configTy.getBody().size(), 3u);
  EXPECT_TRUE(configTy.getBody()[0].isInteger(32));
  EXPECT_TRUE(configTy.getBody()[2].isInteger(64));
  bool seedFound = false;
  config.getInitializerRegion().walk([&](LLVM::ConstantOp c) {
    if (auto v = dyn_cast<IntegerAttr>(c.getValue()))
      seedFound |= v.getType().isInteger(64) &&
                   v.getValue().getZExtValue() == 0xF00DFACECAFEBEEFull;
  });
  EXPECT_TRUE(seedFound);
}

TEST(ObjectLowering, NoBpeFrontEndForFeatures) {
  // A tokenizer passed with a features model is ignored, as by the C++
  // path: the layout has no text region.
  KernelProgram prog = featuresProgram();
  TextLayout layout = computeTextLayout(prog, true, 4096);
  EXPECT_FALSE(layout.text);
  EXPECT_EQ(layout.workspaceBytes, prog.workspaceBytes);
}

} // namespace
