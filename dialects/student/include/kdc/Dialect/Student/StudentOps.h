//===- StudentOps.h - student dialect ops -----------------------*- C++ -*-===//
#ifndef KDC_DIALECT_STUDENT_STUDENTOPS_H
#define KDC_DIALECT_STUDENT_STUDENTOPS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "kdc/Dialect/Student/StudentAttributes.h"
#include "kdc/Dialect/Student/StudentDialect.h"

#define GET_OP_CLASSES
#include "kdc/Dialect/Student/StudentOps.h.inc"

#endif // KDC_DIALECT_STUDENT_STUDENTOPS_H
