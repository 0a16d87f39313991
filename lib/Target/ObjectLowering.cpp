//===- ObjectLowering.cpp - KernelProgram -> LLVM dialect -----------------===//
//
// Builds, in the LLVM dialect, what CppEmitter.cpp prints as C++: the same
// kdcrt calls with the same constant arguments, the same argument checks and
// error codes. Parameter structs (kdc_f32_dense_params_t,
// kdc_f32_conv1d_params_t, the conv bank's branch table,
// kdc_projection_config_t) are constant globals rather than stack
// temporaries: on a Cortex-M they stay in flash. size_t is the target's pointer width; enum
// arguments and fields are written as 32-bit ints, which is also right for
// arm-none-eabi's short enums (little-endian, the enum is the struct's last
// field and an argument register is zero-extended either way).
//
// Each KernelStep::Kind has one builder (lowerStep's switch, which names
// every kind, so a new kind is a compiler warning here); a step whose kind
// is none of them is reported as an error naming its op, never lowered.
//
// The front ends follow the program's input: NAME_predict_ids (token ids,
// plus NAME_predict through the BPE encoder when the model carries its
// tokenizer), or NAME_predict_features (per-token features, zero-padded into
// the workspace by kdc_f32_mask_rows) plus, with the projection featurizer,
// NAME_predict through kdc_projection_features. NAME_run is the same
// internal function for both: (ids or NULL, n, logits, workspace).
//
//===----------------------------------------------------------------------===//

#include "ObjectLowering.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include "kdc/runtime/bpe.h"
#include "kdc/runtime/kernels.h"

#include <algorithm>

using namespace mlir;
using namespace kdc;
using namespace kdc::conversion;
using namespace kdc::target::lowering;

static size_t alignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

TextLayout kdc::target::lowering::computeTextLayout(const KernelProgram &prog,
                                                    bool text,
                                                    size_t maxTextBytes) {
  TextLayout l;
  l.workspaceBytes = prog.workspaceBytes;
  // A features model has no BPE front end (the C++ path ignores a
  // tokenizer for it too).
  l.text = text && prog.input == ModelInput::Ids;
  if (!l.text)
    return l;
  // As the C++ path: the encoder's scratch is dead once the ids exist, so it
  // shares the model's region; the ids live after both.
  l.maxTextBytes = maxTextBytes;
  l.scratchBytes = kdc_bpe_scratch_size(maxTextBytes);
  l.textIdsOffset =
      alignUp(std::max(prog.workspaceBytes, l.scratchBytes), kBufferAlignment);
  l.workspaceBytes =
      alignUp(l.textIdsOffset + size_t(prog.maxTokens) * 4, kBufferAlignment);
  return l;
}

namespace {

class ObjectLowering {
public:
  ObjectLowering(ModuleOp module, const KernelProgram &prog,
                 const TextLayout &layout, const LoweringOptions &options)
      : module(module), ctx(module.getContext()), b(ctx), loc(module.getLoc()),
        prog(prog), layout(layout), options(options), name(options.name),
        suffix("__" + kernelSuffix(kernelIsaFor(prog.isa, false)).str()),
        wideSuffix("__" + kernelSuffix(kernelIsaFor(prog.isa, true)).str()) {
    ptrTy = LLVM::LLVMPointerType::get(ctx);
    sizeTy = IntegerType::get(ctx, options.pointerBits);
    i32Ty = IntegerType::get(ctx, 32);
    i8Ty = IntegerType::get(ctx, 8);
    f32Ty = Float32Type::get(ctx);
    voidTy = LLVM::LLVMVoidType::get(ctx);
  }

  /// The blobs become globals; the functions follow.
  void buildGlobals(std::vector<uint8_t> weights,
                    const std::vector<uint8_t> &bpeModel);
  LogicalResult buildRun();
  void buildPredictIds();
  void buildPredictText(size_t bpeBytes);
  void buildPredictFeatures();
  void buildPredictProjection();

private:
  //===--- Per-step builders (one per KernelStep::Kind) -------------------===//
  LogicalResult lowerStep(const KernelStep &s, size_t index);
  void lowerEmbedding(const KernelStep &s);
  void lowerConvBank(const KernelStep &s, size_t index);
  void lowerDense(const KernelStep &s, size_t index);
  void lowerActivation(const KernelStep &s);
  void lowerMaxPool(const KernelStep &s);
  void lowerSoftmax(const KernelStep &s);
  void lowerCopy(const KernelStep &s);
  void lowerConv1d(const KernelStep &s, size_t index);
  void lowerMaskRows(const KernelStep &s);
  void lowerQrnn(const KernelStep &s);
  void lowerAttentionPool(const KernelStep &s);

