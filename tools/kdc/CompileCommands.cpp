//===- CompileCommands.cpp - kdc compile ----------------------------------===//
//
// Argument parsing for `kdc compile`; kdc/Import, kdc/Conversion and
// kdc/Target do the work. Those libraries are built without exceptions and
// report through MLIR diagnostics;
// this file turns them into a kdc::Error, which main() prints as
// "kdc: error: ..." with exit code 1.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "NumberChecks.h"

#include "kdc/Conversion/Pipeline.h"
#include "kdc/Import/OnnxImporter.h"
#include "kdc/Support/Error.h"
#include "kdc/Support/HostTarget.h"
#include "kdc/Target/CppEmitter.h"
#include "kdc/Target/ObjectEmitter.h"
#include "kdc/Tokenizer/RuntimeModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>

using namespace kdc;
using namespace kdc::driver;

namespace {

struct CompileOptions {
  std::string model;
  std::string emit;
  std::string name;
  std::string outDir;
  int64_t maxTokens = 0;
  std::string target = "generic";
  std::string report;
  std::string stage = "imported";
  /// Longest text NAME_predict accepts; its BPE scratch is most of the
  /// workspace of a text-in model, so small devices want it small.
  size_t maxTextBytes = 4096;
};

void writeFile(const std::string &path, const void *data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char *>(data), std::streamsize(size));
  out.close();
  if (!out)
    throw Error(path + ": cannot write");
}

/// The runtime BPE blob of the model's tokenizer; empty without one.
std::vector<uint8_t> bpeModelOf(const CompileOptions &o,
                                mlir::ModuleOp module) {
  if (auto spm = conversion::getTokenizerBytes(module)) {
    // The tokenizer library throws kdc::Error; it names the model.
    return tokenizer::buildRuntimeModel(
        std::string_view(spm->data(), spm->size()),
        o.model + " (kdc.tokenizer)");
  }
  return {};
}

/// OUTDIR made absolute (created), and OUTDIR/NAME+suffix.
struct OutDir {
  llvm::SmallString<256> dir;
  std::string name;
  OutDir(const CompileOptions &o, const std::string &name) : name(name) {
    if (std::error_code ec = llvm::sys::fs::create_directories(o.outDir))
      throw Error(o.outDir +
                  ": cannot create the output folder: " + ec.message());
    dir = o.outDir;
    llvm::sys::fs::make_absolute(dir);
  }
  std::string operator()(llvm::StringRef suffix) const {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name + suffix.str());
    return std::string(p);
  }
};

/// --emit c++: NAME.h, NAME.cpp, NAME.weights.bin and NAME.weights.S in
/// OUTDIR (kdc/Target/CppEmitter.h). `errors` collects the diagnostics.
void writeCppLibrary(const CompileOptions &o, const std::string &name,
                     mlir::ModuleOp module, const std::string &errors) {
  if (o.outDir.empty())
    throw Error("--emit c++ writes several files: give the folder with -o");
  target::CppEmitOptions options;
  options.name = name;
  options.target = o.target;
  options.isa = *target::parseTarget(o.target);
  options.source = llvm::sys::path::filename(o.model).str();
  options.maxTextBytes = o.maxTextBytes;
  options.bpeModel = bpeModelOf(o, module);
  OutDir pathOf(o, name);
  options.weightsPath = pathOf(".weights.bin");
  target::CppLibrary lib;
  if (mlir::failed(target::emitCppLibrary(module, options, lib)))
    throw Error(errors.empty() ? o.model + ": C++ emission failed" : errors);
  writeFile(pathOf(".h"), lib.header.data(), lib.header.size());
  writeFile(pathOf(".cpp"), lib.source.data(), lib.source.size());
  writeFile(pathOf(".weights.S"), lib.assembly.data(), lib.assembly.size());
  writeFile(options.weightsPath, lib.weights.data(), lib.weights.size());
  if (!o.report.empty())
    writeFile(o.report, lib.reportJson.data(), lib.reportJson.size());
  std::cerr << "wrote " << pathOf(".h") << ", " << name << ".cpp, " << name
            << ".weights.S, " << name << ".weights.bin (workspace "
            << lib.workspaceBytes << " bytes)\n";
}

target::ObjectEmitOptions objectOptions(const CompileOptions &o,
                                        const std::string &name,
                                        mlir::ModuleOp module) {
  target::ObjectEmitOptions options;
  options.name = name;
  options.target = o.target;
  options.source = llvm::sys::path::filename(o.model).str();
  options.maxTextBytes = o.maxTextBytes;
  options.bpeModel = bpeModelOf(o, module);
  return options;
}

