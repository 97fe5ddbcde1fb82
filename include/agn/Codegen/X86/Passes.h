//===- Passes.h - agn x86 kernel passes -------------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_X86_PASSES_H
#define AGN_CODEGEN_X86_PASSES_H

#include "agn/Dialect/X86/IR/X86Dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Codegen/X86/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "agn/Codegen/X86/Passes.h.inc"

/// Adds the patterns of agn-vnni-pack: a `linalg.matmul` or the rescale of
/// a blocked i4 matmul (with its partial sums) configured `vnni` or
/// `signed_dot` (weights without -128) becomes an
/// `agn_x86.vnni_matmul` or `agn_x86.vnni_blocked_matmul` on weights packed
/// by `agn_x86.pack_vnni` or `pack_vnni_blocked` (folded for constants).
/// Ops the kernels do not take are left alone; the pass diagnoses them.
void populateVnniPackPatterns(RewritePatternSet &patterns);

/// Adds the patterns of agn-vnni-matmuls that lower the kernel ops
/// (`agn_x86.vnni_matmul`, `vnni_blocked_matmul`) to register tiles of
/// `agn_x86.usdot`, or of `agn_x86.sdot` for `signed_dot` configs (not on
/// weights that may hold -128), packing weights whose layout op did not fold
/// one panel at a time inside the kernel.
void populateVnniKernelLoweringPatterns(RewritePatternSet &patterns);

/// Adds the pattern of agn-vnni-matmuls that lowers an `agn_x86.pack_vnni`
/// or `pack_vnni_blocked` of weights that are not constants to a loop that
/// packs every panel. (Apply it after the kernel patterns, which pack inside
/// their kernels.)
void populateVnniPackLoweringPatterns(RewritePatternSet &patterns);

} // namespace mlir::agn

#endif // AGN_CODEGEN_X86_PASSES_H
