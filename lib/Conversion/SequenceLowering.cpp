//===- SequenceLowering.cpp - row-wise sequence ops -> kernel calls -------===//
//
// The pQRNN student's ops over [T, D] sequences: a dense bottleneck over
// rows, mask_rows, conv1d producing every row (the QRNN gates), qrnn
// fo-pooling, concat along the feature axis, attention_pool.
//
// Row demand. A [T, D] value is read by its users only up to some row:
// qrnn and attention_pool read their first c = clamp(count, 1, T) rows,
// mask_rows passes on only its first c rows, a convolution's row t reads
// input rows up to t + K - 1 - l, row-wise layers read what their users
// read (elementwise activations included). Walking the function backwards
// gives each value the rows it must have (a CountExpr: n + k, a constant,
// or all), and each step computes only those. The rows past them are
// never written and never read, so their contents do not matter; rows
// inside them that the op's semantics make zero (past a qrnn's or
// mask_rows' count) are written as zeros. For a pQRNN that is n rows of the
// bottleneck and the first layer's gates, and n + 2 rows of the layer
// outputs the backward gate convolution (padding [0, 2]) reads.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

#include "kdc/runtime/kernels.h"

using namespace mlir;
using namespace kdc;
using namespace kdc::conversion;
using namespace kdc::conversion::detail;
namespace st = kdc::student;

namespace {

CountExpr allRows() { return CountExpr(); }

/// max(a, b), or `all` where it is not a CountExpr.
CountExpr joinRows(const CountExpr &a, const CountExpr &b) {
  if (a.all || b.all || a.usesN != b.usesN)
    return allRows();
  CountExpr c = a;
  c.offset = std::max(a.offset, b.offset);
  return c;
}

/// A CountExpr at least min(a, b): the exact minimum where both are of the
/// same kind, else one of them (never less than the minimum).
CountExpr meetRows(const CountExpr &a, const CountExpr &b) {
  if (a.all)
    return b;
  if (b.all || a.usesN != b.usesN)
    return a;
  CountExpr c = a;
  c.offset = std::min(a.offset, b.offset);
  return c;
}

CountExpr shiftRows(CountExpr a, int64_t rows) {
  if (!a.all)
    a.offset += rows;
  return a;
}

bool isSequence(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() == 2;
}

} // namespace

bool Lowering::isPoolChain(st::Conv1dOp op) {
  if (!op.getResult().hasOneUse())
    return false;
  Operation *next = *op.getResult().getUsers().begin();
  if (isa<st::ReluOp, st::TanhOp, st::SigmoidOp>(next)) {
    if (!next->getResult(0).hasOneUse())
      return false;
    next = *next->getResult(0).getUsers().begin();
  }
  return isa<st::MaxPoolTimeOp>(next);
}

CountExpr Lowering::rowsNeeded(Value v) const {
  auto it = rowDemand.find(v);
  return it == rowDemand.end() ? allRows() : it->second;
}

