//===- Quantization.cpp - Lower agn.quantize and agn.dequantize -----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Quantization at run time computes, bit for bit, what the constant folder
// (lib/Dialect/AGN/IR/Quantization.cpp) computes at compile time, so that a
// weight quantized ahead of time and one quantized per call agree exactly.
//
// Every granularity is one shape of "scale groups": the values are viewed so
// that the elements sharing a scale are the reduction dimensions of a linalg
// op whose parallel dimensions index the scales. Per block, the quantized
// axis is split into [size / block, block] with tensor.expand_shape; the
// block dimension is reduced and the other one indexes the scales.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/AGNToLinalg/AGNToLinalg.h"

#include "MagnitudeMaximum.h"

#include "agn/Utils/ZeroTensors.h"

#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::agn;

//===----------------------------------------------------------------------===//
// Scale groups
//===----------------------------------------------------------------------===//

namespace {
/// The elements of a tensor grouped by the scale they share.
struct GroupLayout {
  /// The values, per block with the axis split into [size / block, block].
  Value view;
  /// Maps the view's dimensions to the scales' dimensions.
  AffineMap groupMap;
  /// Per block: folds the view back into the values' shape.
  SmallVector<ReassociationIndices> collapse;

  unsigned getRank() const {
    return cast<RankedTensorType>(view.getType()).getRank();
  }

  /// Returns the iterators of a reduction over each group: parallel on the
  /// scales' dimensions, reduction on the others.
  SmallVector<utils::IteratorType> getGroupReductionIterators() const {
    SmallVector<utils::IteratorType> iterators(getRank(),
                                               utils::IteratorType::reduction);
    for (AffineExpr result : groupMap.getResults())
      iterators[cast<AffineDimExpr>(result).getPosition()] =
          utils::IteratorType::parallel;
    return iterators;
  }

  /// Returns the sizes of the scales tensor.
  SmallVector<OpFoldResult> getScalesSizes(OpBuilder &b, Location loc) const {
    SmallVector<OpFoldResult> viewSizes = tensor::getMixedSizes(b, loc, view);
    return llvm::map_to_vector(groupMap.getResults(), [&](AffineExpr result) {
      return viewSizes[cast<AffineDimExpr>(result).getPosition()];
    });
  }

  /// Returns a view-shaped tensor computed elementwise, folded back into the
  /// values' shape.
  Value unview(OpBuilder &b, Location loc, Value viewShaped) const {
    if (collapse.empty())
      return viewShaped;
    return tensor::CollapseShapeOp::create(b, loc, viewShaped, collapse);
  }
};
} // namespace

/// Returns the view of `values` for per-block scales along `axis`: the axis
/// split into [size / block, block]. A dynamic axis size that `block` does
/// not divide would make the view undefined, so it is checked at run time.
static GroupLayout getBlockLayout(OpBuilder &b, Location loc, Value values,
                                  int64_t axis, int64_t block) {
  auto type = cast<RankedTensorType>(values.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, values);
  OpFoldResult numBlocks;
  if (std::optional<int64_t> staticSize = getConstantIntValue(sizes[axis])) {
    numBlocks = b.getIndexAttr(*staticSize / block);
  } else {
    Value size = cast<Value>(sizes[axis]);
    Value blockSize = arith::ConstantIndexOp::create(b, loc, block);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value remainder = arith::RemUIOp::create(b, loc, size, blockSize);
    Value divides = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          remainder, zero);
    cf::AssertOp::create(
        b, loc, divides,
        llvm::formatv("agn: block size {0} does not divide the size of "
                      "dimension {1}",
                      block, axis)
            .str());
    numBlocks = arith::DivUIOp::create(b, loc, size, blockSize).getResult();
  }

  SmallVector<OpFoldResult> viewSizes(sizes.begin(), sizes.begin() + axis);
  viewSizes.push_back(numBlocks);
  viewSizes.push_back(b.getIndexAttr(block));
  viewSizes.append(sizes.begin() + axis + 1, sizes.end());

  GroupLayout layout;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == axis)
      layout.collapse.push_back({i, i + 1});
    else
      layout.collapse.push_back({i < axis ? i : i + 1});
  }
  SmallVector<int64_t> staticViewSizes;
  SmallVector<Value> dynamicViewSizes;
  dispatchIndexOpFoldResults(viewSizes, dynamicViewSizes, staticViewSizes);
  auto viewType = RankedTensorType::get(staticViewSizes, type.getElementType());
  layout.view = tensor::ExpandShapeOp::create(b, loc, viewType, values,
                                              layout.collapse, viewSizes);

  // Every view dimension but the block's own indexes the scales.
  SmallVector<AffineExpr> groupDims;
  for (int64_t i = 0; i <= rank; ++i)
    if (i != axis + 1)
      groupDims.push_back(b.getAffineDimExpr(i));
  layout.groupMap = AffineMap::get(rank + 1, 0, groupDims, b.getContext());
  return layout;
}

