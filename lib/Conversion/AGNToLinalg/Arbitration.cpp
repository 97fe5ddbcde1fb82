//===- Arbitration.cpp - Lower agn.arbitrate to runtime calls -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// `agn.arbitrate` becomes a call to the runtime resource manager
// (include/agn-c/Runtime.h):
//
//   int64_t agn_rt_arbitrate(int64_t unit, int64_t requested, float stat);
//
// Each unit gets a private i64 global holding its runtime id, -1 until the
// unit's first call registers it with agn_rt_register_unit (its name and
// cost table are private constant globals). The hot path is one load, one
// compare and the call. The id is loaded and stored as monotonic atomics
// (plain moves on x86), so that threads racing on the first call are
// well-defined; the runtime gives every one of them the same id.
//
// The LLVM dialect globals and their loads sit in tensor-level functions:
// bufferization leaves them alone and the LLVM lowering keeps them.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/AGNToLinalg/AGNToLinalg.h"

#include "agn-c/Runtime.h"
#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Utils/RuntimeFunctions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

#include <cstddef>

using namespace mlir;
using namespace mlir::agn;

/// The runtime's entry points, as the generated code calls them.
static constexpr StringLiteral kArbitrateFn = "agn_rt_arbitrate";
static constexpr StringLiteral kRegisterUnitFn = "agn_rt_register_unit";

/// The sensitivity units are registered with: all units weigh the same until
/// the compiler has a measure of each unit's accuracy loss per level.
static constexpr double kDefaultSensitivity = 1.0;

/// The cost table below is agn_level_cost[]: three i64 per entry, in the
/// order level, weight_bytes, macs.
static_assert(sizeof(agn_level_cost) == 3 * sizeof(int64_t) &&
                  offsetof(agn_level_cost, level) == 0 &&
                  offsetof(agn_level_cost, weight_bytes) == sizeof(int64_t) &&
                  offsetof(agn_level_cost, macs) == 2 * sizeof(int64_t),
              "the emitted cost table must match agn_level_cost");

namespace {
/// The module-level symbols through which one unit talks to the runtime.
struct UnitSymbols {
  /// i64, the unit's runtime id; -1 (or a registration error) until
  /// registered.
  LLVM::GlobalOp id;
  /// The unit's name, NUL-terminated.
  LLVM::GlobalOp name;
  /// The cost table, laid out as agn_level_cost[] {int64 level; uint64
  /// weight_bytes; uint64 macs}: three i64 per allowed level.
  LLVM::GlobalOp costs;
  /// The number of entries of the cost table.
  int64_t numCosts;
};

/// Lowers the arbitrations of one module.
class ArbitrationLowering {
public:
  explicit ArbitrationLowering(ModuleOp module)
      : module(module), symbolTable(module), rewriter(module.getContext()) {}

  /// Lowers every agn.arbitrate of the module.
  LogicalResult run();

private:
  /// Declares the runtime functions, or checks the declarations present.
  LogicalResult declareRuntimeFunctions(Location loc);

  /// Returns the globals of `unit`, creating them on first use.
  UnitSymbols &getUnitSymbols(UnitOp unit);

  /// Returns a suffix for the names of `unit`'s globals such that none of
  /// them is taken: its name with every character but [A-Za-z0-9_] replaced
  /// by '_', followed by "_<n>" when another symbol has that name.
  std::string getUniqueSuffix(UnitOp unit);

  /// Inserts `global` at the start of the module.
  LLVM::GlobalOp insertGlobal(LLVM::GlobalOp global);

  /// Replaces `op` with the runtime call sequence.
  void lower(ArbitrateOp op);

  ModuleOp module;
  SymbolTable symbolTable;
  IRRewriter rewriter;
  DenseMap<Operation *, UnitSymbols> unitSymbols;
};
} // namespace

