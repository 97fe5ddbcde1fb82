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

/// Returns whether the scalar op `op` is monotone (non-decreasing or
/// non-increasing) in its operand `operandIndex` when its other operands are
/// fixed: the ops an `agn.requantize` body may apply to values computed from
/// the accumulator.
bool isMonotoneInOperand(Operation *op, unsigned operandIndex);

/// Returns the first op of `body` that uses `from`, or a value computed
/// from it, in a way that is not monotone (see `isMonotoneInOperand`; one
/// such operand per op), or null when the body is monotone in `from`.
Operation *findNonMonotoneUse(Block &body, Value from);

/// Returns whether the arith op `op` carries fast-math flags.
bool hasFastMathFlags(Operation *op);
} // namespace mlir::agn

#define GET_OP_CLASSES
#include "agn/Dialect/AGN/IR/AGNOps.h.inc"

#endif // AGN_DIALECT_AGN_IR_AGNOPS_H
