//===- FormUnits.cpp - agn-form-units pass --------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Wraps each contraction and its elementwise epilogue into an agn.unit, and
// optionally splits each layer into several units along output channels or
// rows.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Dialect/AGN/Transforms/Contraction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>

namespace mlir::agn {
#define GEN_PASS_DEF_FORMUNITS
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

//===----------------------------------------------------------------------===//
// Planning a unit
//===----------------------------------------------------------------------===//

namespace {
/// What a unit around one contraction holds: the contraction and its
/// epilogue, the helper ops cloned into it, and its operands.
struct UnitPlan {
  /// The contraction first, then the epilogue ops in order.
  SmallVector<Operation *> chain;
  /// Ops rebuilt inside the unit (constants, empties, fills, broadcasts of
  /// the bias), dependencies first.
  llvm::SetVector<Operation *> producers;
  Value input, weight, bias;

  /// Returns whether `value` is available inside the unit being planned.
  bool isAvailable(Value value) const {
    if (value == input || value == weight || (bias && value == bias))
      return true;
    Operation *def = value.getDefiningOp();
    return def && (llvm::is_contained(chain, def) || producers.contains(def));
  }
};
} // namespace

/// Returns whether `op` is cheap, pure and worth rebuilding inside a unit so
/// that the unit does not need it as an operand.
static bool isRebuildableProducer(Operation *op) {
  if (!isPure(op) || op->getNumResults() != 1)
    return false;
  if (isa<arith::ConstantOp, tensor::DimOp, tensor::EmptyOp, linalg::FillOp,
          linalg::BroadcastOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
          op))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && linalg::isaBroadcastOpInterface(generic).has_value();
}

/// Returns whether `op` can extend a unit's epilogue: an elementwise op on
/// tensors with one result.
static bool isElementwiseEpilogueOp(Operation *op) {
  if (op->getNumResults() != 1 ||
      !isa<RankedTensorType>(op->getResult(0).getType()))
    return false;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.hasPureTensorSemantics() &&
           linalgOp.getNumDpsInits() == 1 && linalg::isElementwise(linalgOp);
  return op->hasTrait<OpTrait::Elementwise>() && isPure(op) &&
         op->getNumRegions() == 0;
}

/// Makes `value` available inside the unit: rebuilds its producer there, or
/// takes it as the unit's bias when the unit has none yet.
static LogicalResult makeAvailable(Value value, UnitPlan &plan);

/// Makes every operand of `op`, and every value its regions use from above,
/// available inside the unit.
static LogicalResult makeOperandsAvailable(Operation *op, UnitPlan &plan) {
  for (Value operand : op->getOperands())
    if (failed(makeAvailable(operand, plan)))
      return failure();
  llvm::SetVector<Value> captured;
  for (Region &region : op->getRegions())
    getUsedValuesDefinedAbove(region, region, captured);
  for (Value value : captured)
    if (failed(makeAvailable(value, plan)))
      return failure();
  return success();
}

static LogicalResult makeAvailable(Value value, UnitPlan &plan) {
  if (plan.isAvailable(value))
    return success();
  Operation *def = value.getDefiningOp();
  if (def && isRebuildableProducer(def)) {
    if (failed(makeOperandsAvailable(def, plan)))
      return failure();
    plan.producers.insert(def);
    return success();
  }
  // Anything else must come in as an operand; a unit has one slot left, the
  // bias, for a tensor the epilogue reads.
  if (plan.bias || !isa<RankedTensorType>(value.getType()))
    return failure();
  plan.bias = value;
  return success();
}

/// Plans the unit around `info`'s contraction: the epilogue grows while each
/// next op is the single user of the chain's value and what it reads can be
/// brought into the unit.
static FailureOr<UnitPlan> planUnit(const ContractionInfo &info) {
  UnitPlan plan;
  Operation *contraction = info.op;
  plan.input = info.getInputOperand().get();
  plan.weight = info.getWeightOperand().get();
  plan.chain.push_back(contraction);
  if (failed(makeOperandsAvailable(contraction, plan)))
    return failure();

  Value current = contraction->getResult(0);
  while (current.hasOneUse()) {
    Operation *user = *current.getUsers().begin();
    if (user->getBlock() != contraction->getBlock() ||
        !isElementwiseEpilogueOp(user))
      break;
    // Try the op on a copy, so a failure leaves the plan as it was.
    UnitPlan extended = plan;
    extended.chain.push_back(user);
    if (failed(makeOperandsAvailable(user, extended)))
      break;
    plan = std::move(extended);
    current = user->getResult(0);
  }
  return plan;
}

