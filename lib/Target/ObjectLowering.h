//===- ObjectLowering.h - KernelProgram -> LLVM dialect ---------*- C++ -*-===//
//
// Private to lib/Target: the half of --emit obj that builds the LLVM-dialect
// module (ObjectLowering.cpp); ObjectEmitter.cpp picks the target, translates
// and runs LLVM's code generator.
//
//===----------------------------------------------------------------------===//

#ifndef KDC_LIB_TARGET_OBJECTLOWERING_H
#define KDC_LIB_TARGET_OBJECTLOWERING_H

#include "kdc/Conversion/KernelProgram.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kdc::target::lowering {

/// Where NAME_predict keeps the encoder's scratch and the ids in the
/// workspace: the same layout as the C++ path (CppEmitter.cpp's
/// Printer::layout), checked against its NAME_WORKSPACE_BYTES. `text` only
/// for a token-id model (a features model never has a BPE front end).
struct TextLayout {
  bool text = false;
  size_t maxTextBytes = 0;
  size_t scratchBytes = 0;   ///< kdc_bpe_scratch_size(maxTextBytes), at 0
  size_t textIdsOffset = 0;  ///< MAX_TOKENS int32 ids
  size_t workspaceBytes = 0; ///< NAME_WORKSPACE_BYTES
};

TextLayout computeTextLayout(const conversion::KernelProgram &prog, bool text,
                             size_t maxTextBytes);

struct LoweringOptions {
  std::string name;
  std::string triple;
  std::string dataLayout;
  unsigned pointerBits = 64;
  /// Asynchronous unwind tables (Linux targets: backtraces, profilers).
  bool unwindTables = true;
};

/// Builds the LLVM-dialect module of `prog`: the entry points NAME.h
/// declares for its input (NAME_predict_ids, and NAME_predict when
/// `layout.text`; or NAME_predict_features, and NAME_predict with the
/// projection featurizer), the internal NAME_run, NAME_labels and the
/// weight, BPE and parameter globals. Moves `prog.weights` into the module's
/// resource blob. Null after a diagnostic at `loc` (a step whose kind is not
/// a KernelStep::Kind this emitter knows).
mlir::OwningOpRef<mlir::ModuleOp>
lowerToLLVMDialect(mlir::MLIRContext *context, mlir::Location loc,
                   conversion::KernelProgram &prog,
                   const std::vector<uint8_t> &bpeModel,
                   const TextLayout &layout, const LoweringOptions &options);

} // namespace kdc::target::lowering

#endif // KDC_LIB_TARGET_OBJECTLOWERING_H
