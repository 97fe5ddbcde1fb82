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
// to zero at any finite scale, so quantize(pad(x, 0)) and pad(quantize(x),
// 0) hold the same values and scales, bit for bit, where the padded
// dimensions are within the scale groups (not the quantization axis, no
// blocks). (A group holding a NaN has a NaN scale: its border quantizes to
// -127 one way and 0 the other, and every product with it is NaN either
// way.)
//
// The pass runs after agn-insert-controllers (whose statistic measures the
// padded image, as before) and agn-multiversion (whose versions hold the
// quantizations it rewrites).
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

/// Returns `pad` if it pads with a constant zero (+0.0 or integer 0) by
/// static amounts; else null. (Not -0.0: the rewrites pad with +0.0.)
static tensor::PadOp getZeroPadding(tensor::PadOp pad) {
  if (!pad || !pad.getResultType().hasStaticShape() ||
      !pad.getSourceType().hasStaticShape() || !pad.getLow().empty() ||
      !pad.getHigh().empty())
    return {};
  Value value = pad.getConstantPaddingValue();
  if (!value ||
      !(matchPattern(value, m_PosZeroFloat()) || matchPattern(value, m_Zero())))
    return {};
  return pad;
}

/// Returns whether dimension `dim` of `pad`'s result is padded.
static bool isPadded(tensor::PadOp pad, int64_t dim) {
  return pad.getStaticLow()[dim] != 0 || pad.getStaticHigh()[dim] != 0;
}

/// Returns whether `op`, with its input viewed as `pad`'s result and its
/// axis as `axis` of that result, can quantize `pad`'s source and pad the
/// stored values instead, bit for bit: a zero padding, no blocks, the axis
/// (if any) not padded, and storage of whole bytes (i4 buffers pack two
/// values a byte, and an interior that starts mid-byte cannot be a view of
/// one).
static bool canQuantizeBeforePadding(QuantizeOp op, tensor::PadOp pad,
                                     std::optional<int64_t> axis) {
  auto storedType = cast<RankedTensorType>(op.getStored().getType());
  return getZeroPadding(pad) && !op.getBlock() &&
         !(axis && isPadded(pad, *axis)) &&
         storedType.getElementTypeBitWidth() % 8 == 0;
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
    auto pad = op.getInput().getDefiningOp<tensor::PadOp>();
    std::optional<int64_t> axis;
    if (std::optional<uint64_t> value = op.getAxis())
      axis = *value;
    if (!pad || !canQuantizeBeforePadding(op, pad, axis))
      return rewriter.notifyMatchFailure(op, "not an exact rewrite");
    auto storedType = cast<RankedTensorType>(op.getStored().getType());
    Type storedElement = storedType.getElementType();
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
        pad.getMixedHighPad(), zero, pad.getNofold());
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
    IntegerAttr axis = op.getAxisAttr();
    std::optional<int64_t> sourceAxis;
    if (axis) {
      // The source dimension whose group holds the axis, if alone in it.
      for (auto [dim, group] :
           llvm::enumerate(expand.getReassociationIndices()))
        if (llvm::is_contained(group, axis.getInt()) && group.size() == 1)
          sourceAxis = dim;
      if (!sourceAxis)
        return rewriter.notifyMatchFailure(op, "the axis is expanded");
      axis = rewriter.getI64IntegerAttr(*sourceAxis);
    }
    // Only where QuantizeBeforePadding then applies to the padding under
    // the expansion: moved alone, the quantization gains nothing.
    auto pad = expand.getSrc().getDefiningOp<tensor::PadOp>();
    if (!pad || !canQuantizeBeforePadding(op, pad, sourceAxis))
      return rewriter.notifyMatchFailure(op, "no exact padding to reach");
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
    // Within the units only: the pass is about their versions, and leaves
    // what else the module quantizes as written.
    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeBeforePadding, QuantizeBeforeExpansion>(&getContext());
    FrozenRewritePatternSet frozen(std::move(patterns));
    WalkResult result = getOperation()->walk([&](UnitOp unit) {
      if (failed(applyPatternsGreedily(unit.getBody(), frozen)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
