//===- InsertControllers.cpp - agn-insert-controllers pass ----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Gives every Granularity Unit its controller: the statistic of its input, the
// policy's choice of level, and the resource manager's arbitration.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::agn {
#define GEN_PASS_DEF_INSERTCONTROLLERS
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns whether `unit` already has a controller.
static bool hasController(UnitOp unit) {
  return unit.getBody()
      .walk([](ArbitrateOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// Returns the symbol name of the global that keeps `unit`'s last level:
/// `__agn_level_` and the unit name with characters outside [A-Za-z0-9_]
/// replaced, so that it prints without quotes.
static std::string getLevelGlobalName(UnitOp unit) {
  std::string name = "__agn_level_";
  for (char c : unit.getUnitName())
    name.push_back(llvm::isAlnum(c) ? c : '_');
  return name;
}

/// Creates the private global that keeps `unit`'s last selected level,
/// starting at the policy's most precise level, in `symbolTableOp`.
static memref::GlobalOp createLevelGlobal(Operation *symbolTableOp,
                                          UnitOp unit) {
  // Built unlinked: the symbol table inserts it, renaming it when two units
  // share a name.
  OpBuilder builder(unit.getContext());
  auto type = MemRefType::get({}, builder.getIndexType());
  int64_t initial = static_cast<int64_t>(unit.getPolicy().getLevels().back());
  auto initialValue =
      DenseElementsAttr::get(RankedTensorType::get({}, builder.getIndexType()),
                             builder.getIndexAttr(initial));
  auto global = memref::GlobalOp::create(
      builder, unit.getLoc(), getLevelGlobalName(unit),
      builder.getStringAttr("private"), type, initialValue,
      /*constant=*/false, /*alignment=*/nullptr);
  Block &body = symbolTableOp->getRegion(0).front();
  SymbolTable(symbolTableOp).insert(global, body.begin());
  return global;
}

/// Inserts the controller at the start of `unit`'s body.
static LogicalResult insertController(OpBuilder &builder, UnitOp unit,
                                      int64_t stride) {
  Block &body = unit.getBody().front();
  Value input = body.getArgument(0);
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!isa<FloatType>(inputType.getElementType()))
    return unit.emitError("unit '")
           << unit.getUnitName() << "' has a non-float input (" << inputType
           << "); its controller can only measure float activations";

  Location loc = unit.getLoc();
  PolicyAttr policy = unit.getPolicy();
  builder.setInsertionPointToStart(&body);
  Value statistic;
  if (policy.getStatistic() == StatisticKind::abs_max)
    statistic = AbsMaxOp::create(builder, loc, input, stride);
  else
    statistic = VarianceOp::create(builder, loc, input, stride);

  // With hysteresis the choice depends on the last one, kept per unit.
  Value previous, levelMemref;
  if (!policy.getHysteresis().isZero()) {
    Operation *symbolTableOp =
        SymbolTable::getNearestSymbolTable(unit->getParentOp());
    if (!symbolTableOp)
      return unit.emitError("unit '")
             << unit.getUnitName()
             << "' has a policy with hysteresis, which keeps its last level "
                "in a global: run the pass on a module";
    memref::GlobalOp global = createLevelGlobal(symbolTableOp, unit);
    levelMemref = memref::GetGlobalOp::create(builder, loc, global.getType(),
                                              global.getSymName());
    previous = memref::LoadOp::create(builder, loc, levelMemref);
  }
  Value requested = SelectOp::create(builder, loc, statistic, previous, policy);
  if (levelMemref)
    memref::StoreOp::create(builder, loc, requested, levelMemref);
  ArbitrateOp::create(builder, loc, requested, statistic);
  return success();
}

namespace {
struct InsertControllersPass
    : public agn::impl::InsertControllersBase<InsertControllersPass> {
  using Base::Base;

  void runOnOperation() override {
    if (stride < 1) {
      mlir::emitError(getOperation()->getLoc(),
                      "agn-insert-controllers: 'stride' must be at "
                      "least 1, got ")
          << static_cast<int64_t>(stride);
      return signalPassFailure();
    }
    SmallVector<UnitOp> units;
    getOperation()->walk([&](UnitOp unit) {
      if (!hasController(unit))
        units.push_back(unit);
    });
    OpBuilder builder(&getContext());
    for (UnitOp unit : units)
      if (failed(insertController(builder, unit, stride)))
        return signalPassFailure();
  }
};
} // namespace