  //===--- Helpers --------------------------------------------------------===//
  Value sizeConst(uint64_t v) {
    return b.create<LLVM::ConstantOp>(loc, sizeTy, b.getIntegerAttr(sizeTy, v));
  }
  /// A signed size_t-wide constant (a count offset).
  Value ssizeConst(int64_t v) {
    return b.create<LLVM::ConstantOp>(
        loc, sizeTy,
        IntegerAttr::get(sizeTy, APInt(options.pointerBits, uint64_t(v),
                                       /*isSigned=*/true)));
  }
  Value i32Const(int64_t v) {
    return b.create<LLVM::ConstantOp>(loc, i32Ty, b.getI32IntegerAttr(v));
  }
  Value null() { return b.create<LLVM::ZeroOp>(loc, ptrTy); }
  /// base + offset bytes.
  Value bytePtr(Value base, size_t offset) {
    if (offset == 0)
      return base;
    LLVM::GEPArg index = offset < (size_t(1) << 28)
                             ? LLVM::GEPArg(int32_t(offset))
                             : LLVM::GEPArg(sizeConst(offset));
    return b.create<LLVM::GEPOp>(loc, ptrTy, i8Ty, base,
                                 ArrayRef<LLVM::GEPArg>{index});
  }
  Value bytePtr(Value base, Value offset) {
    return b.create<LLVM::GEPOp>(loc, ptrTy, i8Ty, base,
                                 ArrayRef<LLVM::GEPArg>{offset});
  }
  Value global(StringRef symbol) {
    return b.create<LLVM::AddressOfOp>(loc, ptrTy, symbol);
  }
  Value weight(size_t offset) { return bytePtr(global(weightsSym), offset); }
  Value weightOrNull(std::optional<size_t> offset) {
    return offset ? weight(*offset) : null();
  }
  Value buffer(size_t offset) { return bytePtr(ws, offset); }
  /// clampCount of the C++ path: c = n + offset in signed arithmetic,
  /// clamped to [lo, hi]; constants when n is not involved.
  Value count(const CountExpr &c, int64_t lo, int64_t hi);
  /// A declaration of an external C function (a kdcrt kernel), once.
  LLVM::LLVMFuncOp declare(StringRef fn, Type result, ArrayRef<Type> params);
  Value call(StringRef fn, Type result, ArrayRef<Type> params,
             ArrayRef<Value> args);
  /// A C function of this library: (ptr, size_t, ptr, ptr) -> int.
  LLVM::LLVMFuncOp defineEntry(StringRef symbol, LLVM::Linkage linkage);
  /// Branches to `dest(code)` when `cond` holds, else continues in a new
  /// block (inserted before `dest`), where the builder is left.
  void exitIf(Value cond, Block *dest, Value code);
  /// `block(i32)` returning its argument, at the end of `fn`.
  Block *returnBlock(LLVM::LLVMFuncOp fn);
  /// status < 0: return it from run.
  void checkStatus(Value status) {
    Value neg = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, status,
                                       i32Const(0));
    exitIf(neg, failBlock, status);
  }
  /// Declarations and globals go before the first function, so the module
  /// reads as data, declarations, code.
  void setInsertionPointBeforeFunctions() {
    if (firstFunction)
      b.setInsertionPoint(firstFunction);
    else
      b.setInsertionPointToEnd(module.getBody());
  }
  /// A constant internal global whose initializer `init` builds.
  void constantGlobal(StringRef symbol, Type type,
                      llvm::function_ref<Value()> init);
  Value structValue(Type type, ArrayRef<Value> fields) {
    Value v = b.create<LLVM::UndefOp>(loc, type);
    for (auto [i, f] : llvm::enumerate(fields))
      v = b.create<LLVM::InsertValueOp>(loc, v, f,
                                        ArrayRef<int64_t>{int64_t(i)});
    return v;
  }
  /// The badWorkspace() test: NULL or not 64-byte aligned.
  Value badWorkspace(Value workspace);
  /// featureRows(n_tokens) of the C++ path: the rows of the features buffer
  /// the model reads, `nTokens` of them the caller's.
  Value featureRows(Value nTokens) {
    Value saved = n;
    n = nTokens;
    Value rows = count(prog.featureRows, 1, prog.maxTokens);
    n = saved;
    return rows;
  }
  /// kdc_f32_mask_rows(featureRows(n), P, src, P, n, dst, P): the caller's
  /// rows (copied unless src is dst), then zero rows.
  void padFeatures(Value src, Value nTokens, Value dst);
  /// return NAME_run(ids, n, logits, ws) from the current block.
  void returnRun(Value idsArg, Value nArg, Value logitsArg, Value wsArg);

  ModuleOp module;
  MLIRContext *ctx;
  OpBuilder b;
  Location loc;
  const KernelProgram &prog;
  const TextLayout &layout;
  const LoweringOptions &options;
  /// Variant suffixes: of the conv bank, dense and conv1d, and of the other
  /// kernels.
  std::string name, suffix, wideSuffix;
  std::string weightsSym, bpeSym, runSym;
  Type ptrTy, sizeTy, i32Ty, i8Ty, f32Ty, voidTy;
  // While building run: its arguments and the block that returns a status.
  Value ids, nIds, logits, ws, n;
  Block *failBlock = nullptr;
  Operation *firstFunction = nullptr;
};

} // namespace

Value ObjectLowering::count(const CountExpr &c, int64_t lo, int64_t hi) {
  if (c.all)
    return sizeConst(uint64_t(hi));
  if (!c.usesN)
    return sizeConst(uint64_t(std::clamp<int64_t>(c.offset, lo, hi)));
  Value v = b.create<LLVM::AddOp>(loc, n, ssizeConst(c.offset));
  Value loV = ssizeConst(lo), hiV = ssizeConst(hi);
  Value below = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, v, loV);
  Value above = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::sgt, v, hiV);
  Value upper = b.create<LLVM::SelectOp>(loc, above, hiV, v);
  return b.create<LLVM::SelectOp>(loc, below, loV, upper);
}

