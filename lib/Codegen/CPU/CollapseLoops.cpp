//===- CollapseLoops.cpp - agn-cpu-collapse-loops -------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Merges the runs of loops of elementwise ops that every operand indexes
// contiguously, so that LLVM vectorizes one long loop instead of many short
// rows. Contiguous in memory too: an operand that is a view of part of a
// larger tensor (the kept columns of a padded-plane convolution's rows) would
// have to be copied whole into a buffer of its own to be read as one run,
// which costs more than the short rows.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/Passes.h"
#include "agn/Codegen/Common/Tiling.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNCPUCOLLAPSELOOPS
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns, for each dimension d > 0 of `value` (d = 0: true), whether d
/// and d - 1 can be read as one run from the buffer `value` will live in:
/// false where an extract_slice took part of dimension d, through the
/// reshapes between that slice and `value`. Values made by any other op get
/// buffers of their own (all true).
static SmallVector<bool> getMergeableDims(Value value, int depth = 0) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<bool> mergeable(type.getRank(), true);
  // Chains of views are short; a long one is left as it is.
  if (depth > 8)
    return SmallVector<bool>(type.getRank(), false);
  if (auto slice = value.getDefiningOp<tensor::ExtractSliceOp>()) {
    ArrayRef<int64_t> source = slice.getSourceType().getShape();
    if (slice.getSourceType().getRank() != type.getRank() ||
        !slice.hasUnitStride())
      return SmallVector<bool>(type.getRank(), false);
    SmallVector<bool> sourceMergeable =
        getMergeableDims(slice.getSource(), depth + 1);
    for (int64_t d = 1; d < type.getRank(); ++d)
      mergeable[d] = sourceMergeable[d] && type.getDimSize(d) == source[d];
    return mergeable;
  }
  if (auto expand = value.getDefiningOp<tensor::ExpandShapeOp>()) {
    SmallVector<bool> sourceMergeable =
        getMergeableDims(expand.getSrc(), depth + 1);
    // A group's dimensions split one source dimension; its first joins the
    // previous group's last as the source dimensions do.
    for (auto [group, dims] : llvm::enumerate(expand.getReassociationIndices()))
      mergeable[dims.front()] = group == 0 || sourceMergeable[group];
    mergeable[0] = true;
    return mergeable;
  }
  if (auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>()) {
    SmallVector<bool> sourceMergeable =
        getMergeableDims(collapse.getSrc(), depth + 1);
    for (auto [group, dims] :
         llvm::enumerate(collapse.getReassociationIndices())) {
      if (group == 0)
        continue;
      mergeable[group] = sourceMergeable[dims.front()];
    }
    return mergeable;
  }
  return mergeable;
}

/// Returns whether loop `loop` can join loop `loop - 1` in every operand of
/// `op` that indexes both: their dimensions mergeable in its buffer.
static bool isMergeableInMemory(linalg::LinalgOp op, int64_t loop) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    std::optional<unsigned> result =
        map.getResultPosition(getAffineDimExpr(loop, op.getContext()));
    if (!result || *result == 0)
      continue;
    if (!getMergeableDims(operand.get())[*result])
      return false;
  }
  return true;
}

/// Returns the runs of two or more consecutive loops of `op` to merge: each
/// as long as every indexing map (a projected permutation) keeps it
/// contiguous and in order, or does not use it at all, and every operand's
/// buffer keeps it contiguous (isMergeableInMemory); nothing for ops this
/// pass leaves alone.
static SmallVector<ReassociationIndices> getLoopsToMerge(linalg::LinalgOp op) {
  if (!isPlainElementwise(op) || op.hasIndexSemantics() ||
      llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
    return {};
  // Upstream's contiguity test reads only results that are loops, and its
  // collapsing handles no other: an im2col copy's `oh + kh` would pass the
  // test and crash, a broadcast's constant 0 comes out as a garbage size.
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!llvm::all_of(maps,
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return {};
  SmallVector<ReassociationIndices> runs;
  ReassociationIndices run = {0};
  auto finish = [&]() {
    if (run.size() > 1)
      runs.push_back(run);
  };
  for (int64_t loop = 1, e = op.getNumLoops(); loop < e; ++loop) {
    ReassociationIndices longer = run;
    longer.push_back(loop);
    if (linalg::areDimSequencesPreserved(maps, longer) &&
        isMergeableInMemory(op, loop)) {
      run = std::move(longer);
      continue;
    }
    finish();
    run = {loop};
  }
  finish();
  return runs;
}

namespace {
struct CollapseLoopsPass
    : public agn::impl::AGNCpuCollapseLoopsBase<CollapseLoopsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateCollapseDimensions(patterns, getLoopsToMerge);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