//===----------------------------------------------------------------------===//
// Building a unit
//===----------------------------------------------------------------------===//

/// Creates the unit for `plan` before the last op of its chain and replaces
/// the chain's result with the unit's.
static UnitOp buildUnit(OpBuilder &builder, const UnitPlan &plan,
                        StringRef name, ArrayAttr levels, PolicyAttr policy) {
  Operation *last = plan.chain.back();
  Location loc = plan.chain.front()->getLoc();
  builder.setInsertionPoint(last);
  auto unit = UnitOp::create(
      builder, loc, last->getResultTypes(), plan.input, plan.weight, plan.bias,
      /*input_scales=*/nullptr, builder.getStringAttr(name), levels, policy,
      /*costs=*/nullptr);

  Block *body = builder.createBlock(&unit.getBody());
  IRMapping mapping;
  mapping.map(plan.input, body->addArgument(plan.input.getType(), loc));
  // x @ x: the weight is the input, already mapped.
  BlockArgument weightArg = body->addArgument(plan.weight.getType(), loc);
  if (!mapping.contains(plan.weight))
    mapping.map(plan.weight, weightArg);
  if (plan.bias)
    mapping.map(plan.bias, body->addArgument(plan.bias.getType(), loc));

  for (Operation *op : plan.producers)
    builder.clone(*op, mapping);
  for (Operation *op : plan.chain)
    builder.clone(*op, mapping);
  YieldOp::create(builder, loc, mapping.lookup(last->getResult(0)));

  last->getResult(0).replaceAllUsesWith(unit.getResult(0));
  for (Operation *op : llvm::reverse(plan.chain))
    op->erase();
  // Producers were cloned, not moved: drop those nothing else uses.
  for (Operation *op : llvm::reverse(plan.producers))
    if (op->use_empty())
      op->erase();
  return unit;
}

//===----------------------------------------------------------------------===//
// Splitting a unit
//===----------------------------------------------------------------------===//

/// Returns `type` with dimension `dim` set to `size`.
static RankedTensorType withDimSize(RankedTensorType type, int64_t dim,
                                    int64_t size) {
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  return type.clone(shape);
}

/// Returns the slice [offset, offset + size) of `value` along `dim`.
static Value sliceAlong(OpBuilder &builder, Location loc, Value value,
                        int64_t dim, int64_t offset, int64_t size) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), builder.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(builder, loc, value);
  SmallVector<OpFoldResult> strides(type.getRank(), builder.getIndexAttr(1));
  offsets[dim] = builder.getIndexAttr(offset);
  sizes[dim] = builder.getIndexAttr(size);
  return tensor::ExtractSliceOp::create(builder, loc, value, offsets, sizes,
                                        strides);
}

/// Returns the dimension of the bias (block argument `bias` of a unit body)
/// that indexes result dimension `resultDim`, std::nullopt when the bias is
/// broadcast along it, or failure when its use is not understood.
static FailureOr<std::optional<int64_t>>
getBiasDimFor(BlockArgument bias, int64_t resultDim, int64_t resultRank) {
  std::optional<std::optional<int64_t>> found;
  for (OpOperand &use : bias.getUses()) {
    std::optional<int64_t> dim;
    auto linalgOp = dyn_cast<linalg::LinalgOp>(use.getOwner());
    if (linalgOp && linalgOp.getNumDpsInits() == 1) {
      AffineMap operandMap = linalgOp.getMatchingIndexingMap(&use);
      AffineMap outputMap =
          linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0));
      if (!outputMap.isPermutation() || outputMap.getNumResults() != resultRank)
        return failure();
      auto resultExpr = dyn_cast<AffineDimExpr>(outputMap.getResult(resultDim));
      for (auto [i, expr] : llvm::enumerate(operandMap.getResults()))
        if (expr == resultExpr)
          dim = i;
    } else if (use.getOwner()->hasTrait<OpTrait::Elementwise>() &&
               cast<RankedTensorType>(bias.getType()).getRank() == resultRank) {
      dim = resultDim;
    } else {
      return failure();
    }
    if (found && *found != dim)
      return failure();
    found = dim;
  }
  return found.value_or(std::nullopt);
}

