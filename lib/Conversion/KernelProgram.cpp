//===- KernelProgram.cpp - student dialect -> runtime kernel calls --------===//
//
// Walks the model function once, in order. Where student-plan-memory ran
// (the function has student.workspace_bytes), every value it planned lives at
// its op's student.offset and a padded conv bank's zero row at its
// student.scratch_offset; what the plan leaves out (the padded ids, the
// returned logits, the pooled features of an unfused conv chain) gets
// 64-byte aligned slices above the planned region, allocated sequentially.
// Without a plan everything is allocated that way (no buffer reuse), and
// vectors that only feed a `concat` along axis 0 are allocated inside the
// concat's buffer, so the concat costs nothing.
//
// The conv bank kernel computes conv + bias + activation + max over time in
// one pass. The importer writes the unfused chain conv1d -> [relu|tanh|
// sigmoid] -> max_pool_time per width; each chain becomes a one-branch conv
// bank call. `student.conv_bank` (from student-fuse-conv) maps directly.
// The pQRNN student's sequence ops are in SequenceLowering.cpp.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "kdc/runtime/kernels.h"
#include "kdc/runtime/projection.h"

#include <cstring>

using namespace mlir;
using namespace kdc;
using namespace kdc::conversion;
using namespace kdc::conversion::detail;
namespace st = kdc::student;

llvm::StringRef kdc::conversion::kernelSuffix(KernelIsa isa) {
  switch (isa) {
  case KernelIsa::Avx2Fma:
    return "avx2_fma";
  case KernelIsa::Neon:
    return "neon";
  case KernelIsa::Avx512F:
    return "avx512f";
  case KernelIsa::Scalar:
    break;
  }
  return "scalar";
}

KernelIsa kdc::conversion::kernelIsaFor(KernelIsa isa, bool wide) {
  return isa == KernelIsa::Avx512F && !wide ? KernelIsa::Avx2Fma : isa;
}

std::optional<llvm::ArrayRef<char>>
kdc::conversion::getTokenizerBytes(ModuleOp module) {
  auto featurizer = module->getAttrOfType<StringAttr>("student.featurizer");
  if (!featurizer || featurizer.getValue() != "bpe")
    return std::nullopt;
  auto res =
      dyn_cast_or_null<DenseResourceElementsAttr>(module->getAttr("student.tokenizer"));
  if (!res)
    return std::nullopt;
  AsmResourceBlob *blob = res.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  return blob->getData();
}

std::string kdc::conversion::shortLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    std::string s = file.getFilename().str();
    if (file.getLine() || file.getColumn())
      s += ":" + std::to_string(file.getLine()) + ":" +
           std::to_string(file.getColumn());
    return s;
  }
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return shortLocation(call.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    std::string s;
    for (Location part : fused.getLocations()) {
      std::string p = shortLocation(part);
      if (p.empty() || llvm::StringRef(s).contains(p))
        continue;
      s += (s.empty() ? "" : ",") + p;
    }
    return s;
  }
  if (auto opaque = dyn_cast<OpaqueLoc>(loc))
    return shortLocation(opaque.getFallbackLocation());
  return "";
}

size_t Lowering::addWeights(const void *data, size_t bytes) {
  size_t offset = alignUp(prog.weights.size(), kBufferAlignment);
  prog.weights.resize(offset + bytes);
  if (bytes)
    std::memcpy(prog.weights.data() + offset, data, bytes);
  return offset;
}

size_t Lowering::bufferOf(Value v) {
  auto it = offsets.find(v);
  if (it != offsets.end())
    return it->second;
  if (planned)
    if (Operation *def = v.getDefiningOp())
      if (auto attr = def->getAttrOfType<IntegerAttr>("student.offset")) {
        offsets[v] = size_t(attr.getInt());
        // A column slice of a concat (student-plan-memory).
        if (auto stride = def->getAttrOfType<IntegerAttr>("student.row_stride"))
          strides[v] = size_t(stride.getInt());
        return size_t(attr.getInt());
      }
  size_t offset = allocate(bytesOf(v));
  offsets[v] = offset;
  return offset;
}

