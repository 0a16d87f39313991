//===- StudentAttributes.h - student attributes -----------------*- C++ -*-===//
#ifndef KDC_DIALECT_STUDENT_STUDENTATTRIBUTES_H
#define KDC_DIALECT_STUDENT_STUDENTATTRIBUTES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"

#include "kdc/Dialect/Student/StudentEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "kdc/Dialect/Student/StudentAttributes.h.inc"

#endif // KDC_DIALECT_STUDENT_STUDENTATTRIBUTES_H