/// Returns the scale groups of `values` for the granularity `axis`/`block`
/// of agn.quantize.
static GroupLayout getGroupLayout(OpBuilder &b, Location loc, Value values,
                                  std::optional<int64_t> axis,
                                  std::optional<int64_t> block) {
  if (axis && block)
    return getBlockLayout(b, loc, values, *axis, *block);
  int64_t rank = cast<RankedTensorType>(values.getType()).getRank();
  GroupLayout layout;
  layout.view = values;
  if (axis)
    layout.groupMap = AffineMap::get(rank, 0, b.getAffineDimExpr(*axis));
  else
    layout.groupMap = AffineMap::get(rank, 0, b.getContext());
  return layout;
}

/// Returns the type the largest magnitude of a group of `elementType`
/// values is kept in: exact, and at least f32 (the scales' type).
static FloatType getMaxType(OpBuilder &b, Type elementType) {
  if (elementType.getIntOrFloatBitWidth() > 32)
    return b.getF64Type();
  return b.getF32Type();
}

/// Returns max|x| per group of `layout`, as a tensor of `maxType` shaped as
/// the scales. NaN elements make their group's maximum NaN.
static Value computeGroupMaxima(OpBuilder &b, Location loc,
                                const GroupLayout &layout, FloatType maxType) {
  return buildMagnitudeMaximum(
      b, loc, layout.view, layout.getScalesSizes(b, loc),
      AffineMap::getMultiDimIdentityMap(layout.getRank(), b.getContext()),
      layout.groupMap, layout.getGroupReductionIterators(), maxType);
}

/// Returns a tensor shaped as `like`'s view computed elementwise by
/// `bodyBuilder(x, groupValue)` from the view and a per-group tensor.
static Value mapWithGroupValue(
    OpBuilder &b, Location loc, const GroupLayout &layout, Value perGroup,
    Type resultElementType,
    function_ref<Value(OpBuilder &, Location, Value, Value)> bodyBuilder) {
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, layout.view), resultElementType);
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(layout.getRank(), b.getContext());
  SmallVector<utils::IteratorType> iterators(layout.getRank(),
                                             utils::IteratorType::parallel);
  Value mapped =
      linalg::GenericOp::create(
          b, loc, TypeRange{empty.getType()}, ValueRange{layout.view, perGroup},
          ValueRange{empty},
          ArrayRef<AffineMap>{identity, layout.groupMap, identity}, iterators,
          [&](OpBuilder &nested, Location l, ValueRange args) {
            linalg::YieldOp::create(nested, l,
                                    bodyBuilder(nested, l, args[0], args[1]));
          })
          .getResult(0);
  return layout.unview(b, loc, mapped);
}

/// Returns `value` mapped elementwise by `bodyBuilder` to a tensor of
/// `elementType`.
static Value
mapElements(OpBuilder &b, Location loc, Value value, Type elementType,
            function_ref<Value(OpBuilder &, Location, Value)> bodyBuilder) {
  auto type = cast<RankedTensorType>(value.getType());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, value), elementType);
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty.getType()}, ValueRange{value},
             ValueRange{empty}, ArrayRef<AffineMap>{identity, identity},
             iterators,
             [&](OpBuilder &nested, Location l, ValueRange args) {
               linalg::YieldOp::create(nested, l,
                                       bodyBuilder(nested, l, args[0]));
             })
      .getResult(0);
}

