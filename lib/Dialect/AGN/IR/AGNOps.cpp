//===- AGNOps.cpp - agn operations ----------------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Dialect/AGN/IR/Quantization.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::agn;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

/// Returns an `index` attribute holding the ordinal of `level`.
static IntegerAttr getLevelIndexAttr(MLIRContext *context, Precision level) {
  return IntegerAttr::get(IndexType::get(context), static_cast<int64_t>(level));
}

/// Verifies that `yield` returns values of exactly `resultTypes`.
static LogicalResult verifyYieldTypes(Operation *parent, YieldOp yield,
                                      TypeRange resultTypes, StringRef where) {
  if (yield.getValues().getTypes() == resultTypes)
    return success();
  InFlightDiagnostic diag = parent->emitOpError()
                            << where << " yields ("
                            << yield.getValues().getTypes()
                            << ") but the op returns (" << resultTypes
                            << "); make agn.yield return the op's result types";
  diag.attachNote(yield.getLoc()) << "agn.yield is here";
  return diag;
}

//===----------------------------------------------------------------------===//
// Custom directives
//===----------------------------------------------------------------------===//

/// Parses `[i8, bf16, f32]` into an array of `#agn.precision`.
static ParseResult parseLevelList(OpAsmParser &parser, ArrayAttr &levels) {
  SmallVector<Precision> values;
  if (parseLevelKeywords(parser, values))
    return failure();
  levels = getPrecisionArrayAttr(parser.getContext(), values);
  return success();
}

static void printLevelList(OpAsmPrinter &printer, Operation *,
                           ArrayAttr levels) {
  printLevelKeywords(printer, getPrecisions(levels));
}

/// Parses `case <level> { ... }` repeated, one region per case.
static ParseResult
parseDispatchCases(OpAsmParser &parser, ArrayAttr &levels,
                   SmallVectorImpl<std::unique_ptr<Region>> &cases) {
  SmallVector<Attribute> levelAttrs;
  while (succeeded(parser.parseOptionalKeyword("case"))) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return failure();
    std::optional<Precision> level = symbolizePrecision(keyword);
    if (!level)
      return parser.emitError(loc)
             << "unknown precision level '" << keyword << "'; expected one of "
             << getPrecisionNameList();
    levelAttrs.push_back(PrecisionAttr::get(parser.getContext(), *level));
    auto region = std::make_unique<Region>();
    if (parser.parseRegion(*region, /*arguments=*/{}))
      return failure();
    cases.push_back(std::move(region));
  }
  levels = ArrayAttr::get(parser.getContext(), levelAttrs);
  return success();
}

static void printDispatchCases(OpAsmPrinter &printer, Operation *,
                               ArrayAttr levels,
                               MutableArrayRef<Region> cases) {
  for (auto [level, region] : llvm::zip(levels, cases)) {
    printer.printNewline();
    printer << "case "
            << stringifyPrecision(cast<PrecisionAttr>(level).getValue()) << ' ';
    printer.printRegion(region, /*printEntryBlockArgs=*/false);
  }
}

//===----------------------------------------------------------------------===//
// UnitOp
//===----------------------------------------------------------------------===//

SmallVector<Precision> UnitOp::getLevelValues() {
  return getPrecisions(getLevels());
}

bool UnitOp::allowsLevel(Precision level) {
  return llvm::is_contained(getLevelValues(), level);
}

YieldOp UnitOp::getYield() {
  return cast<YieldOp>(getBody().front().getTerminator());
}

