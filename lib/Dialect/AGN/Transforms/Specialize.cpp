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
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::agn {
#define GEN_PASS_DEF_SPECIALIZE
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Erases `roots` (once unused) and then the controller ops (statistics,
/// selections, loads of the last level) that only they, directly or not,
/// used.
static void eraseControllerOps(ArrayRef<Operation *> roots) {
  // Collect first: one producer can feed several of these ops (the
  // statistic feeds both the selection and the arbitration), so erasing
  // while walking could reach it twice.
  llvm::SetVector<Operation *> candidates(roots.begin(), roots.end());
  for (size_t i = 0; i < candidates.size(); ++i)
    for (Value operand : candidates[i]->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && isa<VarianceOp, AbsMaxOp, SelectOp, memref::LoadOp,
                     memref::GetGlobalOp>(def))
        candidates.insert(def);
  // Users come before their producers in `candidates`; erase what has no
  // use left until nothing changes.
  bool erased = true;
  while (erased) {
    erased = false;
    for (Operation *candidate : llvm::to_vector(candidates)) {
      if (!candidate->use_empty())
        continue;
      candidates.remove(candidate);
      candidate->erase();
      erased = true;
    }
  }
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
  // version to keep. A unit that allows only `level` needs no dispatch.
  bool onlyLevel = unit.getLevelValues() == SmallVector<Precision>{level};
  if (dispatches.empty() && level != Precision::f32 && !onlyLevel)
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
    // A policy with hysteresis stores each selection: the store goes too.
    SmallVector<Operation *> roots;
    Value requested = arbitrate.getRequested();
    for (Operation *user : requested.getUsers())
      if (isa<memref::StoreOp>(user))
        roots.push_back(user);
    for (Value operand : arbitrate->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && isa<VarianceOp, AbsMaxOp, SelectOp>(def))
        roots.push_back(def);
    arbitrate.erase();
    eraseControllerOps(roots);
  }
  for (DispatchOp dispatch : dispatches)
    dispatch.inlineCase(rewriter,
                        dispatch.getCaseIndexFor(static_cast<int64_t>(level)));
  // Without a dispatch (an f32 reference body) nothing reads the level.
  unit.getBody().walk([&](arith::ConstantIndexOp constant) {
    if (constant.use_empty() && constant.value() == static_cast<int64_t>(level))
      rewriter.eraseOp(constant);
  });

  PolicyAttr policy = unit.getPolicy();
  unit.setLevelsAttr(getPrecisionArrayAttr(context, {level}));
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
      mlir::emitError(root->getLoc(), "agn-specialize: 'level' must be one of ")
          << getPrecisionNameList() << "; got '" << level << "'";
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
