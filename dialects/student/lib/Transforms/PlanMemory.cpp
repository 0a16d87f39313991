//===- PlanMemory.cpp - static workspace plan -----------------------------===//
//
// The generated code may not allocate: the caller passes one workspace of a
// size fixed at compile time. This pass decides where in it every
// intermediate tensor lives, reusing the memory of dead values, and records
// the plan as attributes the emitter reads:
//
//   student.offset          (i64) on each op whose result is planned
//   student.scratch_offset  (i64) on a padded conv_bank or conv1d: its zero
//                           row
//   student.row_stride      (i64) on an op whose [T, D] result is written
//                           straight into a column slice of the axis-1
//                           concat that is its only user (its offset is
//                           inside the concat's buffer; the stride is the
//                           concat's row length, in elements)
//   student.workspace_bytes (i64) on the function
//
// The column slices are what makes a bidirectional layer free to
// concatenate: a pQRNN's forward and backward qrnn kernels write their
// states into the halves of the [T, 2H] buffer the next layer reads, with
// h_stride 2H, and the concat itself becomes a no-op. Such a slice has no
// buffer of its own; the concat's buffer lives from the earliest slice
// producer on.
//
// The plan is checked against the attributes it wrote, independently of how
// it was made, so a bug in the planner is a compile error rather than
// silently corrupted activations.
//
//===----------------------------------------------------------------------===//

#include "kdc/Dialect/Student/Passes.h"
#include "kdc/Dialect/Student/StudentDialect.h"
#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"

namespace kdc::student {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "kdc/Dialect/Student/Passes.h.inc"
} // namespace kdc::student

using namespace mlir;
using namespace kdc::student;