LLVM::LLVMFuncOp ObjectLowering::declare(StringRef fn, Type result,
                                         ArrayRef<Type> params) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(fn))
    return f;
  OpBuilder::InsertionGuard guard(b);
  setInsertionPointBeforeFunctions();
  auto f = b.create<LLVM::LLVMFuncOp>(
      loc, fn, LLVM::LLVMFunctionType::get(result, params));
  f.setPassthroughAttr(b.getArrayAttr({b.getStringAttr("nounwind")}));
  return f;
}

Value ObjectLowering::call(StringRef fn, Type result, ArrayRef<Type> params,
                           ArrayRef<Value> args) {
  auto op = b.create<LLVM::CallOp>(loc, declare(fn, result, params), args);
  return op.getNumResults() ? op.getResult() : Value();
}

LLVM::LLVMFuncOp ObjectLowering::defineEntry(StringRef symbol,
                                             LLVM::Linkage linkage) {
  b.setInsertionPointToEnd(module.getBody());
  auto fn = b.create<LLVM::LLVMFuncOp>(
      loc, symbol,
      LLVM::LLVMFunctionType::get(i32Ty, {ptrTy, sizeTy, ptrTy, ptrTy}),
      linkage);
  SmallVector<Attribute> passthrough{b.getStringAttr("nounwind")};
  if (options.unwindTables)
    passthrough.push_back(
        b.getArrayAttr({b.getStringAttr("uwtable"), b.getStringAttr("2")}));
  fn.setPassthroughAttr(b.getArrayAttr(passthrough));
  if (!firstFunction)
    firstFunction = fn;
  fn.addEntryBlock(b);
  b.setInsertionPointToStart(&fn.getBody().front());
  return fn;
}

Block *ObjectLowering::returnBlock(LLVM::LLVMFuncOp fn) {
  OpBuilder::InsertionGuard guard(b);
  Block *block =
      b.createBlock(&fn.getBody(), fn.getBody().end(), {i32Ty}, {loc});
  b.create<LLVM::ReturnOp>(loc, ValueRange{block->getArgument(0)});
  return block;
}

void ObjectLowering::exitIf(Value cond, Block *dest, Value code) {
  Block *current = b.getInsertionBlock();
  Block *next = b.createBlock(dest);
  b.setInsertionPointToEnd(current);
  b.create<LLVM::CondBrOp>(loc, cond, dest, ValueRange{code}, next,
                           ValueRange{});
  b.setInsertionPointToStart(next);
}

void ObjectLowering::constantGlobal(StringRef symbol, Type type,
                                    llvm::function_ref<Value()> init) {
  OpBuilder::InsertionGuard guard(b);
  setInsertionPointBeforeFunctions();
  auto g =
      b.create<LLVM::GlobalOp>(loc, type, /*isConstant=*/true,
                               LLVM::Linkage::Internal, symbol, Attribute());
  b.setInsertionPointToStart(b.createBlock(&g.getInitializerRegion()));
  b.create<LLVM::ReturnOp>(loc, ValueRange{init()});
}

Value ObjectLowering::badWorkspace(Value workspace) {
  Value addr = b.create<LLVM::PtrToIntOp>(loc, sizeTy, workspace);
  Value isNull =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, addr, sizeConst(0));
  Value low = b.create<LLVM::AndOp>(loc, addr, sizeConst(kBufferAlignment - 1));
  Value misaligned =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne, low, sizeConst(0));
  return b.create<LLVM::OrOp>(loc, isNull, misaligned);
}

//===----------------------------------------------------------------------===//
// Globals
//===----------------------------------------------------------------------===//

/// A dense_resource blob that owns `bytes` (no copy): the translation to LLVM
/// IR reads it as one ConstantDataArray.
static DenseResourceElementsAttr bytesAttr(MLIRContext *ctx, StringRef key,
                                           std::vector<uint8_t> bytes) {
  auto *owned = new std::vector<uint8_t>(std::move(bytes));
  ArrayRef<char> data(reinterpret_cast<const char *>(owned->data()),
                      owned->size());
  AsmResourceBlob blob(
      data, alignof(uint64_t),
      [owned](void *, size_t, size_t) { delete owned; },
      /*dataIsMutable=*/false);
  auto type =
      RankedTensorType::get({int64_t(data.size())}, IntegerType::get(ctx, 8));
  return DenseResourceElementsAttr::get(type, key, std::move(blob));
}

