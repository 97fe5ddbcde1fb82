//===- HoistVectorTransfers.cpp - agn-hoist-vector-transfers --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNHOISTVECTORTRANSFERS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

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
    linalg::hoistRedundantVectorTransfers(getOperation());
  }
};
} // namespace
