//===- ExchangeQuantized.cpp - agn-exchange-quantized pass ----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Between two units that run at an integer level, an activation makes a
// round trip through f32: the producer dequantizes its accumulators (and
// applies its bias and activation function), writing four bytes an
// element; the consumer reads them twice to find their largest magnitude and
// to quantize them. The inter-layer precision protocol cuts the trip short:
//
// 1. The consumer's quantization of its input moves into the producer, with
//    the elementwise ops between the two units (the producer then yields
//    the quantized values and their scales; the consumer takes them as its
//    input and `input_scales`).
// 2. A quantization of a monotone elementwise chain of integer accumulators
//    becomes one `agn.requantize`, which finds the scales from each
//    channel's smallest and largest accumulator and writes the quantized
//    values in one pass.
//
// Both steps are exact: the consumer receives the bits its own quantization
// would have computed. Step 1 applies to units fixed at one level (their
// quantization is not inside an `agn.dispatch`): a unit that chooses its
// level at run time measures its float input, which must then exist.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::agn {
#define GEN_PASS_DEF_EXCHANGEQUANTIZED
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns the input of `generic` that an elementwise chain runs through:
/// the one input read with the identity map at the result's shape, when
/// `generic` is elementwise (parallel loops, one result whose initial value
/// it does not read, ops that are pure arith scalar ops), reads each input
/// by indices or the constant 0 (as agn.requantize's maps do), and has
/// exactly one such input. Null otherwise.
static OpOperand *getChainedInput(linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1 || generic->getNumResults() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return nullptr;
  OpOperand *init = generic.getDpsInitOperand(0);
  auto resultType = cast<RankedTensorType>(generic->getResult(0).getType());
  if (!generic.getMatchingIndexingMap(init).isIdentity() ||
      generic.payloadUsesValueFromOperand(init) ||
      resultType.getRank() != static_cast<int64_t>(generic.getNumLoops()))
    return nullptr;
  for (Operation &op : generic.getBody()->without_terminator())
    if (!isa<arith::ArithDialect>(op.getDialect()) || !isPure(&op) ||
        hasFastMathFlags(&op))
      return nullptr;
  OpOperand *chained = nullptr;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    AffineMap map = generic.getMatchingIndexingMap(input);
    // agn.requantize reads its inputs by indices or the constant 0.
    if (!llvm::all_of(map.getResults(), [](AffineExpr result) {
          auto constant = dyn_cast<AffineConstantExpr>(result);
          return isa<AffineDimExpr>(result) ||
                 (constant && constant.getValue() == 0);
        }))
      return nullptr;
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type || type.getShape() != resultType.getShape() || !map.isIdentity())
      continue;
    if (chained)
      return nullptr;
    chained = input;
  }
  return chained;
}

/// Returns whether the body of `generic` is monotone in the block argument
/// of `chained` (see agn.requantize).
static bool isMonotoneIn(linalg::GenericOp generic, OpOperand *chained) {
  Block *body = generic.getBody();
  return !findNonMonotoneUse(*body,
                             body->getArgument(chained->getOperandNumber()));
}

/// Returns the sizes of `shape` other than 1, in order.
static SmallVector<int64_t> getNonUnitSizes(ArrayRef<int64_t> shape) {
  return llvm::filter_to_vector(shape, [](int64_t size) { return size != 1; });
}

/// Returns whether the reshape `op` only adds or drops dimensions of size 1
/// (static shapes).
static bool dropsOrAddsUnitDims(Operation *op) {
  auto source = cast<RankedTensorType>(op->getOperand(0).getType());
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  return source.hasStaticShape() && result.hasStaticShape() &&
         getNonUnitSizes(source.getShape()) ==
             getNonUnitSizes(result.getShape());
}

namespace {
/// A float value computed from integer accumulators by elementwise ops that
/// are monotone in them, and reshapes that add or drop dimensions of size 1.
struct AccumulatorChain {
  Value accumulator;
  /// The ops from the accumulator's reader to the value's producer.
  SmallVector<Operation *> ops;
};
} // namespace