/// Returns `value` converted elementwise to the float type `elementType`
/// (extf or truncf, rounding to nearest even).
static Value convertElements(OpBuilder &b, Location loc, Value value,
                             Type elementType) {
  if (cast<RankedTensorType>(value.getType()).getElementType() == elementType)
    return value;
  return mapElements(b, loc, value, elementType,
                     [&](OpBuilder &nested, Location l, Value x) {
                       return convertScalarToDtype(nested, l, x, elementType,
                                                   /*isUnsignedCast=*/false);
                     });
}

//===----------------------------------------------------------------------===//
// agn.quantize
//===----------------------------------------------------------------------===//

/// Returns clamp(round_half_even(x * qmax / max), -qmax, qmax) as an integer
/// of `storedType`, 0 for an all-zero group, evaluated as the folder does:
/// in f64, x * qmax first (exact for inputs of up to 32 bits), then one
/// rounded division, so ties in exact arithmetic stay ties. The clamp uses
/// maxnumf/minnumf, which return the bound for a NaN quotient (a group with
/// NaN or infinite elements, whose scale is then NaN or infinite anyway), so
/// that fptosi never sees a value out of range.
static Value quantizeElement(OpBuilder &b, Location loc, Value x, Value max,
                             int64_t qmax, Type storedType) {
  Type f64 = b.getF64Type();
  Value x64 = convertScalarToDtype(b, loc, x, f64, /*isUnsignedCast=*/false);
  Value max64 =
      convertScalarToDtype(b, loc, max, f64, /*isUnsignedCast=*/false);
  auto constant = [&](double value) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(value));
  };
  Value limit = constant(static_cast<double>(qmax));
  Value scaled = arith::MulFOp::create(b, loc, x64, limit);
  Value quotient = arith::DivFOp::create(b, loc, scaled, max64);
  Value rounded = math::RoundEvenOp::create(b, loc, quotient);
  Value clamped = arith::MaxNumFOp::create(b, loc, rounded, constant(-qmax));
  clamped = arith::MinNumFOp::create(b, loc, clamped, limit);
  Value zero = constant(0.0);
  Value zeroGroup =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, max64, zero);
  Value q = arith::SelectOp::create(b, loc, zeroGroup, zero, clamped);
  return arith::FPToSIOp::create(b, loc, storedType, q);
}

/// Returns the scales max / qmax (1 for an all-zero group) of the group
/// maxima `maxima`. The quotient is taken in f64 and rounded to f32, as the
/// folder does; for f32 maxima this equals an f32 division (f64 has more than
/// 2 * 24 + 2 bits, so the double rounding is innocuous).
static Value computeScales(OpBuilder &b, Location loc, Value maxima,
                           int64_t qmax) {
  Type f32 = b.getF32Type();
  Type f64 = b.getF64Type();
  return mapElements(
      b, loc, maxima, f32, [&](OpBuilder &nested, Location l, Value max) {
        Value max64 = convertScalarToDtype(nested, l, max, f64,
                                           /*isUnsignedCast=*/false);
        Value limit = arith::ConstantOp::create(
            nested, l, nested.getF64FloatAttr(static_cast<double>(qmax)));
        Value zero =
            arith::ConstantOp::create(nested, l, nested.getF64FloatAttr(0.0));
        Value one =
            arith::ConstantOp::create(nested, l, nested.getF64FloatAttr(1.0));
        Value quotient = arith::DivFOp::create(nested, l, max64, limit);
        Value zeroGroup = arith::CmpFOp::create(
            nested, l, arith::CmpFPredicate::OEQ, max64, zero);
        Value scale =
            arith::SelectOp::create(nested, l, zeroGroup, one, quotient);
        return arith::TruncFOp::create(nested, l, f32, scale).getResult();
      });
}