LogicalResult UnitOp::verify() {
  if (getUnitName().empty())
    return emitOpError("needs a non-empty name: the resource manager and the "
                       "reports identify units by name");
  SmallVector<Precision> levels = getLevelValues();
  auto emitError = [&]() { return emitOpError(); };
  if (failed(verifyLevelList(emitError, levels, "'levels'")))
    return failure();

  for (Precision level : getPolicy().getLevels())
    if (!llvm::is_contained(levels, level))
      return emitOpError("policy level ")
             << stringifyPrecision(level)
             << " is not among the unit's levels; add it to 'levels' or "
                "remove it from the policy";

  if (Value scales = getInputScales()) {
    if (levels.size() != 1)
      return emitOpError("with 'input_scales' runs at one level, got ")
             << levels.size()
             << "; a unit that chooses its level measures a float input";
    Type stored = getInput().getType().getElementType();
    std::optional<Precision> storage = getPrecisionForStorageType(stored);
    if (!storage || (*storage != Precision::i8 && *storage != Precision::i4))
      return emitOpError("with 'input_scales' takes quantized i8 or i4 input "
                         "values, got ")
             << stored << "; pass the float input without scales";
    if (cast<RankedTensorType>(scales.getType()).getRank() > 1)
      return emitOpError("'input_scales' holds one scale per tensor or per "
                         "index along one axis (rank 0 or 1), got ")
             << scales.getType();
  }

  if (std::optional<ArrayAttr> costs = getCosts()) {
    if (costs->size() != levels.size())
      return emitOpError("'costs' must have one entry per allowed level (")
             << levels.size() << "), got " << costs->size();
    for (auto [cost, level] : llvm::zip(costs->getAsRange<CostAttr>(), levels))
      if (cost.getLevel() != level)
        return emitOpError("'costs' entry for ")
               << stringifyPrecision(cost.getLevel())
               << " found where the entry for " << stringifyPrecision(level)
               << " belongs; list costs in the order of 'levels'";
  }
  return success();
}

LogicalResult UnitOp::verifyRegions() {
  Block &body = getBody().front();
  TypeRange operandTypes = getOperandTypes();
  if (body.getArgumentTypes() != operandTypes)
    return emitOpError("body arguments (")
           << body.getArgumentTypes()
           << ") must match the operands (input, weight[, bias][, "
              "input_scales]) ("
           << operandTypes << ")";
  if (!isa<YieldOp>(body.getTerminator()))
    return emitOpError("body must end with agn.yield");
  return verifyYieldTypes(*this, getYield(), getResultTypes(), "body");
}

//===----------------------------------------------------------------------===//
// Statistics
//===----------------------------------------------------------------------===//

/// Calls `fn` on every `stride`-th element of a constant float tensor, in
/// double precision; returns false when `value` is not such a constant.
static bool forEachSampledElement(Attribute value, int64_t stride,
                                  function_ref<void(double)> fn) {
  auto dense = dyn_cast_if_present<DenseFPElementsAttr>(value);
  if (!dense)
    return false;
  int64_t index = 0;
  for (const APFloat &element : dense.getValues<APFloat>()) {
    if (index++ % stride == 0)
      fn(element.convertToDouble());
  }
  return true;
}

/// Returns an f32 attribute for `value`.
static FloatAttr getF32Attr(MLIRContext *context, double value) {
  return FloatAttr::get(Float32Type::get(context), value);
}

OpFoldResult VarianceOp::fold(FoldAdaptor adaptor) {
  // Welford's update in double precision: the reference the lowered code is
  // checked against.
  int64_t count = 0;
  double mean = 0.0, m2 = 0.0;
  if (!forEachSampledElement(adaptor.getInput(), getStride(), [&](double x) {
        ++count;
        double delta = x - mean;
        mean += delta / count;
        m2 += delta * (x - mean);
      }))
    return {};
  return getF32Attr(getContext(), count == 0 ? 0.0 : m2 / count);
}

OpFoldResult AbsMaxOp::fold(FoldAdaptor adaptor) {
  double result = 0.0;
  if (!forEachSampledElement(adaptor.getInput(), getStride(), [&](double x) {
        // NaN must win over every number, and std::max would drop it.
        result = (std::isnan(x) || std::isnan(result))
                     ? NAN
                     : std::max(result, std::fabs(x));
      }))
    return {};
  return getF32Attr(getContext(), result);
}