void ObjectLowering::buildGlobals(std::vector<uint8_t> weights,
                                  const std::vector<uint8_t> &bpeModel) {
  weightsSym = name + "_weights";
  bpeSym = name + "_bpe_model";
  runSym = name + "_run";
  b.setInsertionPointToEnd(module.getBody());
  auto blob = [&](StringRef symbol, std::vector<uint8_t> bytes) {
    if (bytes.empty())
      bytes.resize(kBufferAlignment); // a global needs a size
    Type type = LLVM::LLVMArrayType::get(i8Ty, bytes.size());
    b.create<LLVM::GlobalOp>(loc, type, /*isConstant=*/true,
                             LLVM::Linkage::Internal, symbol,
                             bytesAttr(ctx, symbol, std::move(bytes)),
                             /*alignment=*/kBufferAlignment);
  };
  blob(weightsSym, std::move(weights));
  if (layout.text)
    blob(bpeSym, bpeModel);

  // const char *const NAME_labels[NAME_NUM_CLASSES].
  SmallVector<std::string> labelSyms;
  for (auto [i, label] : llvm::enumerate(prog.labels)) {
    std::string sym = name + "_label_" + std::to_string(i);
    std::string value = label + '\0';
    auto g = b.create<LLVM::GlobalOp>(
        loc, LLVM::LLVMArrayType::get(i8Ty, value.size()),
        /*isConstant=*/true, LLVM::Linkage::Private, sym,
        b.getStringAttr(value));
    g.setUnnamedAddr(LLVM::UnnamedAddr::Global);
    labelSyms.push_back(sym);
  }
  Type labelsTy = LLVM::LLVMArrayType::get(ptrTy, labelSyms.size());
  auto labels = b.create<LLVM::GlobalOp>(loc, labelsTy, /*isConstant=*/true,
                                         LLVM::Linkage::External,
                                         name + "_labels", Attribute());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(b.createBlock(&labels.getInitializerRegion()));
  SmallVector<Value> ptrs;
  for (const std::string &sym : labelSyms)
    ptrs.push_back(global(sym));
  Value array = b.create<LLVM::UndefOp>(loc, labelsTy);
  for (auto [i, p] : llvm::enumerate(ptrs))
    array = b.create<LLVM::InsertValueOp>(loc, array, p,
                                          ArrayRef<int64_t>{int64_t(i)});
  b.create<LLVM::ReturnOp>(loc, ValueRange{array});
}

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

LogicalResult ObjectLowering::lowerStep(const KernelStep &s, size_t index) {
  switch (s.kind) {
  case KernelStep::Kind::Embedding:
    lowerEmbedding(s);
    return success();
  case KernelStep::Kind::ConvBank:
    lowerConvBank(s, index);
    return success();
  case KernelStep::Kind::Dense:
    lowerDense(s, index);
    return success();
  case KernelStep::Kind::Activation:
    lowerActivation(s);
    return success();
  case KernelStep::Kind::MaxPool:
    lowerMaxPool(s);
    return success();
  case KernelStep::Kind::Softmax:
    lowerSoftmax(s);
    return success();
  case KernelStep::Kind::Copy:
    lowerCopy(s);
    return success();
  case KernelStep::Kind::Conv1d:
    lowerConv1d(s, index);
    return success();
  case KernelStep::Kind::MaskRows:
    lowerMaskRows(s);
    return success();
  case KernelStep::Kind::Qrnn:
    lowerQrnn(s);
    return success();
  case KernelStep::Kind::AttentionPool:
    lowerAttentionPool(s);
    return success();
  }
  // Not a KernelStep::Kind this file knows (a program built by other code).
  return emitError(loc) << "--emit obj does not support " << s.op
                        << (s.where.empty() ? "" : " at ") << s.where
                        << " (kernel step kind " << int(s.kind) << ")";
}

void ObjectLowering::lowerEmbedding(const KernelStep &s) {
  std::string fn = "kdc_f32_embedding_ukernel" + suffix;
  SmallVector<Type> sig{sizeTy, ptrTy,  sizeTy, sizeTy,
                        ptrTy,  sizeTy, ptrTy,  sizeTy};
  Value status;
  if (s.idsPadded) {
    // The graph reads T ids, padded with id 0 (docs/onnx.md).
    Value padded = buffer(prog.paddedIdsOffset);
    Value bytes = b.create<LLVM::MulOp>(loc, nIds, sizeConst(4));
    b.create<LLVM::MemcpyOp>(loc, padded, ids, bytes, /*isVolatile=*/false);
    Value rest = b.create<LLVM::SubOp>(loc, sizeConst(s.rows * 4), bytes);
    b.create<LLVM::MemsetOp>(
        loc, bytePtr(padded, bytes),
        b.create<LLVM::ConstantOp>(loc, i8Ty, b.getIntegerAttr(i8Ty, 0)), rest,
        /*isVolatile=*/false);
    status = call(fn, i32Ty, sig,
                  {sizeConst(s.rows), padded, sizeConst(s.vocabSize),
                   sizeConst(s.outFeatures), weight(s.tableOffset),
                   sizeConst(s.rows), buffer(s.outOffset),
                   sizeConst(s.outFeatures)});
  } else {
    status = call(fn, i32Ty, sig,
                  {nIds, ids, sizeConst(s.vocabSize), sizeConst(s.outFeatures),
                   weight(s.tableOffset), sizeConst(s.rows),
                   buffer(s.outOffset), sizeConst(s.outFeatures)});
  }
  checkStatus(status);
}

