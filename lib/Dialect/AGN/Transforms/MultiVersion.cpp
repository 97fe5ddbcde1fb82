//===- MultiVersion.cpp - One kernel version per precision level ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn-multiversion replaces the reference computation of each controlled
// unit (everything after its agn.arbitrate) by an agn.dispatch on the granted
// level, with one version per allowed level. The versions differ only in the
// contraction; the epilogue follows it, in f32, in every one:
//
//   f32        the reference as written;
//   f16, bf16  the contraction's operands rounded to that type, accumulated
//              in f32 (named linalg ops cast their inputs to the accumulator
//              type); for f16, the activations scaled by a power of two into
//              f16's range first and the sum scaled back;
//   i8         activations quantized per row, weights per output channel,
//              i8 x i8 -> i32 accumulation, then
//              init + float(acc) * s_act[row] * s_w[channel];
//   i4         the same with i4 weights, their scales per block along the
//              reduction when blocks apply (partial sums per block, rescaled
//              by each block's scale and summed in f32), per output channel
//              otherwise.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Dialect/AGN/IR/Quantization.h"
#include "agn/Dialect/AGN/Transforms/Contraction.h"
#include "agn/Dialect/AGN/Transforms/QuantizationScheme.h"
#include "agn/Utils/ZeroTensors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"

namespace mlir::agn {
#define GEN_PASS_DEF_MULTIVERSION
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

//===----------------------------------------------------------------------===//
// Small builders
//===----------------------------------------------------------------------===//

/// Returns `value`'s type as a ranked tensor type.
static RankedTensorType getTensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Creates an uninitialized tensor shaped like `like`, of `elementType`.
static Value createEmptyLike(OpBuilder &b, Location loc, Value like,
                             Type elementType) {
  return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, like),
                                 elementType);
}

/// Returns the map from `numDims` loops to the single loop `dim`, or to no
/// result (a 0-d operand) when there is no dimension.
static AffineMap getScaleMap(unsigned numDims, std::optional<int64_t> dim,
                             MLIRContext *context) {
  if (!dim)
    return AffineMap::get(numDims, /*symbolCount=*/0, context);
  return AffineMap::get(numDims, /*symbolCount=*/0,
                        getAffineDimExpr(*dim, context));
}

/// Quantizes `value` to `storage` with `granularity`; returns the stored
/// values and sets `scales`.
static Value createQuantize(OpBuilder &b, Location loc, Value value,
                            Type storage, ScaleGranularity granularity,
                            Value *scales = nullptr) {
  RankedTensorType type = getTensorType(value);
  auto storedType = RankedTensorType::get(type.getShape(), storage);
  auto scalesType = RankedTensorType::get(
      getQuantizationScalesShape(type.getShape(), granularity.axis,
                                 granularity.block),
      b.getF32Type());
  IntegerAttr axis =
      granularity.axis ? b.getI64IntegerAttr(*granularity.axis) : IntegerAttr();
  IntegerAttr block = granularity.block
                          ? b.getI64IntegerAttr(*granularity.block)
                          : IntegerAttr();
  auto quantize =
      QuantizeOp::create(b, loc, storedType, scalesType, value, axis, block);
  if (scales)
    *scales = quantize.getScales();
  return quantize.getStored();
}

/// Drops the last dimension, of size 1 in the slice, of `value`.
static Value sliceFirstOfLastDim(OpBuilder &b, Location loc, Value value) {
  RankedTensorType type = getTensorType(value);
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  sizes.back() = b.getIndexAttr(1);
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  auto resultType =
      RankedTensorType::get(type.getShape().drop_back(), type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, resultType, value, offsets,
                                        sizes, strides);
}