/// Returns the chain that computes `value` from integer accumulators, each
/// value between them used once (`value` itself may have more uses).
static std::optional<AccumulatorChain> findAccumulatorChain(Value value) {
  AccumulatorChain chain;
  Value current = value;
  while (true) {
    Operation *def = current.getDefiningOp();
    if (!def || (current != value && !current.hasOneUse()))
      return std::nullopt;
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def)) {
      if (!dropsOrAddsUnitDims(def))
        return std::nullopt;
      chain.ops.push_back(def);
      current = def->getOperand(0);
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(def);
    OpOperand *chained = generic ? getChainedInput(generic) : nullptr;
    if (!chained || !isMonotoneIn(generic, chained) ||
        !isa<FloatType>(getElementTypeOrSelf(current.getType())))
      return std::nullopt;
    chain.ops.push_back(generic);
    current = chained->get();
    Type element = getElementTypeOrSelf(current.getType());
    if (element.isSignlessInteger()) {
      if (!cast<RankedTensorType>(current.getType()).hasStaticShape())
        return std::nullopt;
      chain.accumulator = current;
      std::reverse(chain.ops.begin(), chain.ops.end());
      return chain;
    }
  }
}

/// Returns, for each dimension of a value of `shape` along the chain, the
/// accumulator's index it stands for: the same dimension while no reshape
/// came between; after one, the matching dimension of size other than 1, and
/// the constant 0 for a dimension of size 1.
static SmallVector<AffineExpr> mapThroughReshape(MLIRContext *context,
                                                 ArrayRef<AffineExpr> before,
                                                 ArrayRef<int64_t> beforeShape,
                                                 ArrayRef<int64_t> afterShape) {
  SmallVector<AffineExpr> nonUnit;
  for (auto [expr, size] : llvm::zip_equal(before, beforeShape))
    if (size != 1)
      nonUnit.push_back(expr);
  SmallVector<AffineExpr> after;
  unsigned next = 0;
  for (int64_t size : afterShape) {
    if (size != 1)
      after.push_back(nonUnit[next++]);
    else
      after.push_back(getAffineConstantExpr(0, context));
  }
  return after;
}

/// Returns `value` (static shape) reshaped to `type`, which has the same
/// sizes other than 1.
static Value reshapeUnitDims(OpBuilder &b, Location loc, Value value,
                             RankedTensorType type) {
  auto source = cast<RankedTensorType>(value.getType());
  if (source.getShape() == type.getShape())
    return value;
  if (std::optional<SmallVector<ReassociationIndices>> groups =
          getReassociationIndicesForReshape(source, type)) {
    if (source.getRank() > type.getRank())
      return tensor::CollapseShapeOp::create(b, loc, type, value, *groups);
    return tensor::ExpandShapeOp::create(b, loc, type, value, *groups);
  }
  auto flat = RankedTensorType::get(getNonUnitSizes(source.getShape()),
                                    source.getElementType());
  return reshapeUnitDims(b, loc, reshapeUnitDims(b, loc, value, flat), type);
}