//===----------------------------------------------------------------------===//
// SelectOp
//===----------------------------------------------------------------------===//

OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  PolicyAttr policy = getPolicy();
  ArrayRef<Precision> levels = policy.getLevels();
  if (levels.size() == 1)
    return getLevelIndexAttr(getContext(), levels.front());

  auto statistic = dyn_cast_if_present<FloatAttr>(adaptor.getStatistic());
  if (!statistic)
    return {};
  double value = statistic.getValueAsDouble();
  if (!getPrevious())
    return getLevelIndexAttr(getContext(), levels[policy.selectBand(value)]);

  auto previous = dyn_cast_if_present<IntegerAttr>(adaptor.getPrevious());
  if (!previous)
    return {};
  // An ordinal outside the enum cannot name a policy level; clamp it to the
  // ordinal range before looking up its band.
  int64_t ordinal = std::clamp<int64_t>(previous.getInt(), 0,
                                        static_cast<int64_t>(Precision::f32));
  unsigned previousBand = policy.getBandOf(static_cast<Precision>(ordinal));
  return getLevelIndexAttr(getContext(),
                           levels[policy.selectBand(value, previousBand)]);
}

//===----------------------------------------------------------------------===//
// ArbitrateOp
//===----------------------------------------------------------------------===//

UnitOp ArbitrateOp::getUnit() { return (*this)->getParentOfType<UnitOp>(); }

LogicalResult ArbitrateOp::verify() {
  if (!getUnit())
    return emitOpError("must be nested in an agn.unit: the enclosing unit "
                       "identifies the request to the resource manager");
  return success();
}