namespace {
/// Lowers `agn.quantize`: float storage converts the values (truncf or extf,
/// rounding to nearest even) with every scale 1; integer storage reduces
/// max|x| per group, then computes the scales and the stored values.
struct QuantizeOpLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    Type storedType = op.getStored().getType().getElementType();
    GroupLayout layout =
        getGroupLayout(rewriter, loc, input, op.getAxis(), op.getBlock());

    if (isa<FloatType>(storedType)) {
      Value stored = convertElements(rewriter, loc, input, storedType);
      Value empty = tensor::EmptyOp::create(
          rewriter, loc, layout.getScalesSizes(rewriter, loc),
          rewriter.getF32Type());
      Value one = arith::ConstantOp::create(rewriter, loc,
                                            rewriter.getF32FloatAttr(1.0f));
      Value scales =
          linalg::FillOp::create(rewriter, loc, one, empty).getResult(0);
      rewriter.replaceOp(op, {stored, scales});
      return success();
    }

    int64_t qmax = (int64_t{1} << (storedType.getIntOrFloatBitWidth() - 1)) - 1;
    Type inputElementType =
        cast<RankedTensorType>(input.getType()).getElementType();
    Value maxima = computeGroupMaxima(rewriter, loc, layout,
                                      getMaxType(rewriter, inputElementType));
    Value scales = computeScales(rewriter, loc, maxima, qmax);
    Value stored = mapWithGroupValue(
        rewriter, loc, layout, maxima, storedType,
        [&](OpBuilder &b, Location l, Value x, Value max) {
          return quantizeElement(b, l, x, max, qmax, storedType);
        });
    rewriter.replaceOp(op, {stored, scales});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// agn.dequantize
//===----------------------------------------------------------------------===//

/// Lowers `agn.dequantize` to one elementwise pass: stored * scale, computed
/// in f32 (f64 for an f64 result) and rounded once to the result type.
struct DequantizeOpLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type resultType = op.getResult().getType().getElementType();
    FloatType computeType = getMaxType(rewriter, resultType);
    GroupLayout layout = getGroupLayout(rewriter, loc, adaptor.getStored(),
                                        op.getAxis(), op.getBlock());
    Value result = mapWithGroupValue(
        rewriter, loc, layout, adaptor.getScales(), resultType,
        [&](OpBuilder &b, Location l, Value stored, Value scale) {
          // Signed integers: sitofp; floats: extf or truncf.
          Value value = convertScalarToDtype(b, l, stored, computeType,
                                             /*isUnsignedCast=*/false);
          Value factor = convertScalarToDtype(b, l, scale, computeType,
                                              /*isUnsignedCast=*/false);
          Value product = arith::MulFOp::create(b, l, value, factor);
          return convertScalarToDtype(b, l, product, resultType,
                                      /*isUnsignedCast=*/false);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// agn.requantize
//===----------------------------------------------------------------------===//

/// Returns whether `value` (a float) is finite: |value| < infinity, false for
/// NaN.
static Value isFinite(OpBuilder &b, Location loc, Value value) {
  auto type = cast<FloatType>(value.getType());
  Value magnitude = math::AbsFOp::create(b, loc, value);
  Value infinity = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(type, APFloat::getInf(type.getFloatSemantics())));
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, magnitude,
                               infinity);
}

/// Returns what the body of `op` yields for the accumulator `accumulator`
/// and the input elements `inputs` (its ops cloned at `b`). With `finite`,
/// also sets it to whether every float value of the body is finite there.
static Value evaluateRequantizeBody(OpBuilder &b, Location loc, RequantizeOp op,
                                    Value accumulator, ValueRange inputs,
                                    Value *finite) {
  Block &body = op.getBody().front();
  IRMapping mapping;
  mapping.map(body.getArgument(0), accumulator);
  for (auto [argument, input] :
       llvm::zip_equal(body.getArguments().drop_front(), inputs))
    mapping.map(argument, input);
  SmallVector<Value> checked;
  for (Value input : inputs)
    if (isa<FloatType>(input.getType()))
      checked.push_back(input);
  for (Operation &inner : body.without_terminator()) {
    Operation *clone = b.clone(inner, mapping);
    for (Value result : clone->getResults())
      if (isa<FloatType>(result.getType()))
        checked.push_back(result);
  }
  if (finite) {
    *finite = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
    for (Value value : checked)
      *finite = arith::AndIOp::create(b, loc, *finite, isFinite(b, loc, value));
  }
  return mapping.lookupOrDefault(op.getYieldedValue());
}

/// Returns `map` (over the accumulator's dimensions) over the dimensions
/// `cellDims` of the accumulator instead, each of which it must only read.
static AffineMap restrictToDims(AffineMap map, ArrayRef<int64_t> cellDims) {
  MLIRContext *context = map.getContext();
  SmallVector<AffineExpr> results;
  for (AffineExpr result : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(result)) {
      auto *position = llvm::find(cellDims, dim.getPosition());
      results.push_back(getAffineDimExpr(position - cellDims.begin(), context));
      continue;
    }
    results.push_back(result);
  }
  return AffineMap::get(cellDims.size(), 0, results, context);
}

