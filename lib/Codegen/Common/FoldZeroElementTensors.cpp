//===- FoldZeroElementTensors.cpp - agn-fold-zero-element-tensors ---------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Ops that compute tensors without elements are replaced by tensor.empty, so
// that a model runs on an empty batch (see the pass description in
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNFOLDZEROELEMENTTENSORS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {

/// Whether \p type is a statically shaped tensor with no element.
static bool isZeroElementTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() && tensor.getNumElements() == 0;
}

/// Replaces every result of a side-effect-free op whose results all hold no
/// element by a `tensor.empty` of the result's type.
struct FoldZeroElementResults : RewritePattern {
  FoldZeroElementResults(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (isa<tensor::EmptyOp>(op) || op->getNumResults() == 0)
      return failure();
    if (!llvm::all_of(op->getResultTypes(), isZeroElementTensor))
      return rewriter.notifyMatchFailure(op, "a result has elements");
    // Ops with effects (a call, a print, a store in a region) must still run.
    if (!isMemoryEffectFree(op))
      return rewriter.notifyMatchFailure(op, "the op has memory effects");
    SmallVector<Value> empties =
        llvm::map_to_vector(op->getResultTypes(), [&](Type type) -> Value {
          auto tensor = cast<RankedTensorType>(type);
          return tensor::EmptyOp::create(
              rewriter, op->getLoc(), tensor.getShape(),
              tensor.getElementType(), tensor.getEncoding());
        });
    rewriter.replaceOp(op, empties);
    return success();
  }
};

struct AGNFoldZeroElementTensors
    : agn::impl::AGNFoldZeroElementTensorsBase<AGNFoldZeroElementTensors> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFoldZeroElementTensorsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::agn::populateFoldZeroElementTensorsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FoldZeroElementResults>(patterns.getContext());
}