void ObjectLowering::lowerConvBank(const KernelStep &s, size_t index) {
  // kdc_f32_convbank_branch_t[] and kdc_f32_convbank_params_t, constant.
  Type branchTy = LLVM::LLVMStructType::getLiteral(
      ctx, {sizeTy, sizeTy, sizeTy, sizeTy, sizeTy, ptrTy, ptrTy});
  Type branchesTy = LLVM::LLVMArrayType::get(branchTy, s.branches.size());
  std::string branchesSym =
      name + "_step" + std::to_string(index) + "_branches";
  constantGlobal(branchesSym, branchesTy, [&] {
    Value array = b.create<LLVM::UndefOp>(loc, branchesTy);
    for (auto [i, br] : llvm::enumerate(s.branches)) {
      Value v = structValue(
          branchTy,
          {sizeConst(br.kernelWidth), sizeConst(br.outChannels),
           sizeConst(br.padBefore), sizeConst(br.padAfter), sizeConst(br.tileN),
           weight(br.weightOffset), weightOrNull(br.biasOffset)});
      array = b.create<LLVM::InsertValueOp>(loc, array, v,
                                            ArrayRef<int64_t>{int64_t(i)});
    }
    return array;
  });
  Type paramsTy = LLVM::LLVMStructType::getLiteral(
      ctx, {sizeTy, sizeTy, sizeTy, sizeTy, ptrTy, i32Ty});
  std::string paramsSym = name + "_step" + std::to_string(index) + "_params";
  constantGlobal(paramsSym, paramsTy, [&] {
    return structValue(paramsTy,
                       {sizeConst(s.rows), sizeConst(s.inFeatures),
                        sizeConst(s.inFeatures), sizeConst(s.branches.size()),
                        global(branchesSym), i32Const(s.activation)});
  });
  Value scratch = s.scratchBytes ? buffer(s.scratchOffset) : null();
  Value status =
      call("kdc_f32_convbank_ukernel" + wideSuffix, i32Ty,
           {ptrTy, ptrTy, sizeTy, ptrTy, ptrTy, sizeTy},
           {global(paramsSym), buffer(s.inOffset),
            count(s.branches.front().count, 0, int64_t(s.rows)),
            buffer(s.outOffset), scratch, sizeConst(s.scratchBytes)});
  checkStatus(status);
}

void ObjectLowering::lowerDense(const KernelStep &s, size_t index) {
  // kdc_f32_dense_params_t, constant.
  Type paramsTy = LLVM::LLVMStructType::getLiteral(
      ctx, {sizeTy, sizeTy, sizeTy, ptrTy, ptrTy, i32Ty});
  std::string paramsSym = name + "_step" + std::to_string(index) + "_params";
  constantGlobal(paramsSym, paramsTy, [&] {
    return structValue(paramsTy,
                       {sizeConst(s.inFeatures), sizeConst(s.outFeatures),
                        sizeConst(s.tileN), weight(s.weightOffset),
                        weightOrNull(s.biasOffset), i32Const(s.activation)});
  });
  // Row-wise over the first computeRows rows (every row by default), rows
  // `inStride`/`outStride` floats apart (a concat's column slice) or packed.
  Value rows = s.computeRows.all ? sizeConst(s.rows)
                                 : count(s.computeRows, 1, int64_t(s.rows));
  Value status = call("kdc_f32_dense_ukernel" + wideSuffix, i32Ty,
                      {ptrTy, sizeTy, ptrTy, sizeTy, ptrTy, sizeTy},
                      {global(paramsSym), rows, buffer(s.inOffset),
                       sizeConst(s.inStride ? s.inStride : s.inFeatures),
                       buffer(s.outOffset),
                       sizeConst(s.outStride ? s.outStride : s.outFeatures)});
  checkStatus(status);
}

void ObjectLowering::lowerActivation(const KernelStep &s) {
  // Over a sequence, the rows computed (computeRows) times the row length.
  Value elements =
      s.computeRows.all
          ? sizeConst(s.bytes / 4)
          : Value(b.create<LLVM::MulOp>(
                loc, count(s.computeRows, 1, int64_t(s.rows)),
                sizeConst(s.inFeatures)));
  call("kdc_f32_vact_ukernel" + suffix, voidTy, {sizeTy, ptrTy, ptrTy, i32Ty},
       {elements, buffer(s.inOffset), buffer(s.outOffset),
        i32Const(s.activation)});
}

void ObjectLowering::lowerMaxPool(const KernelStep &s) {
  call("kdc_f32_maxpool_time_ukernel" + suffix, voidTy,
       {sizeTy, sizeTy, ptrTy, sizeTy, sizeTy, ptrTy},
       {sizeConst(s.rows), sizeConst(s.inFeatures), buffer(s.inOffset),
        sizeConst(s.inFeatures), count(s.count, 1, int64_t(s.rows)),
        buffer(s.outOffset)});
}

void ObjectLowering::lowerSoftmax(const KernelStep &s) {
  call("kdc_f32_softmax_ukernel" + suffix, voidTy, {sizeTy, ptrTy, ptrTy},
       {sizeConst(s.bytes / 4), buffer(s.inOffset), buffer(s.outOffset)});
}

void ObjectLowering::lowerCopy(const KernelStep &s) {
  b.create<LLVM::MemcpyOp>(loc, buffer(s.outOffset), buffer(s.inOffset),
                           sizeConst(s.bytes), /*isVolatile=*/false);
}

