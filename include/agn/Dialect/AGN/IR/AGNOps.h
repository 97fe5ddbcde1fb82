//===- AGNOps.h - agn operations --------------------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_IR_AGNOPS_H
#define AGN_DIALECT_AGN_IR_AGNOPS_H

#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/AGN/IR/AGNDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::agn {
class YieldOp;
} // namespace mlir::agn

#define GET_OP_CLASSES
#include "agn/Dialect/AGN/IR/AGNOps.h.inc"

#endif // AGN_DIALECT_AGN_IR_AGNOPS_H
