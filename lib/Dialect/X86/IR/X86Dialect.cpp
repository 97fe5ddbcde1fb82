//===- X86Dialect.cpp - agn's x86 instruction dialect ---------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/X86/IR/X86Dialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::agn::x86;

#include "agn/Dialect/X86/IR/X86Dialect.cpp.inc"

void X86Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "agn/Dialect/X86/IR/X86Ops.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// UsdotOp
//===----------------------------------------------------------------------===//

LogicalResult UsdotOp::verify() {
  if (getAcc().getType().isScalable() || getLhs().getType().isScalable())
    return emitOpError("expects fixed-length vectors");
  int64_t lanes = getAcc().getType().getNumElements();
  int64_t bytes = getLhs().getType().getNumElements();
  if (bytes != 4 * lanes)
    return emitOpError("expects four bytes per i32 lane: ")
           << bytes << " bytes for " << lanes << " lanes (need " << 4 * lanes
           << ")";
  return success();
}

#define GET_OP_CLASSES
#include "agn/Dialect/X86/IR/X86Ops.cpp.inc"