/// Rewrites `quantize` of a monotone chain of integer accumulators into an
/// agn.requantize of the accumulators.
static LogicalResult formRequantize(RewriterBase &rewriter,
                                    QuantizeOp quantize) {
  RankedTensorType storedType = quantize.getStored().getType();
  std::optional<Precision> storage =
      getPrecisionForStorageType(storedType.getElementType());
  if (!storage || (*storage != Precision::i8 && *storage != Precision::i4) ||
      quantize.getBlock() || !storedType.hasStaticShape())
    return failure();
  std::optional<AccumulatorChain> chain =
      quantize.getInput().hasOneUse()
          ? findAccumulatorChain(quantize.getInput())
          : std::nullopt;
  if (!chain)
    return failure();

  MLIRContext *context = rewriter.getContext();
  auto accumulatorType = cast<RankedTensorType>(chain->accumulator.getType());
  int64_t rank = accumulatorType.getRank();
  // What each dimension of the value at the current point of the chain
  // stands for among the accumulator's indices.
  SmallVector<AffineExpr> dims;
  for (int64_t dim = 0; dim < rank; ++dim)
    dims.push_back(getAffineDimExpr(dim, context));
  ArrayRef<int64_t> shape = accumulatorType.getShape();

  rewriter.setInsertionPoint(quantize);
  Location loc = quantize.getLoc();
  SmallVector<Value> inputs;
  SmallVector<Attribute> maps;
  auto requantize = RequantizeOp::create(
      rewriter, loc, RankedTensorType::get(shape, storedType.getElementType()),
      quantize.getScales().getType(), chain->accumulator, ValueRange{},
      /*maps=*/nullptr, /*axis=*/nullptr);
  Block *body = rewriter.createBlock(&requantize.getBody());
  Value current = body->addArgument(accumulatorType.getElementType(), loc);
  for (Operation *op : chain->ops) {
    if (!isa<linalg::GenericOp>(op)) {
      ArrayRef<int64_t> next =
          cast<RankedTensorType>(op->getResult(0).getType()).getShape();
      dims = mapThroughReshape(context, dims, shape, next);
      shape = next;
      continue;
    }
    auto generic = cast<linalg::GenericOp>(op);
    OpOperand *chained = getChainedInput(generic);
    IRMapping mapping;
    Block *payload = generic.getBody();
    for (OpOperand *input : generic.getDpsInputOperands()) {
      BlockArgument argument = payload->getArgument(input->getOperandNumber());
      if (input == chained) {
        mapping.map(argument, current);
        continue;
      }
      inputs.push_back(input->get());
      maps.push_back(AffineMapAttr::get(
          generic.getMatchingIndexingMap(input).replaceDimsAndSymbols(
              dims, {}, rank, 0)));
      mapping.map(argument, body->addArgument(argument.getType(), loc));
    }
    for (Operation &inner : payload->without_terminator())
      rewriter.clone(inner, mapping);
    current = mapping.lookupOrDefault(payload->getTerminator()->getOperand(0));
  }
  YieldOp::create(rewriter, loc, ValueRange{current});

  // The quantization's axis, among the accumulator's indices; one of size 1
  // when the axis has size 1.
  if (std::optional<int64_t> axis = quantize.getAxis()) {
    std::optional<int64_t> accumulatorAxis;
    if (auto dim = dyn_cast<AffineDimExpr>(dims[*axis]))
      accumulatorAxis = dim.getPosition();
    else if (auto *unit = llvm::find(accumulatorType.getShape(), 1);
             unit != accumulatorType.getShape().end())
      accumulatorAxis = unit - accumulatorType.getShape().begin();
    if (!accumulatorAxis) {
      rewriter.eraseOp(requantize);
      return failure();
    }
    requantize.setAxis(*accumulatorAxis);
  }
  requantize.getInputsMutable().assign(inputs);
  if (!maps.empty())
    requantize.setMapsAttr(rewriter.getArrayAttr(maps));

  rewriter.setInsertionPoint(quantize);
  Value stored =
      reshapeUnitDims(rewriter, loc, requantize.getStored(), storedType);
  rewriter.replaceOp(quantize, {stored, requantize.getScales()});
  for (Operation *op : llvm::reverse(chain->ops))
    rewriter.eraseOp(op);
  return success();
}

/// Returns whether `op` can be cloned into a unit: it has no operands and no
/// regions (a constant, an empty tensor of static shape).
static bool isClonableIntoUnit(Operation *op) {
  return op && op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
         isPure(op);
}

