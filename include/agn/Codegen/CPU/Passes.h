//===- Passes.h - agn CPU kernel passes -------------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_CPU_PASSES_H
#define AGN_CODEGEN_CPU_PASSES_H

#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "agn/Codegen/CPU/Passes.h.inc"

} // namespace mlir::agn

#endif // AGN_CODEGEN_CPU_PASSES_H