/// Clones `body` into `newBody` (whose arguments have the sliced types) and
/// re-types what depends on the result's shape: `tensor.empty`s and splat
/// constants shaped like the result, destination-style ops (their results
/// take their inits' types) and elementwise ops.
static void cloneWithSlicedShapes(OpBuilder &builder, Block &body,
                                  Block &newBody, ArrayRef<int64_t> fullShape,
                                  int64_t dim, int64_t size) {
  IRMapping mapping;
  mapping.map(body.getArguments(), newBody.getArguments());
  builder.setInsertionPointToStart(&newBody);
  auto isResultShaped = [&](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.getShape() == fullShape;
  };

  for (Operation &op : body) {
    if (auto empty = dyn_cast<tensor::EmptyOp>(op);
        empty && isResultShaped(empty.getType())) {
      SmallVector<Value> dynamicSizes = llvm::map_to_vector(
          empty.getDynamicSizes(), [&](Value v) { return mapping.lookup(v); });
      auto sliced = tensor::EmptyOp::create(
          builder, op.getLoc(), withDimSize(empty.getType(), dim, size),
          dynamicSizes);
      mapping.map(empty.getResult(), sliced.getResult());
      continue;
    }
    if (auto constant = dyn_cast<arith::ConstantOp>(op);
        constant && isResultShaped(constant.getType())) {
      if (auto splat = dyn_cast<SplatElementsAttr>(constant.getValue())) {
        auto type =
            withDimSize(cast<RankedTensorType>(constant.getType()), dim, size);
        auto sliced = arith::ConstantOp::create(
            builder, op.getLoc(),
            SplatElementsAttr::get(type, splat.getSplatValue<Attribute>()));
        mapping.map(constant.getResult(), sliced.getResult());
        continue;
      }
    }
    Operation *clone = builder.clone(op, mapping);
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(clone)) {
      for (auto [result, init] :
           llvm::zip(clone->getResults(), dps.getDpsInits()))
        if (isa<RankedTensorType>(result.getType()))
          result.setType(init.getType());
    } else if (clone->hasTrait<OpTrait::Elementwise>() &&
               clone->getNumOperands() > 0) {
      auto operandType =
          dyn_cast<RankedTensorType>(clone->getOperand(0).getType());
      for (OpResult result : clone->getResults())
        if (auto type = dyn_cast<RankedTensorType>(result.getType());
            type && operandType)
          result.setType(type.clone(operandType.getShape()));
    }
  }
}