size_t Lowering::scratchOf(Operation *op, size_t bytes) {
  if (planned)
    if (auto attr = op->getAttrOfType<IntegerAttr>("student.scratch_offset"))
      return size_t(attr.getInt());
  return allocate(bytes);
}

size_t Lowering::strideOf(Value v) {
  bufferOf(v); // reads the plan's stride, if any
  auto it = strides.find(v);
  if (it != strides.end())
    return it->second;
  auto type = cast<RankedTensorType>(v.getType());
  return size_t(type.getDimSize(type.getRank() - 1));
}

KernelStep Lowering::newStep(KernelStep::Kind kind, Operation *op) {
  KernelStep step;
  step.kind = kind;
  step.op = op->getName().getStringRef().str();
  step.where = shortLocation(op->getLoc());
  return step;
}

FailureOr<std::vector<float>> Lowering::weightValues(Operation *user,
                                                     Value v) {
  auto constant = v.getDefiningOp<st::ConstantOp>();
  if (!constant)
    return user->emitError("C++ emission needs this op's weights as "
                           "student.constant operands");
  TypedAttr value = constant.getValue();
  auto type = cast<RankedTensorType>(constant.getType());
  if (!type.getElementType().isF32())
    return constant.emitError("C++ emission supports f32 weights only, not ")
           << type.getElementType();
  size_t n = size_t(type.getNumElements());
  std::vector<float> out(n);
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    auto values = dense.getValues<float>();
    std::copy(values.begin(), values.end(), out.begin());
    return out;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != n * 4)
      return constant.emitError("weight resource is missing or has the "
                                "wrong size");
    std::memcpy(out.data(), blob->getData().data(), n * 4);
    return out;
  }
  return constant.emitError("C++ emission does not support this weight "
                            "storage yet (codebooks come later)");
}

FailureOr<CountExpr> Lowering::countOf(Value count) {
  CountExpr expr;
  if (!count)
    return expr;
  expr.all = false;
  if (count == length) {
    expr.usesN = true;
    return expr;
  }
  Operation *def = count.getDefiningOp();
  if (!def)
    return func.emitError("unsupported count operand");
  if (auto c = dyn_cast<arith::ConstantIndexOp>(def)) {
    expr.offset = c.value();
    return expr;
  }
  if (isa<arith::SubIOp, arith::AddIOp>(def)) {
    auto lhs = countOf(def->getOperand(0));
    auto rhs = countOf(def->getOperand(1));
    if (failed(lhs) || failed(rhs))
      return failure();
    bool sub = isa<arith::SubIOp>(def);
    if (rhs->usesN && (sub || lhs->usesN))
      return def->emitError("count arithmetic must be n plus or minus "
                            "constants");
    expr.usesN = lhs->usesN || rhs->usesN;
    expr.offset = sub ? lhs->offset - rhs->offset : lhs->offset + rhs->offset;
    return expr;
  }
  return def->emitError("unsupported op in a count computation");
}

/// Places the 1-D inputs of every axis-0 concat inside its result buffer
/// when the concat is their only user, and the [T, D] inputs of an axis-1
/// concat in its column slices when their kernel writes strided rows.
LogicalResult Lowering::planConcats() {
  if (planned)
    return success(); // the plan placed every input already
  func.walk([&](st::ConcatOp op) {
    auto type = cast<RankedTensorType>(op.getType());
    bool vectors = type.getRank() == 1 && op.getAxis() == 0;
    bool columns = type.getRank() == 2 && op.getAxis() == 1;
    if (!vectors && !columns)
      return;
    size_t base = bufferOf(op.getResult());
    size_t prefix = 0;
    for (Value in : op.getInputs()) {
      Operation *def = in.getDefiningOp();
      bool alias = def && in.hasOneUse() && !isa<st::ConstantOp>(def) &&
                   !offsets.count(in);
      if (columns)
        alias = alias && (isa<st::QrnnOp>(def) ||
                          (isa<st::Conv1dOp>(def) &&
                           !isPoolChain(cast<st::Conv1dOp>(def))) ||
                          isa<st::DenseOp>(def));
      if (alias) {
        offsets[in] = base + prefix;
        if (columns)
          strides[in] = size_t(type.getDimSize(1));
      }
      prefix += columns ? size_t(cast<RankedTensorType>(in.getType())
                                     .getDimSize(1)) *
                              4
                        : bytesOf(in);
    }
  });
  return success();
}

