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
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "agn/Codegen/CPU/Passes.h.inc"

/// Adds the rewrites agn-vectorize-contractions makes before its register
/// tiles: a `reassociated_sum` contraction becomes a linalg.generic with
/// fastmath<reassoc> additions; a `register_tiles` matmul with
/// `widen_to_f32` gets its f16/bf16 operands converted to f32 first, and one
/// with i4 operands gets them sign-extended to i8 first.
void populatePrepareContractionsPatterns(RewritePatternSet &patterns);

/// Adds the pattern of agn-vectorize-contractions that carries out a
/// `register_tiles` config (apply it after the patterns above): remainders
/// split off, N split into the config's threads (an scf.forall), K blocked,
/// register tiles vectorized to vector.contract.
void populateRegisterTilePatterns(RewritePatternSet &patterns);

/// Adds the patterns of agn-vectorize-convolutions that carry out `im2col`
/// and `direct` configs (convolutions become im2col copies and matmuls, or
/// vector loops over output rows).
void populateVectorizeConvolutionsPatterns(RewritePatternSet &patterns);

} // namespace mlir::agn

#endif // AGN_CODEGEN_CPU_PASSES_H
