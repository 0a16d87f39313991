//===- ObjectEmitter.cpp - student module -> ELF object -------------------===//
//
// The target table, the TargetMachine, and the driver of --emit obj:
// KernelProgram -> LLVM dialect (ObjectLowering.cpp) -> LLVM IR
// (mlir::translateModuleToLLVMIR) -> object (TargetMachine, -O2 code
// generation). NAME.h and the report are the C++ path's (emitCppLibrary), so
// the two paths cannot drift apart in their C API.
//
//===----------------------------------------------------------------------===//

#include "kdc/Target/ObjectEmitter.h"

#include "ObjectLowering.h"
#include "kdc/Target/CppEmitter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace kdc;
using namespace kdc::conversion;
using namespace kdc::target;

std::optional<ObjectTarget> kdc::target::getObjectTarget(llvm::StringRef t) {
  if (t == "x86-64-avx2")
    return ObjectTarget{"x86_64-unknown-linux-gnu", "x86-64-v3", "+avx2,+fma",
                        /*pic=*/true, /*hardFloat=*/false};
  if (t == "x86-64-avx512")
    return ObjectTarget{"x86_64-unknown-linux-gnu", "x86-64-v4",
                        "+avx512f,+avx2,+fma", /*pic=*/true, /*hardFloat=*/false};
  if (t == "aarch64-neon")
    return ObjectTarget{"aarch64-unknown-linux-gnu", "generic", "+neon",
                        /*pic=*/true, /*hardFloat=*/false};
  // arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16
  // -mfloat-abi=hard -ffunction-sections -fdata-sections.
  if (t == "cortex-m4")
    return ObjectTarget{"thumbv7em-none-eabihf", "cortex-m4", "+vfp4d16sp",
                        /*pic=*/false, /*hardFloat=*/true};
  if (t == "generic")
    return ObjectTarget{llvm::Triple::normalize(llvm::sys::getProcessTriple()),
                        "generic", "", /*pic=*/true, /*hardFloat=*/false};
  return std::nullopt;
}

/// The code generators kdc links (lib/Target/CMakeLists.txt), registered
/// once.
static void initializeTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64Target();
    LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64AsmPrinter();
    LLVMInitializeARMTargetInfo();
    LLVMInitializeARMTarget();
    LLVMInitializeARMTargetMC();
    LLVMInitializeARMAsmPrinter();
  });
}

namespace {

/// What both entry points need before lowering.
struct Prepared {
  ObjectTarget target;
  std::unique_ptr<llvm::TargetMachine> machine;
  KernelProgram program;
  lowering::TextLayout layout;
};

} // namespace

static FailureOr<Prepared> prepare(ModuleOp module,
                                   const ObjectEmitOptions &options) {
  Prepared p;
  std::optional<ObjectTarget> target = getObjectTarget(options.target);
  std::optional<KernelIsa> isa = parseTarget(options.target);
  if (!target || !isa)
    return emitError(module.getLoc())
           << "--emit obj: unknown --target '" << options.target
           << "'; expected x86-64-avx2, x86-64-avx512, aarch64-neon, cortex-m4 or generic";
  p.target = *target;

  initializeTargets();
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(p.target.triple, error);
  if (!llvmTarget)
    return emitError(module.getLoc())
           << "--emit obj --target " << options.target
           << ": kdc has no code generator for " << p.target.triple << " ("
           << error << ")";
  llvm::TargetOptions to;
  to.FunctionSections = true;
  to.DataSections = true;
  to.FloatABIType =
      p.target.hardFloat ? llvm::FloatABI::Hard : llvm::FloatABI::Default;
  p.machine.reset(llvmTarget->createTargetMachine(
      p.target.triple, p.target.cpu, p.target.features, to,
      p.target.pic ? llvm::Reloc::PIC_ : llvm::Reloc::Static, std::nullopt,
      llvm::CodeGenOptLevel::Default));
  if (!p.machine)
    return emitError(module.getLoc())
           << "--emit obj: LLVM cannot create a target machine for "
           << p.target.triple << " (cpu " << p.target.cpu << ")";

  if (failed(buildKernelProgram(module, *isa, p.program))) {
    // Its diagnostics speak of C++ emission: say why they apply here.
    emitRemark(module.getLoc())
        << "--emit obj compiles the kernel calls that --emit c++ prints";
    return failure();
  }
  p.layout = lowering::computeTextLayout(p.program, !options.bpeModel.empty(),
                                         options.maxTextBytes);
  return p;
}