LogicalResult Lowering::computeRowDemand() {
  auto demand = [&](Value v, const CountExpr &rows) {
    if (!isSequence(v))
      return;
    auto [it, inserted] = rowDemand.try_emplace(v, rows);
    if (!inserted)
      it->second = joinRows(it->second, rows);
  };
  // A count operand as rows; `all` without one.
  auto countRows = [&](Value count) -> FailureOr<CountExpr> {
    if (!count)
      return allRows();
    return countOf(count);
  };
  // Users come after their operands' definitions in the one block, so a
  // value's demand is complete when the walk reaches its definition.
  for (Operation &o : llvm::reverse(func.getBody().front())) {
    Operation *op = &o;
    if (auto dense = dyn_cast<st::DenseOp>(op)) {
      demand(dense.getInput(), rowsNeeded(dense.getResult()));
    } else if (isa<st::ReluOp, st::TanhOp, st::SigmoidOp, st::GeluOp>(op)) {
      demand(op->getOperand(0), rowsNeeded(op->getResult(0)));
    } else if (auto mask = dyn_cast<st::MaskRowsOp>(op)) {
      auto count = countRows(mask.getCount());
      if (failed(count))
        return failure();
      demand(mask.getInput(), meetRows(rowsNeeded(mask.getResult()), *count));
    } else if (auto conv = dyn_cast<st::Conv1dOp>(op)) {
      CountExpr rows = allRows();
      if (!isPoolChain(conv) && conv.getDilation() == 1)
        rows = shiftRows(rowsNeeded(conv.getResult()),
                         conv.getKernelWidth() - 1 - conv.getPadding()[0]);
      demand(conv.getInput(), rows);
    } else if (auto qrnn = dyn_cast<st::QrnnOp>(op)) {
      auto count = countRows(qrnn.getCount());
      if (failed(count))
        return failure();
      demand(qrnn.getGates(), *count);
    } else if (auto pool = dyn_cast<st::AttentionPoolOp>(op)) {
      auto count = countRows(pool.getCount());
      if (failed(count))
        return failure();
      demand(pool.getInput(), *count);
    } else if (auto pool = dyn_cast<st::MaxPoolTimeOp>(op)) {
      auto count = countRows(pool.getCount());
      if (failed(count))
        return failure();
      demand(pool.getInput(), *count);
    } else if (auto concat = dyn_cast<st::ConcatOp>(op);
               concat && isSequence(concat.getResult()) &&
               concat.getAxis() == 1) {
      for (Value in : concat.getInputs())
        demand(in, rowsNeeded(concat.getResult()));
    } else {
      for (Value v : op->getOperands())
        demand(v, allRows());
    }
  }
  return success();
}