void ObjectLowering::lowerConv1d(const KernelStep &s, size_t index) {
  // kdc_f32_conv1d_params_t, constant: rows, in_channels, x_stride,
  // kernel_width, out_channels, pad_before, pad_after, tile_n,
  // packed_weights, bias, activation.
  Type paramsTy = LLVM::LLVMStructType::getLiteral(
      ctx, {sizeTy, sizeTy, sizeTy, sizeTy, sizeTy, sizeTy, sizeTy, sizeTy,
            ptrTy, ptrTy, i32Ty});
  std::string paramsSym = name + "_step" + std::to_string(index) + "_params";
  constantGlobal(paramsSym, paramsTy, [&] {
    return structValue(
        paramsTy,
        {sizeConst(s.rows), sizeConst(s.inFeatures), sizeConst(s.inStride),
         sizeConst(s.kernelWidth), sizeConst(s.outFeatures),
         sizeConst(s.padBefore), sizeConst(s.padAfter), sizeConst(s.tileN),
         weight(s.weightOffset), weightOrNull(s.biasOffset),
         i32Const(s.activation)});
  });
  // Output rows [0, computeRows) of outRows, `outStride` floats apart.
  Value scratch = s.scratchBytes ? buffer(s.scratchOffset) : null();
  Value status =
      call("kdc_f32_conv1d_ukernel" + wideSuffix, i32Ty,
           {ptrTy, ptrTy, sizeTy, ptrTy, sizeTy, ptrTy, sizeTy},
           {global(paramsSym), buffer(s.inOffset),
            count(s.computeRows, 1, int64_t(s.outRows)), buffer(s.outOffset),
            sizeConst(s.outStride), scratch, sizeConst(s.scratchBytes)});
  checkStatus(status);
}

void ObjectLowering::lowerMaskRows(const KernelStep &s) {
  // Rows < count copied (skipped in place), rows [count, computeRows)
  // zeroed; with count `all`, a row copy into a concat's column slice.
  call("kdc_f32_mask_rows", voidTy,
       {sizeTy, sizeTy, ptrTy, sizeTy, sizeTy, ptrTy, sizeTy},
       {count(s.computeRows, 1, int64_t(s.rows)), sizeConst(s.inFeatures),
        buffer(s.inOffset), sizeConst(s.inStride),
        count(s.count, 1, int64_t(s.rows)), buffer(s.outOffset),
        sizeConst(s.outStride)});
}

void ObjectLowering::lowerQrnn(const KernelStep &s) {
  // kdc_direction_t as a 32-bit int, as the C++ path's enumerator.
  int direction = s.direction == KDC_DIRECTION_BACKWARD
                      ? KDC_DIRECTION_BACKWARD
                      : KDC_DIRECTION_FORWARD;
  call("kdc_f32_qrnn_ukernel" + suffix, voidTy,
       {sizeTy, sizeTy, ptrTy, sizeTy, sizeTy, i32Ty, ptrTy, sizeTy},
       {count(s.computeRows, 1, int64_t(s.rows)), sizeConst(s.outFeatures),
        buffer(s.inOffset), sizeConst(s.inStride),
        count(s.count, 1, int64_t(s.rows)), i32Const(direction),
        buffer(s.outOffset), sizeConst(s.outStride)});
}

void ObjectLowering::lowerAttentionPool(const KernelStep &s) {
  call("kdc_f32_attnpool_ukernel" + suffix, voidTy,
       {sizeTy, sizeTy, ptrTy, sizeTy, ptrTy, sizeTy, ptrTy},
       {sizeConst(s.rows), sizeConst(s.inFeatures), buffer(s.inOffset),
        sizeConst(s.inStride), weight(s.weightOffset),
        count(s.count, 1, int64_t(s.rows)), buffer(s.outOffset)});
}

//===----------------------------------------------------------------------===//
// Functions
//===----------------------------------------------------------------------===//

LogicalResult ObjectLowering::buildRun() {
  // int NAME_run(const int32_t *ids, size_t n, float *logits, ws): the
  // kernel calls, then the arg-max of the logits. A features model reads
  // its rows from the workspace (ids is NULL) and n is n_tokens.
  LLVM::LLVMFuncOp fn = defineEntry(runSym, LLVM::Linkage::Internal);
  Block &entry = fn.getBody().front();
  ids = entry.getArgument(0);
  nIds = n = entry.getArgument(1); // n_ids as ptrdiff_t: counts are signed
  logits = entry.getArgument(2);
  ws = entry.getArgument(3);
  failBlock = returnBlock(fn);
  for (auto [i, s] : llvm::enumerate(prog.steps))
    if (failed(lowerStep(s, i)))
      return failure();

  // best = arg-max (the first of equal maxima, as `>` in the C++ path).
  Value scores = buffer(prog.logitsOffset);
  Value first = b.create<LLVM::LoadOp>(loc, f32Ty, scores, /*alignment=*/4);
  Block *current = b.getInsertionBlock();
  Block *header =
      b.createBlock(failBlock, {i32Ty, i32Ty, f32Ty}, {loc, loc, loc});
  Block *body = b.createBlock(failBlock);
  Block *done = b.createBlock(failBlock);
  Block *copy = b.createBlock(failBlock);
  Block *ret = b.createBlock(failBlock);
  b.setInsertionPointToEnd(current);
  b.create<LLVM::BrOp>(loc, ValueRange{i32Const(1), i32Const(0), first},
                       header);

  b.setInsertionPointToEnd(header);
  Value c = header->getArgument(0), best = header->getArgument(1),
        bestValue = header->getArgument(2);
  Value more = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, c,
                                      i32Const(prog.numClasses));
  b.create<LLVM::CondBrOp>(loc, more, body, ValueRange{}, done, ValueRange{});

  b.setInsertionPointToEnd(body);
  Value p = b.create<LLVM::GEPOp>(loc, ptrTy, f32Ty, scores,
                                  ArrayRef<LLVM::GEPArg>{c});
  Value v = b.create<LLVM::LoadOp>(loc, f32Ty, p, /*alignment=*/4);
  Value greater =
      b.create<LLVM::FCmpOp>(loc, LLVM::FCmpPredicate::ogt, v, bestValue);
  Value nextBest = b.create<LLVM::SelectOp>(loc, greater, c, best);
  Value nextValue = b.create<LLVM::SelectOp>(loc, greater, v, bestValue);
  Value nextC = b.create<LLVM::AddOp>(loc, c, i32Const(1));
  b.create<LLVM::BrOp>(loc, ValueRange{nextC, nextBest, nextValue}, header);

  // if (logits != NULL) memcpy(logits, scores, sizeof(float) * C).
  b.setInsertionPointToEnd(done);
  Value isNull =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, logits, null());
  b.create<LLVM::CondBrOp>(loc, isNull, ret, ValueRange{}, copy, ValueRange{});
  b.setInsertionPointToEnd(copy);
  b.create<LLVM::MemcpyOp>(loc, logits, scores,
                           sizeConst(4 * uint64_t(prog.numClasses)),
                           /*isVolatile=*/false);
  b.create<LLVM::BrOp>(loc, ValueRange{}, ret);
  b.setInsertionPointToEnd(ret);
  b.create<LLVM::ReturnOp>(loc, ValueRange{best});
  return success();
}

