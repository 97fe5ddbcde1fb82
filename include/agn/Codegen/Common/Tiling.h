//===- Tiling.h - Helpers of agn's kernel passes ----------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The pieces agn's kernel passes share: tiling an op in place, splitting a
// batch matmul into matmuls, counted loops, and the operand-type test that
// selects float ops.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_COMMON_TILING_H
#define AGN_CODEGEN_COMMON_TILING_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::agn {

/// Tiles `op` (a TilingInterface op) by `sizes` (0: not tiled) into scf.for
/// loops, or one scf.forall with `forall`, replaces it with the loops'
/// results and returns the tiled op. On failure, emits "<pass>: <what>
/// failed" on `op`.
FailureOr<Operation *> tileInPlace(RewriterBase &rewriter, Operation *op,
                                   ArrayRef<int64_t> sizes, StringRef pass,
                                   StringRef what, bool forall = false);

/// Returns whether `op` is a linalg op with a loop of static size 0: it
/// computes nothing, and tiling it would divide by that size (upstream's
/// tiling crashes on it). Kernel passes leave such ops to the generic
/// lowering; agn-fold-zero-element-tensors removes them in the pipeline.
bool hasEmptyIterationDomain(Operation *op);

/// Returns whether `op` is an elementwise linalg.generic on tensors (every
/// loop parallel) without discardable attributes (a kernel config, a unit's
/// markers), which rewrites that replace the op would drop.
bool isPlainElementwise(Operation *op);

/// Returns whether every operand of `op` has a float element type.
bool hasFloatOperands(Operation *op);

/// Emits `for i in [0, count)` (an scf.for) carrying `inits`; `body` builds
/// the loop's body, at the induction variable and the carried values, and
/// returns the values yielded.
scf::ForOp buildCountedLoop(
    ImplicitLocOpBuilder &b, int64_t count, ValueRange inits,
    function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, Value, ValueRange)>
        body);

/// Returns `compute(b, first, count, slice)` over the `units` units of
/// dimension `dim` of `init`, each `unitSize` elements of it: once for all
/// of `init` (first 0) with one thread or one unit, else in an scf.forall
/// of chunks of whole units (the most per chunk that divides `units` and
/// makes at least `threads` chunks), each computing its slice of `init`
/// from unit `first` on. For kernels that split their work by hand.
Value buildUnitChunks(
    ImplicitLocOpBuilder &b, Value init, unsigned dim, int64_t units,
    int64_t unitSize, int64_t threads,
    function_ref<Value(ImplicitLocOpBuilder &, Value, int64_t, Value)> compute);

/// Replaces the batch matmul `op` (tensors, default maps) by a loop over its
/// batch of linalg.matmul ops (tiled by 1, each tile's operands collapsed to
/// matrices; the `cast` kept) and returns the matmul in the loop. On
/// failure, emits "<pass>: splitting the batch failed" on `op`.
FailureOr<linalg::MatmulOp>
splitBatch(RewriterBase &rewriter, linalg::BatchMatmulOp op, StringRef pass);

} // namespace mlir::agn

#endif // AGN_CODEGEN_COMMON_TILING_H