/// --emit obj: NAME.h and NAME.o in OUTDIR (kdc/Target/ObjectEmitter.h).
void writeObjectLibrary(const CompileOptions &o, const std::string &name,
                        mlir::ModuleOp module, const std::string &errors) {
  if (o.outDir.empty())
    throw Error("--emit obj writes NAME.h and NAME.o: give the folder with -o");
  target::ObjectEmitOptions options = objectOptions(o, name, module);
  OutDir pathOf(o, name);
  target::ObjectLibrary lib;
  if (mlir::failed(target::emitObjectLibrary(module, options, lib)))
    throw Error(errors.empty() ? o.model + ": object emission failed" : errors);
  writeFile(pathOf(".h"), lib.header.data(), lib.header.size());
  writeFile(pathOf(".o"), lib.object.data(), lib.object.size());
  if (!o.report.empty())
    writeFile(o.report, lib.reportJson.data(), lib.reportJson.size());
  std::cerr << "wrote " << pathOf(".h") << ", " << name << ".o ("
            << lib.object.size() << " bytes; workspace " << lib.workspaceBytes
            << " bytes)\n";
}

/// FILE.mlir instead of ONNX: a module of the student dialect as `kdc
/// compile --emit mlir` and kdc-opt print it (tests, hand-written models).
/// NAME is --name or the file's stem; T is in the module's types.
mlir::OwningOpRef<mlir::ModuleOp> readStudentMlir(const CompileOptions &o,
                                                  const std::string &name,
                                                  mlir::MLIRContext &context) {
  if (o.maxTokens)
    throw Error("--max-tokens applies to ONNX models; the types in " +
                o.model + " fix the token count");
  if (!import::isValidModelName(name))
    throw Error("model name '" + name +
                "' is not a C identifier (letters, digits and '_', not "
                "starting with a digit)");
  return mlir::parseSourceFile<mlir::ModuleOp>(o.model, &context);
}

void runCompile(const CompileOptions &o) {
  import::OnnxImportOptions options;
  options.functionName =
      o.name.empty() ? import::defaultModelName(o.model) : o.name;
  options.maxTokens = o.maxTokens;

  mlir::DialectRegistry registry;
  import::registerOnnxImportDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  // The diagnostics name the op and its place; a note with the op printed
  // in full would dump every weight of a module-level error.
  context.printOpOnDiagnostic(false);
  std::string errors;
  bool mlirInput = llvm::StringRef(o.model).ends_with(".mlir");
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    // main() prints the first line's "kdc: error: ".
    bool isError = d.getSeverity() == mlir::DiagnosticSeverity::Error;
    if (!errors.empty())
      errors += isError ? "\nkdc: error: " : "\nkdc: note: ";
    std::string where = o.model;
    if (auto file = mlir::dyn_cast<mlir::FileLineColLoc>(d.getLocation());
        mlirInput && file && file.getLine())
      where += ":" + std::to_string(file.getLine()) + ":" +
               std::to_string(file.getColumn());
    errors += where + ": " + d.str();
    for (const mlir::Diagnostic &note : d.getNotes())
      errors += "\nkdc: note: " + note.str();
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlirInput ? readStudentMlir(o, options.functionName, context)
                : import::importOnnxFile(o.model, context, options);
  if (!module)
    throw Error(errors.empty() ? o.model + (mlirInput ? ": cannot parse"
                                                      : ": import failed")
                               : errors);

  // --emit c++|obj lower the planned module; --emit mlir prints --stage
  // (llvm: the planned module lowered to the LLVM dialect, as --emit obj
  // translates it).
  bool llvmStage = o.emit == "mlir" && o.stage == "llvm";
  auto stage = o.emit != "mlir" || llvmStage
                   ? conversion::CompileStage::Planned
                   : *conversion::parseCompileStage(o.stage);
  if (mlir::failed(conversion::runCompilePipeline(*module, stage)))
    throw Error(errors.empty() ? o.model + ": the pass pipeline failed"
                               : errors);
  if (o.emit == "c++") {
    writeCppLibrary(o, options.functionName, *module, errors);
    return;
  }
  if (o.emit == "obj") {
    writeObjectLibrary(o, options.functionName, *module, errors);
    return;
  }
  mlir::OwningOpRef<mlir::ModuleOp> llvmModule;
  mlir::OpPrintingFlags flags;
  if (llvmStage) {
    llvmModule = target::buildObjectModule(
        *module, objectOptions(o, options.functionName, *module));
    if (!llvmModule)
      throw Error(errors.empty() ? o.model + ": lowering to LLVM failed"
                                 : errors);
    // The weights are one i8 blob: print its name, not its bytes.
    flags.elideLargeElementsAttrs().elideLargeResourceString();
  }
  mlir::ModuleOp printed = llvmModule ? *llvmModule : *module;
  if (o.outDir.empty()) {
    printed.print(llvm::outs(), flags);
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
  printed.print(out, flags);
  std::cerr << "wrote " << std::string(path) << "\n";
}

} // namespace

