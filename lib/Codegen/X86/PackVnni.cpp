//===- PackVnni.cpp - Configured matmuls to agn_x86's VNNI kernel ops -----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The first step of the `vnni` and `signed_dot` configs: each configured
// contraction becomes an agn_x86 kernel op whose weights an agn_x86 layout
// op packs. Constant weights are packed here (the layout op folds);
// agn-vnni-matmuls lowers the rest.
//
//===----------------------------------------------------------------------===//

#include "VnniContractions.h"
#include "VnniPacking.h"

#include "agn/Codegen/X86/Passes.h"
#include "agn/Codegen/X86/VnniKernels.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/X86/IR/X86Dialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVNNIPACK
#include "agn/Codegen/X86/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;
using namespace mlir::agn::vnni;
using namespace mlir::agn::x86;

/// Returns `value` as a tensor whose dimensions past the first are `sizes`
/// (the kernel ops take static K and N; the weights' shape says what they
/// are).
static Value castToStatic(PatternRewriter &rewriter, Location loc, Value value,
                          ArrayRef<int64_t> sizes) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape = {type.getDimSize(0)};
  llvm::append_range(shape, sizes);
  if (type.getShape() == ArrayRef<int64_t>(shape))
    return value;
  return tensor::CastOp::create(rewriter, loc, type.clone(shape), value);
}

/// Returns `value` cast back to `type` if it differs.
static Value castBack(PatternRewriter &rewriter, Location loc, Value value,
                      Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(rewriter, loc, type, value);
}

/// Returns the `vnni` or `signed_dot` config of `op`, or null.
static LoweringConfigAttr getPackedKernelConfig(Operation *op) {
  LoweringConfigAttr config = LoweringConfigAttr::of(op);
  return config && readsPackedPanels(config.getKernel()) ? config : nullptr;
}

namespace {
/// A `linalg.matmul` configured `vnni` (or `signed_dot`, weights or A
/// without -128) becomes agn_x86.vnni_matmul on agn_x86.pack_vnni.
struct PackVnniMatmul : public OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    LoweringConfigAttr config = getPackedKernelConfig(op);
    std::optional<Int8Matmul> matmul =
        config ? matchInt8Matmul(op) : std::nullopt;
    if (!matmul)
      return rewriter.notifyMatchFailure(op, "not a configured VNNI matmul");
    // agn_x86.sdot is exact only where one operand holds no -128.
    if (config.getKernel() == KernelKind::signed_dot &&
        !canComputeWithSignedDot(op.getInputs()[0], op.getInputs()[1]))
      return rewriter.notifyMatchFailure(
          op, "'signed_dot' weights and A may both hold -128");
    Location loc = op.getLoc();
    SmallVector<Value> packed;
    rewriter.createOrFold<PackVnniOp>(packed, loc, op.getInputs()[1]);
    Value lhs = castToStatic(rewriter, loc, op.getInputs()[0], {matmul->k});
    Value init = castToStatic(rewriter, loc, op.getOutputs()[0], {matmul->n});
    auto kernel = VnniMatmulOp::create(rewriter, loc, init.getType(), lhs,
                                       packed[0], packed[1], init);
    config.attachTo(kernel);
    rewriter.replaceOp(op, castBack(rewriter, loc, kernel.getResult(),
                                    op.getResultTypes()[0]));
    return success();
  }
};