/// The prefixes of a unit's globals.
static constexpr StringLiteral kIdPrefix = "__agn_unit_id_";
static constexpr StringLiteral kNamePrefix = "__agn_unit_name_";
static constexpr StringLiteral kCostsPrefix = "__agn_unit_costs_";

std::string ArbitrationLowering::getUniqueSuffix(UnitOp unit) {
  std::string base = unit.getUnitName().str();
  for (char &c : base)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  auto isFree = [&](const std::string &suffix) {
    return llvm::none_of(
        ArrayRef<StringRef>{kIdPrefix, kNamePrefix, kCostsPrefix},
        [&](StringRef prefix) {
          return symbolTable.lookup((prefix + suffix).str()) != nullptr;
        });
  };
  std::string suffix = base;
  for (unsigned n = 1; !isFree(suffix); ++n)
    suffix = base + "_" + std::to_string(n);
  return suffix;
}

LogicalResult ArbitrationLowering::declareRuntimeFunctions(Location loc) {
  MLIRContext *context = module.getContext();
  Type i64 = IntegerType::get(context, 64);
  Type f32 = Float32Type::get(context);
  Type f64 = Float64Type::get(context);
  Type ptr = LLVM::LLVMPointerType::get(context);
  auto declare = [&](StringRef name, FunctionType type) {
    return declareRuntimeFunction(module, symbolTable, loc, name, type,
                                  "agn-lower");
  };
  if (failed(declare(kArbitrateFn,
                     FunctionType::get(context, {i64, i64, f32}, {i64}))) ||
      failed(declare(kRegisterUnitFn,
                     FunctionType::get(context, {ptr, ptr, i64, f64}, {i64}))))
    return failure();
  return success();
}

LLVM::GlobalOp ArbitrationLowering::insertGlobal(LLVM::GlobalOp global) {
  symbolTable.insert(global, module.getBody()->begin());
  return global;
}

UnitSymbols &ArbitrationLowering::getUnitSymbols(UnitOp unit) {
  auto it = unitSymbols.find(unit);
  if (it != unitSymbols.end())
    return it->second;

  MLIRContext *context = module.getContext();
  Location loc = unit.getLoc();
  OpBuilder b(context);
  Type i64 = b.getI64Type();
  std::string suffix = getUniqueSuffix(unit);

  UnitSymbols symbols;
  symbols.id = insertGlobal(LLVM::GlobalOp::create(
      b, loc, i64, /*isConstant=*/false, LLVM::Linkage::Internal,
      (kIdPrefix + suffix).str(), b.getI64IntegerAttr(-1), /*alignment=*/8));

  std::string name = unit.getUnitName().str();
  name.push_back('\0');
  symbols.name = insertGlobal(LLVM::GlobalOp::create(
      b, loc, LLVM::LLVMArrayType::get(b.getI8Type(), name.size()),
      /*isConstant=*/true, LLVM::Linkage::Internal,
      (kNamePrefix + suffix).str(), b.getStringAttr(name)));

  // One {level, weight_bytes, macs} triple per allowed level; zero costs
  // when the unit has no cost table (the runtime then has nothing to budget).
  SmallVector<int64_t> table;
  SmallVector<Precision> levels = unit.getLevelValues();
  std::optional<ArrayAttr> costs = unit.getCosts();
  for (auto [i, level] : llvm::enumerate(levels)) {
    table.push_back(static_cast<int64_t>(level));
    if (costs) {
      auto cost = cast<CostAttr>((*costs)[i]);
      table.push_back(static_cast<int64_t>(cost.getWeightBytes()));
      table.push_back(static_cast<int64_t>(cost.getMacs()));
    } else {
      table.append({0, 0});
    }
  }
  auto tableType =
      RankedTensorType::get({static_cast<int64_t>(table.size())}, i64);
  symbols.costs = insertGlobal(LLVM::GlobalOp::create(
      b, loc, LLVM::LLVMArrayType::get(i64, table.size()),
      /*isConstant=*/true, LLVM::Linkage::Internal,
      (kCostsPrefix + suffix).str(),
      DenseElementsAttr::get(tableType, ArrayRef<int64_t>(table)),
      /*alignment=*/8));
  symbols.numCosts = levels.size();
  return unitSymbols.try_emplace(unit, symbols).first->second;
}

