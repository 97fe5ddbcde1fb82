//===- X86Dialect.h - agn's x86 instruction dialect -------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_X86_IR_X86DIALECT_H
#define AGN_DIALECT_X86_IR_X86DIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "agn/Dialect/X86/IR/X86Dialect.h.inc"

#define GET_OP_CLASSES
#include "agn/Dialect/X86/IR/X86Ops.h.inc"

#endif // AGN_DIALECT_X86_IR_X86DIALECT_H