LogicalResult Lowering::lowerConvRows(st::Conv1dOp op) {
  if (op.getDilation() != 1)
    return op.emitError("C++ emission supports conv1d with dilation 1 only, "
                        "not ")
           << op.getDilation();
  auto inType = op.getInput().getType();
  auto wType = op.getWeight().getType();
  auto outType = cast<RankedTensorType>(op.getResult().getType());
  KernelStep step = newStep(KernelStep::Kind::Conv1d, op);
  step.rows = size_t(inType.getDimSize(0));
  step.inFeatures = size_t(inType.getDimSize(1));
  step.outFeatures = size_t(wType.getDimSize(0));
  step.kernelWidth = size_t(wType.getDimSize(2));
  step.padBefore = size_t(op.getPadding()[0]);
  step.padAfter = size_t(op.getPadding()[1]);
  step.outRows = size_t(outType.getDimSize(0));
  step.inOffset = bufferOf(op.getInput());
  step.inStride = strideOf(op.getInput());
  step.computeRows = rowsNeeded(op.getResult());
  auto w = weightValues(op, op.getWeight());
  if (failed(w))
    return failure();
  // Tiles for the rows a typical utterance computes.
  size_t rows = step.computeRows.all ? step.outRows
                                     : std::min(step.outRows, kTypicalRows);
  step.tileN = kdc_f32_conv_choose_tile_n(kdc_isa_t(kernelIsaFor(targetIsa, true)),
                                          step.outFeatures,
                                          step.inFeatures, step.kernelWidth,
                                          rows);
  std::vector<float> packed(kdc_f32_conv_packed_size(
      step.outFeatures, step.inFeatures, step.kernelWidth, step.tileN));
  kdc_f32_conv_pack(step.outFeatures, step.inFeatures, step.kernelWidth,
                    step.tileN, w->data(), packed.data());
  step.weightOffset = addWeights(packed.data(), packed.size() * 4);
  step.weightBytes = packed.size() * 4;
  if (Value bias = op.getBias()) {
    auto bv = weightValues(op, bias);
    if (failed(bv))
      return failure();
    step.biasOffset = addWeights(bv->data(), bv->size() * 4);
    step.weightBytes += bv->size() * 4;
  }
  step.macs = uint64_t(step.outRows) * step.outFeatures * step.inFeatures *
              step.kernelWidth;
  step.outOffset = bufferOf(op.getResult());
  step.outStride = strideOf(op.getResult());
  kdc_f32_conv1d_params_t params = {};
  params.in_channels = step.inFeatures;
  params.pad_before = step.padBefore;
  params.pad_after = step.padAfter;
  step.scratchBytes = kdc_f32_conv1d_workspace_size(&params);
  if (step.scratchBytes)
    step.scratchOffset = scratchOf(op, step.scratchBytes);
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerMaskRows(st::MaskRowsOp op) {
  auto type = op.getInput().getType();
  KernelStep step = newStep(KernelStep::Kind::MaskRows, op);
  step.rows = size_t(type.getDimSize(0));
  step.inFeatures = step.outFeatures = size_t(type.getDimSize(1));
  step.inOffset = bufferOf(op.getInput());
  step.inStride = strideOf(op.getInput());
  auto count = countOf(op.getCount());
  if (failed(count))
    return failure();
  step.count = *count;
  step.computeRows = rowsNeeded(op.getResult());
  step.outOffset = bufferOf(op.getResult());
  step.outStride = strideOf(op.getResult());
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerQrnn(st::QrnnOp op) {
  auto gatesType = op.getGates().getType();
  auto outType = cast<RankedTensorType>(op.getResult().getType());
  KernelStep step = newStep(KernelStep::Kind::Qrnn, op);
  step.rows = size_t(gatesType.getDimSize(0));
  step.inFeatures = size_t(gatesType.getDimSize(1));
  step.outFeatures = size_t(outType.getDimSize(1));
  step.inOffset = bufferOf(op.getGates());
  step.inStride = strideOf(op.getGates());
  auto count = countOf(op.getCount());
  if (failed(count))
    return failure();
  step.count = *count;
  // The kernel runs `rows` = max(needed, count) rows: a backward
  // recurrence starts at row c - 1 however few rows the users read.
  step.computeRows = joinRows(rowsNeeded(op.getResult()), *count);
  step.direction = op.getDirection() == st::Direction::Backward
                       ? KDC_DIRECTION_BACKWARD
                       : KDC_DIRECTION_FORWARD;
  // Per step and channel: c = f c + (1 - f) z and h = o c.
  step.macs = uint64_t(step.rows) * step.outFeatures * 3;
  step.outOffset = bufferOf(op.getResult());
  step.outStride = strideOf(op.getResult());
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerAttentionPool(st::AttentionPoolOp op) {
  auto inType = op.getInput().getType();
  KernelStep step = newStep(KernelStep::Kind::AttentionPool, op);
  step.rows = size_t(inType.getDimSize(0));
  step.inFeatures = step.outFeatures = size_t(inType.getDimSize(1));
  step.inOffset = bufferOf(op.getInput());
  step.inStride = strideOf(op.getInput());
  auto count = countOf(op.getCount());
  if (failed(count))
    return failure();
  step.count = *count;
  auto query = weightValues(op, op.getQuery());
  if (failed(query))
    return failure();
  step.weightOffset = addWeights(query->data(), query->size() * 4);
  step.weightBytes = query->size() * 4;
  // Scores, then the weighted sum.
  step.macs = uint64_t(step.rows) * step.inFeatures * 2;
  step.outOffset = bufferOf(op.getResult());
  prog.steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowering::lowerConcatColumns(st::ConcatOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  size_t base = bufferOf(op.getResult());
  size_t width = strideOf(op.getResult());
  CountExpr rows = rowsNeeded(op.getResult());
  size_t column = 0;
  for (Value in : op.getInputs()) {
    size_t cols = size_t(cast<RankedTensorType>(in.getType()).getDimSize(1));
    if (auto c = in.getDefiningOp<st::ConstantOp>())
      return c.emitError("C++ emission does not support constant concat "
                         "inputs");
    size_t src = bufferOf(in);
    // An input its kernel wrote into its column slice needs nothing more.
    if (src != base + column * 4 || strideOf(in) != width) {
      KernelStep step = newStep(KernelStep::Kind::MaskRows, op);
      step.rows = size_t(type.getDimSize(0));
      step.inFeatures = step.outFeatures = cols;
      step.inOffset = src;
      step.inStride = strideOf(in);
      step.outOffset = base + column * 4;
      step.outStride = width;
      step.computeRows = rows;
      step.count = allRows(); // copy every computed row, zero none
      prog.steps.push_back(std::move(step));
    }
    column += cols;
  }
  return success();
}