LogicalResult Lowering::lowerEmbedding(st::EmbeddingOp op) {
  if (op.getIds() != input || prog.input != ModelInput::Ids)
    return op.emitError("C++ emission needs the embedding to read the "
                        "function's ids argument");
  auto values = weightValues(op, op.getTable());
  if (failed(values))
    return failure();
  auto tableType = op.getTable().getType();
  auto resultType = op.getResult().getType();
  KernelStep step = newStep(KernelStep::Kind::Embedding, op);
  step.vocabSize = size_t(tableType.getDimSize(0));
  step.outFeatures = size_t(tableType.getDimSize(1));
  step.rows = size_t(resultType.getDimSize(0));
  if (int64_t(step.rows) != prog.maxTokens)
    return op.emitError("the embedding's rows (") << step.rows
           << ") differ from the ids' length (" << prog.maxTokens << ")";
  step.tableOffset = addWeights(values->data(), values->size() * 4);
  step.weightBytes = values->size() * 4;
  step.outOffset = bufferOf(op.getResult());
  step.idsPadded = true;
  prog.vocabSize = int64_t(step.vocabSize);
  prog.steps.push_back(std::move(step));
  return success();
}

FailureOr<ConvBranch> Lowering::addBranch(Operation *op, Value weight,
                                          Value bias, size_t padBefore,
                                          size_t padAfter, size_t rows,
                                          KernelStep &step) {
  auto wType = cast<RankedTensorType>(weight.getType());
  size_t cout = size_t(wType.getDimSize(0)), cin = size_t(wType.getDimSize(1)),
         k = size_t(wType.getDimSize(2));
  auto w = weightValues(op, weight);
  if (failed(w))
    return failure();
  ConvBranch b;
  b.kernelWidth = k;
  b.outChannels = cout;
  b.padBefore = padBefore;
  b.padAfter = padAfter;
  size_t outRows = rows + padBefore + padAfter + 1 - k;
  b.tileN = kdc_f32_conv_choose_tile_n(kdc_isa_t(kernelIsaFor(targetIsa, true)),
                                       cout, cin, k, outRows);
  std::vector<float> packed(kdc_f32_conv_packed_size(cout, cin, k, b.tileN));
  kdc_f32_conv_pack(cout, cin, k, b.tileN, w->data(), packed.data());
  b.weightOffset = addWeights(packed.data(), packed.size() * 4);
  step.weightBytes += packed.size() * 4;
  if (bias) {
    auto bv = weightValues(op, bias);
    if (failed(bv))
      return failure();
    b.biasOffset = addWeights(bv->data(), bv->size() * 4);
    step.weightBytes += bv->size() * 4;
  }
  step.macs += uint64_t(outRows) * cout * cin * k;
  return b;
}

static std::optional<int> activationOf(Operation *op) {
  if (isa<st::ReluOp>(op))
    return KDC_ACTIVATION_RELU;
  if (isa<st::TanhOp>(op))
    return KDC_ACTIVATION_TANH;
  if (isa<st::SigmoidOp>(op))
    return KDC_ACTIVATION_SIGMOID;
  return std::nullopt;
}

LogicalResult Lowering::lowerConv(st::Conv1dOp op) {
  return isPoolChain(op) ? lowerConvChain(op) : lowerConvRows(op);
}

