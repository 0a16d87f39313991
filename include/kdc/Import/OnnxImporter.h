//===- OnnxImporter.h - ONNX to student dialect -----------------*- C++ -*-===//
//
// Imports an ONNX model (kdc's own export, docs/onnx.md, or what
// torch.onnx.export writes for the same architectures, opsets 13-17) into a
// module holding one `func.func` of the student dialect:
//
//   func.func @NAME(%ids: tensor<Txi64>, %length: index) -> tensor<Cxf32>
//
// or, for a student that reads projection features (kdc's pQRNN, whose
// featurizer hashes outside the graph), `%features: tensor<TxPxf32>` for
// `%ids`. `%length` exists only when the graph has a second runtime input
// (kdc's `length`); PyTorch-exported graphs usually have `ids` alone. The batch
// dimension of ONNX tensors (always 1) disappears, and sequences become
// time-major `[T, D]`. kdc.* metadata becomes `student.*` module attributes
// (kdc.projection, a JSON object, a dictionary attribute).
//
// Errors are reported as MLIR diagnostics on the context (this library is
// built without exceptions); on failure the importers return null.
//
//===----------------------------------------------------------------------===//

#ifndef KDC_IMPORT_ONNXIMPORTER_H
#define KDC_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace kdc::import {

struct OnnxImportOptions {
  /// Symbol name of the model function; a C identifier, because code
  /// generation derives `NAME_predict` and friends from it.
  std::string functionName = "main";
  /// Static sequence length T for a dynamic one. 0: use the static length of
  /// the file, else its `kdc.max_tokens` metadata. A static length in the
  /// file that differs is an error.
  int64_t maxTokens = 0;
  /// Weights of at least this many bytes become `dense_resource` blobs
  /// instead of inline `dense<...>` text.
  int64_t resourceThresholdBytes = 1024;
  /// Shown in locations (the ONNX file name).
  std::string sourceName = "<onnx>";
};

/// Registers the dialects imported modules use (student, func, arith).
void registerOnnxImportDialects(mlir::DialectRegistry &registry);

/// Imports a serialized ModelProto. Loads the dialects it needs into
/// `context`.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModel(llvm::StringRef bytes, mlir::MLIRContext &context,
                const OnnxImportOptions &options);

/// Reads `path` and imports it; `options.sourceName` defaults to `path`.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(llvm::StringRef path,
                                                 mlir::MLIRContext &context,
                                                 OnnxImportOptions options);

/// The default model name for `path`: its stem with every character that is
/// not a letter, digit or '_' replaced by '_' (and a leading '_' if it would
/// start with a digit), so it is a C identifier.
std::string defaultModelName(llvm::StringRef path);

/// Whether `name` is a C identifier usable as a model name.
bool isValidModelName(llvm::StringRef name);

} // namespace kdc::import

#endif // KDC_IMPORT_ONNXIMPORTER_H