/// Quantizes the weights to i4. agn.quantize packs i4 values two per byte
/// along the innermost dimension and so needs it even. When it is odd,
/// constant weights are quantized here, with the arithmetic of the op's
/// folder; other weights are quantized as a copy with every element doubled
/// along a new innermost dimension of 2, which changes no group's maximum and
/// hence no stored value or scale, and the first copy is sliced back out, as
/// i8.
static Value createI4WeightQuantize(OpBuilder &b, Location loc, Value weight,
                                    ScaleGranularity granularity,
                                    Value *scales) {
  RankedTensorType type = getTensorType(weight);
  Type i4 = b.getIntegerType(4);
  if (type.getRank() == 0 || ShapedType::isDynamic(type.getShape().back()) ||
      type.getShape().back() % 2 == 0)
    return createQuantize(b, loc, weight, i4, granularity, scales);

  DenseFPElementsAttr constant;
  if (matchPattern(weight, m_Constant(&constant))) {
    auto storedType = RankedTensorType::get(type.getShape(), i4);
    auto scalesType = RankedTensorType::get(
        getQuantizationScalesShape(type.getShape(), granularity.axis,
                                   granularity.block),
        b.getF32Type());
    FailureOr<QuantizedConstant> quantized = quantizeConstant(
        constant, storedType, scalesType, granularity.axis, granularity.block);
    if (succeeded(quantized)) {
      *scales = arith::ConstantOp::create(b, loc, quantized->scales);
      return arith::ConstantOp::create(b, loc, quantized->stored);
    }
  }

  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, weight);
  sizes.push_back(b.getIndexAttr(2));
  Value empty = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  Value doubled = linalg::BroadcastOp::create(b, loc, weight, empty,
                                              ArrayRef<int64_t>{type.getRank()})
                      .getResult()
                      .front();
  Value stored = createQuantize(b, loc, doubled, i4, granularity, scales);
  // Per-block scales have the rank of the values, doubled dimension included.
  if (granularity.isPerBlock())
    *scales = sliceFirstOfLastDim(b, loc, *scales);
  // A slice of packed i4 values is a view with half-byte strides, which the
  // narrow-type emulation cannot lower; the values are sliced widened to i8
  // instead (the same numbers: the version still computes at i4).
  auto widenedType = RankedTensorType::get(
      cast<RankedTensorType>(stored.getType()).getShape(), b.getI8Type());
  Value widened = arith::ExtSIOp::create(b, loc, widenedType, stored);
  return sliceFirstOfLastDim(b, loc, widened);
}

//===----------------------------------------------------------------------===//
// Contraction clones with other element types
//===----------------------------------------------------------------------===//

namespace {
/// How a clone of the contraction multiplies and accumulates.
enum class Accumulation {
  /// Float inputs extended to the (f32) accumulator type.
  Float,
  /// Integer inputs sign-extended to the (i32) accumulator type.
  SignedInteger,
};
} // namespace

/// Re-creates the named linalg op `op` on `inputs` and `init`, with its body
/// built for their element types by the op's own region builder: named ops
/// cast their inputs to the accumulator type, signed for integers unless a
/// `cast` attribute says otherwise (dropped for signed integers).
static Value createNamedContraction(OpBuilder &b, linalg::LinalgOp op,
                                    ValueRange inputs, Value init,
                                    Accumulation accumulation) {
  Location loc = op.getLoc();
  OperationState state(loc, op->getName());
  state.addOperands(inputs);
  state.addOperands(init);
  state.addTypes(init.getType());
  for (NamedAttribute attr : op->getAttrs())
    if (accumulation != Accumulation::SignedInteger || attr.getName() != "cast")
      state.addAttribute(attr.getName(), attr.getValue());

  Region *region = state.addRegion();
  auto *body = new Block();
  region->push_back(body);
  for (Value operand : state.operands)
    body->addArgument(getElementTypeOrSelf(operand), loc);
  // The region has no parent op yet, so the builder cannot get the context
  // from the block.
  ImplicitLocOpBuilder implicitBuilder(loc, b.getContext());
  implicitBuilder.setInsertionPointToStart(body);
  op.getRegionBuilder()(implicitBuilder, *body, state.attributes.getAttrs(),
                        [&]() { return op->emitError(); });
  return b.create(state)->getResult(0);
}