void ArbitrationLowering::lower(ArbitrateOp op) {
  UnitSymbols &symbols = getUnitSymbols(op.getUnit());
  Location loc = op.getLoc();
  Type i64 = rewriter.getI64Type();
  rewriter.setInsertionPoint(op);

  Value idAddress = LLVM::AddressOfOp::create(rewriter, loc, symbols.id);
  Value id = LLVM::LoadOp::create(rewriter, loc, i64, idAddress,
                                  /*alignment=*/8, /*isVolatile=*/false,
                                  /*isNonTemporal=*/false,
                                  /*isInvariant=*/false,
                                  /*isInvariantGroup=*/false,
                                  LLVM::AtomicOrdering::monotonic);
  Value zero = arith::ConstantIntOp::create(rewriter, loc, i64, 0);
  Value unregistered =
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::slt, id, zero);
  auto registration = scf::IfOp::create(
      rewriter, loc, unregistered,
      [&](OpBuilder &b, Location l) {
        Value name = LLVM::AddressOfOp::create(b, l, symbols.name);
        Value costs = LLVM::AddressOfOp::create(b, l, symbols.costs);
        Value numCosts =
            arith::ConstantIntOp::create(b, l, i64, symbols.numCosts);
        Value sensitivity = arith::ConstantOp::create(
            b, l, b.getF64FloatAttr(kDefaultSensitivity));
        Value newId =
            func::CallOp::create(b, l, kRegisterUnitFn, TypeRange{i64},
                                 ValueRange{name, costs, numCosts, sensitivity})
                .getResult(0);
        // A failed registration stores its error code, which is negative:
        // the next call retries, and this one arbitrates as an unknown unit
        // (the runtime then grants the clamped request).
        LLVM::StoreOp::create(b, l, newId, idAddress, /*alignment=*/8,
                              /*isVolatile=*/false, /*isNonTemporal=*/false,
                              /*isInvariantGroup=*/false,
                              LLVM::AtomicOrdering::monotonic);
        scf::YieldOp::create(b, l, newId);
      },
      [&](OpBuilder &b, Location l) { scf::YieldOp::create(b, l, id); });

  // The dispatches on this unit's level say which unit they belong to, so
  // that passes after the lowering can find the unit's runtime id.
  for (Operation *user : op->getUsers())
    if (isa<DispatchOp>(user)) {
      user->setAttr(AGNDialect::kUnitIdAttrName,
                    FlatSymbolRefAttr::get(symbols.id.getSymNameAttr()));
      user->setAttr(AGNDialect::kUnitNameAttrName,
                    op.getUnit().getUnitNameAttr());
    }

  Value requested =
      arith::IndexCastOp::create(rewriter, loc, i64, op.getRequested());
  Value granted =
      func::CallOp::create(
          rewriter, loc, kArbitrateFn, TypeRange{i64},
          ValueRange{registration.getResult(0), requested, op.getStatistic()})
          .getResult(0);
  rewriter.replaceOpWithNewOp<arith::IndexCastOp>(op, rewriter.getIndexType(),
                                                  granted);
}

LogicalResult ArbitrationLowering::run() {
  SmallVector<ArbitrateOp> ops;
  module.walk([&](ArbitrateOp op) { ops.push_back(op); });
  if (ops.empty())
    return success();
  if (failed(declareRuntimeFunctions(ops.front().getLoc())))
    return failure();
  for (ArbitrateOp op : ops)
    lower(op);
  return success();
}

LogicalResult mlir::agn::lowerArbitrations(ModuleOp module) {
  return ArbitrationLowering(module).run();
}