void ObjectLowering::buildPredictIds() {
  LLVM::LLVMFuncOp fn =
      defineEntry(name + "_predict_ids", LLVM::Linkage::External);
  Block &entry = fn.getBody().front();
  Value idsArg = entry.getArgument(0), nArg = entry.getArgument(1),
        logitsArg = entry.getArgument(2), wsArg = entry.getArgument(3);
  Block *exit = returnBlock(fn);
  exitIf(badWorkspace(wsArg), exit, i32Const(KDC_ERR_WORKSPACE));
  exitIf(
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, nArg, sizeConst(0)),
      exit, i32Const(KDC_ERR_NO_TOKENS));
  exitIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, idsArg, null()),
         exit, i32Const(KDC_ERR_NULL_ARGUMENT));
  exitIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ugt, nArg,
                                sizeConst(uint64_t(prog.maxTokens))),
         exit, i32Const(KDC_ERR_TOO_MANY_TOKENS));
  returnRun(idsArg, nArg, logitsArg, wsArg);
}

void ObjectLowering::buildPredictText(size_t bpeBytes) {
  LLVM::LLVMFuncOp fn = defineEntry(name + "_predict", LLVM::Linkage::External);
  Block &entry = fn.getBody().front();
  Value utf8 = entry.getArgument(0), len = entry.getArgument(1),
        logitsArg = entry.getArgument(2), wsArg = entry.getArgument(3);
  Block *exit = returnBlock(fn);
  exitIf(badWorkspace(wsArg), exit, i32Const(KDC_ERR_WORKSPACE));
  Value noText =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, utf8, null());
  Value someBytes =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne, len, sizeConst(0));
  exitIf(b.create<LLVM::AndOp>(loc, noText, someBytes), exit,
         i32Const(KDC_ERR_NULL_ARGUMENT));
  exitIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ugt, len,
                                sizeConst(layout.maxTextBytes)),
         exit, i32Const(KDC_ERR_BUFFER_TOO_SMALL));
  // The encoder's scratch shares the model's region; the ids come after.
  Value textIds = bytePtr(wsArg, layout.textIdsOffset);
  Value encoded =
      call("kdc_bpe_encode", i32Ty,
           {ptrTy, sizeTy, ptrTy, sizeTy, ptrTy, sizeTy, ptrTy, sizeTy},
           {global(bpeSym), sizeConst(bpeBytes), utf8, len, textIds,
            sizeConst(uint64_t(prog.maxTokens)), wsArg,
            sizeConst(layout.scratchBytes)});
  // More tokens than the model takes: keep the first MAX_TOKENS, as
  // training does (the ids hold them).
  Value tooMany = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, encoded,
                                         i32Const(KDC_ERR_BUFFER_TOO_SMALL));
  Value tokens =
      b.create<LLVM::SelectOp>(loc, tooMany, i32Const(prog.maxTokens), encoded);
  exitIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, tokens,
                                i32Const(0)),
         exit, tokens);
  exitIf(
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, tokens, i32Const(0)),
      exit, i32Const(KDC_ERR_NO_TOKENS));
  Value count = tokens;
  if (options.pointerBits > 32)
    count = b.create<LLVM::ZExtOp>(loc, sizeTy, tokens);
  returnRun(textIds, count, logitsArg, wsArg);
}

void ObjectLowering::returnRun(Value idsArg, Value nArg, Value logitsArg,
                               Value wsArg) {
  auto run = module.lookupSymbol<LLVM::LLVMFuncOp>(runSym);
  Value r = b.create<LLVM::CallOp>(loc, run,
                                   ValueRange{idsArg, nArg, logitsArg, wsArg})
                .getResult();
  b.create<LLVM::ReturnOp>(loc, ValueRange{r});
}