/// Re-creates the linalg.generic contraction `op` on `inputs` and `init`.
/// Float inputs are extended to the type the body computes in and the body
/// is kept; integer inputs get the body `init + ext(a) * ext(b)`, which is
/// what a contraction's body computes.
static Value createGenericContraction(OpBuilder &b, linalg::GenericOp op,
                                      ValueRange inputs, Value init,
                                      Accumulation accumulation) {
  auto buildBody = [&](OpBuilder &nested, Location loc, ValueRange args) {
    if (accumulation == Accumulation::SignedInteger) {
      Type accType = args.back().getType();
      Value lhs = arith::ExtSIOp::create(nested, loc, accType, args[0]);
      Value rhs = arith::ExtSIOp::create(nested, loc, accType, args[1]);
      Value product = arith::MulIOp::create(nested, loc, lhs, rhs);
      Value sum = arith::AddIOp::create(nested, loc, args[2], product);
      linalg::YieldOp::create(nested, loc, sum);
      return;
    }
    IRMapping mapping;
    for (auto [oldArg, newArg] :
         llvm::zip(op.getBody()->getArguments(), args)) {
      Value value = newArg;
      if (oldArg.getType() != newArg.getType())
        value = arith::ExtFOp::create(nested, loc, oldArg.getType(), newArg);
      mapping.map(oldArg, value);
    }
    for (Operation &inner : op.getBody()->getOperations())
      nested.clone(inner, mapping);
  };
  return linalg::GenericOp::create(b, op.getLoc(), TypeRange{init.getType()},
                                   inputs, init, op.getIndexingMapsArray(),
                                   op.getIteratorTypesArray(), buildBody)
      .getResult(0);
}

/// Clones the contraction of `info` with `input` and `weight` in place of its
/// activations and weights, and `init` as its accumulator.
static Value createContraction(OpBuilder &b, const ContractionInfo &info,
                               Value input, Value weight, Value init,
                               Accumulation accumulation) {
  SmallVector<Value> inputs(2);
  inputs[info.inputIndex] = input;
  inputs[info.weightIndex] = weight;
  if (auto generic = dyn_cast<linalg::GenericOp>(info.op.getOperation()))
    return createGenericContraction(b, generic, inputs, init, accumulation);
  return createNamedContraction(b, info.op, inputs, init, accumulation);
}

//===----------------------------------------------------------------------===//
// Versions
//===----------------------------------------------------------------------===//

namespace {
/// Builds the versions of one contraction. The operands are the values the
/// contraction reads in the case being built.
class VersionBuilder {
public:
  VersionBuilder(const ContractionInfo &info, int64_t i4BlockSize)
      : info(info), i4BlockSize(i4BlockSize) {}

  /// Builds `level`'s version of the contraction at `b`'s insertion point;
  /// returns its f32 result, a stand-in for the contraction's.
  Value build(OpBuilder &b, Precision level, Value input, Value weight,
              Value init);

private:
  Value buildFloat(OpBuilder &b, Type storage, Value input, Value weight,
                   Value init);
  Value buildInteger(OpBuilder &b, Precision level, Value input, Value weight,
                     Value init);
  Value buildPerChannelRescale(OpBuilder &b, Value acc, Value inputScales,
                               ScaleGranularity weightGranularity,
                               Value weightScales, Value init);
  Value buildBlocked(OpBuilder &b, Value input, Value inputScales, Value weight,
                     int64_t blockSize, Value weightScales, Value init);
  Value expandReduction(OpBuilder &b, Value value, int64_t dim,
                        int64_t blockSize);

  const ContractionInfo &info;
  int64_t i4BlockSize;
};
} // namespace

Value VersionBuilder::build(OpBuilder &b, Precision level, Value input,
                            Value weight, Value init) {
  if (level == Precision::f32) {
    IRMapping mapping;
    mapping.map(info.getInputOperand().get(), input);
    mapping.map(info.getWeightOperand().get(), weight);
    mapping.map(info.getOutputOperand().get(), init);
    return b.clone(*info.op, mapping)->getResult(0);
  }
  if (isFloatPrecision(level))
    return buildFloat(b, getStorageElementType(b.getContext(), level), input,
                      weight, init);
  return buildInteger(b, level, input, weight, init);
}

/// Returns the output of an epilogue that adds `init` to a rescaled sum:
/// `init` itself, or an empty tensor like it when `init` is zero (the usual
/// linalg.fill, which adds nothing and need not be read). Sets `addInit` to
/// whether the epilogue must add it.
static Value getRescaleOutput(OpBuilder &b, Location loc, Value init,
                              bool &addInit) {
  addInit = !isZeroTensor(init);
  if (addInit)
    return init;
  return createEmptyLike(b, loc, init, getTensorType(init).getElementType());
}

