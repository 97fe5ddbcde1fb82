//===- Control.cpp - Lower agn.unit, agn.select and agn.dispatch ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The controller's choice becomes a few scalar compares and selects, and the
// per-level versions an `scf.index_switch`: the hot path adds no memory
// traffic and no calls besides the runtime's arbitration.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/AGNToLinalg/AGNToLinalg.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::agn;

/// Returns the number of `conditions` that hold, as an index.
static Value countTrue(OpBuilder &b, Location loc, ArrayRef<Value> conditions) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value count = zero;
  for (Value condition : conditions) {
    Value term = arith::SelectOp::create(b, loc, condition, one, zero);
    count = arith::AddIOp::create(b, loc, count, term);
  }
  return count;
}

/// Returns `levels[band]` for a run-time `band` in [0, levels.size()), as the
/// level's ordinal. The levels increase, so a chain of selects on `band >= i`
/// ends at the right one.
static Value lookupLevel(OpBuilder &b, Location loc, ArrayRef<Precision> levels,
                         Value band) {
  Value level =
      arith::ConstantIndexOp::create(b, loc, static_cast<int64_t>(levels[0]));
  for (auto [i, candidate] : llvm::enumerate(levels)) {
    if (i == 0)
      continue;
    Value index = arith::ConstantIndexOp::create(b, loc, i);
    Value reached =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, band, index);
    Value ordinal =
        arith::ConstantIndexOp::create(b, loc, static_cast<int64_t>(candidate));
    level = arith::SelectOp::create(b, loc, reached, ordinal, level);
  }
  return level;
}

namespace {

//===----------------------------------------------------------------------===//
// agn.unit
//===----------------------------------------------------------------------===//

/// Inlines a unit's body in its place: the block arguments become the unit's
/// operands and the yielded values its results.
struct UnitOpLowering : OpConversionPattern<UnitOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(UnitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    YieldOp yield = op.getYield();
    SmallVector<Value> results(yield.getValues());
    rewriter.inlineBlockBefore(&op.getBody().front(), op,
                               adaptor.getOperands());
    rewriter.replaceOp(op, results);
    rewriter.eraseOp(yield);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// agn.select
//===----------------------------------------------------------------------===//

/// Lowers `agn.select` to arith, mirroring `PolicyAttr::selectBand` (the
/// constant folder's rule) decision for decision: the statistic is compared
/// in f64 against the same `threshold * scale` products, so that a value
/// the folder puts in a band at compile time lands in the same band at run
/// time.
struct SelectOpLowering : OpConversionPattern<SelectOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SelectOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    PolicyAttr policy = op.getPolicy();
    ArrayRef<Precision> levels = policy.getLevels();
    Value statistic = arith::ExtFOp::create(
        rewriter, loc, rewriter.getF64Type(), adaptor.getStatistic());

    // The number of thresholds t with statistic >= t * scale. Ordered
    // compares are false for NaN, which the finiteness check handles below.
    auto countReached = [&](double scale) {
      SmallVector<Value> reached;
      for (double threshold : policy.getThresholdValues()) {
        Value bound = arith::ConstantOp::create(
            rewriter, loc, rewriter.getF64FloatAttr(threshold * scale));
        reached.push_back(arith::CmpFOp::create(
            rewriter, loc, arith::CmpFPredicate::OGE, statistic, bound));
      }
      return countTrue(rewriter, loc, reached);
    };

    Value band;
    if (!adaptor.getPrevious()) {
      band = countReached(1.0);
    } else {
      // Moving up needs the statistic to reach threshold * (1 + h), moving
      // down to fall below threshold * (1 - h); in between the previous band
      // stays: clamp(previous, up, down), with up <= down.
      Value up = countReached(1.0 + policy.getHysteresisValue());
      Value down = countReached(1.0 - policy.getHysteresisValue());
      Value previous =
          getPreviousBand(rewriter, loc, policy, adaptor.getPrevious());
      band = arith::MaxUIOp::create(rewriter, loc, previous, up);
      band = arith::MinUIOp::create(rewriter, loc, band, down);
    }

    // NaN and infinities select the most precise level.
    Value magnitude = math::AbsFOp::create(rewriter, loc, statistic);
    Value infinity = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getF64FloatAttr(std::numeric_limits<double>::infinity()));
    Value finite = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::OLT, magnitude, infinity);
    Value lastBand =
        arith::ConstantIndexOp::create(rewriter, loc, levels.size() - 1);
    band = arith::SelectOp::create(rewriter, loc, finite, band, lastBand);

    rewriter.replaceOp(op, lookupLevel(rewriter, loc, levels, band));
    return success();
  }

  /// Returns `PolicyAttr::getBandOf` of the run-time level ordinal
  /// `previous`: the position of the most precise policy level not above it,
  /// or 0. With increasing levels that is the number of levels after the
  /// first that are not above it. Ordinals out of [0, 4] need no clamping:
  /// below every level they give 0, above every level the last band, as the
  /// folder's clamped ordinal does.
  static Value getPreviousBand(OpBuilder &b, Location loc, PolicyAttr policy,
                               Value previous) {
    SmallVector<Value> notAbove;
    for (Precision level : policy.getLevels().drop_front()) {
      Value ordinal =
          arith::ConstantIndexOp::create(b, loc, static_cast<int64_t>(level));
      notAbove.push_back(arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::sle, ordinal, previous));
    }
    return countTrue(b, loc, notAbove);
  }
};

