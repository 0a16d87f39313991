//===- CppEmitter.h - student module -> C-callable C++ library --*- C++ -*-===//
//
// `kdc compile --emit c++`: writes NAME.h, NAME.cpp, NAME.weights.bin and
// NAME.weights.S (the contract is in shared/ARCHITECTURE.md, "Generated
// library"). The weights never become a C array: NAME.weights.S `.incbin`s
// the blob into 64-byte aligned read-only data, so a model of any size
// compiles as fast as a tiny one.
//
// First cut: a direct C++ printer over the KernelProgram that
// kdc/Conversion/KernelProgram.h builds, not EmitC. The generated code is a
// straight line of kernel calls with constant arguments, which a printer
// writes in a few hundred lines; moving to emitc.func / emitc.call_opaque +
// mlir::emitc::translateToCpp is a later step once the lowering settles.
//
//===----------------------------------------------------------------------===//

#ifndef KDC_TARGET_CPPEMITTER_H
#define KDC_TARGET_CPPEMITTER_H

#include "kdc/Conversion/KernelProgram.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdc::target {

/// The kernel variants a --target name calls: x86-64-avx2 -> avx2_fma,
/// aarch64-neon -> neon, cortex-m4 and generic -> scalar.
std::optional<conversion::KernelIsa> parseTarget(llvm::StringRef target);

struct CppEmitOptions {
  /// NAME: file names and the prefix of every generated symbol.
  std::string name;
  /// The --target name, for comments and the report.
  std::string target = "generic";
  conversion::KernelIsa isa = conversion::KernelIsa::Scalar;
  /// The runtime BPE blob (kdc::tokenizer::buildRuntimeModel); empty: no
  /// text input, NAME_predict is not generated.
  std::vector<uint8_t> bpeModel;
  /// Longest text NAME_predict accepts (NAME_MAX_TEXT_BYTES); the encoder's
  /// scratch for it is part of NAME_WORKSPACE_BYTES.
  size_t maxTextBytes = 4096;
  /// Where NAME.weights.S finds the blob by default (overridable with
  /// -DNAME_WEIGHTS_FILE=...): the absolute path of NAME.weights.bin.
  std::string weightsPath;
  /// The input file, for the generated comments.
  std::string source;
};

struct CppLibrary {
  std::string header;        ///< NAME.h
  std::string source;        ///< NAME.cpp
  std::string assembly;      ///< NAME.weights.S
  std::vector<uint8_t> weights; ///< NAME.weights.bin
  std::string reportJson;    ///< --report
  size_t workspaceBytes = 0;
};

/// Lowers and prints `module`. Errors are diagnostics on the module's ops.
mlir::LogicalResult emitCppLibrary(mlir::ModuleOp module,
                                   const CppEmitOptions &options,
                                   CppLibrary &out);

/// Prints a kernel program already built for `options.isa` (the object path
/// reuses the one it lowers, instead of building it again).
void emitCppLibrary(const conversion::KernelProgram &prog,
                    const CppEmitOptions &options, CppLibrary &out);

} // namespace kdc::target

#endif // KDC_TARGET_CPPEMITTER_H
