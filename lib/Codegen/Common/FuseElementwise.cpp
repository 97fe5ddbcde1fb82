//===- FuseElementwise.cpp - agn-fuse-elementwise -------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Fuses chains of elementwise linalg.generic ops with upstream's elementwise
// fusion, where a producer's result has no other use and the consumer reads
// each of its elements once.
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
          if (!isPlainElementwise(producer) ||
              !isPlainElementwise(fused->getOwner()) ||
              !fused->get().hasOneUse())
            return false;
          // One use, read once per element (a permutation): the producer
          // goes away and nothing is computed twice. A consumer that reads
          // an element several times (an im2col gather: a quantization of
          // the input fused into it ran 9 times per element of a 3x3
          // convolution, 63 % of resnet18's call at i8; a broadcast) would
          // recompute it each time.
          auto consumer = cast<linalg::GenericOp>(fused->getOwner());
          return consumer.getMatchingIndexingMap(fused).isPermutation();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
