//===- Pipeline.cpp - kdc compile's pass pipeline --------------------------===//

#include "kdc/Conversion/Pipeline.h"

#include "kdc/Dialect/Student/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace kdc::conversion;

std::optional<CompileStage>
kdc::conversion::parseCompileStage(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<CompileStage>>(name)
      .Case("imported", CompileStage::Imported)
      .Case("fused", CompileStage::Fused)
      .Case("planned", CompileStage::Planned)
      .Default(std::nullopt);
}

LogicalResult kdc::conversion::runCompilePipeline(ModuleOp module,
                                                  CompileStage stage) {
  if (stage == CompileStage::Imported)
    return success();
  PassManager pm(module.getContext());
  pm.addNestedPass<func::FuncOp>(kdc::student::createFuseConvPass());
  if (stage == CompileStage::Planned)
    pm.addNestedPass<func::FuncOp>(kdc::student::createPlanMemoryPass());
  return pm.run(module);
}
