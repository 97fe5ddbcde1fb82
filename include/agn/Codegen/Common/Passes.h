//===- Passes.h - agn target-independent code generation passes -*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_COMMON_PASSES_H
#define AGN_CODEGEN_COMMON_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Codegen/Common/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "agn/Codegen/Common/Passes.h.inc"

/// Adds the pattern of agn-index-switch-to-if: an `scf.index_switch` with a
/// tensor result becomes `scf.if (arg == first case)` with the remaining
/// cases in a smaller switch in its `else`, and a switch left with only its
/// default region becomes that region's body.
void populateIndexSwitchToIfPatterns(RewritePatternSet &patterns);

/// Adds the pattern of agn-fold-zero-element-tensors: the results of an op
/// without memory effects whose results are all statically shaped tensors of
/// zero elements become `tensor.empty` ops.
void populateFoldZeroElementTensorsPatterns(RewritePatternSet &patterns);

/// Adds the pattern of agn-lower-strided-copies: a `memref.copy` with a
/// source or target that is not contiguous becomes a `linalg.copy`.
void populateLowerStridedCopiesPatterns(RewritePatternSet &patterns);

/// Adds the patterns of agn-split-batch-matmuls: a `linalg.batch_matmul`,
/// and a float batched contraction written as a `linalg.generic`, become
/// loops of `linalg.matmul` over their batch dimensions (a config goes to
/// the matmuls); on a target without AVX512-VNNI, agn's blocked
/// partial-sums product becomes a loop of matmuls over its blocks. With
/// `threads` > 1, a batch that splits into `threads` nearly even chunks is
/// first split so, the iterations of an scf.forall.
void populateSplitBatchMatmulsPatterns(RewritePatternSet &patterns,
                                       int64_t threads = 1);

} // namespace mlir::agn

#endif // AGN_CODEGEN_COMMON_PASSES_H