OpFoldResult ArbitrateOp::fold(FoldAdaptor) {
  // With a single allowed level there is nothing to arbitrate.
  UnitOp unit = getUnit();
  if (!unit)
    return {};
  SmallVector<Precision> levels = unit.getLevelValues();
  if (levels.size() == 1)
    return getLevelIndexAttr(getContext(), levels.front());
  return {};
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

/// Verifies the relation between a quantized tensor and its scales for the
/// granularity given by `axis` and `block` (see agn.quantize).
static LogicalResult verifyQuantization(Operation *op, RankedTensorType values,
                                        RankedTensorType stored,
                                        RankedTensorType scales,
                                        std::optional<int64_t> axis,
                                        std::optional<int64_t> block) {
  if (values.getShape() != stored.getShape())
    return op->emitOpError("float and stored tensors must have the same shape, "
                           "got ")
           << values << " and " << stored;

  std::optional<Precision> storage =
      getPrecisionForStorageType(stored.getElementType());
  if (!storage)
    return op->emitOpError("stored element type must be i8, i4, f16, bf16 or "
                           "f32, got ")
           << stored.getElementType();
  if (*storage == Precision::i4 && stored.getRank() > 0) {
    int64_t inner = stored.getShape().back();
    if (!ShapedType::isDynamic(inner) && inner % 2 != 0)
      return op->emitOpError("i4 values are packed two per byte along the "
                             "innermost dimension, which must be even; got ")
             << inner;
  }

  if (block && !axis)
    return op->emitOpError("'block' needs an 'axis' to split into blocks");
  if (!axis) {
    if (scales.getRank() != 0)
      return op->emitOpError("per-tensor quantization takes a 0-d scales "
                             "tensor (tensor<f32>), got ")
             << scales;
    return success();
  }

  int64_t rank = values.getRank();
  if (*axis >= rank)
    return op->emitOpError("'axis' ")
           << *axis << " is out of range for a tensor of rank " << rank;
  int64_t dim = values.getDimSize(*axis);

  if (!block) {
    if (scales.getRank() != 1)
      return op->emitOpError("per-channel quantization along axis ")
             << *axis << " takes a 1-d scales tensor, got " << scales;
    int64_t scaleDim = scales.getDimSize(0);
    if (!ShapedType::isDynamic(dim) && !ShapedType::isDynamic(scaleDim) &&
        scaleDim != dim)
      return op->emitOpError("per-channel scales must have one entry per "
                             "index along axis ")
             << *axis << " (" << dim << "), got " << scaleDim;
    return success();
  }

  if (!ShapedType::isDynamic(dim) && dim % *block != 0)
    return op->emitOpError("block size ")
           << *block << " does not divide dimension " << *axis << " of size "
           << dim << "; pick a block size that divides it";
  if (scales.getRank() != rank)
    return op->emitOpError("per-block scales must have the rank of the "
                           "values (")
           << rank << "), got " << scales;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t expected = values.getDimSize(i);
    if (i == *axis && !ShapedType::isDynamic(expected))
      expected /= *block;
    int64_t actual = scales.getDimSize(i);
    if (!ShapedType::isDynamic(expected) && !ShapedType::isDynamic(actual) &&
        expected != actual)
      return op->emitOpError("per-block scales dimension ")
             << i << " must be " << expected << ", got " << actual;
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  return verifyQuantization(*this, getInput().getType(), getStored().getType(),
                            getScales().getType(), getAxis(), getBlock());
}

LogicalResult QuantizeOp::fold(FoldAdaptor adaptor,
                               SmallVectorImpl<OpFoldResult> &results) {
  // Constant weights are quantized once, at compile time. NaN, infinities and
  // float overflow are left to run time, which handles them as it does for
  // any input.
  auto values = dyn_cast_if_present<DenseFPElementsAttr>(adaptor.getInput());
  if (!values)
    return failure();
  FailureOr<QuantizedConstant> quantized =
      quantizeConstant(values, getStored().getType(), getScales().getType(),
                       getAxis(), getBlock());
  if (failed(quantized))
    return failure();
  results.push_back(quantized->stored);
  results.push_back(quantized->scales);
  return success();
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantization(*this, getResult().getType(), getStored().getType(),
                            getScales().getType(), getAxis(), getBlock());
}

OpFoldResult DequantizeOp::fold(FoldAdaptor) {
  // dequantize(quantize(x)) at f32 storage is x: both steps are exact.
  auto quantize = getStored().getDefiningOp<QuantizeOp>();
  if (!quantize || getScales() != quantize.getScales() ||
      !getStored().getType().getElementType().isF32() ||
      quantize.getInput().getType() != getResult().getType() ||
      quantize.getAxis() != getAxis() || quantize.getBlock() != getBlock())
    return {};
  return quantize.getInput();
}

//===----------------------------------------------------------------------===//
// RequantizeOp
//===----------------------------------------------------------------------===//

bool mlir::agn::isMonotoneInOperand(Operation *op, unsigned operandIndex) {
  // Each is non-decreasing or non-increasing in every operand (rounding to
  // nearest is monotone), except a divisor, across whose zero the quotient
  // jumps.
  if (isa<arith::SIToFPOp, arith::ExtFOp, arith::TruncFOp, arith::AddFOp,
          arith::SubFOp, arith::MulFOp, arith::NegFOp, arith::MaximumFOp,
          arith::MinimumFOp, arith::MaxNumFOp, arith::MinNumFOp>(op))
    return true;
  return isa<arith::DivFOp>(op) && operandIndex == 0;
}

bool mlir::agn::hasFastMathFlags(Operation *op) {
  auto fastMath = dyn_cast<arith::ArithFastMathInterface>(op);
  return fastMath && fastMath.getFastMathFlagsAttr().getValue() !=
                         arith::FastMathFlags::none;
}

Operation *mlir::agn::findNonMonotoneUse(Block &body, Value from) {
  // The values computed from `from`, in order.
  llvm::SmallPtrSet<Value, 16> computed = {from};
  for (Operation &op : body.without_terminator()) {
    SmallVector<unsigned> uses;
    for (OpOperand &operand : op.getOpOperands())
      if (computed.contains(operand.get()))
        uses.push_back(operand.getOperandNumber());
    if (uses.empty())
      continue;
    if (uses.size() != 1 || !isMonotoneInOperand(&op, uses.front()))
      return &op;
    computed.insert(op.getResults().begin(), op.getResults().end());
  }
  return nullptr;
}

SmallVector<AffineMap> RequantizeOp::getInputMaps() {
  std::optional<ArrayAttr> maps = getMaps();
  if (!maps)
    return {};
  return llvm::to_vector(maps->getAsValueRange<AffineMapAttr>());
}

Value RequantizeOp::getYieldedValue() {
  return cast<YieldOp>(getBody().front().getTerminator()).getValues().front();
}

LogicalResult RequantizeOp::verify() {
  RankedTensorType accumulatorType = getAccumulator().getType();
  RankedTensorType storedType = getStored().getType();
  std::optional<Precision> storage =
      getPrecisionForStorageType(storedType.getElementType());
  if (!storage || (*storage != Precision::i8 && *storage != Precision::i4))
    return emitOpError("stores i8 or i4 values, got ")
           << storedType.getElementType()
           << "; float levels need no requantization";

  SmallVector<AffineMap> maps = getInputMaps();
  if (maps.size() != getInputs().size())
    return emitOpError("needs one map per input (")
           << getInputs().size() << "), got " << maps.size();
  int64_t rank = accumulatorType.getRank();
  for (auto [index, map, input] : llvm::enumerate(maps, getInputs())) {
    auto inputType = cast<RankedTensorType>(input.getType());
    if (map.getNumDims() != rank || map.getNumSymbols() != 0 ||
        map.getNumResults() != inputType.getRank())
      return emitOpError("map ")
             << index << " must send the accumulator's " << rank
             << " indices to input " << index << "'s " << inputType.getRank()
             << " without symbols, got " << AffineMapAttr::get(map);
    for (auto [dim, result] : llvm::enumerate(map.getResults())) {
      int64_t size = inputType.getDimSize(dim);
      if (auto constant = dyn_cast<AffineConstantExpr>(result)) {
        if (constant.getValue() != 0 ||
            (!ShapedType::isDynamic(size) && size != 1))
          return emitOpError("map ")
                 << index << " result " << dim
                 << " is a constant; it must be 0 and read a dimension of "
                    "size 1, got "
                 << constant.getValue() << " for size " << size;
        continue;
      }
      auto dimExpr = dyn_cast<AffineDimExpr>(result);
      if (!dimExpr)
        return emitOpError("map ") << index << " result " << dim
                                   << " must be an index or the constant 0";
      int64_t expected = accumulatorType.getDimSize(dimExpr.getPosition());
      if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(expected) &&
          size != expected)
        return emitOpError("input ")
               << index << " dimension " << dim << " has size " << size
               << " but map " << index << " reads it with accumulator index "
               << dimExpr.getPosition() << " of size " << expected;
    }
  }
  return verifyQuantization(*this, accumulatorType, storedType,
                            getScales().getType(), getAxis(),
                            /*block=*/std::nullopt);
}

