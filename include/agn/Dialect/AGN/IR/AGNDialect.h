//===- AGNDialect.h - Adaptive Granularity dialect --------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_IR_AGNDIALECT_H
#define AGN_DIALECT_AGN_IR_AGNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "agn/Dialect/AGN/IR/AGNDialect.h.inc"

#endif // AGN_DIALECT_AGN_IR_AGNDIALECT_H
