//===- CompileCommands.cpp - kdc compile ----------------------------------===//
//
// Argument parsing for `kdc compile`; kdc/Import does the work. The import
// library is built without exceptions and reports through MLIR diagnostics;
// this file turns them into a kdc::Error, which main() prints as
// "kdc: error: ..." with exit code 1.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "kdc/Import/OnnxImporter.h"
#include "kdc/Support/Error.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

using namespace kdc;

namespace {

struct CompileOptions {
  std::string model;
  std::string emit;
  std::string name;
  std::string outDir;
  int64_t maxTokens = 0;
};

void runCompile(const CompileOptions &o) {
  if (o.emit != "mlir")
    throw Error("--emit " + o.emit +
                " is not implemented yet; use --emit mlir");
  import::OnnxImportOptions options;
  options.functionName =
      o.name.empty() ? import::defaultModelName(o.model) : o.name;
  options.maxTokens = o.maxTokens;

  mlir::DialectRegistry registry;
  import::registerOnnxImportDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  std::string errors;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    // main() prints the first line's "kdc: error: ".
    bool isError = d.getSeverity() == mlir::DiagnosticSeverity::Error;
    if (!errors.empty())
      errors += isError ? "\nkdc: error: " : "\nkdc: note: ";
    errors += o.model + ": " + d.str();
    for (const mlir::Diagnostic &note : d.getNotes())
      errors += "\nkdc: note: " + note.str();
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      import::importOnnxFile(o.model, context, options);
  if (!module)
    throw Error(errors.empty() ? o.model + ": import failed" : errors);

  if (o.outDir.empty()) {
    module->print(llvm::outs());
    llvm::outs().flush();
    return;
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(o.outDir))
    throw Error(o.outDir +
                ": cannot create the output folder: " + ec.message());
  llvm::SmallString<256> path(o.outDir);
  llvm::sys::path::append(path, options.functionName + ".mlir");
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    throw Error(std::string(path) + ": cannot write: " + ec.message());
  module->print(out);
  std::cerr << "wrote " << std::string(path) << "\n";
}

} // namespace

void kdc::driver::addCompileCommands(CLI::App &app,
                                     std::vector<Action> &actions) {
  auto o = std::make_shared<CompileOptions>();
  CLI::App *cmd = app.add_subcommand(
      "compile", "Compile an ONNX student (kdc's export or torch.onnx.export, "
                 "opsets 13-17)");
  cmd->add_option("model", o->model, "The ONNX model (FILE.onnx)")->required();
  cmd->add_option("--emit", o->emit,
                  "What to produce: mlir (the student-dialect module; c++ "
                  "and obj are not implemented yet)")
      ->required()
      ->check(CLI::IsMember({"mlir", "c++", "obj"}));
  cmd->add_option("--name", o->name,
                  "Model name: the function's symbol and the prefix of the "
                  "generated C API (default: the file's stem, made a C "
                  "identifier)");
  cmd->add_option("--max-tokens", o->maxTokens,
                  "Static token count T for a model exported with a dynamic "
                  "sequence length (default: the model's kdc.max_tokens)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-o,--out", o->outDir,
                  "Output folder (writes NAME.mlir); standard output if "
                  "omitted");
  cmd->callback([&actions, o] { actions.push_back([o] { runCompile(*o); }); });
}
