//===- CollapseLoops.cpp - agn-cpu-collapse-loops -------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Merges the runs of loops of elementwise ops that every operand indexes
// contiguously, so that LLVM vectorizes one long loop instead of many short
// rows.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/Passes.h"
#include "agn/Codegen/Common/Tiling.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNCPUCOLLAPSELOOPS
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns the runs of two or more consecutive loops of `op` to merge: each
/// as long as every indexing map (a projected permutation) keeps it
/// contiguous and in order, or does not use it at all; nothing for ops this
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
    if (linalg::areDimSequencesPreserved(maps, longer)) {
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