LogicalResult Lowering::lowerConvChain(st::Conv1dOp op) {
  // conv1d -> [monotone activation] -> max_pool_time, each the only user.
  auto unsupported = [&] {
    return op.emitError("C++ emission supports student.conv1d only as "
                        "conv1d -> [relu|tanh|sigmoid] -> max_pool_time "
                        "(dilation 1, padding < kernel width) in this "
                        "first cut");
  };
  if (op.getDilation() != 1 || !op.getResult().hasOneUse())
    return unsupported();
  Operation *next = *op.getResult().getUsers().begin();
  int activation = KDC_ACTIVATION_NONE;
  if (auto act = activationOf(next)) {
    activation = *act;
    if (!next->getResult(0).hasOneUse())
      return unsupported();
    consumed.insert(next);
    next = *next->getResult(0).getUsers().begin();
  }
  auto pool = dyn_cast<st::MaxPoolTimeOp>(next);
  if (!pool)
    return unsupported();
  consumed.insert(pool);
  llvm::ArrayRef<int64_t> pad = op.getPadding();
  size_t l = size_t(pad[0]), r = size_t(pad[1]);
  size_t k = size_t(op.getKernelWidth());
  if (l + r >= k)
    return unsupported();

  KernelStep step = newStep(KernelStep::Kind::ConvBank, op);
  step.op = "student.conv1d" +
            std::string(activation ? " -> activation" : "") +
            " -> student.max_pool_time";
  auto inType = op.getInput().getType();
  step.rows = size_t(inType.getDimSize(0));
  step.inFeatures = size_t(inType.getDimSize(1));
  step.activation = activation;
  step.inOffset = bufferOf(op.getInput());
  auto branch = addBranch(op, op.getWeight(), op.getBias(), l, r, step.rows,
                          step);
  if (failed(branch))
    return failure();
  // max_pool_time pools over clamp(c, 1, Tout) rows; the kernel pools over
  // clamp(n + l + r - K + 1, 1, Tout), so pass n = c + K - 1 - l - r.
  auto count = countOf(pool.getCount());
  if (failed(count))
    return failure();
  branch->count = *count;
  if (!count->all)
    branch->count.offset += int64_t(k) - 1 - int64_t(l + r);
  step.branches.push_back(*branch);
  step.outFeatures = branch->outChannels;
  // The call runs where the conv1d is, before the pool the plan placed:
  // the plan's slot for the pooled features may still hold live values, so
  // they get a slice of their own above the plan.
  if (planned && !offsets.count(pool.getResult()))
    offsets[pool.getResult()] = allocate(bytesOf(pool.getResult()));
  step.outOffset = bufferOf(pool.getResult());
  kdc_f32_convbank_branch_t b = {k, branch->outChannels, l, r, branch->tileN,
                                 nullptr, nullptr};
  kdc_f32_convbank_params_t params = {step.rows, step.inFeatures,
                                      step.inFeatures, 1, &b,
                                      kdc_activation_t(activation)};
  step.scratchBytes = kdc_f32_convbank_workspace_size(&params);
  if (step.scratchBytes)
    step.scratchOffset = scratchOf(op, step.scratchBytes);
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerConvBank(st::ConvBankOp op) {
  int activation = int(op.getActivation());
  if (activation > KDC_ACTIVATION_SIGMOID)
    return op.emitError("the conv bank kernel needs a monotone activation");
  KernelStep step = newStep(KernelStep::Kind::ConvBank, op);
  auto inType = op.getInput().getType();
  step.rows = size_t(inType.getDimSize(0));
  step.inFeatures = size_t(inType.getDimSize(1));
  step.activation = activation;
  step.inOffset = bufferOf(op.getInput());
  auto count = countOf(op.getCount());
  if (failed(count))
    return failure();
  llvm::ArrayRef<int64_t> pad = op.getPadding();
  std::vector<kdc_f32_convbank_branch_t> raw;
  for (auto [i, w] : llvm::enumerate(op.getWeights())) {
    Value bias = i < op.getBiases().size() ? op.getBiases()[i] : Value();
    auto branch = addBranch(op, w, bias, size_t(pad[2 * i]),
                            size_t(pad[2 * i + 1]), step.rows, step);
    if (failed(branch))
      return failure();
    branch->count = *count;
    step.branches.push_back(*branch);
    step.outFeatures += branch->outChannels;
    raw.push_back({branch->kernelWidth, branch->outChannels, branch->padBefore,
                   branch->padAfter, branch->tileN, nullptr, nullptr});
  }
  step.outOffset = bufferOf(op.getResult());
  kdc_f32_convbank_params_t params = {step.rows, step.inFeatures,
                                      step.inFeatures, raw.size(), raw.data(),
                                      kdc_activation_t(activation)};
  step.scratchBytes = kdc_f32_convbank_workspace_size(&params);
  if (step.scratchBytes)
    step.scratchOffset = scratchOf(op, step.scratchBytes);
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerDense(st::DenseOp op) {
  auto inType = op.getInput().getType();
  auto wType = op.getWeight().getType();
  KernelStep step = newStep(KernelStep::Kind::Dense, op);
  step.rows = inType.getRank() == 2 ? size_t(inType.getDimSize(0)) : 1;
  step.inFeatures = size_t(wType.getDimSize(1));
  step.outFeatures = size_t(wType.getDimSize(0));
  step.activation = int(op.getActivation());
  step.inOffset = bufferOf(op.getInput());
  step.inStride = inType.getRank() == 2 ? strideOf(op.getInput())
                                        : step.inFeatures;
  // Row-wise: only the rows the users read (a pQRNN's bottleneck at n).
  if (inType.getRank() == 2)
    step.computeRows = rowsNeeded(op.getResult());
  auto w = weightValues(op, op.getWeight());
  if (failed(w))
    return failure();
  size_t typicalRows = step.computeRows.all
                           ? step.rows
                           : std::min(step.rows, kTypicalRows);
  step.tileN = kdc_f32_dense_choose_tile_n(kdc_isa_t(kernelIsaFor(targetIsa, true)),
                                           step.outFeatures,
                                           step.inFeatures, typicalRows);
  std::vector<float> packed(kdc_f32_dense_packed_size(
      step.outFeatures, step.inFeatures, step.tileN));
  kdc_f32_dense_pack(step.outFeatures, step.inFeatures, step.tileN, w->data(),
                     packed.data());
  step.weightOffset = addWeights(packed.data(), packed.size() * 4);
  step.weightBytes = packed.size() * 4;
  if (Value bias = op.getBias()) {
    auto bv = weightValues(op, bias);
    if (failed(bv))
      return failure();
    step.biasOffset = addWeights(bv->data(), bv->size() * 4);
    step.weightBytes += bv->size() * 4;
  }
  step.macs = uint64_t(step.rows) * step.inFeatures * step.outFeatures;
  step.outOffset = bufferOf(op.getResult());
  step.outStride = inType.getRank() == 2 ? strideOf(op.getResult())
                                         : step.outFeatures;
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerActivation(Operation *op, int activation) {
  KernelStep step = newStep(KernelStep::Kind::Activation, op);
  step.activation = activation;
  step.inOffset = bufferOf(op->getOperand(0));
  step.bytes = bytesOf(op->getResult(0));
  step.outOffset = bufferOf(op->getResult(0));
  // Over a [T, D] sequence, only the rows the users read (the importer
  // writes a pQRNN's bottleneck as dense -> relu -> mask_rows). Neither
  // side is a concat's column slice, so the rows are contiguous.
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (type.getRank() == 2) {
    step.rows = size_t(type.getDimSize(0));
    step.inFeatures = step.outFeatures = size_t(type.getDimSize(1));
    step.computeRows = rowsNeeded(op->getResult(0));
  }
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerMaxPool(st::MaxPoolTimeOp op) {
  KernelStep step = newStep(KernelStep::Kind::MaxPool, op);
  auto inType = op.getInput().getType();
  step.rows = size_t(inType.getDimSize(0));
  step.inFeatures = size_t(inType.getDimSize(1));
  step.inOffset = bufferOf(op.getInput());
  auto count = countOf(op.getCount());
  if (failed(count))
    return failure();
  step.count = *count;
  step.outOffset = bufferOf(op.getResult());
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerSoftmax(st::SoftmaxOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  if (type.getRank() != 1)
    return op.emitError("C++ emission supports softmax of vectors only");
  KernelStep step = newStep(KernelStep::Kind::Softmax, op);
  step.bytes = bytesOf(op.getResult());
  step.inOffset = bufferOf(op.getInput());
  step.outOffset = bufferOf(op.getResult());
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerConcat(st::ConcatOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  if (type.getRank() == 2 && op.getAxis() == 1)
    return lowerConcatColumns(op);
  // Rank 1, or rank 2 along time: the inputs are contiguous blocks.
  if (type.getRank() > 2 || op.getAxis() != 0)
    return op.emitError("C++ emission supports concat of vectors and of "
                        "[T, D] sequences (along either axis) only");
  size_t base = bufferOf(op.getResult());
  size_t prefix = 0;
  for (Value in : op.getInputs()) {
    size_t bytes = bytesOf(in);
    if (auto c = in.getDefiningOp<st::ConstantOp>()) {
      // A constant input: copy it from the weight blob... not needed by any
      // student kdc knows; reject rather than guess.
      return c.emitError("C++ emission does not support constant concat "
                         "inputs");
    }
    size_t src = bufferOf(in);
    if (src != base + prefix) {
      KernelStep step = newStep(KernelStep::Kind::Copy, op);
      step.inOffset = src;
      step.outOffset = base + prefix;
      step.bytes = bytes;
      prog.steps.push_back(std::move(step));
    }
    prefix += bytes;
  }
  return success();
}

LogicalResult Lowering::readSignature() {
  FunctionType type = func.getFunctionType();
  if (type.getNumInputs() < 1 || type.getNumInputs() > 2 ||
      type.getNumResults() != 1)
    return func.emitError("C++ emission expects (ids[, length]) -> logits or "
                          "(features[, length]) -> logits");
  input = func.getArgument(0);
  auto inputType = dyn_cast<RankedTensorType>(input.getType());
  if (inputType && inputType.getRank() == 1 &&
      isa<IntegerType>(inputType.getElementType())) {
    prog.input = ModelInput::Ids;
  } else if (inputType && inputType.getRank() == 2 &&
             inputType.getElementType().isF32() &&
             inputType.hasStaticShape()) {
    prog.input = ModelInput::Features;
    prog.numFeatures = inputType.getDimSize(1);
  } else {
    return func.emitError("the first argument must be the ids vector "
                          "(tensor<Txi32>) or the features "
                          "(tensor<TxPxf32>), not ")
           << input.getType();
  }
  prog.maxTokens = inputType.getDimSize(0);
  if (type.getNumInputs() == 2) {
    length = func.getArgument(1);
    if (!length.getType().isIndex())
      return func.emitError("the second argument must be the index length");
    prog.hasCountArg = true;
  }
  return success();
}

LogicalResult Lowering::run() {
  if (failed(readSignature()))
    return failure();
  FunctionType type = func.getFunctionType();
  if (auto plan = func->getAttrOfType<IntegerAttr>("student.workspace_bytes")) {
    planned = true;
    workspaceTop = size_t(plan.getInt());
  }
  if (prog.input == ModelInput::Ids) {
    // The graph's contract (docs/onnx.md) is T ids padded with id 0. A
    // window that reaches past the utterance (n < K) sees table[0], not
    // zeros, so the embedding reads padded ids, exactly as ONNX Runtime
    // would.
    prog.paddedIdsOffset = allocate(size_t(prog.maxTokens) * 4);
  } else {
    // The caller's (or the featurizer's) rows, zero rows after them.
    prog.featuresOffset = bufferOf(input);
  }
  if (failed(computeRowDemand()))
    return failure();
  if (prog.input == ModelInput::Features)
    prog.featureRows = rowsNeeded(input);
  auto resultType = dyn_cast<RankedTensorType>(type.getResult(0));
  if (!resultType || resultType.getRank() != 1 ||
      !resultType.getElementType().isF32())
    return func.emitError("the result must be a vector of f32 logits");
  prog.numClasses = resultType.getDimSize(0);

  if (failed(planConcats()))
    return failure();
  for (Operation &o : func.getBody().front()) {
    Operation *op = &o;
    if (consumed.count(op))
      continue;
    LogicalResult result = success();
    if (isa<st::ConstantOp, arith::ConstantOp, arith::SubIOp, arith::AddIOp>(
            op))
      continue; // read by their users
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      Value v = ret.getOperand(0);
      if (!offsets.count(v))
        return ret.emitError("the logits must be computed by a kernel");
      prog.logitsOffset = offsets[v];
      continue;
    }
    if (auto e = dyn_cast<st::EmbeddingOp>(op))
      result = lowerEmbedding(e);
    else if (auto c = dyn_cast<st::Conv1dOp>(op))
      result = lowerConv(c);
    else if (auto b = dyn_cast<st::ConvBankOp>(op))
      result = lowerConvBank(b);
    else if (auto d = dyn_cast<st::DenseOp>(op))
      result = lowerDense(d);
    else if (auto act = activationOf(op))
      result = lowerActivation(op, *act);
    else if (auto g = dyn_cast<st::GeluOp>(op))
      result = lowerActivation(op, g.getApproximate()
                                       ? KDC_ACTIVATION_GELU_TANH
                                       : KDC_ACTIVATION_GELU);
    else if (auto p = dyn_cast<st::MaxPoolTimeOp>(op))
      result = lowerMaxPool(p);
    else if (auto s = dyn_cast<st::SoftmaxOp>(op))
      result = lowerSoftmax(s);
    else if (auto c = dyn_cast<st::ConcatOp>(op))
      result = lowerConcat(c);
    else if (auto m = dyn_cast<st::MaskRowsOp>(op))
      result = lowerMaskRows(m);
    else if (auto q = dyn_cast<st::QrnnOp>(op))
      result = lowerQrnn(q);
    else if (auto a = dyn_cast<st::AttentionPoolOp>(op))
      result = lowerAttentionPool(a);
    else
      return op->emitError("C++ emission does not support ")
             << op->getName() << " yet";
    if (failed(result))
      return failure();
  }
  for (const KernelStep &s : prog.steps)
    prog.macs += s.macs;
  prog.workspaceBytes = alignUp(std::max<size_t>(workspaceTop, 1),
                                kBufferAlignment);
  return success();
}

/// student.featurizer, and for "projection" the student.projection
/// dictionary {features, seed, split_codepoints, bos, eos} the importer
/// writes from kdc's ONNX metadata.
static LogicalResult readFeaturizer(ModuleOp module, KernelProgram &out) {
  auto featurizer = module->getAttrOfType<StringAttr>("student.featurizer");
  if (!featurizer)
    return success();
  StringRef kind = featurizer.getValue();
  if (kind == "bpe") {
    if (out.input != ModelInput::Ids)
      return module.emitError("student.featurizer \"bpe\" needs a model of "
                              "token ids, but the function reads features");
    return success();
  }
  if (kind != "projection")
    return module.emitError("student.featurizer must be \"bpe\" or "
                            "\"projection\", not \"")
           << kind << "\"";
  if (out.input != ModelInput::Features)
    return module.emitError("student.featurizer \"projection\" needs a model "
                            "of features (tensor<TxPxf32>), but the function "
                            "reads token ids");
  auto dict = module->getAttrOfType<DictionaryAttr>("student.projection");
  if (!dict)
    return module.emitError("student.featurizer is \"projection\" but the "
                            "module has no student.projection dictionary "
                            "{features, seed, split_codepoints, bos, eos}");
  ProjectionConfig config;
  bool hasFeatures = false, hasSeed = false;
  for (NamedAttribute a : dict) {
    StringRef key = a.getName().getValue();
    if (key == "features") {
      auto v = dyn_cast<IntegerAttr>(a.getValue());
      if (!v || v.getInt() < 1 || v.getInt() > KDC_PROJECTION_MAX_FEATURES)
        return module.emitError("student.projection: features must be an "
                                "integer in [1, ")
               << KDC_PROJECTION_MAX_FEATURES << "], not " << a.getValue();
      config.numFeatures = uint32_t(v.getInt());
      hasFeatures = true;
    } else if (key == "seed") {
      // A string ("0x6B64632D70726F6A": a u64 does not fit an i64 attribute)
      // or a non-negative integer.
      if (auto str = dyn_cast<StringAttr>(a.getValue())) {
        if (str.getValue().trim().getAsInteger(0, config.seed))
          return module.emitError("student.projection: seed \"")
                 << str.getValue()
                 << "\" is not a 64-bit integer (decimal or 0x hex)";
      } else if (auto v = dyn_cast<IntegerAttr>(a.getValue());
                 v && v.getValue().isNonNegative()) {
        config.seed = v.getValue().getZExtValue();
      } else {
        return module.emitError("student.projection: seed must be a string "
                                "such as \"0x6B64632D70726F6A\", not ")
               << a.getValue();
      }
      hasSeed = true;
    } else if (key == "split_codepoints" || key == "bos" || key == "eos") {
      auto v = dyn_cast<BoolAttr>(a.getValue());
      if (!v)
        return module.emitError("student.projection: ")
               << key << " must be true or false, not " << a.getValue();
      uint32_t flag = key == "bos"   ? KDC_PROJECTION_BOS
                      : key == "eos" ? KDC_PROJECTION_EOS
                                     : KDC_PROJECTION_SPLIT_CODEPOINTS;
      if (v.getValue())
        config.flags |= flag;
    } else {
      return module.emitError("student.projection: unknown key '")
             << key
             << "' (expected features, seed, split_codepoints, bos, eos)";
    }
  }
  if (!hasFeatures || !hasSeed)
    return module.emitError("student.projection needs `features` and `seed`");
  if (int64_t(config.numFeatures) != out.numFeatures)
    return module.emitError("student.projection has features = ")
           << config.numFeatures << ", but the model reads " << out.numFeatures
           << " features per token";
  kdc_projection_config_t c = {config.numFeatures, config.flags, config.seed};
  if (kdc_projection_check_config(&c) != KDC_OK)
    return module.emitError("student.projection is not a valid projection "
                            "configuration");
  out.projection = config;
  return success();
}

LogicalResult kdc::conversion::buildKernelProgram(ModuleOp module,
                                                  KernelIsa isa,
                                                  KernelProgram &out) {
  func::FuncOp func;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (func)
      return f.emitError("C++ emission expects one model function");
    func = f;
  }
  if (!func || func.isExternal())
    return module.emitError("the module has no model function");
  out = KernelProgram();
  out.name = func.getSymName().str();
  out.isa = isa;
  Lowering lowering(func, isa, out);
  if (failed(lowering.run()))
    return failure();
  if (auto labels = module->getAttrOfType<ArrayAttr>("student.labels")) {
    for (Attribute a : labels)
      if (auto s = dyn_cast<StringAttr>(a))
        out.labels.push_back(s.getValue().str());
    if (int64_t(out.labels.size()) != out.numClasses)
      return module.emitError("student.labels has ")
             << out.labels.size() << " names for " << out.numClasses
             << " classes";
  } else {
    for (int64_t i = 0; i < out.numClasses; ++i)
      out.labels.push_back(std::to_string(i));
  }
  const char *inputName =
      out.input == ModelInput::Ids ? "the ids'" : "the features'";
  if (auto maxTokens = module->getAttrOfType<IntegerAttr>("student.max_tokens"))
    if (maxTokens.getInt() != out.maxTokens)
      return module.emitError("student.max_tokens (")
             << maxTokens.getInt() << ") differs from " << inputName
             << " length (" << out.maxTokens << ")";
  if (failed(readFeaturizer(module, out)))
    return failure();
  if (out.weights.empty())
    out.weights.resize(kBufferAlignment);
  return success();
}