LogicalResult RequantizeOp::verifyRegions() {
  Block &body = getBody().front();
  SmallVector<Type> expected = {getAccumulator().getType().getElementType()};
  for (Value input : getInputs())
    expected.push_back(
        cast<RankedTensorType>(input.getType()).getElementType());
  if (body.getArgumentTypes() != TypeRange(expected))
    return emitOpError("body arguments (")
           << body.getArgumentTypes()
           << ") must be the element types of the accumulator and the inputs ("
           << expected << ")";
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield || yield.getValues().size() != 1 ||
      !isa<FloatType>(yield.getValues().front().getType()))
    return emitOpError("body must end with agn.yield of one float value");

  for (Operation &op : body.without_terminator()) {
    if (!isa<arith::ArithDialect>(op.getDialect()) || !isPure(&op))
      return op.emitOpError("cannot be in an agn.requantize body, which holds "
                            "pure arith ops only; keep it out of the "
                            "requantization");
    // The lowering evaluates the body in three places; fast-math freedoms
    // could round them differently, or fold its finiteness checks away.
    if (hasFastMathFlags(&op))
      return op.emitOpError("has fast-math flags, which agn.requantize's "
                            "body may not carry: its values must round the "
                            "same wherever the lowering evaluates them");
  }
  if (Operation *op = findNonMonotoneUse(body, body.getArgument(0)))
    return op->emitOpError("is not monotone in the accumulator, which "
                           "agn.requantize needs to find the scales at the "
                           "smallest and largest accumulators; only sitofp, "
                           "extf, truncf, addf, subf, mulf, divf (as the "
                           "dividend), negf, maximumf, minimumf, maxnumf and "
                           "minnumf may use it, with one operand computed "
                           "from it");
  return success();
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