/// Returns 2^-floor(log2(m)) and 2^floor(log2(m)) for the f32 scalar `m`
/// (1 and 1 when m is zero or subnormal), built from m's exponent bits and
/// clamped to normal f32 powers of two: multiplying by either rounds nothing.
static std::pair<Value, Value> createPowerOfTwoScales(OpBuilder &b,
                                                      Location loc, Value m) {
  Type i32 = b.getI32Type();
  auto constant = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, i32, v).getResult();
  };
  Value bits = arith::BitcastOp::create(b, loc, i32, m);
  Value exponent = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, constant(23)),
      constant(255));
  // A zero or subnormal maximum: no scaling (biased exponent of 1.0).
  Value isTiny = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                       exponent, constant(0));
  exponent = arith::SelectOp::create(b, loc, isTiny, constant(127), exponent);
  // 2^-(E - 127) has the biased exponent 254 - E; kept in [1, 253].
  Value scaleExponent = arith::SubIOp::create(b, loc, constant(254), exponent);
  scaleExponent = arith::MaxSIOp::create(b, loc, scaleExponent, constant(1));
  scaleExponent = arith::MinSIOp::create(b, loc, scaleExponent, constant(253));
  Value inverseExponent =
      arith::SubIOp::create(b, loc, constant(254), scaleExponent);
  auto power = [&](Value biased) {
    Value shifted = arith::ShLIOp::create(b, loc, biased, constant(23));
    return arith::BitcastOp::create(b, loc, b.getF32Type(), shifted)
        .getResult();
  };
  return {power(scaleExponent), power(inverseExponent)};
}

/// Returns `tensor * scalar` elementwise (same type).
static Value createScaled(OpBuilder &b, Location loc, Value tensor,
                          Value scalar) {
  unsigned rank = getTensorType(tensor).getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value output =
      createEmptyLike(b, loc, tensor, getTensorType(tensor).getElementType());
  auto buildBody = [&](OpBuilder &nested, Location loc, ValueRange args) {
    Value product = arith::MulFOp::create(nested, loc, args[0], scalar);
    linalg::YieldOp::create(nested, loc, product);
  };
  return linalg::GenericOp::create(
             b, loc, TypeRange{output.getType()}, tensor, output,
             ArrayRef<AffineMap>{identity, identity}, iterators, buildBody)
      .getResult(0);
}

Value VersionBuilder::buildFloat(OpBuilder &b, Type storage, Value input,
                                 Value weight, Value init) {
  // Rounding is all there is to a float version: the products and sums stay
  // in f32. Constant weights fold to the rounded constant.
  Location loc = info.op.getLoc();
  if (!storage.isF16()) {
    // bf16 has f32's exponent range: any activation survives rounding.
    Value narrowInput = createQuantize(b, loc, input, storage, {});
    Value narrowWeight = createQuantize(b, loc, weight, storage, {});
    return createContraction(b, info, narrowInput, narrowWeight, init,
                             Accumulation::Float);
  }
  Value narrowWeight = createQuantize(b, loc, weight, storage, {});

  // f16's range is narrow (normal numbers from 6.1e-5 to 65504): small
  // activations, as deep networks have, would round to zero, and large ones
  // overflow. The activations are scaled by a power of two that brings
  // their largest magnitude into [1, 2) (exact: only the exponent changes),
  // and the sum, accumulated from zero, is scaled back before init is added.
  Value maximum = AbsMaxOp::create(b, loc, input, /*stride=*/IntegerAttr());
  Value scale, inverse;
  std::tie(scale, inverse) = createPowerOfTwoScales(b, loc, maximum);
  Value narrowInput =
      createQuantize(b, loc, createScaled(b, loc, input, scale), storage, {});
  Value zeros = createZeros(b, loc, tensor::getMixedSizes(b, loc, init),
                            getTensorType(init).getElementType());
  Value acc = createContraction(b, info, narrowInput, narrowWeight, zeros,
                                Accumulation::Float);

  unsigned rank = getTensorType(init).getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  bool addInit;
  Value output = getRescaleOutput(b, loc, init, addInit);
  auto buildBody = [&](OpBuilder &nested, Location loc, ValueRange args) {
    Value result = arith::MulFOp::create(nested, loc, args[0], inverse);
    if (addInit)
      result = arith::AddFOp::create(nested, loc, args[1], result);
    linalg::YieldOp::create(nested, loc, result);
  };
  return linalg::GenericOp::create(
             b, loc, TypeRange{output.getType()}, acc, output,
             ArrayRef<AffineMap>{identity, identity}, iterators, buildBody)
      .getResult(0);
}

