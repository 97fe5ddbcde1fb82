//===- LowerStridedCopies.cpp - agn-lower-strided-copies ------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// memref.copy between buffers that are not contiguous becomes linalg.copy,
// hence loops that LLVM vectorizes, instead of a call to MLIR's generic
// element-by-element memrefCopy (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNLOWERSTRIDEDCOPIES
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns true if the LLVM lowering of memref.copy turns a copy of `type`
/// into a memcpy: an identity layout, or a static contiguous row-major one.
static bool copiesAsMemcpy(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getLayout().isIdentity() ||
                    memref::isStaticShapeAndContiguousRowMajor(memref));
}

namespace {

/// memref.copy with a strided side -> linalg.copy.
struct StridedCopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    if (copiesAsMemcpy(op.getSource().getType()) &&
        copiesAsMemcpy(op.getTarget().getType()))
      return rewriter.notifyMatchFailure(op, "contiguous: a memcpy");
    auto source = dyn_cast<MemRefType>(op.getSource().getType());
    auto target = dyn_cast<MemRefType>(op.getTarget().getType());
    if (!source || !target)
      return rewriter.notifyMatchFailure(op, "unranked");
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }
};

struct LowerStridedCopiesPass
    : agn::impl::AGNLowerStridedCopiesBase<LowerStridedCopiesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerStridedCopiesPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::agn::populateLowerStridedCopiesPatterns(
    RewritePatternSet &patterns) {
  patterns.add<StridedCopyToLinalg>(patterns.getContext());
}
