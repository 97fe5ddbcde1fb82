//===- Im2Col.cpp - agn-gpu-im2col ----------------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Convolutions have four or more parallel loops, which agn's GPU kernels do
// not map; as im2col copies and matmuls, their arithmetic becomes kernels of
// the same kind as every other contraction.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNGPUIM2COL
#include "agn/Codegen/GPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
/// Extends the filter of a convolution to its input's element type (i4
/// weights of an i8 convolution to i8, signed, as linalg's convolutions
/// extend): upstream's im2col rewrite gives the reshaped filter the input's
/// element type, which reinterprets the bits of a narrower filter (MLIR 22;
/// an i4 constant folded to zero-extended bytes).
template <typename ConvOp>
struct WidenConvolutionFilter : public OpRewritePattern<ConvOp> {
  using OpRewritePattern<ConvOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp conv,
                                PatternRewriter &rewriter) const override {
    Value filter = conv.getInputs()[1];
    auto filterType = dyn_cast<RankedTensorType>(filter.getType());
    Type inputElement = getElementTypeOrSelf(conv.getInputs()[0]);
    if (!filterType || filterType.getElementType() == inputElement)
      return failure();
    Type filterElement = filterType.getElementType();
    bool widerInt = isa<IntegerType>(filterElement) &&
                    isa<IntegerType>(inputElement) &&
                    filterElement.getIntOrFloatBitWidth() <
                        inputElement.getIntOrFloatBitWidth();
    bool widerFloat = isa<FloatType>(filterElement) &&
                      isa<FloatType>(inputElement) &&
                      filterElement.getIntOrFloatBitWidth() <
                          inputElement.getIntOrFloatBitWidth();
    if (!widerInt && !widerFloat)
      return rewriter.notifyMatchFailure(conv, "no widening of the filter");
    Location loc = conv.getLoc();
    auto wideType = filterType.clone(inputElement);
    Value init = tensor::EmptyOp::create(rewriter, loc, wideType.getShape(),
                                         inputElement);
    AffineMap identity = rewriter.getMultiDimIdentityMap(filterType.getRank());
    auto widened = linalg::GenericOp::create(
        rewriter, loc, wideType, filter, init,
        ArrayRef<AffineMap>{identity, identity},
        SmallVector<utils::IteratorType>(filterType.getRank(),
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location nested, ValueRange args) {
          Value wide =
              widerInt
                  ? arith::ExtSIOp::create(b, nested, inputElement, args[0])
                        .getResult()
                  : arith::ExtFOp::create(b, nested, inputElement, args[0])
                        .getResult();
          linalg::YieldOp::create(b, nested, wide);
        });
    rewriter.modifyOpInPlace(
        conv, [&] { conv->setOperand(1, widened.getResult(0)); });
    return success();
  }
};

struct GpuIm2ColPass : public agn::impl::AGNGpuIm2ColBase<GpuIm2ColPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<WidenConvolutionFilter<linalg::Conv2DNhwcHwcfOp>,
                 WidenConvolutionFilter<linalg::Conv2DNhwcFhwcOp>,
                 WidenConvolutionFilter<linalg::Conv2DNchwFchwOp>,
                 WidenConvolutionFilter<linalg::DepthwiseConv2DNhwcHwcOp>>(
        &getContext(), /*benefit=*/2);
    linalg::populateConvertConv2DToImg2ColPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
