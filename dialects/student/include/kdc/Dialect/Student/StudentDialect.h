//===- StudentDialect.h - the student dialect -------------------*- C++ -*-===//
#ifndef KDC_DIALECT_STUDENT_STUDENTDIALECT_H
#define KDC_DIALECT_STUDENT_STUDENTDIALECT_H

#include "mlir/IR/Dialect.h"

#include "kdc/Dialect/Student/StudentDialect.h.inc"

#endif // KDC_DIALECT_STUDENT_STUDENTDIALECT_H