/// Moves the quantization of `consumer`'s input into the unit that computes
/// it (with the elementwise ops and reshapes between them), when that unit
/// computes it from integer accumulators: the producer yields the quantized
/// values and scales, the consumer takes them as its input and
/// `input_scales`.
static LogicalResult moveQuantizationIntoProducer(RewriterBase &rewriter,
                                                  UnitOp consumer) {
  if (consumer.getInputScales())
    return failure();
  Block &consumerBody = consumer.getBody().front();
  BlockArgument input = consumerBody.getArgument(0);
  if (!input.hasOneUse())
    return failure();
  auto quantize = dyn_cast<QuantizeOp>(*input.getUsers().begin());
  std::optional<Precision> storage =
      quantize ? getPrecisionForStorageType(
                     quantize.getStored().getType().getElementType())
               : std::nullopt;
  if (!storage || (*storage != Precision::i8 && *storage != Precision::i4) ||
      quantize.getBlock() || quantize->getParentOp() != consumer)
    return failure();

  // The ops from the producer's result to the consumer's input.
  SmallVector<Operation *> between;
  Value current = consumer.getInput();
  UnitOp producer;
  while (true) {
    if (!current.hasOneUse())
      return failure();
    Operation *def = current.getDefiningOp();
    if ((producer = dyn_cast_or_null<UnitOp>(def)))
      break;
    if (isa_and_present<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def)) {
      if (!dropsOrAddsUnitDims(def))
        return failure();
      between.push_back(def);
      current = def->getOperand(0);
      continue;
    }
    // The same ops as agn.requantize's body may hold, so that the moved
    // quantization becomes one.
    auto generic = dyn_cast_or_null<linalg::GenericOp>(def);
    OpOperand *chained = generic ? getChainedInput(generic) : nullptr;
    if (!chained || !isMonotoneIn(generic, chained))
      return failure();
    // Its other operands, and what its body uses from above, are cloned
    // into the producer, which is isolated from above.
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(generic->getRegions(), captured);
    for (Value operand :
         llvm::concat<Value>(generic->getOperands(), captured.getArrayRef()))
      if (operand != chained->get() &&
          !isClonableIntoUnit(operand.getDefiningOp()))
        return failure();
    between.push_back(generic);
    current = chained->get();
  }
  if (producer->getBlock() != consumer->getBlock())
    return failure();
  unsigned resultIndex = cast<OpResult>(current).getResultNumber();
  YieldOp yield = producer.getYield();
  Value yielded = yield.getValues()[resultIndex];
  // Only worth it (and only then exact in one pass) when the producer
  // computes the value from integer accumulators.
  if (!findAccumulatorChain(yielded))
    return failure();

  // The quantization and the ops before it, at the end of the producer.
  rewriter.setInsertionPoint(yield);
  IRMapping mapping;
  mapping.map(current, yielded);
  for (Operation *op : llvm::reverse(between)) {
    llvm::SetVector<Value> used(llvm::from_range, op->getOperands());
    getUsedValuesDefinedAbove(op->getRegions(), used);
    for (Value operand : used)
      if (!mapping.contains(operand))
        mapping.map(operand,
                    rewriter.clone(*operand.getDefiningOp())->getResult(0));
    rewriter.clone(*op, mapping);
  }
  mapping.map(quantize.getInput(), mapping.lookup(consumer.getInput()));
  Operation *moved = rewriter.clone(*quantize, mapping);

  // The producer yields the quantized values and their scales instead.
  SmallVector<Value> values(yield.getValues());
  values.erase(values.begin() + resultIndex);
  values.insert(values.begin() + resultIndex, moved->getResults().begin(),
                moved->getResults().end());
  rewriter.replaceOpWithNewOp<YieldOp>(yield, values);
  rewriter.setInsertionPoint(producer);
  auto exchanging = UnitOp::create(
      rewriter, producer.getLoc(), TypeRange(ValueRange(values)),
      producer.getInput(), producer.getWeight(), producer.getBias(),
      producer.getInputScales(), producer.getUnitNameAttr(),
      producer.getLevels(), producer.getPolicy(), producer.getCostsAttr());
  exchanging->setDiscardableAttrs(producer->getDiscardableAttrDictionary());
  exchanging.getBody().takeBody(producer.getBody());
  for (auto [index, result] : llvm::enumerate(producer.getResults())) {
    if (index == resultIndex)
      continue;
    rewriter.replaceAllUsesWith(
        result, exchanging.getResult(index < resultIndex ? index : index + 1));
  }

  // The consumer takes them as its input and input scales.
  rewriter.setInsertionPoint(consumer);
  auto receiving =
      UnitOp::create(rewriter, consumer.getLoc(), consumer.getResultTypes(),
                     exchanging.getResult(resultIndex), consumer.getWeight(),
                     consumer.getBias(), exchanging.getResult(resultIndex + 1),
                     consumer.getUnitNameAttr(), consumer.getLevels(),
                     consumer.getPolicy(), consumer.getCostsAttr());
  receiving->setDiscardableAttrs(consumer->getDiscardableAttrDictionary());
  receiving.getBody().takeBody(consumer.getBody());
  Block &body = receiving.getBody().front();
  body.getArgument(0).setType(quantize.getStored().getType());
  BlockArgument scales =
      body.addArgument(quantize.getScales().getType(), quantize.getLoc());
  rewriter.replaceAllUsesWith(quantize.getStored(), body.getArgument(0));
  rewriter.replaceAllUsesWith(quantize.getScales(), scales);
  rewriter.eraseOp(quantize);
  rewriter.replaceOp(consumer, receiving.getResults());
  for (Operation *op : between)
    rewriter.eraseOp(op);
  rewriter.eraseOp(producer);
  return success();
}

namespace {
struct ExchangeQuantizedPass
    : public agn::impl::ExchangeQuantizedBase<ExchangeQuantizedPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // In program order: a rewrite replaces the consumer and its producer,
    // which comes before it, so no unit still to visit is replaced.
    SmallVector<UnitOp> consumers;
    getOperation()->walk([&](UnitOp unit) { consumers.push_back(unit); });
    for (UnitOp consumer : consumers)
      (void)moveQuantizationIntoProducer(rewriter, consumer);
    SmallVector<QuantizeOp> quantizations;
    getOperation()->walk(
        [&](QuantizeOp quantize) { quantizations.push_back(quantize); });
    for (QuantizeOp quantize : quantizations)
      (void)formRequantize(rewriter, quantize);
  }
};
} // namespace
