//===- SinkPadding.cpp - agn-sink-padding pass ----------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A convolution's zero padding is computed outside its unit, in f32, and a
// low-precision version then quantizes the whole padded image: the padding
// costs four bytes an element, and the quantization reads the border too.
// With the padding inside the unit, each version pads what it computes on:
// the i8 version quantizes the image and pads the i8 result (a quarter of
// the bytes), bf16 and f16 pad their converted image (half).
//
// Both rewrites are exact. A zero padding does not change a group's
// largest magnitude (an all-zero group keeps scale 1), and zero quantizes
// to zero at any scale, so quantize(pad(x, 0)) and pad(quantize(x), 0) hold
// the same values and scales, bit for bit, where the padded dimensions are
// within the scale groups (not the quantization axis, no blocks).
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_SINKPADDING
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns `pad` if it pads with a constant zero (+0 or -0, or integer 0)
/// by static amounts; else null.
static tensor::PadOp getZeroPadding(tensor::PadOp pad) {
  if (!pad || !pad.getResultType().hasStaticShape() ||
      !pad.getSourceType().hasStaticShape() || !pad.getLow().empty() ||
      !pad.getHigh().empty())
    return {};
  Value value = pad.getConstantPaddingValue();
  if (!value ||
      !(matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero())))
    return {};
  return pad;
}

/// Returns whether dimension `dim` of `pad`'s result is padded.
static bool isPadded(tensor::PadOp pad, int64_t dim) {
  return pad.getStaticLow()[dim] != 0 || pad.getStaticHigh()[dim] != 0;
}

/// Moves a zero padding of `unit`'s input (the padding alone, or followed by
/// a tensor.expand_shape, a grouped convolution's view), used by nothing
/// else, into the unit's body: the unit takes the unpadded image and its
/// body pads it first. Returns whether it moved one.
static bool sinkInputPadding(RewriterBase &rewriter, UnitOp unit) {
  Value input = unit.getInput();
  auto expand = input.getDefiningOp<tensor::ExpandShapeOp>();
  Value padded = expand ? expand.getSrc() : input;
  tensor::PadOp pad = getZeroPadding(padded.getDefiningOp<tensor::PadOp>());
  if (!pad || !input.hasOneUse() || (expand && !padded.hasOneUse()))
    return false;
  // The body is isolated from above: the padding value is recreated there.
  Block &body = unit.getBody().front();
  BlockArgument argument = body.getArgument(0);
  rewriter.setInsertionPointToStart(&body);
  Value source = body.insertArgument(0u, pad.getSourceType(), pad.getLoc());
  Type element = pad.getResultType().getElementType();
  Value zero = arith::ConstantOp::create(rewriter, pad.getLoc(),
                                         rewriter.getZeroAttr(element));
  Value inside = tensor::PadOp::create(
      rewriter, pad.getLoc(), pad.getResultType(), source, pad.getMixedLowPad(),
      pad.getMixedHighPad(), zero, pad.getNofold());
  if (expand) {
    IRMapping mapping;
    mapping.map(padded, inside);
    inside = rewriter.clone(*expand, mapping)->getResult(0);
  }
  rewriter.replaceAllUsesWith(argument, inside);
  body.eraseArgument(1);
  rewriter.modifyOpInPlace(
      unit, [&] { unit.getInputMutable().assign(pad.getSource()); });
  if (expand)
    rewriter.eraseOp(expand);
  rewriter.eraseOp(pad);
  return true;
}

namespace {
/// quantize(pad(x, 0)) -> pad(quantize(x), 0), where the padded dimensions
/// are not the quantization axis and there are no blocks.
struct QuantizeBeforePadding : public OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    tensor::PadOp pad =
        getZeroPadding(op.getInput().getDefiningOp<tensor::PadOp>());
    if (!pad || op.getBlock())
      return rewriter.notifyMatchFailure(op, "not a zero padding, or blocks");
    if (std::optional<uint64_t> axis = op.getAxis();
        axis && isPadded(pad, *axis))
      return rewriter.notifyMatchFailure(op, "the axis is padded");
    auto storedType = cast<RankedTensorType>(op.getStored().getType());
    Type storedElement = storedType.getElementType();
    // i4 stays padded in f32: its buffers pack two values a byte, and an
    // interior that starts mid-byte cannot be a view of one.
    if (storedElement.getIntOrFloatBitWidth() % 8 != 0)
      return rewriter.notifyMatchFailure(op, "sub-byte storage");
    Location loc = op.getLoc();
    auto quantized = QuantizeOp::create(
        rewriter, loc,
        RankedTensorType::get(pad.getSourceType().getShape(), storedElement),
        op.getScales().getType(), pad.getSource(), op.getAxisAttr(),
        op.getBlockAttr());
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getZeroAttr(storedElement));
    auto padded = tensor::PadOp::create(
        rewriter, loc, storedType, quantized.getStored(), pad.getMixedLowPad(),
        pad.getMixedHighPad(), zero);
    rewriter.replaceOp(op, {padded.getResult(), quantized.getScales()});
    return success();
  }
};

/// quantize(expand_shape(x)) -> expand_shape(quantize(x)), where the axis is
/// a dimension of its own in the expansion (or there is none) and there are
/// no blocks: the scale groups are the same elements.
struct QuantizeBeforeExpansion : public OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto expand = op.getInput().getDefiningOp<tensor::ExpandShapeOp>();
    if (!expand || op.getBlock() || !expand.getSrcType().hasStaticShape() ||
        !expand.getResultType().hasStaticShape())
      return rewriter.notifyMatchFailure(op, "not a static expansion");
    // Only worth it where a padding is under the expansion.
    if (!getZeroPadding(expand.getSrc().getDefiningOp<tensor::PadOp>()))
      return rewriter.notifyMatchFailure(op, "no padding to reach");
    IntegerAttr axis = op.getAxisAttr();
    if (axis) {
      // The source dimension whose group holds the axis, if alone in it.
      std::optional<int64_t> sourceAxis;
      for (auto [dim, group] :
           llvm::enumerate(expand.getReassociationIndices()))
        if (llvm::is_contained(group, axis.getInt()) && group.size() == 1)
          sourceAxis = dim;
      if (!sourceAxis)
        return rewriter.notifyMatchFailure(op, "the axis is expanded");
      axis = rewriter.getI64IntegerAttr(*sourceAxis);
    }
    auto storedType = cast<RankedTensorType>(op.getStored().getType());
    Location loc = op.getLoc();
    auto quantized = QuantizeOp::create(
        rewriter, loc,
        RankedTensorType::get(expand.getSrcType().getShape(),
                              storedType.getElementType()),
        op.getScales().getType(), expand.getSrc(), axis, IntegerAttr());
    Value expanded = tensor::ExpandShapeOp::create(
        rewriter, loc, storedType, quantized.getStored(),
        expand.getReassociationIndices());
    rewriter.replaceOp(op, {expanded, quantized.getScales()});
    return success();
  }
};

struct SinkPaddingPass : public agn::impl::SinkPaddingBase<SinkPaddingPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation()->walk(
        [&](UnitOp unit) { (void)sinkInputPadding(rewriter, unit); });
    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeBeforePadding, QuantizeBeforeExpansion>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