namespace {

constexpr int64_t kAlignment = 64;
constexpr StringLiteral kOffsetAttr = "student.offset";
constexpr StringLiteral kScratchAttr = "student.scratch_offset";
constexpr StringLiteral kWorkspaceAttr = "student.workspace_bytes";
constexpr StringLiteral kRowStrideAttr = "student.row_stride";

int64_t alignUp(int64_t bytes) {
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

int64_t byteSize(ShapedType type) {
  return type.getNumElements() *
         int64_t(llvm::divideCeil(type.getElementTypeBitWidth(), 8));
}

/// Interval [start, end] of op positions, both inclusive: a value is being
/// written at its definition and read at its last use.
struct LiveRange {
  int64_t start, end;
  bool overlaps(const LiveRange &o) const {
    return start <= o.end && o.start <= end;
  }
};

/// The block's ops in order and the position of each.
struct Program {
  Block *block;
  DenseMap<Operation *, int64_t> position;

  explicit Program(Block *block) : block(block) {
    int64_t i = 0;
    for (Operation &op : *block)
      position[&op] = i++;
  }

  /// From the definition to the last use (by an op of the block, or by an
  /// op nested in one, which counts as its ancestor).
  LiveRange liveRange(Value v) const {
    int64_t def = position.lookup(v.getDefiningOp());
    LiveRange r{def, def};
    for (Operation *user : v.getUsers())
      if (Operation *anc = block->findAncestorOpInBlock(*user))
        r.end = std::max(r.end, position.lookup(anc));
    return r;
  }
};

bool isReturned(Value v) {
  return llvm::any_of(v.getUsers(), [](Operation *user) {
    return isa<func::ReturnOp>(user);
  });
}

/// Whether `op`'s tensor result needs a place in the workspace.
bool isPlanned(Operation *op) {
  if (!isa_and_nonnull<StudentDialect>(op->getDialect()) || isa<ConstantOp>(op) ||
      op->getNumResults() != 1)
    return false;
  Value v = op->getResult(0);
  return isa<RankedTensorType>(v.getType()) && !isReturned(v);
}

/// Ops whose kernel may write its result over its input (elementwise ops,
/// and mask_rows, which then only zeroes the rows past the count).
bool mayRunInPlace(Operation *op) {
  return isa<ReluOp, TanhOp, SigmoidOp, GeluOp, MaskRowsOp>(op);
}

/// Bytes of scratch `op`'s kernel needs in the workspace, 0 for none.
int64_t scratchBytes(Operation *op) {
  RankedTensorType input;
  ArrayRef<int64_t> padding;
  if (auto bank = dyn_cast<ConvBankOp>(op)) {
    input = bank.getInput().getType();
    padding = bank.getPadding();
  } else if (auto conv = dyn_cast<Conv1dOp>(op)) {
    input = conv.getInput().getType();
    padding = conv.getPadding();
  }
  if (!input || llvm::all_of(padding, [](int64_t p) { return !p; }))
    return 0;
  // One zero row of the input, read by the windows that hang over an edge.
  return input.getDimSize(1) *
         int64_t(llvm::divideCeil(input.getElementTypeBitWidth(), 8));
}

/// Ops whose kernel writes its [T, D] result with a row stride of the
/// caller's choice (kdc_f32_qrnn, kdc_f32_conv1d, kdc_f32_dense).
bool writesStridedRows(Operation *op) {
  if (isa<QrnnOp, Conv1dOp>(op))
    return true;
  auto dense = dyn_cast<DenseOp>(op);
  return dense && cast<RankedTensorType>(dense.getType()).getRank() == 2;
}

/// Where `op`'s result can live inside a concatenation: the axis-1 concat
/// of [T, D] tensors that is its only user, and its first column there.
struct ConcatSlice {
  ConcatOp concat;
  int64_t column;
  int64_t rowStride; ///< the concat's row length, in elements
};

std::optional<ConcatSlice> concatSlice(Operation *op) {
  if (!writesStridedRows(op) || !isPlanned(op) ||
      !op->getResult(0).hasOneUse())
    return std::nullopt;
  auto concat = dyn_cast<ConcatOp>(*op->getResult(0).getUsers().begin());
  if (!concat || concat->getBlock() != op->getBlock() || !isPlanned(concat))
    return std::nullopt;
  auto type = cast<RankedTensorType>(concat.getType());
  if (type.getRank() != 2 || concat.getAxis() != 1)
    return std::nullopt;
  int64_t column = 0;
  for (Value in : concat.getInputs()) {
    if (in == op->getResult(0))
      return ConcatSlice{concat, column, type.getDimSize(1)};
    column += cast<RankedTensorType>(in.getType()).getDimSize(1);
  }
  return std::nullopt;
}

int64_t elementBytes(Value v) {
  return int64_t(llvm::divideCeil(
      cast<ShapedType>(v.getType()).getElementTypeBitWidth(), 8));
}

/// Something that occupies [offset, offset + bytes) during `live`.
struct Buffer {
  int64_t bytes;
  LiveRange live;
  int64_t offset = -1;
  /// Where the result goes (the op) and whether it is the op's scratch.
  Operation *op;
  bool scratch = false;
};

/// Greedy by size with best fit: biggest first, each into the smallest
/// hole left by already placed buffers whose lifetimes meet its own.
int64_t assignOffsets(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) {
    if (a->bytes != b->bytes)
      return a->bytes > b->bytes;
    return a->live.start < b->live.start;
  });

  SmallVector<Buffer *> placed;
  int64_t workspace = 0;
  for (Buffer *b : order) {
    SmallVector<Buffer *> conflicts;
    for (Buffer *p : placed)
      if (p->bytes && p->live.overlaps(b->live))
        conflicts.push_back(p);
    llvm::sort(conflicts, [](const Buffer *x, const Buffer *y) {
      return x->offset < y->offset;
    });
    int64_t best = -1, bestGap = INT64_MAX, top = 0;
    for (Buffer *c : conflicts) {
      int64_t gap = c->offset - top;
      if (gap >= b->bytes && gap < bestGap) {
        best = top;
        bestGap = gap;
      }
      top = std::max(top, c->offset + c->bytes);
    }
    b->offset = best >= 0 ? best : top;
    workspace = std::max(workspace, b->offset + b->bytes);
    placed.push_back(b);
  }
  return workspace;
}

