//===- Lowering.h - the student -> KernelProgram lowering ------*- C++ -*-===//
//
// Internal to lib/Conversion: the one-pass lowering of a model function,
// shared by KernelProgram.cpp (function signature, memory, weights, the CNN
// student's ops) and SequenceLowering.cpp (the row-wise sequence ops of the
// pQRNN student and the analysis of which rows they need).
//
//===----------------------------------------------------------------------===//

#ifndef KDC_LIB_CONVERSION_LOWERING_H
#define KDC_LIB_CONVERSION_LOWERING_H

#include "kdc/Conversion/KernelProgram.h"

#include "kdc/Dialect/Student/StudentDialect.h"
#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace kdc::conversion::detail {

inline size_t alignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

class Lowering {
public:
  Lowering(mlir::func::FuncOp func, KernelIsa isa, KernelProgram &prog)
      : func(func), targetIsa(isa), prog(prog) {}

  mlir::LogicalResult run();

private:
  // Workspace and blob allocation.
  size_t allocate(size_t bytes) {
    size_t offset = alignUp(workspaceTop, kBufferAlignment);
    workspaceTop = offset + bytes;
    return offset;
  }
  size_t addWeights(const void *data, size_t bytes);
  static size_t bytesOf(mlir::Value v) {
    auto type = mlir::cast<mlir::RankedTensorType>(v.getType());
    return size_t(type.getNumElements()) * 4;
  }
  /// The workspace offset of `v`: the plan's, else allocated on first use.
  size_t bufferOf(mlir::Value v);
  /// The workspace offset of `op`'s kernel scratch of `bytes` (a zero row of
  /// Cin floats that the kernel zeroes on every call): student-plan-memory's
  /// student.scratch_offset, else allocated here.
  size_t scratchOf(mlir::Operation *op, size_t bytes);
  /// The row stride of a [T, D] value in floats: D, or the row length of
  /// the concat whose column slice it is.
  size_t strideOf(mlir::Value v);

  mlir::FailureOr<std::vector<float>> weightValues(mlir::Operation *user,
                                                   mlir::Value v);
  mlir::FailureOr<CountExpr> countOf(mlir::Value count);
  mlir::LogicalResult readSignature();
  mlir::LogicalResult planConcats();
  mlir::LogicalResult lowerEmbedding(kdc::student::EmbeddingOp op);
  mlir::LogicalResult lowerConv(kdc::student::Conv1dOp op);
  mlir::LogicalResult lowerConvChain(kdc::student::Conv1dOp op);
  mlir::LogicalResult lowerConvBank(kdc::student::ConvBankOp op);
  mlir::LogicalResult lowerDense(kdc::student::DenseOp op);
  mlir::LogicalResult lowerActivation(mlir::Operation *op, int activation);
  mlir::LogicalResult lowerMaxPool(kdc::student::MaxPoolTimeOp op);
  mlir::LogicalResult lowerSoftmax(kdc::student::SoftmaxOp op);
  mlir::LogicalResult lowerConcat(kdc::student::ConcatOp op);
  mlir::FailureOr<ConvBranch> addBranch(mlir::Operation *op,
                                        mlir::Value weight, mlir::Value bias,
                                        size_t padBefore, size_t padAfter,
                                        size_t rows, KernelStep &step);

  // SequenceLowering.cpp: the rows each [T, D] value must have, and the
  // row-wise ops of the pQRNN student.
  mlir::LogicalResult computeRowDemand();
  /// The rows of `v` its users read (`all` if not known).
  CountExpr rowsNeeded(mlir::Value v) const;
  /// Whether `op` is the head of a conv1d -> [act] -> max_pool_time chain.
  static bool isPoolChain(kdc::student::Conv1dOp op);
  mlir::LogicalResult lowerConvRows(kdc::student::Conv1dOp op);
  mlir::LogicalResult lowerMaskRows(kdc::student::MaskRowsOp op);
  mlir::LogicalResult lowerQrnn(kdc::student::QrnnOp op);
  mlir::LogicalResult lowerAttentionPool(kdc::student::AttentionPoolOp op);
  mlir::LogicalResult lowerConcatColumns(kdc::student::ConcatOp op);

  KernelStep newStep(KernelStep::Kind kind, mlir::Operation *op);

  mlir::func::FuncOp func;
  KernelIsa targetIsa;
  KernelProgram &prog;
  size_t workspaceTop = 0;
  bool planned = false; ///< student-plan-memory's attributes are present
  llvm::DenseMap<mlir::Value, size_t> offsets;
  llvm::DenseMap<mlir::Value, size_t> strides; // where not the row length
  llvm::DenseMap<mlir::Value, CountExpr> rowDemand;
  llvm::DenseSet<mlir::Operation *> consumed; // lowered as part of another op
  mlir::Value input, length;
};

/// The row count of a typical utterance, for the tile choice of steps that
/// compute only the utterance's rows (min(T, this)).
constexpr size_t kTypicalRows = 12;

} // namespace kdc::conversion::detail

#endif // KDC_LIB_CONVERSION_LOWERING_H