/// The rescale of a blocked i4 matmul whose partial sums are configured
/// `vnni` (or `signed_dot`) becomes, with them, agn_x86.vnni_blocked_matmul on
/// agn_x86.pack_vnni_blocked. (The pattern is rooted at the rescale, the
/// later of the two, so that the walk has visited both.)
struct PackVnniBlockedMatmul : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp rescale,
                                PatternRewriter &rewriter) const override {
    BlockedMatmulAttr marker = BlockedMatmulAttr::of(rescale);
    if (!marker || marker.getPart() != BlockedMatmulPart::rescale ||
        rescale.getNumDpsInputs() != 3)
      return rewriter.notifyMatchFailure(rescale, "not a blocked rescale");
    auto partial = rescale.getDpsInputs()[0].getDefiningOp<linalg::GenericOp>();
    LoweringConfigAttr config =
        partial ? getPackedKernelConfig(partial) : nullptr;
    std::optional<Int4BlockedMatmul> matmul =
        config ? matchInt4BlockedMatmul(partial) : std::nullopt;
    if (!matmul || matmul->rescale != rescale)
      return rewriter.notifyMatchFailure(rescale,
                                         "not a configured VNNI i4 matmul");
    Location loc = rescale.getLoc();
    SmallVector<Value> packed;
    rewriter.createOrFold<PackVnniBlockedOp>(packed, loc,
                                             partial.getDpsInputs()[1]);
    Value lhs = castToStatic(rewriter, loc, partial.getDpsInputs()[0],
                             {matmul->blocks, matmul->blockSize});
    Value weightScales = rescale.getDpsInputs()[2];
    auto scalesType = cast<RankedTensorType>(weightScales.getType());
    if (!scalesType.hasStaticShape())
      weightScales = tensor::CastOp::create(
          rewriter, loc, scalesType.clone({matmul->blocks, matmul->n}),
          weightScales);
    Value init =
        castToStatic(rewriter, loc, rescale.getDpsInits()[0], {matmul->n});
    auto kernel = VnniBlockedMatmulOp::create(
        rewriter, loc, init.getType(), lhs, packed[0], packed[1],
        rescale.getDpsInputs()[1], weightScales, init);
    config.attachTo(kernel);
    rewriter.replaceOp(rescale, castBack(rewriter, loc, kernel.getResult(),
                                         rescale.getResultTypes()[0]));
    rewriter.eraseOp(partial);
    return success();
  }
};
} // namespace

void mlir::agn::populateVnniPackPatterns(RewritePatternSet &patterns) {
  patterns.add<PackVnniMatmul, PackVnniBlockedMatmul>(patterns.getContext());
}

namespace {
struct PackVnniPass : public agn::impl::AGNVnniPackBase<PackVnniPass> {
  using Base::Base;

  void runOnOperation() override {
    // A config this pass cannot carry out (set by hand on an op it does not
    // take, or with another K step) is an error.
    WalkResult walk = getOperation().walk([&](Operation *op) {
      LoweringConfigAttr config = getPackedKernelConfig(op);
      if (!config)
        return WalkResult::advance();
      // The i8 kernel takes 4 K values per step (i4 weights are widened to
      // bytes), the block-scaled i4 one 8 (two nibbles per byte).
      int64_t step = 0;
      bool signedDot = config.getKernel() == KernelKind::signed_dot;
      if (auto matmul = dyn_cast<linalg::MatmulOp>(op))
        step = matchInt8Matmul(matmul) ? kGroup : 0;
      else if (auto generic = dyn_cast<linalg::GenericOp>(op))
        step = matchInt4BlockedMatmul(generic) ? 2 * kGroup : 0;
      else if (isa<VnniMatmulOp, VnniBlockedMatmulOp>(op))
        return WalkResult::advance();
      if (!step) {
        op->emitError("agn-vnni-pack: cannot compute this op with the ")
            << (signedDot ? "'signed_dot' kernel" : "VNNI kernels")
            << " (its agn.lowering_config): only i8 x i8 (or i4) -> i32 "
               "matmuls and agn's block-scaled i4 matmuls with static "
               "weights";
        return WalkResult::interrupt();
      }
      // One of agn_x86.sdot's operands must hold no -128.
      if (auto matmul = dyn_cast<linalg::MatmulOp>(op);
          signedDot && matmul &&
          !canComputeWithSignedDot(matmul.getInputs()[0],
                                   matmul.getInputs()[1])) {
        op->emitError("agn-vnni-pack: the 'signed_dot' kernel needs weights "
                      "or an A that hold no -128 (i4 values, bytes "
                      "sign-extended from i4, or constant i8 ones without "
                      "it); use 'vnni' or another kernel");
        return WalkResult::interrupt();
      }
      if (config.getTileSizes()[2] != step) {
        op->emitError("agn-vnni-pack: this kernel takes ")
            << step << " K values per step, but its agn.lowering_config "
            << "says " << config.getTileSizes()[2];
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateVnniPackPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
