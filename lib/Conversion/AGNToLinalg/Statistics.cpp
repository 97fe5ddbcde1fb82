//===- Statistics.cpp - Lower agn.variance and agn.abs_max ----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Both statistics read the input once, as a linalg reduction over the
// row-major flattening of the (sampled) input, so that the controller costs
// one streaming pass and upstream tiling and vectorization apply to it.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/AGNToLinalg/AGNToLinalg.h"

#include "MagnitudeMaximum.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::agn;

//===----------------------------------------------------------------------===//
// Sampling
//===----------------------------------------------------------------------===//

/// Returns `input` as a 1-D tensor in row-major order.
static Value flatten(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getRank() == 1)
    return input;
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1}, type.getElementType()), input,
        ArrayRef<ReassociationIndices>{});
  ReassociationIndices all =
      llvm::to_vector(llvm::seq<int64_t>(type.getRank()));
  return tensor::CollapseShapeOp::create(b, loc, input,
                                         ArrayRef<ReassociationIndices>{all});
}

/// Returns the elements a statistic with `stride` reads: every `stride`-th
/// element of the row-major flattening of `input`, starting with the first,
/// as a 1-D tensor (a strided view, not a copy).
static Value getSampledElements(OpBuilder &b, Location loc, Value input,
                                int64_t stride) {
  Value flat = flatten(b, loc, input);
  if (stride == 1)
    return flat;
  // ceil(n / stride) elements: indices 0, stride, 2 * stride, ... below n.
  OpFoldResult count;
  int64_t size = cast<RankedTensorType>(flat.getType()).getDimSize(0);
  if (ShapedType::isStatic(size)) {
    count = b.getIndexAttr(llvm::divideCeil(size, stride));
  } else {
    Value n = tensor::DimOp::create(b, loc, flat, 0);
    Value s = arith::ConstantIndexOp::create(b, loc, stride);
    count = arith::CeilDivUIOp::create(b, loc, n, s).getResult();
  }
  return tensor::ExtractSliceOp::create(
      b, loc, flat, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{count},
      ArrayRef<OpFoldResult>{b.getIndexAttr(stride)});
}

/// Returns a 0-d tensor of `type` holding zero, the initial value of a
/// reduction.
static Value createZeroScalarTensor(OpBuilder &b, Location loc, Type type) {
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, type);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

/// Returns the maps and iterator of a full reduction of a 1-D tensor into
/// `numResults` 0-d tensors.
static SmallVector<AffineMap> getFullReductionMaps(MLIRContext *context,
                                                   unsigned numResults) {
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(1, context)};
  maps.append(numResults, AffineMap::get(1, 0, context));
  return maps;
}

//===----------------------------------------------------------------------===//
// agn.variance
//===----------------------------------------------------------------------===//

namespace {
/// Lowers `agn.variance` to shifted sums in f64, computed in one linalg
/// reduction: with K the first sampled element, S1 = sum(x - K) and
/// S2 = sum((x - K)^2), the population variance is (S2 - S1^2 / n) / n.
///
/// Shifting by a sample keeps S2 - S1^2 / n from cancelling when the mean is
/// large against the spread (the flaw of the textbook sum of squares), and
/// unlike Welford's update it needs no division per element and vectorizes
/// as a plain sum. The sums are accumulated in f64: the pass is bound by
/// memory bandwidth (it reads the f32 input once), so the wider arithmetic is
/// free, and it keeps the rounding error of a sequential sum over millions of
/// elements (about n * 2^-53 relative) far below f32's resolution, so the
/// result is, in practice, the f64 Welford reference of the constant folder
/// rounded to f32. A NaN or infinite element makes S2 NaN or infinite and the
/// result NaN (inf - inf), as the op requires.
struct VarianceOpLowering : OpConversionPattern<VarianceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(VarianceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Type f32 = rewriter.getF32Type();
    Type f64 = rewriter.getF64Type();
    Value sampled =
        getSampledElements(rewriter, loc, adaptor.getInput(), op.getStride());
    auto sampledType = cast<RankedTensorType>(sampled.getType());
    Type elementType = sampledType.getElementType();

    // An empty input has variance 0.
    int64_t staticCount = sampledType.getDimSize(0);
    if (staticCount == 0) {
      rewriter.replaceOpWithNewOp<arith::ConstantOp>(
          op, rewriter.getF32FloatAttr(0.0f));
      return success();
    }
    Value count = tensor::DimOp::create(rewriter, loc, sampled, 0);
    Value zeroIndex = arith::ConstantIndexOp::create(rewriter, loc, 0);

    // K: the first sampled element, read only when there is one.
    Value shift;
    if (ShapedType::isStatic(staticCount)) {
      shift = tensor::ExtractOp::create(rewriter, loc, sampled, zeroIndex);
    } else {
      Value nonEmpty = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::ugt, count, zeroIndex);
      auto ifOp = scf::IfOp::create(
          rewriter, loc, nonEmpty,
          [&](OpBuilder &b, Location l) {
            Value first = tensor::ExtractOp::create(b, l, sampled, zeroIndex);
            scf::YieldOp::create(b, l, first);
          },
          [&](OpBuilder &b, Location l) {
            Value zero =
                arith::ConstantOp::create(b, l, b.getZeroAttr(elementType));
            scf::YieldOp::create(b, l, zero);
          });
      shift = ifOp.getResult(0);
    }
    shift = convertScalarToDtype(rewriter, loc, shift, f64,
                                 /*isUnsignedCast=*/false);

