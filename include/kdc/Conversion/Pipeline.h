//===- Pipeline.h - kdc compile's pass pipeline -----------------*- C++ -*-===//
//
// The passes `kdc compile` runs between the ONNX importer and the emitters,
// in stages a user can stop after (`kdc compile --emit mlir --stage S`):
//
//   imported  the importer's student module, unchanged
//   fused     + student-fuse-conv: parallel conv1d -> activation ->
//             max_pool_time branches become one student.conv_bank
//   planned   + student-plan-memory: student.offset / student.scratch_offset
//             on the ops, student.workspace_bytes on the function
//
// --emit c++ always lowers the `planned` module (kdc/Conversion/
// KernelProgram.h reads the plan's attributes).
//
//===----------------------------------------------------------------------===//

#ifndef KDC_CONVERSION_PIPELINE_H
#define KDC_CONVERSION_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace kdc::conversion {

enum class CompileStage { Imported, Fused, Planned };

/// "imported", "fused" or "planned"; nullopt for anything else.
std::optional<CompileStage> parseCompileStage(llvm::StringRef name);

/// Runs the passes up to and including `stage` on `module` (in place).
/// Failures are reported as diagnostics on the module's ops.
mlir::LogicalResult runCompilePipeline(mlir::ModuleOp module,
                                       CompileStage stage);

} // namespace kdc::conversion

#endif // KDC_CONVERSION_PIPELINE_H
