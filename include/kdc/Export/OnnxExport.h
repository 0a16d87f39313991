//===- OnnxExport.h - trained students as ONNX files ------------*- C++ -*-===//
//
// Writes a trained student folder (lib/Train's config.json, tokenizer.model,
// model.pt) as the ONNX graph of docs/onnx.md, so that ONNX Runtime, Netron
// and kdc's own importer all read the same file. No LibTorch or protobuf
// types here: the driver includes this header without either.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_EXPORT_ONNXEXPORT_H
#define KDC_EXPORT_ONNXEXPORT_H

#include <iosfwd>
#include <string>

// "export" is a C++ keyword, hence the namespace's name.
namespace kdc::exporter {

/// The ONNX form's fixed choices (docs/onnx.md).
inline constexpr int kOnnxOpset = 13;
inline constexpr int kOnnxIrVersion = 7; // the IR version of opset 13

/// Exports the student in `modelDir` to `out` (written to `out`.tmp, checked
/// with the ONNX checker and strict shape inference, then renamed) and
/// writes one summary line to `log`. Throws kdc::Error if the folder is
/// missing or incomplete, holds a model kind that cannot be exported yet
/// (only "cnn" can), or `out` cannot be written.
void exportOnnx(const std::string &modelDir, const std::string &out,
                std::ostream &log);

/// Reads an ONNX file and runs the ONNX checker and strict shape inference
/// on it, as `onnx.checker.check_model(m, full_check=True)` does. Throws
/// kdc::Error naming the file and the checker's message.
void checkOnnxFile(const std::string &path);

} // namespace kdc::exporter

#endif // KDC_EXPORT_ONNXEXPORT_H