void kdc::driver::addCompileCommands(CLI::App &app,
                                     std::vector<Action> &actions) {
  auto o = std::make_shared<CompileOptions>();
  CLI::App *cmd = app.add_subcommand(
      "compile", "Compile an ONNX student (kdc's export or torch.onnx.export, "
                 "opsets 13-17)");
  cmd->add_option("model", o->model,
                  "The ONNX model (FILE.onnx), or a student-dialect module "
                  "(FILE.mlir, as --emit mlir prints it)")
      ->required();
  cmd->add_option("--emit", o->emit,
                  "What to produce: c++ (NAME.h, NAME.cpp, NAME.weights.S "
                  "and NAME.weights.bin in -o OUTDIR), obj (NAME.h and the "
                  "ELF object NAME.o for --target, compiled by LLVM, in -o "
                  "OUTDIR) or mlir (the module after --stage)")
      ->required()
      ->check(CLI::IsMember({"mlir", "c++", "obj"}));
  cmd->add_option("--name", o->name,
                  "Model name: the function's symbol and the prefix of the "
                  "generated C API (default: the file's stem, made a C "
                  "identifier)");
  cmd->add_option("--max-tokens", o->maxTokens,
                  "Static token count T for a model exported with a dynamic "
                  "sequence length (default: the model's kdc.max_tokens)")
      ->check(positive(o->maxTokens));
  cmd->add_option("--max-text-bytes", o->maxTextBytes,
                  "Longest UTF-8 text NAME_predict accepts (longer text "
                  "returns KDC_ERR_BUFFER_TOO_SMALL); the encoder's scratch, "
                  "about 100 bytes per text byte, is part of the workspace")
      ->capture_default_str()
      ->check(between(o->maxTextBytes, 16, 1 << 20));
  cmd->add_option("--target", o->target,
                  "Kernels the generated code calls: x86-64-avx2, "
                  "x86-64-avx512 (AVX-512F conv bank, dense and conv1d, AVX2 "
                  "for the rest), aarch64-neon, cortex-m4 or generic (portable "
                  "scalar). --emit obj also picks the object's triple: "
                  "x86_64-unknown-linux-gnu (+avx2,+fma; +avx512f), "
                  "aarch64-unknown-linux-gnu (+neon), thumbv7em-none-eabihf "
                  "(Cortex-M4, fpv4-sp-d16, hard float) or this host's. "
                  "host: the widest of them this machine runs (kdc targets)")
      ->capture_default_str()
      ->check(CLI::IsMember(
          {"x86-64-avx2", "x86-64-avx512", "aarch64-neon", "cortex-m4",
           "generic", "host"}));
  cmd->add_option("--stage", o->stage,
                  "With --emit mlir: print the module after this step of the "
                  "pipeline: imported (the importer's output), fused (+ "
                  "student-fuse-conv), planned (+ student-plan-memory, "
                  "what --emit c++ and obj lower) or llvm (the LLVM-dialect "
                  "module --emit obj compiles for --target; weights elided)")
      ->capture_default_str()
      ->check(CLI::IsMember({"imported", "fused", "planned", "llvm"}));
  cmd->add_option("--report", o->report,
                  "With --emit c++ or obj: write a JSON report "
                  "(multiply-adds, weight and workspace bytes, per-op table; "
                  "obj adds the triple and the object's size)");
  cmd->add_option("-o,--out", o->outDir,
                  "Output folder: the generated library (--emit c++|obj), "
                  "or NAME.mlir (--emit mlir; standard output if omitted)");
  cmd->callback([&actions, o] {
    actions.push_back([o] {
      if (o->target == "host") {
        o->target = widestHostTarget();
        std::cerr << "kdc: --target host is " << o->target
                  << " on this machine\n";
      }
      runCompile(*o);
    });
  });
}