/// Splits `unit` into `parts` units along output channels or rows, joined by
/// tensor.concat. Emits an error and fails when the layer cannot be split.
static LogicalResult splitUnit(OpBuilder &builder, UnitOp unit, unsigned parts,
                               bool alongRows) {
  Block &body = unit.getBody().front();
  std::optional<ContractionInfo> info;
  for (Operation &op : body)
    if (FailureOr<ContractionInfo> analyzed = analyzeContraction(&op);
        succeeded(analyzed))
      info = *analyzed;
  assert(info && "units formed by this pass hold a contraction");

  StringRef along = alongRows ? "rows" : "channels";
  auto resultType = dyn_cast<RankedTensorType>(unit.getResult(0).getType());
  std::optional<int64_t> resultDim =
      alongRows ? info->getResultRowDim() : info->getResultChannelDim();
  std::optional<int64_t> operandDim =
      alongRows ? info->getInputRowDim() : info->getWeightChannelDim();
  if (!resultType || !resultDim || !operandDim)
    return unit.emitError("cannot split unit '")
           << unit.getUnitName() << "' along " << along << ": its "
           << stringifyContractionKind(info->kind) << " has no single " << along
           << " dimension; use split=1 or the other split-along";
  int64_t total = resultType.getDimSize(*resultDim);
  if (ShapedType::isDynamic(total))
    return unit.emitError("cannot split unit '")
           << unit.getUnitName() << "' along " << along
           << ": that dimension is dynamic";
  if (total < parts)
    return unit.emitError("cannot split unit '")
           << unit.getUnitName() << "' into " << parts << " parts: it has only "
           << total << " " << along;

  std::optional<int64_t> biasDim;
  if (Value bias = unit.getBias()) {
    FailureOr<std::optional<int64_t>> dim =
        getBiasDimFor(body.getArgument(2), *resultDim, resultType.getRank());
    if (failed(dim))
      return unit.emitError("cannot split unit '")
             << unit.getUnitName()
             << "': the way its epilogue reads the bias is not understood";
    biasDim = *dim;
  }

  // The first `total % parts` units take one more channel (or row).
  builder.setInsertionPoint(unit);
  Location loc = unit.getLoc();
  SmallVector<Value> results;
  SmallVector<UnitOp> created;
  int64_t offset = 0;
  for (unsigned part = 0; part < parts; ++part) {
    int64_t size = total / parts + (part < total % parts ? 1 : 0);
    Value input = unit.getInput(), weight = unit.getWeight(),
          bias = unit.getBias();
    if (alongRows)
      input = sliceAlong(builder, loc, input, *operandDim, offset, size);
    else
      weight = sliceAlong(builder, loc, weight, *operandDim, offset, size);
    if (bias && biasDim)
      bias = sliceAlong(builder, loc, bias, *biasDim, offset, size);

    std::string name = (unit.getUnitName() + ".s" + Twine(part)).str();
    auto partUnit = UnitOp::create(
        builder, loc, withDimSize(resultType, *resultDim, size), input, weight,
        bias, /*input_scales=*/nullptr, builder.getStringAttr(name),
        unit.getLevels(), unit.getPolicy(),
        /*costs=*/nullptr);
    OpBuilder::InsertionGuard guard(builder);
    Block *partBody = builder.createBlock(&partUnit.getBody());
    for (Value operand : partUnit->getOperands())
      partBody->addArgument(operand.getType(), loc);
    cloneWithSlicedShapes(
        builder, body, *partBody,
        cast<RankedTensorType>(info->op->getResult(0).getType()).getShape(),
        *resultDim, size);
    results.push_back(partUnit.getResult(0));
    created.push_back(partUnit);
    offset += size;
  }

  for (UnitOp part : created)
    if (failed(verify(part)))
      return unit.emitError("cannot split unit '")
             << unit.getUnitName() << "' along " << along
             << ": an op of its epilogue depends on the full shape";

  auto concat = tensor::ConcatOp::create(builder, loc, *resultDim, results);
  unit.getResult(0).replaceAllUsesWith(concat.getResult());
  unit.erase();
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct FormUnitsPass : public agn::impl::FormUnitsBase<FormUnitsPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// Parses and checks the options; emits an error and fails on bad ones.
  LogicalResult parseOptions();

  /// Returns the name of the next unit formed around `op`.
  std::string nameUnit(Operation *op);

  /// Returns the levels and policy of the unit formed around `op`: those of
  /// the options, or the policy `op` carries in an `agn.policy` attribute
  /// (learned in training, set by an importer): its levels, joined with the
  /// `levels` option's when that is given.
  std::pair<ArrayAttr, PolicyAttr> getUnitPolicy(Operation *op);

  llvm::SmallDenseSet<ContractionKind> kinds;
  ArrayAttr levelsAttr;
  PolicyAttr policy;
  llvm::StringMap<unsigned> unitCounts;
};
} // namespace