    // One accumulator each: a shared init would make bufferization copy.
    Value initS1 = createZeroScalarTensor(rewriter, loc, f64);
    Value initS2 = createZeroScalarTensor(rewriter, loc, f64);
    auto sums = linalg::GenericOp::create(
        rewriter, loc, TypeRange{initS1.getType(), initS2.getType()},
        ValueRange{sampled}, ValueRange{initS1, initS2},
        getFullReductionMaps(context, 2), {utils::IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = convertScalarToDtype(b, l, args[0], f64,
                                         /*isUnsignedCast=*/false);
          Value d = arith::SubFOp::create(b, l, x, shift);
          // The sums may be reassociated: it lets LLVM vectorize the
          // reduction, and any order is as accurate in f64.
          auto reassoc = arith::FastMathFlags::reassoc;
          Value s1 = arith::AddFOp::create(b, l, args[1], d, reassoc);
          Value square = arith::MulFOp::create(b, l, d, d);
          Value s2 = arith::AddFOp::create(b, l, args[2], square, reassoc);
          linalg::YieldOp::create(b, l, ValueRange{s1, s2});
        });
    Value s1 = tensor::ExtractOp::create(rewriter, loc, sums.getResult(0),
                                         ValueRange{});
    Value s2 = tensor::ExtractOp::create(rewriter, loc, sums.getResult(1),
                                         ValueRange{});

    // (S2 - S1^2 / n) / n, clamped at 0 against rounding; maximumf keeps NaN.
    Value countI64 = arith::IndexCastUIOp::create(rewriter, loc,
                                                  rewriter.getI64Type(), count);
    Value n = arith::UIToFPOp::create(rewriter, loc, f64, countI64);
    Value s1Squared = arith::MulFOp::create(rewriter, loc, s1, s1);
    Value correction = arith::DivFOp::create(rewriter, loc, s1Squared, n);
    Value centered = arith::SubFOp::create(rewriter, loc, s2, correction);
    Value variance = arith::DivFOp::create(rewriter, loc, centered, n);
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getF64FloatAttr(0.0));
    variance = arith::MaximumFOp::create(rewriter, loc, variance, zero);
    if (ShapedType::isDynamic(staticCount)) {
      // 0 / 0 is NaN: an empty input must read 0.
      Value empty = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, count, zeroIndex);
      variance = arith::SelectOp::create(rewriter, loc, empty, zero, variance);
    }
    rewriter.replaceOpWithNewOp<arith::TruncFOp>(op, f32, variance);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// agn.abs_max
//===----------------------------------------------------------------------===//

/// Lowers `agn.abs_max` to a max-abs linalg reduction from 0, which is also
/// the result for an empty input; a NaN element makes the result NaN (see
/// buildMagnitudeMaximum).
struct AbsMaxOpLowering : OpConversionPattern<AbsMaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AbsMaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value sampled =
        getSampledElements(rewriter, loc, adaptor.getInput(), op.getStride());
    SmallVector<AffineMap> maps =
        getFullReductionMaps(rewriter.getContext(), 1);
    Value max = buildMagnitudeMaximum(
        rewriter, loc, sampled, /*sizes=*/{}, maps[0], maps[1],
        {utils::IteratorType::reduction}, rewriter.getF32Type());
    rewriter.replaceOpWithNewOp<tensor::ExtractOp>(op, max, ValueRange{});
    return success();
  }
};
} // namespace

void mlir::agn::populateStatisticLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<VarianceOpLowering, AbsMaxOpLowering>(patterns.getContext());
}