static OwningOpRef<ModuleOp>
lower(ModuleOp module, const ObjectEmitOptions &options, Prepared &p) {
  llvm::DataLayout dl = p.machine->createDataLayout();
  lowering::LoweringOptions lo;
  lo.name = options.name;
  lo.triple = p.target.triple;
  lo.dataLayout = dl.getStringRepresentation();
  lo.pointerBits = dl.getPointerSizeInBits();
  // Linux targets get unwind tables (backtraces, profilers); bare metal,
  // like arm-none-eabi-gcc's C, does not.
  lo.unwindTables = p.target.pic;
  return lowering::lowerToLLVMDialect(module.getContext(), module.getLoc(),
                                      p.program, options.bpeModel, p.layout,
                                      lo);
}

OwningOpRef<ModuleOp>
kdc::target::buildObjectModule(ModuleOp module,
                               const ObjectEmitOptions &options) {
  FailureOr<Prepared> p = prepare(module, options);
  if (failed(p))
    return nullptr;
  return lower(module, options, *p);
}

/// NAME.h of the C++ path, whose comment names the files to link.
static std::string objectHeader(std::string header, llvm::StringRef name) {
  auto replaceOnce = [&](const std::string &from, const std::string &to) {
    size_t at = header.find(from);
    if (at != std::string::npos)
      header.replace(at, from.size(), to);
  };
  replaceOnce("kdc compile --emit c++", "kdc compile --emit obj");
  replaceOnce("Link " + name.str() + ".cpp, " + name.str() +
                  ".weights.S and kdcrt.",
              "Link " + name.str() + ".o and kdcrt.");
  return header;
}

LogicalResult kdc::target::emitObjectLibrary(ModuleOp module,
                                             const ObjectEmitOptions &options,
                                             ObjectLibrary &out) {
  FailureOr<Prepared> p = prepare(module, options);
  if (failed(p))
    return failure();

  // The header and the report are the C++ library's.
  CppEmitOptions cpp;
  cpp.name = options.name;
  cpp.target = options.target;
  cpp.isa = p->program.isa;
  cpp.bpeModel = options.bpeModel;
  cpp.maxTextBytes = options.maxTextBytes;
  cpp.source = options.source;
  CppLibrary lib;
  emitCppLibrary(p->program, cpp, lib);
  if (lib.workspaceBytes != p->layout.workspaceBytes)
    return emitError(module.getLoc())
           << "--emit obj: internal error: workspace layout of "
           << p->layout.workspaceBytes << " bytes, the C++ path's is "
           << lib.workspaceBytes;
  lib.weights.clear();
  lib.weights.shrink_to_fit();

  OwningOpRef<ModuleOp> llvmDialect = lower(module, options, *p);
  if (!llvmDialect)
    return failure();
  MLIRContext *ctx = module.getContext();
  registerBuiltinDialectTranslation(*ctx);
  registerLLVMDialectTranslation(*ctx);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*llvmDialect, llvmContext, options.name);
  if (!llvmModule)
    return emitError(module.getLoc())
           << "--emit obj: translation to LLVM IR failed";
  llvmDialect = nullptr; // the blobs now live in llvmModule
  llvmModule->setDataLayout(p->machine->createDataLayout());
  llvmModule->setTargetTriple(p->target.triple);

  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager passes;
  if (p->machine->addPassesToEmitFile(passes, os, nullptr,
                                      llvm::CodeGenFileType::ObjectFile))
    return emitError(module.getLoc())
           << "--emit obj: LLVM cannot emit objects for " << p->target.triple;
  passes.run(*llvmModule);
  out.object.assign(buffer.begin(), buffer.end());

  out.header = objectHeader(std::move(lib.header), options.name);
  out.workspaceBytes = lib.workspaceBytes;
  out.reportJson = std::move(lib.reportJson);
  llvm::Expected<llvm::json::Value> report = llvm::json::parse(out.reportJson);
  if (!report) {
    llvm::consumeError(report.takeError());
  } else if (llvm::json::Object *o = report->getAsObject()) {
    (*o)["emit"] = "obj";
    (*o)["triple"] = p->target.triple;
    (*o)["object_bytes"] = int64_t(out.object.size());
    out.reportJson.clear();
    llvm::raw_string_ostream rs(out.reportJson);
    rs << llvm::formatv("{0:2}", *report) << "\n";
  }
  return success();
}