//===----------------------------------------------------------------------===//
// agn.dispatch
//===----------------------------------------------------------------------===//

/// Lowers `agn.dispatch` to an `scf.index_switch` on the index of the case to
/// run. Case i of the switch is the dispatch's case i; the most precise case
/// is the default region, so that any level, even one out of range, runs a
/// version (never undefined behaviour).
struct DispatchOpLowering : OpConversionPattern<DispatchOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DispatchOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<Precision> levels = op.getLevelValues();
    unsigned numCases = levels.size();
    Value caseIndex = getCaseIndex(rewriter, loc, levels, adaptor.getLevel());

    auto switchOp = scf::IndexSwitchOp::create(
        rewriter, loc, op.getResultTypes(), caseIndex,
        llvm::to_vector(llvm::seq<int64_t>(numCases - 1)), numCases - 1);
    for (unsigned i = 0; i < numCases; ++i) {
      Region &target = i + 1 == numCases ? switchOp.getDefaultRegion()
                                         : switchOp.getCaseRegions()[i];
      rewriter.inlineRegionBefore(op.getCases()[i], target, target.end());
      Operation *terminator = target.front().getTerminator();
      rewriter.setInsertionPoint(terminator);
      rewriter.replaceOpWithNewOp<scf::YieldOp>(
          terminator, cast<YieldOp>(terminator).getValues());
    }
    // For the passes after the lowering: which unit, and which level each
    // case runs.
    for (StringRef name :
         {AGNDialect::kUnitIdAttrName, AGNDialect::kUnitNameAttrName})
      if (Attribute attr = op->getAttr(name))
        switchOp->setAttr(name, attr);
    switchOp->setAttr(
        AGNDialect::kCaseLevelsAttrName,
        rewriter.getDenseI32ArrayAttr(llvm::map_to_vector(
            levels, [](Precision l) { return static_cast<int32_t>(l); })));
    rewriter.replaceOp(op, switchOp.getResults());
    return success();
  }

  /// Returns the index of the case `DispatchOp::getCaseIndexFor` picks for a
  /// run-time `level`: the least precise case at or above it, else the most
  /// precise. That is the number of the first numCases - 1 case levels that
  /// are below `level`.
  static Value getCaseIndex(OpBuilder &b, Location loc,
                            ArrayRef<Precision> levels, Value level) {
    SmallVector<Value> below;
    for (Precision caseLevel : levels.drop_back()) {
      Value ordinal = arith::ConstantIndexOp::create(
          b, loc, static_cast<int64_t>(caseLevel));
      below.push_back(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                            ordinal, level));
    }
    return countTrue(b, loc, below);
  }
};
} // namespace

void mlir::agn::populateControlLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<UnitOpLowering, SelectOpLowering, DispatchOpLowering>(
      patterns.getContext());
}
