//===- AGNDialect.cpp - Adaptive Granularity dialect ----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::agn;

#include "agn/Dialect/AGN/IR/AGNDialect.cpp.inc"

void AGNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "agn/Dialect/AGN/IR/AGNOps.cpp.inc"
      >();
  registerAttributes();
}

Operation *AGNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  // Folds produce index levels and f32 statistics; both are arith constants.
  if (auto typed = dyn_cast<TypedAttr>(value);
      typed && arith::ConstantOp::isBuildableWith(typed, type))
    return arith::ConstantOp::create(builder, loc, type, typed);
  return nullptr;
}