namespace {
/// Lowers `agn.requantize`. The body is monotone in the accumulator, so over
/// the elements that share every input value (a cell: one channel of one
/// image, for per-channel epilogue values) the largest |y| is at the
/// smallest or the largest accumulator. The lowering reduces those two per
/// cell (integer min/max, one read of the accumulators), evaluates the body
/// at both, and takes each group's largest magnitude from them. That equals
/// the maximum over all of y when every float value of the body is finite at
/// both ends of every cell (each then lies between its values at the ends);
/// otherwise, which takes NaN or infinite data, it computes y and its
/// maxima as agn.quantize does. Then one pass over the accumulators
/// evaluates the body and quantizes, with agn.quantize's arithmetic: the
/// bits of the quantization of the materialized y, without it.
struct RequantizeOpLowering : OpConversionPattern<RequantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value accumulator = adaptor.getAccumulator();
    auto accumulatorType = cast<RankedTensorType>(accumulator.getType());
    auto integerType = cast<IntegerType>(accumulatorType.getElementType());
    int64_t rank = accumulatorType.getRank();
    SmallVector<Value> inputs(adaptor.getInputs());
    SmallVector<AffineMap> maps = op.getInputMaps();
    std::optional<int64_t> axis = op.getAxis();
    Type storedType = op.getStored().getType().getElementType();
    int64_t qmax = (int64_t{1} << (storedType.getIntOrFloatBitWidth() - 1)) - 1;
    Type valueType = op.getYieldedValue().getType();
    FloatType maxType = getMaxType(rewriter, valueType);
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, context);
    auto parallel = utils::IteratorType::parallel;
    auto reduction = utils::IteratorType::reduction;

    // The cells' dimensions: those the inputs are indexed by, and the axis.
    SmallVector<int64_t> cellDims;
    for (int64_t dim = 0; dim < rank; ++dim) {
      bool read = axis && *axis == dim;
      for (AffineMap map : maps)
        read |= map.isFunctionOfDim(dim);
      if (read)
        cellDims.push_back(dim);
    }
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, accumulator);
    SmallVector<OpFoldResult> cellSizes =
        llvm::map_to_vector(cellDims, [&](int64_t dim) { return sizes[dim]; });

    // The smallest and largest accumulator of each cell, in two reductions
    // of one result each (LLVM keeps such an accumulator in registers and
    // vectorizes the loop; two results in one loop are stored every step).
    // Each run of consecutive reduced dimensions is one loop (a 14x14 plane
    // one loop of 196, not 14 of 14).
    SmallVector<ReassociationIndices> runs;
    for (int64_t dim = 0; dim < rank; ++dim) {
      bool reduced = !llvm::is_contained(cellDims, dim);
      if (reduced && !runs.empty() &&
          !llvm::is_contained(cellDims, runs.back().back()))
        runs.back().push_back(dim);
      else
        runs.push_back({dim});
    }
    Value runsView = accumulator;
    SmallVector<utils::IteratorType> runIterators;
    SmallVector<AffineExpr> runCells;
    for (auto [index, run] : llvm::enumerate(runs)) {
      bool cell = llvm::is_contained(cellDims, run.front());
      runIterators.push_back(cell ? parallel : reduction);
      if (cell)
        runCells.push_back(getAffineDimExpr(index, context));
    }
    if (runs.size() != static_cast<size_t>(rank))
      runsView =
          tensor::CollapseShapeOp::create(rewriter, loc, accumulator, runs);
    AffineMap runIdentity =
        AffineMap::getMultiDimIdentityMap(runs.size(), context);
    AffineMap runToCells = AffineMap::get(runs.size(), 0, runCells, context);
    unsigned width = integerType.getWidth();
    auto reduceCells = [&](const APInt &start, bool smallest) -> Value {
      Value empty =
          tensor::EmptyOp::create(rewriter, loc, cellSizes, integerType);
      Value constant = arith::ConstantOp::create(
          rewriter, loc, rewriter.getIntegerAttr(integerType, start));
      Value init =
          linalg::FillOp::create(rewriter, loc, constant, empty).getResult(0);
      return linalg::GenericOp::create(
                 rewriter, loc, TypeRange{init.getType()}, ValueRange{runsView},
                 ValueRange{init}, ArrayRef<AffineMap>{runIdentity, runToCells},
                 runIterators,
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   Value combined =
                       smallest ? arith::MinSIOp::create(b, l, args[1], args[0])
                                      .getResult()
                                : arith::MaxSIOp::create(b, l, args[1], args[0])
                                      .getResult();
                   linalg::YieldOp::create(b, l, combined);
                 })
          .getResult(0);
    };
    Value lowest = reduceCells(APInt::getSignedMaxValue(width), true);
    Value highest = reduceCells(APInt::getSignedMinValue(width), false);

    // Each group's largest |y| from its cells' ends; NaN where a value of
    // the body is not finite at an end.
    int64_t cellRank = cellDims.size();
    AffineMap cellIdentity =
        AffineMap::getMultiDimIdentityMap(cellRank, context);
    AffineMap groupOfCell =
        axis ? AffineMap::get(cellRank, 0,
                              getAffineDimExpr(llvm::find(cellDims, *axis) -
                                                   cellDims.begin(),
                                               context))
             : AffineMap::get(cellRank, 0, context);
    AffineMap groupOfElement =
        axis ? AffineMap::get(rank, 0, getAffineDimExpr(*axis, context))
             : AffineMap::get(rank, 0, context);
    SmallVector<OpFoldResult> groupSizes;
    if (axis)
      groupSizes.push_back(sizes[*axis]);
    SmallVector<AffineMap> endMaps = {cellIdentity, cellIdentity};
    for (AffineMap map : maps)
      endMaps.push_back(restrictToDims(map, cellDims));
    endMaps.push_back(groupOfCell);
    SmallVector<utils::IteratorType> groupIterators(cellRank, reduction);
    if (axis)
      groupIterators[groupOfCell.getDimPosition(0)] = parallel;
    SmallVector<Value> endInputs = {lowest, highest};
    llvm::append_range(endInputs, inputs);
    Value groupInit = createZeros(rewriter, loc, groupSizes, maxType);
    Value fromEnds =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{groupInit.getType()}, endInputs,
            ValueRange{groupInit}, endMaps, groupIterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value low = args[0], high = args[1];
              ValueRange values = args.drop_front(2).drop_back();
              Value finiteLow, finiteHigh;
              Value atLow =
                  evaluateRequantizeBody(b, l, op, low, values, &finiteLow);
              Value atHigh =
                  evaluateRequantizeBody(b, l, op, high, values, &finiteHigh);
              auto magnitude = [&](Value value) {
                return convertScalarToDtype(
                    b, l, math::AbsFOp::create(b, l, value), maxType,
                    /*isUnsignedCast=*/false);
              };
              Value largest = arith::MaximumFOp::create(b, l, magnitude(atLow),
                                                        magnitude(atHigh));
              Value finite = arith::AndIOp::create(b, l, finiteLow, finiteHigh);
              Value nan = arith::ConstantOp::create(
                  b, l,
                  b.getFloatAttr(maxType,
                                 APFloat::getNaN(maxType.getFloatSemantics())));
              largest = arith::SelectOp::create(b, l, finite, largest, nan);
              // A cell without elements (a reduced dimension of size 0)
              // holds no value.
              Value filled = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::sle, low, high);
              Value zero =
                  arith::ConstantOp::create(b, l, b.getFloatAttr(maxType, 0.0));
              largest = arith::SelectOp::create(b, l, filled, largest, zero);
              linalg::YieldOp::create(b, l,
                                      ValueRange{arith::MaximumFOp::create(
                                          b, l, args.back(), largest)});
            })
            .getResult(0);

    // The computed y's maxima where an end was not finite.
    Value anyUnknown =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{RankedTensorType::get({}, maxType)},
            ValueRange{fromEnds},
            ValueRange{createZeros(rewriter, loc, {}, maxType)},
            ArrayRef<AffineMap>{
                AffineMap::getMultiDimIdentityMap(groupSizes.size(), context),
                AffineMap::get(groupSizes.size(), 0, context)},
            SmallVector<utils::IteratorType>(groupSizes.size(), reduction),
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(b, l,
                                      ValueRange{arith::MaximumFOp::create(
                                          b, l, args[1], args[0])});
            })
            .getResult(0);
    Value unknown = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::UNO,
        tensor::ExtractOp::create(rewriter, loc, anyUnknown, ValueRange{}),
        tensor::ExtractOp::create(rewriter, loc, anyUnknown, ValueRange{}));
    SmallVector<AffineMap> elementMaps = {identity};
    llvm::append_range(elementMaps, maps);
    SmallVector<Value> elementInputs = {accumulator};
    llvm::append_range(elementInputs, inputs);
    SmallVector<AffineMap> valueMaps(elementMaps);
    valueMaps.push_back(identity);
    auto maxima = scf::IfOp::create(
        rewriter, loc, unknown,
        [&](OpBuilder &b, Location l) {
          Value empty = tensor::EmptyOp::create(b, l, sizes, valueType);
          Value values =
              linalg::GenericOp::create(
                  b, l, TypeRange{empty.getType()}, elementInputs,
                  ValueRange{empty}, valueMaps,
                  SmallVector<utils::IteratorType>(rank, parallel),
                  [&](OpBuilder &nested, Location nl, ValueRange args) {
                    linalg::YieldOp::create(
                        nested, nl,
                        ValueRange{evaluateRequantizeBody(
                            nested, nl, op, args[0],
                            args.drop_front().drop_back(), nullptr)});
                  })
                  .getResult(0);
          GroupLayout layout =
              getGroupLayout(b, l, values, axis, /*block=*/std::nullopt);
          scf::YieldOp::create(b, l, computeGroupMaxima(b, l, layout, maxType));
        },
        [&](OpBuilder &b, Location l) {
          scf::YieldOp::create(b, l, fromEnds);
        });

    Value scales = computeScales(rewriter, loc, maxima.getResult(0), qmax);
    SmallVector<Value> storeInputs(elementInputs);
    storeInputs.push_back(maxima.getResult(0));
    SmallVector<AffineMap> storeMaps(elementMaps);
    storeMaps.push_back(groupOfElement);
    storeMaps.push_back(identity);
    Value empty = tensor::EmptyOp::create(rewriter, loc, sizes, storedType);
    Value stored =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{empty.getType()}, storeInputs,
            ValueRange{empty}, storeMaps,
            SmallVector<utils::IteratorType>(rank, parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value value = evaluateRequantizeBody(
                  b, l, op, args[0], args.drop_front().drop_back(2), nullptr);
              linalg::YieldOp::create(
                  b, l,
                  ValueRange{quantizeElement(b, l, value, args[args.size() - 2],
                                             qmax, storedType)});
            })
            .getResult(0);
    rewriter.replaceOp(op, {stored, scales});
    return success();
  }
};
} // namespace

void mlir::agn::populateQuantizationLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<QuantizeOpLowering, DequantizeOpLowering, RequantizeOpLowering>(
      patterns.getContext());
}