/// Re-derives liveness from the IR and checks the attributes on it: every
/// planned value has an aligned offset inside the workspace, and two
/// buffers live at the same time are disjoint unless one is an in-place
/// op's result written over its dying operand at the same offset.
LogicalResult checkPlan(func::FuncOp func) {
  auto workspaceAttr = func->getAttrOfType<IntegerAttr>(kWorkspaceAttr);
  if (!workspaceAttr)
    return func.emitError() << "has no " << kWorkspaceAttr << " attribute";
  int64_t workspace = workspaceAttr.getInt();
  Block &block = func.getBody().front();
  Program program(&block);

  SmallVector<Buffer> buffers;
  SmallVector<Operation *> slices; // ops with student.row_stride
  auto checkPlace = [&](Operation *op, StringRef name,
                        int64_t bytes) -> FailureOr<int64_t> {
    auto attr = op->getAttrOfType<IntegerAttr>(name);
    if (!attr)
      return op->emitError() << "has no " << name << " attribute";
    int64_t offset = attr.getInt();
    if (offset < 0 || offset % kAlignment)
      return op->emitError() << name << " " << offset
                             << " is not a multiple of " << kAlignment;
    if (offset + bytes > workspace)
      return op->emitError()
             << "buffer [" << offset << ", " << offset + bytes
             << ") is outside the workspace of " << workspace << " bytes";
    return offset;
  };
  for (Operation &op : block) {
    if (op.hasAttr(kRowStrideAttr)) {
      // A column slice of its concat: checked against the concat's buffer
      // below, no buffer of its own.
      if (!concatSlice(&op))
        return op.emitError()
               << "has " << kRowStrideAttr
               << " but its result is not the input of exactly one planned "
                  "concat along axis 1 of [T, D] tensors, or its op cannot "
                  "write strided rows";
      slices.push_back(&op);
    } else if (isPlanned(&op)) {
      Value v = op.getResult(0);
      int64_t bytes = alignUp(byteSize(cast<ShapedType>(v.getType())));
      FailureOr<int64_t> offset = checkPlace(&op, kOffsetAttr, bytes);
      if (failed(offset))
        return failure();
      LiveRange live = program.liveRange(v);
      // A concat's buffer holds its slices from the first one's definition.
      if (isa<ConcatOp>(op))
        for (Value in : op.getOperands())
          if (Operation *def = in.getDefiningOp())
            if (def->hasAttr(kRowStrideAttr))
              live.start = std::min(live.start, program.position.lookup(def));
      buffers.push_back({bytes, live, *offset, &op});
    }
    if (int64_t bytes = alignUp(scratchBytes(&op))) {
      FailureOr<int64_t> offset = checkPlace(&op, kScratchAttr, bytes);
      if (failed(offset))
        return failure();
      int64_t at = program.position.lookup(&op);
      buffers.push_back({bytes, {at, at}, *offset, &op, /*scratch=*/true});
    }
  }

  for (Operation *op : slices) {
    ConcatSlice slice = *concatSlice(op);
    auto offset = op->getAttrOfType<IntegerAttr>(kOffsetAttr);
    auto base = slice.concat->getAttrOfType<IntegerAttr>(kOffsetAttr);
    auto stride = op->getAttrOfType<IntegerAttr>(kRowStrideAttr);
    int64_t want =
        base.getInt() + slice.column * elementBytes(op->getResult(0));
    if (!offset || offset.getInt() != want)
      return op->emitError()
             << "a column slice of its concat needs " << kOffsetAttr << " "
             << want << " (the concat's offset + column " << slice.column
             << ")";
    if (stride.getInt() != slice.rowStride)
      return op->emitError()
             << kRowStrideAttr << " " << stride.getInt()
             << " differs from the concat's row length " << slice.rowStride;
  }

  auto inPlacePair = [](const Buffer &a, const Buffer &b) {
    if (a.scratch || b.scratch || a.offset != b.offset ||
        !mayRunInPlace(b.op) || b.op->getOperand(0) != a.op->getResult(0))
      return false;
    // The operand must die at the in-place op.
    return a.live.end == b.live.start;
  };
  for (size_t i = 0; i < buffers.size(); ++i)
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      const Buffer &a = buffers[i], &b = buffers[j];
      if (!a.bytes || !b.bytes || !a.live.overlaps(b.live) ||
          a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset ||
          inPlacePair(a, b) || inPlacePair(b, a))
        continue;
      InFlightDiagnostic diag =
          b.op->emitError()
          << (b.scratch ? "scratch" : "result") << " buffer [" << b.offset
          << ", " << b.offset + b.bytes << ") overlaps the "
          << (a.scratch ? "scratch" : "result") << " buffer [" << a.offset
          << ", " << a.offset + a.bytes << ") of a value live at the same time";
      diag.attachNote(a.op->getLoc()) << "that value is defined here";
      return failure();
    }
  return success();
}

