//===- HoistVectorTransfers.cpp - agn-hoist-vector-transfers --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNHOISTVECTORTRANSFERS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Hoists the redundant transfers of the loop nest `outermost` alone, as
/// upstream's hoistRedundantVectorTransfers would inside a whole function.
/// Upstream restarts its walk of the root after every pair it hoists, and
/// first moves the invariant code of every loop under the root: over a whole
/// model's function (every unit at every level) that is quadratic, 12 s of
/// densenet121's compile at five levels. A nest at a time, the walks cover
/// that nest only. The root cannot be the loop itself, which hoisting
/// replaces: the nest goes into an `scf.execute_region` for the duration,
/// and the region is inlined back after, leaving the IR upstream would.
static void hoistInLoopNest(RewriterBase &rewriter,
                            LoopLikeOpInterface outermost) {
  Operation *loop = outermost.getOperation();
  rewriter.setInsertionPoint(loop);
  auto region = scf::ExecuteRegionOp::create(rewriter, loop->getLoc(),
                                             loop->getResultTypes());
  Block *body = rewriter.createBlock(&region.getRegion());
  rewriter.replaceAllUsesWith(loop->getResults(), region.getResults());
  rewriter.moveOpBefore(loop, body, body->end());
  rewriter.setInsertionPointToEnd(body);
  scf::YieldOp::create(rewriter, loop->getLoc(), loop->getResults());

  linalg::hoistRedundantVectorTransfers(region);

  Block *parent = region->getBlock();
  auto yield = cast<scf::YieldOp>(body->getTerminator());
  SmallVector<Value> results(yield.getOperands());
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(body, parent, region->getIterator());
  rewriter.replaceOp(region, results);
}

namespace {
struct HoistVectorTransfersPass
    : public agn::impl::AGNHoistVectorTransfersBase<HoistVectorTransfersPass> {
  using Base::Base;

  void runOnOperation() override {
    // Hoisting needs the transfers on the buffers themselves, not on
    // subviews of them.
    RewritePatternSet patterns(&getContext());
    memref::populateFoldMemRefAliasOpPatterns(patterns);
    // Not converging within the driver's iterations is no error: every step
    // leaves valid IR (a transfer through a unit-dimension expand_shape of a
    // one-column matmul kept the folding going), and the hoisting below
    // takes what it can.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
    // The folding computes the indices of a tile's read and of its write
    // separately (inside an scf.forall, from its induction variable); the
    // hoisting needs them to be the same values.
    IRRewriter rewriter(&getContext());
    eliminateCommonSubExpressions(rewriter, getAnalysis<DominanceInfo>(),
                                  getOperation());
    SmallVector<LoopLikeOpInterface> nests;
    getOperation()->walk<WalkOrder::PreOrder>([&](LoopLikeOpInterface loop) {
      nests.push_back(loop);
      return WalkResult::skip();
    });
    for (LoopLikeOpInterface nest : nests)
      hoistInLoopNest(rewriter, nest);
  }
};
} // namespace
