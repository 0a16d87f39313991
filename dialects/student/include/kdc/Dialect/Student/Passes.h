//===- Passes.h - student dialect passes ------------------------*- C++ -*-===//
#ifndef KDC_DIALECT_STUDENT_PASSES_H
#define KDC_DIALECT_STUDENT_PASSES_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/SmallVector.h"

namespace kdc::student {

#define GEN_PASS_DECL
#include "kdc/Dialect/Student/Passes.h.inc"

/// Packs one index per byte into `bits` bits per index, little-endian bit
/// order: the storage of a packed #student.codebook.
llvm::SmallVector<uint8_t> packIndices(llvm::ArrayRef<uint8_t> indices,
                                       unsigned bits);

/// The rewrites of student-fuse-conv (parallel conv1d -> activation ->
/// max_pool_time branches into student.conv_bank), for other pipelines.
void populateFuseConvPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "kdc/Dialect/Student/Passes.h.inc"

} // namespace kdc::student

#endif // KDC_DIALECT_STUDENT_PASSES_H