Value VersionBuilder::buildInteger(OpBuilder &b, Precision level, Value input,
                                   Value weight, Value init) {
  Location loc = info.op.getLoc();
  Value inputScales;
  Value quantizedInput =
      createQuantize(b, loc, input, b.getIntegerType(8),
                     getActivationScaleGranularity(info), &inputScales);

  ScaleGranularity weightGranularity =
      getWeightScaleGranularity(info, level, i4BlockSize);
  Value weightScales;
  Value quantizedWeight =
      level == Precision::i4
          ? createI4WeightQuantize(b, loc, weight, weightGranularity,
                                   &weightScales)
          : createQuantize(b, loc, weight, b.getIntegerType(8),
                           weightGranularity, &weightScales);
  if (weightGranularity.isPerBlock())
    return buildBlocked(b, quantizedInput, inputScales, quantizedWeight,
                        *weightGranularity.block, weightScales, init);

  // Integer products summed exactly in i32 (127 * 127 * K stays below 2^31
  // for K up to 133143), then one rescale per result element.
  Value acc =
      createZeros(b, loc, tensor::getMixedSizes(b, loc, init), b.getI32Type());
  acc = createContraction(b, info, quantizedInput, quantizedWeight, acc,
                          Accumulation::SignedInteger);
  return buildPerChannelRescale(b, acc, inputScales, weightGranularity,
                                weightScales, init);
}

/// Builds `init + float(acc) * s_act[row] * s_w[channel]` elementwise over the
/// result. Both scales are constant along the reduction (one per row, one per
/// output channel, or one per tensor), so they factor out of the sum:
///   sum_k a[row,k] w[k,ch] ~= sum_k (qa[row,k] s_act[row]) (qw[k,ch] s_w[ch])
///                           = s_act[row] s_w[ch] sum_k qa[row,k] qw[k,ch].
Value VersionBuilder::buildPerChannelRescale(OpBuilder &b, Value acc,
                                             Value inputScales,
                                             ScaleGranularity weightGranularity,
                                             Value weightScales, Value init) {
  Location loc = info.op.getLoc();
  MLIRContext *context = b.getContext();
  unsigned rank = getTensorType(init).getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, context);
  std::optional<int64_t> rowDim;
  if (!getActivationScaleGranularity(info).isPerTensor())
    rowDim = info.getResultRowDim();
  std::optional<int64_t> channelDim;
  if (!weightGranularity.isPerTensor())
    channelDim = info.getResultScaleDim();
  SmallVector<AffineMap> maps = {identity, getScaleMap(rank, rowDim, context),
                                 getScaleMap(rank, channelDim, context),
                                 identity};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);

  bool addInit;
  Value output = getRescaleOutput(b, loc, init, addInit);
  auto buildBody = [&](OpBuilder &nested, Location loc, ValueRange args) {
    Type floatType = args.back().getType();
    Value sum = arith::SIToFPOp::create(nested, loc, floatType, args[0]);
    Value scale = arith::MulFOp::create(nested, loc, args[1], args[2]);
    Value result = arith::MulFOp::create(nested, loc, sum, scale);
    if (addInit)
      result = arith::AddFOp::create(nested, loc, args[3], result);
    linalg::YieldOp::create(nested, loc, result);
  };
  return linalg::GenericOp::create(b, loc, TypeRange{output.getType()},
                                   ValueRange{acc, inputScales, weightScales},
                                   output, maps, iterators, buildBody)
      .getResult(0);
}

/// Returns `value` with dimension `dim` (of static size K, or dynamic but
/// known to be K) split into [K / blockSize, blockSize].
Value VersionBuilder::expandReduction(OpBuilder &b, Value value, int64_t dim,
                                      int64_t blockSize) {
  Location loc = info.op.getLoc();
  int64_t size = getTensorType(info.getWeightOperand().get())
                     .getDimSize(*info.getWeightReductionDim());
  RankedTensorType type = getTensorType(value);
  if (type.isDynamicDim(dim)) {
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] = size;
    value = tensor::CastOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), value);
    type = getTensorType(value);
  }

  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  sizes[dim] = b.getIndexAttr(blockSize);
  sizes.insert(sizes.begin() + dim, b.getIndexAttr(size / blockSize));
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = blockSize;
  shape.insert(shape.begin() + dim, size / blockSize);
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    int64_t first = i <= dim ? i : i + 1;
    if (i == dim)
      reassociation.push_back({first, first + 1});
    else
      reassociation.push_back({first});
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      reassociation, sizes);
}

