//===- StudentDialect.cpp - the student dialect ---------------------------===//

#include "kdc/Dialect/Student/StudentDialect.h"
#include "kdc/Dialect/Student/StudentAttributes.h"
#include "kdc/Dialect/Student/StudentOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kdc::student;

#include "kdc/Dialect/Student/StudentDialect.cpp.inc"

void StudentDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "kdc/Dialect/Student/StudentOps.cpp.inc"
      >();
  registerAttributes();
}

Operation *StudentDialect::materializeConstant(OpBuilder &builder,
                                               Attribute value, Type type,
                                               Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type || !isa<RankedTensorType>(type))
    return nullptr;
  if (!isa<ElementsAttr, CodebookAttr>(value))
    return nullptr;
  return builder.create<ConstantOp>(loc, typed);
}