void ObjectLowering::padFeatures(Value src, Value nTokens, Value dst) {
  Value p = sizeConst(uint64_t(prog.numFeatures));
  Value rows = featureRows(nTokens);
  call("kdc_f32_mask_rows", voidTy,
       {sizeTy, sizeTy, ptrTy, sizeTy, sizeTy, ptrTy, sizeTy},
       {rows, p, src, p, nTokens, dst, p});
}

void ObjectLowering::buildPredictFeatures() {
  // int NAME_predict_features(const float *features, size_t n_tokens,
  //                           float *logits, void *workspace)
  LLVM::LLVMFuncOp fn =
      defineEntry(name + "_predict_features", LLVM::Linkage::External);
  Block &entry = fn.getBody().front();
  Value featuresArg = entry.getArgument(0), nArg = entry.getArgument(1),
        logitsArg = entry.getArgument(2), wsArg = entry.getArgument(3);
  Block *exit = returnBlock(fn);
  exitIf(badWorkspace(wsArg), exit, i32Const(KDC_ERR_WORKSPACE));
  exitIf(
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, nArg, sizeConst(0)),
      exit, i32Const(KDC_ERR_NO_TOKENS));
  exitIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, featuresArg,
                                null()),
         exit, i32Const(KDC_ERR_NULL_ARGUMENT));
  exitIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ugt, nArg,
                                sizeConst(uint64_t(prog.maxTokens))),
         exit, i32Const(KDC_ERR_TOO_MANY_TOKENS));
  // The caller's rows, then the zero rows the model reads.
  padFeatures(featuresArg, nArg, bytePtr(wsArg, prog.featuresOffset));
  returnRun(null(), nArg, logitsArg, wsArg);
}

void ObjectLowering::buildPredictProjection() {
  // const kdc_projection_config_t {num_features, flags, seed}, constant.
  std::string configSym = name + "_projection_config";
  Type i64Ty = IntegerType::get(ctx, 64);
  Type configTy = LLVM::LLVMStructType::getLiteral(ctx, {i32Ty, i32Ty, i64Ty});
  constantGlobal(configSym, configTy, [&] {
    return structValue(
        configTy,
        {i32Const(int64_t(prog.projection->numFeatures)),
         i32Const(int64_t(prog.projection->flags)),
         b.create<LLVM::ConstantOp>(
             loc, i64Ty,
             IntegerAttr::get(i64Ty, APInt(64, prog.projection->seed)))});
  });

  LLVM::LLVMFuncOp fn = defineEntry(name + "_predict", LLVM::Linkage::External);
  Block &entry = fn.getBody().front();
  Value utf8 = entry.getArgument(0), len = entry.getArgument(1),
        logitsArg = entry.getArgument(2), wsArg = entry.getArgument(3);
  Block *exit = returnBlock(fn);
  exitIf(badWorkspace(wsArg), exit, i32Const(KDC_ERR_WORKSPACE));
  Value noText =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, utf8, null());
  Value someBytes =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne, len, sizeConst(0));
  exitIf(b.create<LLVM::AndOp>(loc, noText, someBytes), exit,
         i32Const(KDC_ERR_NULL_ARGUMENT));
  // The first MAX_TOKENS tokens, as training does, straight into the
  // features buffer.
  Value features = bytePtr(wsArg, prog.featuresOffset);
  Value p = sizeConst(uint64_t(prog.numFeatures));
  Value tokens =
      call("kdc_projection_features", i32Ty,
           {ptrTy, ptrTy, sizeTy, ptrTy, sizeTy, sizeTy},
           {global(configSym), utf8, len, features,
            sizeConst(uint64_t(prog.maxTokens)), p});
  exitIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, tokens,
                                i32Const(0)),
         exit, tokens);
  exitIf(
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, tokens, i32Const(0)),
      exit, i32Const(KDC_ERR_NO_TOKENS));
  Value nTokens = tokens;
  if (options.pointerBits > 32)
    nTokens = b.create<LLVM::ZExtOp>(loc, sizeTy, tokens);
  // Zero rows after the utterance's, in place (the copy is skipped).
  padFeatures(features, nTokens, features);
  returnRun(null(), nTokens, logitsArg, wsArg);
}

OwningOpRef<ModuleOp> kdc::target::lowering::lowerToLLVMDialect(
    MLIRContext *context, Location loc, KernelProgram &prog,
    const std::vector<uint8_t> &bpeModel, const TextLayout &layout,
    const LoweringOptions &options) {
  context->getOrLoadDialect<LLVM::LLVMDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc, StringRef(options.name));
  (*module)->setAttr(LLVM::LLVMDialect::getTargetTripleAttrName(),
                     StringAttr::get(context, options.triple));
  (*module)->setAttr(LLVM::LLVMDialect::getDataLayoutAttrName(),
                     StringAttr::get(context, options.dataLayout));
  ObjectLowering lowering(*module, prog, layout, options);
  lowering.buildGlobals(std::move(prog.weights), bpeModel);
  prog.weights.clear();
  if (failed(lowering.buildRun()))
    return nullptr;
  // What NAME.h declares (CppEmitter.cpp's Printer::header), nothing else.
  if (prog.input == ModelInput::Features) {
    lowering.buildPredictFeatures();
    if (prog.projection)
      lowering.buildPredictProjection();
  } else {
    lowering.buildPredictIds();
    if (layout.text)
      lowering.buildPredictText(bpeModel.size());
  }
  if (failed(verify(*module)))
    return nullptr;
  return module;
}