/// Builds the contraction with per-block weight scales. A block's scale
/// varies along the reduction, so it cannot be factored out of the whole sum,
/// only out of each block's part of it. With the reduction loop k split into
/// (j, t), k = j * B + t:
///
///   y[o] = init[o] + sum_k a[.., k] w[k, ..]
///        ~= init[o] + s_act[row] sum_j s_w[j, ch] P[o, j],
///   P[o, j] = sum_t qa[.., j, t] qw[j, t, ..]     (exact, in i32),
///
/// computed as two linalg.generic ops: the partial sums P over the iteration
/// space of the contraction with k split, then their rescaled sum over j,
/// accumulated into the init.
Value VersionBuilder::buildBlocked(OpBuilder &b, Value input, Value inputScales,
                                   Value weight, int64_t blockSize,
                                   Value weightScales, Value init) {
  Location loc = info.op.getLoc();
  MLIRContext *context = b.getContext();
  unsigned reductionLoop = info.reductionLoops.front();
  AffineMap inputMap = info.op.getMatchingIndexingMap(&info.getInputOperand());
  AffineMap weightMap =
      info.op.getMatchingIndexingMap(&info.getWeightOperand());
  AffineMap outputMap =
      info.op.getMatchingIndexingMap(&info.getOutputOperand());
  unsigned numLoops = info.op.getNumLoops();

  // Partial sums. Loop k becomes j (at k's position) and t (right after it);
  // the loops after k move one up.
  unsigned blockLoop = reductionLoop, inBlockLoop = reductionLoop + 1;
  auto newLoop = [&](unsigned loop) {
    return loop <= reductionLoop ? loop : loop + 1;
  };
  auto splitMap = [&](AffineMap map) {
    SmallVector<AffineExpr> results;
    for (AffineExpr expr : map.getResults()) {
      unsigned loop = cast<AffineDimExpr>(expr).getPosition();
      if (loop == reductionLoop) {
        results.push_back(getAffineDimExpr(blockLoop, context));
        results.push_back(getAffineDimExpr(inBlockLoop, context));
      } else {
        results.push_back(getAffineDimExpr(newLoop(loop), context));
      }
    }
    return AffineMap::get(numLoops + 1, /*symbolCount=*/0, results, context);
  };
  SmallVector<AffineExpr> partialResults;
  for (AffineExpr expr : outputMap.getResults())
    partialResults.push_back(getAffineDimExpr(
        newLoop(cast<AffineDimExpr>(expr).getPosition()), context));
  partialResults.push_back(getAffineDimExpr(blockLoop, context));

  SmallVector<AffineMap> partialMaps(3);
  partialMaps[info.inputIndex] = splitMap(inputMap);
  partialMaps[info.weightIndex] = splitMap(weightMap);
  partialMaps[2] =
      AffineMap::get(numLoops + 1, /*symbolCount=*/0, partialResults, context);
  SmallVector<utils::IteratorType> partialIterators;
  for (auto [loop, iterator] :
       llvm::enumerate(info.op.getIteratorTypesArray())) {
    if (loop == reductionLoop) {
      partialIterators.push_back(utils::IteratorType::parallel);
      partialIterators.push_back(utils::IteratorType::reduction);
    } else {
      partialIterators.push_back(iterator);
    }
  }

  SmallVector<Value> partialInputs(2);
  partialInputs[info.inputIndex] = expandReduction(
      b, input, *info.getOperandDim(info.getInputOperand(), reductionLoop),
      blockSize);
  partialInputs[info.weightIndex] =
      expandReduction(b, weight, *info.getWeightReductionDim(), blockSize);
  int64_t numBlocks = getTensorType(partialInputs[info.weightIndex])
                          .getDimSize(*info.getWeightReductionDim());
  SmallVector<OpFoldResult> partialSizes = tensor::getMixedSizes(b, loc, init);
  partialSizes.push_back(b.getIndexAttr(numBlocks));
  Value partialInit = createZeros(b, loc, partialSizes, b.getI32Type());
  auto buildPartialBody = [&](OpBuilder &nested, Location loc,
                              ValueRange args) {
    Type accType = args[2].getType();
    Value lhs = arith::ExtSIOp::create(nested, loc, accType, args[0]);
    Value rhs = arith::ExtSIOp::create(nested, loc, accType, args[1]);
    Value product = arith::MulIOp::create(nested, loc, lhs, rhs);
    linalg::YieldOp::create(
        nested, loc,
        ValueRange{arith::AddIOp::create(nested, loc, args[2], product)});
  };
  auto partialOp = linalg::GenericOp::create(
      b, loc, TypeRange{partialInit.getType()}, partialInputs, partialInit,
      partialMaps, partialIterators, buildPartialBody);
  // The pair is a contract with the kernel passes (the VNNI kernel fuses
  // it), written in the IR.
  partialOp->setAttr(BlockedMatmulAttr::getAttributeName(),
                     BlockedMatmulAttr::get(
                         context, BlockedMatmulPart::partial_sums, blockSize));
  Value partial = partialOp.getResult(0);

  // Rescaled sum over the blocks: loops are the result's dimensions, then j.
  unsigned rank = outputMap.getNumResults();
  auto resultDimOf = [&](unsigned loop) {
    return *info.getOperandDim(info.getOutputOperand(), loop);
  };
  SmallVector<AffineExpr> weightScaleResults;
  for (AffineExpr expr : weightMap.getResults()) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    weightScaleResults.push_back(getAffineDimExpr(
        loop == reductionLoop ? rank : resultDimOf(loop), context));
  }
  std::optional<int64_t> rowDim;
  if (!getActivationScaleGranularity(info).isPerTensor())
    rowDim = info.getResultRowDim();
  auto resultMap = AffineMap::get(
      rank + 1, /*symbolCount=*/0,
      llvm::map_to_vector(
          llvm::seq<unsigned>(0, rank),
          [&](unsigned dim) { return getAffineDimExpr(dim, context); }),
      context);
  SmallVector<AffineMap> reduceMaps = {
      AffineMap::getMultiDimIdentityMap(rank + 1, context),
      getScaleMap(rank + 1, rowDim, context),
      AffineMap::get(rank + 1, /*symbolCount=*/0, weightScaleResults, context),
      resultMap};
  SmallVector<utils::IteratorType> reduceIterators(
      rank, utils::IteratorType::parallel);
  reduceIterators.push_back(utils::IteratorType::reduction);
  auto buildReduceBody = [&](OpBuilder &nested, Location loc, ValueRange args) {
    Type floatType = args[3].getType();
    Value sum = arith::SIToFPOp::create(nested, loc, floatType, args[0]);
    Value scale = arith::MulFOp::create(nested, loc, args[1], args[2]);
    Value scaled = arith::MulFOp::create(nested, loc, sum, scale);
    linalg::YieldOp::create(
        nested, loc,
        ValueRange{arith::AddFOp::create(nested, loc, args[3], scaled)});
  };
  auto rescale = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()},
      ValueRange{partial, inputScales, weightScales}, init, reduceMaps,
      reduceIterators, buildReduceBody);
  rescale->setAttr(
      BlockedMatmulAttr::getAttributeName(),
      BlockedMatmulAttr::get(context, BlockedMatmulPart::rescale, blockSize));
  return rescale.getResult(0);
}

