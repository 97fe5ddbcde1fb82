//===- Passes.h - agn transformation passes ---------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_TRANSFORMS_PASSES_H
#define AGN_DIALECT_AGN_TRANSFORMS_PASSES_H

#include "agn/Dialect/AGN/IR/AGNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"

} // namespace mlir::agn

#endif // AGN_DIALECT_AGN_TRANSFORMS_PASSES_H