LogicalResult FormUnitsPass::parseOptions() {
  Operation *root = getOperation();
  MLIRContext *context = &getContext();

  for (const std::string &name : ops) {
    std::optional<ContractionKind> kind = symbolizeContractionKind(name);
    if (!kind)
      return mlir::emitError(root->getLoc(),
                             "agn-form-units: unknown op kind '")
             << name << "' in 'ops'; expected one of "
             << getContractionKindList();
    kinds.insert(*kind);
  }

  SmallVector<Precision> levelValues;
  if (levels.empty())
    levelValues = getAllPrecisions();
  for (const std::string &name : levels) {
    std::optional<Precision> level = symbolizePrecision(name);
    if (!level)
      return mlir::emitError(root->getLoc(), "agn-form-units: unknown level '")
             << name << "' in 'levels'; expected "
             << getPrecisionNameList(", ", " or ");
    levelValues.push_back(*level);
  }
  auto emitError = [&]() {
    return mlir::emitError(root->getLoc(),
                           "agn-form-units: invalid 'levels' option: ");
  };
  if (failed(verifyLevelList(emitError, levelValues, "'levels'")))
    return failure();
  levelsAttr = getPrecisionArrayAttr(context, levelValues);

  std::optional<StatisticKind> statisticKind =
      symbolizeStatisticKind(statistic);
  if (!statisticKind)
    return mlir::emitError(root->getLoc(),
                           "agn-form-units: unknown statistic '")
           << statistic << "'; expected variance or abs_max";

  // Default thresholds grow by 4x from 0.02: variance bands for activations
  // of unit scale. Calibrated policies (python/agn) replace them.
  SmallVector<double> thresholdValues(thresholds.begin(), thresholds.end());
  if (thresholds.empty())
    for (size_t i = 0; i + 1 < levelValues.size(); ++i)
      thresholdValues.push_back(0.02 * std::pow(4.0, static_cast<double>(i)));
  auto emitPolicyError = [&]() {
    return mlir::emitError(root->getLoc(), "agn-form-units: invalid policy: ");
  };
  // Exact parameter types select the generated (out-of-line) getChecked.
  policy = PolicyAttr::getChecked(
      function_ref<InFlightDiagnostic()>(emitPolicyError), context,
      *statisticKind, ArrayRef<Precision>(levelValues),
      DenseF64ArrayAttr(DenseF64ArrayAttr::get(context, thresholdValues)),
      llvm::APFloat(static_cast<double>(hysteresis)));
  if (!policy)
    return failure();

  if (split == 0)
    return mlir::emitError(root->getLoc(),
                           "agn-form-units: 'split' must be at least 1");
  if (splitAlong != "channels" && splitAlong != "rows")
    return mlir::emitError(root->getLoc(),
                           "agn-form-units: unknown 'split-along' value '")
           << splitAlong << "'; expected channels or rows";
  return success();
}

std::string FormUnitsPass::nameUnit(Operation *op) {
  if (auto name = op->getAttrOfType<StringAttr>("agn.name"))
    return name.str();
  StringRef scope = "unit";
  if (auto function = op->getParentOfType<FunctionOpInterface>())
    scope = function.getName();
  unsigned index = unitCounts[scope]++;
  return (scope + ".u" + Twine(index)).str();
}

std::pair<ArrayAttr, PolicyAttr> FormUnitsPass::getUnitPolicy(Operation *op) {
  auto own = op->getAttrOfType<PolicyAttr>("agn.policy");
  if (!own)
    return {levelsAttr, policy};
  // Without a `levels` option the policy's levels are the unit's; with one,
  // the two join.
  SmallVector<Precision> levels;
  if (!this->levels.empty())
    levels = getPrecisions(levelsAttr);
  llvm::append_range(levels, own.getLevels());
  llvm::sort(levels);
  levels.erase(llvm::unique(levels), levels.end());
  return {getPrecisionArrayAttr(op->getContext(), levels), own};
}

void FormUnitsPass::runOnOperation() {
  if (failed(parseOptions()))
    return signalPassFailure();

  SmallVector<ContractionInfo> contractions;
  getOperation()->walk([&](Operation *op) {
    if (op->getParentOfType<UnitOp>())
      return;
    FailureOr<ContractionInfo> info = analyzeContraction(op);
    if (succeeded(info) && (kinds.empty() || kinds.contains(info->kind)))
      contractions.push_back(*info);
  });

  OpBuilder builder(&getContext());
  for (const ContractionInfo &info : contractions) {
    FailureOr<UnitPlan> plan = planUnit(info);
    if (failed(plan))
      continue;
    std::string name = nameUnit(info.op);
    auto [unitLevels, unitPolicy] = getUnitPolicy(info.op);
    UnitOp unit = buildUnit(builder, *plan, name, unitLevels, unitPolicy);
    if (split > 1 &&
        failed(splitUnit(builder, unit, split, splitAlong == "rows")))
      return signalPassFailure();
  }
}