//===----------------------------------------------------------------------===//
// Units
//===----------------------------------------------------------------------===//

/// Erases the ops of `block` that nothing uses and that have no effects: the
/// helpers of the reference that a version replaced (an f32 init an i8
/// version does not read, say).
static void eraseDeadOps(Block &block) {
  for (Operation &op :
       llvm::make_early_inc_range(llvm::reverse(block.getOperations())))
    if (isOpTriviallyDead(&op))
      op.erase();
}

/// Returns the reference ops of `unit`: those after `arbitrate`, before the
/// terminator.
static SmallVector<Operation *> getReferenceOps(UnitOp unit,
                                                ArbitrateOp arbitrate) {
  SmallVector<Operation *> ops;
  for (Operation &op :
       llvm::make_range(std::next(arbitrate->getIterator()),
                        unit.getBody().front().getTerminator()->getIterator()))
    ops.push_back(&op);
  return ops;
}

/// Finds the one contraction among `ops`, diagnosing on `unit` when there is
/// none, several, or one that does not compute in f32.
static FailureOr<ContractionInfo> findContraction(UnitOp unit,
                                                  ArrayRef<Operation *> ops) {
  SmallVector<ContractionInfo> found;
  for (Operation *op : ops)
    if (FailureOr<ContractionInfo> info = analyzeContraction(op);
        succeeded(info))
      found.push_back(*info);
  if (found.empty())
    return unit.emitError("unit '")
           << unit.getUnitName()
           << "' has no contraction after its controller (one of "
           << getContractionKindList()
           << " on tensors); agn-multiversion versions a unit's contraction, "
              "so form units with agn-form-units";
  if (found.size() > 1) {
    InFlightDiagnostic diag = unit.emitError("unit '")
                              << unit.getUnitName() << "' has " << found.size()
                              << " contractions; agn-multiversion versions "
                                 "one per unit (agn-form-units makes one unit "
                                 "per contraction)";
    for (const ContractionInfo &info : found)
      diag.attachNote(info.op.getLoc()) << "contraction here";
    return diag;
  }

  ContractionInfo info = found.front();
  Type inputElement = getElementTypeOrSelf(info.getInputOperand().get());
  Type weightElement = getElementTypeOrSelf(info.getWeightOperand().get());
  Type resultElement = getElementTypeOrSelf(info.getOutputOperand().get());
  if (!isa<FloatType>(inputElement) || !isa<FloatType>(weightElement) ||
      !resultElement.isF32())
    return unit.emitError("unit '")
           << unit.getUnitName() << "' has a contraction on (" << inputElement
           << ", " << weightElement << ") -> " << resultElement
           << "; agn-multiversion derives the versions from a float "
              "reference that accumulates in f32 (convert the model to f32 "
              "first)";
  return info;
}

