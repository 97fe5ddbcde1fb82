//===- FuseElementwise.cpp - agn-fuse-elementwise -------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Fuses chains of elementwise linalg.generic ops with upstream's elementwise
// fusion, where a producer's result has no other use.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"
#include "agn/Codegen/Common/Tiling.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNFUSEELEMENTWISE
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct FuseElementwisePass
    : public agn::impl::AGNFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *fused) {
          Operation *producer = fused->get().getDefiningOp();
          // One use: the producer goes away, nothing is computed twice.
          return isPlainElementwise(producer) &&
                 isPlainElementwise(fused->getOwner()) &&
                 fused->get().hasOneUse();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