SmallVector<Precision> DispatchOp::getLevelValues() {
  return getPrecisions(getLevels());
}

unsigned DispatchOp::getCaseIndexFor(int64_t level) {
  SmallVector<Precision> levels = getLevelValues();
  for (auto [i, candidate] : llvm::enumerate(levels))
    if (static_cast<int64_t>(candidate) >= level)
      return i;
  return levels.size() - 1;
}

LogicalResult DispatchOp::verify() {
  SmallVector<Precision> levels = getLevelValues();
  auto emitError = [&]() { return emitOpError(); };
  if (failed(verifyLevelList(emitError, levels, "cases")))
    return failure();
  if (getCases().size() != levels.size())
    return emitOpError("has ") << getCases().size() << " regions but "
                               << levels.size() << " case levels";

  UnitOp unit = (*this)->getParentOfType<UnitOp>();
  if (!unit)
    return success();
  SmallVector<Precision> unitLevels = unit.getLevelValues();
  for (Precision level : unitLevels)
    if (!llvm::is_contained(levels, level))
      return emitOpError("has no case for level ")
             << stringifyPrecision(level) << ", which the enclosing unit '"
             << unit.getUnitName() << "' allows; add a 'case "
             << stringifyPrecision(level) << "' region";
  for (Precision level : levels)
    if (!llvm::is_contained(unitLevels, level))
      return emitOpError("has a case for level ")
             << stringifyPrecision(level) << ", which the enclosing unit '"
             << unit.getUnitName() << "' does not allow";
  return success();
}

LogicalResult DispatchOp::verifyRegions() {
  for (auto [level, region] : llvm::zip(getLevelValues(), getCases())) {
    auto yield = dyn_cast<YieldOp>(region.front().getTerminator());
    if (!yield)
      return emitOpError("case ")
             << stringifyPrecision(level) << " must end with agn.yield";
    if (failed(verifyYieldTypes(
            *this, yield, getResultTypes(),
            (Twine("case ") + stringifyPrecision(level)).str())))
      return failure();
  }
  return success();
}

void DispatchOp::inlineCase(RewriterBase &rewriter, unsigned index) {
  Block &body = getCases()[index].front();
  auto yield = cast<YieldOp>(body.getTerminator());
  SmallVector<Value> results = yield.getValues();
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&body, *this);
  rewriter.replaceOp(*this, results);
}

namespace {
/// Replaces a dispatch whose case is known (a constant level, or a single
/// case) by that case's body.
struct InlineKnownDispatchCase : public OpRewritePattern<DispatchOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DispatchOp op,
                                PatternRewriter &rewriter) const override {
    unsigned caseIndex = 0;
    APInt level;
    if (matchPattern(op.getLevel(), m_ConstantInt(&level)))
      caseIndex = op.getCaseIndexFor(level.getSExtValue());
    else if (op.getCases().size() != 1)
      return rewriter.notifyMatchFailure(op, "level unknown at compile time");

    op.inlineCase(rewriter, caseIndex);
    return success();
  }
};
} // namespace

void DispatchOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<InlineKnownDispatchCase>(context);
}

#define GET_OP_CLASSES
#include "agn/Dialect/AGN/IR/AGNOps.cpp.inc"