/// Replaces the reference computation of `unit` with an agn.dispatch holding
/// one version per allowed level. Units that already dispatch are left alone.
static LogicalResult multiVersionUnit(UnitOp unit, int64_t i4BlockSize) {
  Block &body = unit.getBody().front();
  if (!body.getOps<DispatchOp>().empty())
    return success();
  auto arbitrates = body.getOps<ArbitrateOp>();
  if (arbitrates.empty())
    return unit.emitError("unit '")
           << unit.getUnitName()
           << "' has no controller (agn.arbitrate) whose level to dispatch "
              "on; run agn-insert-controllers first";
  ArbitrateOp arbitrate = *arbitrates.begin();

  SmallVector<Operation *> reference = getReferenceOps(unit, arbitrate);
  FailureOr<ContractionInfo> info = findContraction(unit, reference);
  if (failed(info))
    return failure();

  YieldOp yield = unit.getYield();
  SmallVector<Precision> levels = unit.getLevelValues();
  OpBuilder b(yield);
  auto dispatch = DispatchOp::create(
      b, unit.getLoc(), yield.getValues().getTypes(), arbitrate.getGranted(),
      unit.getLevels(), levels.size());
  VersionBuilder versions(*info, i4BlockSize);
  for (auto [level, region] : llvm::zip(levels, dispatch.getCases())) {
    Block *caseBlock = b.createBlock(&region);
    IRMapping mapping;
    for (Operation *op : reference) {
      if (op != info->op.getOperation()) {
        b.clone(*op, mapping);
        continue;
      }
      Value version = versions.build(
          b, level, mapping.lookupOrDefault(info->getInputOperand().get()),
          mapping.lookupOrDefault(info->getWeightOperand().get()),
          mapping.lookupOrDefault(info->getOutputOperand().get()));
      mapping.map(op->getResult(0), version);
    }
    YieldOp::create(b, yield.getLoc(),
                    llvm::map_to_vector(yield.getValues(), [&](Value value) {
                      return mapping.lookupOrDefault(value);
                    }));
    eraseDeadOps(*caseBlock);
  }

  yield->setOperands(dispatch.getResults());
  for (Operation *op : llvm::reverse(reference))
    op->erase();
  return success();
}

namespace {
struct MultiVersionPass : public agn::impl::MultiVersionBase<MultiVersionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (i4BlockSize < 1) {
      mlir::emitError(getOperation()->getLoc(),
                      "agn-multiversion: 'i4-block-size' must be at least 1, "
                      "got ")
          << static_cast<int64_t>(i4BlockSize);
      return signalPassFailure();
    }
    SmallVector<UnitOp> units;
    getOperation()->walk([&](UnitOp unit) { units.push_back(unit); });
    bool failed = false;
    for (UnitOp unit : units)
      failed |= mlir::failed(multiVersionUnit(unit, i4BlockSize));
    if (failed)
      signalPassFailure();
  }
};
} // namespace
