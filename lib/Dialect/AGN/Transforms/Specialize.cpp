//===- Specialize.cpp - agn-specialize pass -------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Fixes units at one level and removes their controllers, for deployments
// whose resources are known ahead of time.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::agn {
#define GEN_PASS_DEF_SPECIALIZE
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Erases `op` and then each operand's producer that becomes unused, when
/// that producer is part of the controller (a statistic, a selection or the
/// load of the last level).
static void eraseControllerOp(Operation *op) {
  SmallVector<Operation *> worklist = {op};
  while (!worklist.empty()) {
    Operation *current = worklist.pop_back_val();
    if (!current->use_empty())
      continue;
    SmallVector<Operation *> producers;
    for (Value operand : current->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && isa<VarianceOp, AbsMaxOp, SelectOp, memref::LoadOp,
                     memref::GetGlobalOp>(def))
        producers.push_back(def);
    current->erase();
    worklist.append(producers);
  }
}

/// Replaces `dispatch` by the body of the case that runs at `level`.
static void inlineCase(RewriterBase &rewriter, DispatchOp dispatch,
                       Precision level) {
  unsigned index = dispatch.getCaseIndexFor(static_cast<int64_t>(level));
  Block &body = dispatch.getCases()[index].front();
  auto yield = cast<YieldOp>(body.getTerminator());
  SmallVector<Value> results = yield.getValues();
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&body, dispatch);
  rewriter.replaceOp(dispatch, results);
}

/// Fixes `unit` at `level`: one allowed level, no controller, no dispatch.
static LogicalResult specializeUnit(RewriterBase &rewriter, UnitOp unit,
                                    Precision level) {
  if (!unit.allowsLevel(level)) {
    InFlightDiagnostic diag = unit.emitError("cannot specialize unit '")
                              << unit.getUnitName() << "' at "
                              << stringifyPrecision(level) << ": it allows ";
    llvm::interleaveComma(unit.getLevelValues(), diag, [&](Precision allowed) {
      diag << stringifyPrecision(allowed);
    });
    return diag << "; pick one of those or add the level when forming units";
  }

  SmallVector<DispatchOp> dispatches;
  unit.getBody().walk([&](DispatchOp op) { dispatches.push_back(op); });
  // Before agn-multiversion the body is the f32 reference: there is no other
  // version to keep.
  if (dispatches.empty() && level != Precision::f32)
    return unit.emitError("cannot specialize unit '")
           << unit.getUnitName() << "' at " << stringifyPrecision(level)
           << ": it has no " << stringifyPrecision(level)
           << " version yet; run agn-multiversion first";

  MLIRContext *context = unit.getContext();
  Location loc = unit.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);

  // The arbitration becomes the constant level; the rest of the controller
  // (statistic, selection, last-level bookkeeping) goes with it.
  SmallVector<ArbitrateOp> arbitrations;
  unit.getBody().walk([&](ArbitrateOp op) { arbitrations.push_back(op); });
  for (ArbitrateOp arbitrate : arbitrations) {
    rewriter.setInsertionPoint(arbitrate);
    Value constant = arith::ConstantIndexOp::create(
        rewriter, loc, static_cast<int64_t>(level));
    rewriter.replaceAllUsesWith(arbitrate.getGranted(), constant);
    Value requested = arbitrate.getRequested();
    arbitrate.erase();
    // A policy with hysteresis stores each selection: drop the store too.
    for (Operation *user : llvm::make_early_inc_range(requested.getUsers()))
      if (isa<memref::StoreOp>(user))
        eraseControllerOp(user);
    if (Operation *def = requested.getDefiningOp())
      eraseControllerOp(def);
  }
  for (DispatchOp dispatch : dispatches)
    inlineCase(rewriter, dispatch, level);
  // Without a dispatch (an f32 reference body) nothing reads the level.
  unit.getBody().walk([&](arith::ConstantIndexOp constant) {
    if (constant.use_empty() && constant.value() == static_cast<int64_t>(level))
      rewriter.eraseOp(constant);
  });

  PolicyAttr policy = unit.getPolicy();
  unit.setLevelsAttr(
      ArrayAttr::get(context, {PrecisionAttr::get(context, level)}));
  unit.setPolicyAttr(PolicyAttr::get(context, policy.getStatistic(), {level},
                                     ArrayRef<double>{}, 0.0));
  if (std::optional<ArrayAttr> costs = unit.getCosts()) {
    for (CostAttr cost : costs->getAsRange<CostAttr>())
      if (cost.getLevel() == level)
        unit.setCostsAttr(ArrayAttr::get(context, {cost}));
  }
  return success();
}

/// Erases the private level globals of `module` that nothing uses any more.
static void eraseUnusedLevelGlobals(Operation *root) {
  SmallVector<memref::GlobalOp> globals;
  root->walk([&](memref::GlobalOp global) {
    if (global.getSymName().starts_with("__agn_level_") && global.isPrivate())
      globals.push_back(global);
  });
  for (memref::GlobalOp global : globals) {
    Operation *scope = SymbolTable::getNearestSymbolTable(global);
    if (SymbolTable::symbolKnownUseEmpty(global, scope))
      global.erase();
  }
}

namespace {
struct SpecializePass : public agn::impl::SpecializeBase<SpecializePass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    std::optional<Precision> fixed = symbolizePrecision(level);
    if (!fixed) {
      mlir::emitError(root->getLoc(),
                      "agn-specialize: 'level' must be one of i4, i8, bf16, "
                      "f16, f32; got '")
          << level << "'";
      return signalPassFailure();
    }

    llvm::StringSet<> wanted;
    for (const std::string &name : units)
      wanted.insert(name);
    llvm::StringSet<> found;
    SmallVector<UnitOp> selected;
    root->walk([&](UnitOp unit) {
      if (wanted.empty() || wanted.contains(unit.getUnitName())) {
        selected.push_back(unit);
        found.insert(unit.getUnitName());
      }
    });
    for (const std::string &name : units)
      if (!found.contains(name)) {
        mlir::emitError(root->getLoc(), "agn-specialize: no unit named '")
            << name << "'";
        return signalPassFailure();
      }

    IRRewriter rewriter(&getContext());
    for (UnitOp unit : selected)
      if (failed(specializeUnit(rewriter, unit, *fixed)))
        return signalPassFailure();
    eraseUnusedLevelGlobals(root);
  }
};
} // namespace
