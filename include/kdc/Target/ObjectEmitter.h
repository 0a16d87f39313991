//===- ObjectEmitter.h - student module -> ELF object -----------*- C++ -*-===//
//
// `kdc compile --emit obj`: writes NAME.h (the header --emit c++ writes) and
// NAME.o, an ELF object for the --target's triple. The KernelProgram that
// kdc/Target/CppEmitter.h prints as C++ is built here as an MLIR module in
// the LLVM dialect instead (the same kdcrt kernel calls with the same
// constant arguments, the same argument checks and error codes), translated
// to LLVM IR and compiled by LLVM's TargetMachine. No C compiler is needed
// on the build machine, and a cross target needs only its linker.
//
// The weights and the BPE model become constant globals built from the raw
// bytes (a dense_resource attribute, translated to one ConstantDataArray), so
// a 38 MB embedding table costs no more than a copy.
//
//===----------------------------------------------------------------------===//

#ifndef KDC_TARGET_OBJECTEMITTER_H
#define KDC_TARGET_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdc::target {

/// What LLVM is asked to generate for a --target name (docs/design.md has the
/// table).
struct ObjectTarget {
  std::string triple;
  std::string cpu;
  std::string features;
  /// Position-independent code (Linux targets); static for bare metal.
  bool pic = true;
  /// AAPCS-VFP: floats in VFP registers (-mfloat-abi=hard).
  bool hardFloat = false;
};

/// The object target of a --target name: x86-64-avx2, aarch64-neon,
/// cortex-m4 or generic (the host's triple, no extra features). nullopt for
/// anything else.
std::optional<ObjectTarget> getObjectTarget(llvm::StringRef target);

struct ObjectEmitOptions {
  /// NAME: file names and the prefix of every generated symbol.
  std::string name;
  /// The --target name (see getObjectTarget).
  std::string target = "generic";
  /// The runtime BPE blob (kdc::tokenizer::buildRuntimeModel); empty: no
  /// BPE text input. Token-id models only: a features model's NAME_predict,
  /// if any, runs its projection featurizer (as in the C++ path).
  std::vector<uint8_t> bpeModel;
  /// Longest text NAME_predict accepts (NAME_MAX_TEXT_BYTES).
  size_t maxTextBytes = 4096;
  /// The input file, for the header's comment.
  std::string source;
};

struct ObjectLibrary {
  std::string header;       ///< NAME.h, as --emit c++ writes it
  std::vector<char> object; ///< NAME.o
  std::string reportJson;   ///< --report (the C++ path's, plus the object)
  size_t workspaceBytes = 0;
};

/// `kdc compile --emit mlir --stage llvm`: the LLVM-dialect module that
/// emitObjectLibrary translates, in `module`'s context. Null after
/// diagnostics on the module's ops.
mlir::OwningOpRef<mlir::ModuleOp>
buildObjectModule(mlir::ModuleOp module, const ObjectEmitOptions &options);

/// Lowers `module` (the `planned` student module) and compiles it to an
/// object. Errors are diagnostics on the module's ops.
mlir::LogicalResult emitObjectLibrary(mlir::ModuleOp module,
                                      const ObjectEmitOptions &options,
                                      ObjectLibrary &out);

} // namespace kdc::target

#endif // KDC_TARGET_OBJECTEMITTER_H