struct PlanMemoryPass
    : kdc::student::impl::PlanMemoryPassBase<PlanMemoryPass> {
  using PlanMemoryPassBase::PlanMemoryPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitError("student-plan-memory expects a single-block function");
      return signalPassFailure();
    }
    if (!checkOnly)
      plan(func);
    if (failed(checkPlan(func)))
      signalPassFailure();
  }

  void plan(func::FuncOp func) {
    Block &block = func.getBody().front();
    Program program(&block);

    // One buffer per group of values that share memory: a value, and the
    // results of the in-place ops applied to it after it dies.
    SmallVector<Buffer> buffers;
    DenseMap<Operation *, size_t> resultBuffer, scratchBuffer;
    SmallVector<std::pair<Operation *, ConcatSlice>> slices;
    for (Operation &op : block) {
      op.removeAttr(kOffsetAttr);
      op.removeAttr(kScratchAttr);
      op.removeAttr(kRowStrideAttr);
      if (auto slice = concatSlice(&op)) {
        slices.push_back({&op, *slice});
      } else if (isPlanned(&op)) {
        Value v = op.getResult(0);
        LiveRange live = program.liveRange(v);
        if (isa<ConcatOp>(op))
          for (Value in : op.getOperands())
            if (Operation *def = in.getDefiningOp())
              if (concatSlice(def))
                live.start =
                    std::min(live.start, program.position.lookup(def));
        Operation *src = mayRunInPlace(&op)
                             ? op.getOperand(0).getDefiningOp()
                             : nullptr;
        auto it = src ? resultBuffer.find(src) : resultBuffer.end();
        if (it != resultBuffer.end() &&
            program.liveRange(op.getOperand(0)).end ==
                program.position.lookup(&op)) {
          // The operand dies here, and so does its group (it is the
          // group's latest value): write over it.
          buffers[it->second].live.end = live.end;
          resultBuffer[&op] = it->second;
        } else {
          resultBuffer[&op] = buffers.size();
          buffers.push_back(
              {alignUp(byteSize(cast<ShapedType>(v.getType()))), live, -1,
               &op});
        }
      }
      if (int64_t bytes = scratchBytes(&op)) {
        int64_t at = program.position.lookup(&op);
        scratchBuffer[&op] = buffers.size();
        buffers.push_back({alignUp(bytes), {at, at}, -1, &op, true});
      }
    }

    int64_t workspace = assignOffsets(buffers);
    Builder b(func.getContext());
    for (auto [op, i] : resultBuffer)
      op->setAttr(kOffsetAttr, b.getI64IntegerAttr(buffers[i].offset));
    for (auto [op, i] : scratchBuffer)
      op->setAttr(kScratchAttr, b.getI64IntegerAttr(buffers[i].offset));
    for (auto &[op, slice] : slices) {
      int64_t base =
          buffers[resultBuffer.lookup(slice.concat.getOperation())].offset;
      op->setAttr(kOffsetAttr,
                  b.getI64IntegerAttr(base + slice.column *
                                                 elementBytes(op->getResult(0))));
      op->setAttr(kRowStrideAttr, b.getI64IntegerAttr(slice.rowStride));
    }
    func->setAttr(kWorkspaceAttr, b.getI64IntegerAttr(workspace));
  }
};

} // namespace
