//===- kdc-opt.cpp - kdc's mlir-opt ---------------------------------------===//
//
// Registers an explicit list of dialects and passes: InitAllDialects.h costs
// about a minute and 2 GB per compile on a 2-core machine and links far more
// than kdc uses.
//
//===----------------------------------------------------------------------===//

#include "kdc/Dialect/Student/Passes.h"
#include "kdc/Dialect/Student/StudentDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<kdc::student::StudentDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::tensor::TensorDialect,
                  mlir::memref::MemRefDialect, mlir::emitc::EmitCDialect,
                  mlir::LLVM::LLVMDialect>();

  kdc::student::registerStudentPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "kdc optimizer driver\n", registry));
}
