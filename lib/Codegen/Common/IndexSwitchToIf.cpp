//===- IndexSwitchToIf.cpp - agn-index-switch-to-if -----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// scf.index_switch ops with tensor results become scf.if chains before
// bufferization: MLIR 22's One-Shot analysis does not know that a value an
// scf.index_switch case yields aliases the switch's result (the scf.yield
// model answers that for scf.if and scf.execute_region only), so it can let
// a later op overwrite the buffer of a result that is still live. The
// dispatch of every Granularity Unit is such a switch. See the pass
// description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNINDEXSWITCHTOIF
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {

/// Peels the first case of an `scf.index_switch` with a tensor result off
/// into an `scf.if`, or inlines the default region of a switch with no
/// cases left.
struct IndexSwitchToIfPattern : OpRewritePattern<scf::IndexSwitchOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(scf::IndexSwitchOp op,
                                PatternRewriter &rewriter) const override {
    if (llvm::none_of(op.getResultTypes(), llvm::IsaPred<TensorType>))
      return rewriter.notifyMatchFailure(op, "no tensor result");
    if (op.getNumCases() == 0)
      return inlineDefault(op, rewriter);

    Location loc = op.getLoc();
    Value firstCase =
        arith::ConstantIndexOp::create(rewriter, loc, op.getCases().front());
    Value isFirstCase = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq, op.getArg(), firstCase);
    auto ifOp = scf::IfOp::create(rewriter, loc, op.getResultTypes(),
                                  isFirstCase, /*addThenBlock=*/false,
                                  /*addElseBlock=*/false);
    rewriter.inlineRegionBefore(op.getCaseRegions().front(),
                                ifOp.getThenRegion(),
                                ifOp.getThenRegion().end());

    // The other cases and the default, in a switch in the else region; the
    // pattern applies to it in turn.
    rewriter.createBlock(&ifOp.getElseRegion());
    auto rest = scf::IndexSwitchOp::create(
        rewriter, loc, op.getResultTypes(), op.getArg(),
        op.getCases().drop_front(), op.getNumCases() - 1);
    for (auto [from, to] : llvm::zip_equal(op.getCaseRegions().drop_front(),
                                           rest.getCaseRegions()))
      rewriter.inlineRegionBefore(from, to, to.end());
    rewriter.inlineRegionBefore(op.getDefaultRegion(), rest.getDefaultRegion(),
                                rest.getDefaultRegion().end());
    scf::YieldOp::create(rewriter, loc, rest.getResults());

    rewriter.replaceOp(op, ifOp.getResults());
    return success();
  }

  /// Replaces a switch without cases by the body of its default region.
  static LogicalResult inlineDefault(scf::IndexSwitchOp op,
                                     PatternRewriter &rewriter) {
    Block &body = op.getDefaultBlock();
    auto yield = cast<scf::YieldOp>(body.getTerminator());
    SmallVector<Value> results(yield.getResults());
    rewriter.eraseOp(yield);
    rewriter.inlineBlockBefore(&body, op);
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Rewrites the tensor-valued switches under the pass's operation.
struct AGNIndexSwitchToIf
    : agn::impl::AGNIndexSwitchToIfBase<AGNIndexSwitchToIf> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateIndexSwitchToIfPatterns(patterns);
    // Only these rewrites: folding or moving other ops is not this pass's
    // job (the pipeline's canonicalizer does that).
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled)
        .enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace

void mlir::agn::populateIndexSwitchToIfPatterns(RewritePatternSet &patterns) {
  patterns.add<IndexSwitchToIfPattern>(patterns.getContext());
}
