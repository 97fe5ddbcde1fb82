//===- PlaceLevelWeights.cpp - agn-place-level-weights --------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Each level's weights go into globals of their own, registered with the
// runtime, which hands the pages of levels a memory budget rules out back to
// the OS (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Utils/RuntimeFunctions.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNPLACELEVELWEIGHTS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The runtime's entry point (include/agn-c/Runtime.h).
static constexpr StringLiteral kRegisterWeightsFn = "agn_rt_register_weights";

/// Smaller tensors stay constants: they cannot fill a page, and a global of
/// its own costs more than it could save.
static constexpr int64_t kMinWeightBytes = 64;

/// Alignment of every weight global: a cache line.
static constexpr int64_t kWeightAlignment = 64;

/// Levels whose weights fill at least a page (4 KiB, the smallest page of
/// the targets agn supports) start at a kLevelAlignment boundary: on a fault
/// in a file mapping, Linux also maps the pages of the file it has cached
/// within the surrounding aligned 64 KiB ("fault-around"), so levels that
/// shared such a window would bring each other's weights back.
static constexpr int64_t kPageBytes = 4096;
static constexpr int64_t kLevelAlignment = 65536;

/// The bytes `type` takes in memory once sub-byte elements are packed.
static int64_t getStorageBytes(ShapedType type) {
  return (type.getNumElements() * type.getElementTypeBitWidth() + 7) / 8;
}

/// A constant worth a global of its own: a non-splat tensor of at least
/// kMinWeightBytes bytes.
static bool isWeight(arith::ConstantOp constant) {
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return false;
  auto elements = dyn_cast<ElementsAttr>(constant.getValue());
  if (!elements || elements.isSplat())
    return false;
  return getStorageBytes(type) >= kMinWeightBytes;
}

namespace {
/// A weight constant and the region of its dispatch that uses it (cases
/// first, the default last, as agn.case_levels lists them).
struct RegionWeight {
  arith::ConstantOp constant;
  unsigned region;
};

/// One weight global and the level it belongs to.
struct PlacedWeight {
  Precision level;
  memref::GlobalOp global;
  int64_t bytes;
};

struct PlaceLevelWeightsPass
    : public agn::impl::AGNPlaceLevelWeightsBase<PlaceLevelWeightsPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// Places `weights` (each constant with the region of `dispatch` that
  /// holds all its users, in the order of the function) in globals; fails
  /// with a diagnostic on malformed attributes.
  LogicalResult placeWeights(scf::IndexSwitchOp dispatch,
                             ArrayRef<RegionWeight> weights);

  /// Emits, before `dispatch`, the once-per-process registration of `placed`.
  void emitRegistration(scf::IndexSwitchOp dispatch, LLVM::GlobalOp unitId,
                        ArrayRef<PlacedWeight> placed);

  /// Returns `<prefix>_<n>` for the first n that names no symbol.
  StringAttr getFreeName(const Twine &prefix);

  std::optional<SymbolTable> symbols;
  unsigned nextSuffix = 0;
  /// Where the next global goes: weights follow each other in the module.
  Operation *lastGlobal = nullptr;
};
} // namespace

StringAttr PlaceLevelWeightsPass::getFreeName(const Twine &prefix) {
  std::string base = prefix.str();
  for (;;) {
    std::string name = base + "_" + std::to_string(nextSuffix++);
    if (!symbols->lookup(name))
      return StringAttr::get(&getContext(), name);
  }
}

/// The region of `dispatch` (index into its regions, cases first and the
/// default last, as agn.case_levels lists them) that holds every user of
/// `constant`, if one does.
static std::optional<unsigned> getUsingRegion(scf::IndexSwitchOp dispatch,
                                              arith::ConstantOp constant) {
  unsigned numCases = dispatch.getNumCases();
  for (unsigned r = 0; r <= numCases; ++r) {
    Region &region = r < numCases ? dispatch.getCaseRegions()[r]
                                  : dispatch.getDefaultRegion();
    // Dominance: a constant used in one region alone is defined there or
    // outside the switch.
    if (llvm::all_of(constant->getUsers(), [&](Operation *user) {
          return region.isAncestor(user->getParentRegion());
        }))
      return r;
  }
  return std::nullopt;
}

LogicalResult
PlaceLevelWeightsPass::placeWeights(scf::IndexSwitchOp dispatch,
                                    ArrayRef<RegionWeight> weights) {
  auto unitIdRef =
      dispatch->getAttrOfType<FlatSymbolRefAttr>(AGNDialect::kUnitIdAttrName);
  auto caseLevels = dispatch->getAttrOfType<DenseI32ArrayAttr>(
      AGNDialect::kCaseLevelsAttrName);
  unsigned numRegions = dispatch.getNumCases() + 1;
  if (caseLevels.size() != static_cast<int64_t>(numRegions))
    return dispatch.emitError("'")
           << AGNDialect::kCaseLevelsAttrName << "' has " << caseLevels.size()
           << " levels for " << numRegions
           << " regions (cases and default); agn-lower sets one per region";
  auto unitId = symbols->lookup<LLVM::GlobalOp>(unitIdRef.getValue());
  if (!unitId || !unitId.getGlobalType().isInteger(64))
    return dispatch.emitError("'")
           << AGNDialect::kUnitIdAttrName << "' names " << unitIdRef
           << ", which is not an i64 llvm.mlir.global (the unit's runtime id "
              "that agn-lower creates)";

  // The constants each region uses alone, region by region.
  SmallVector<SmallVector<arith::ConstantOp>> perRegion(numRegions);
  for (RegionWeight weight : weights)
    perRegion[weight.region].push_back(weight.constant);

  MLIRContext *context = &getContext();
  SmallVector<PlacedWeight> placed;
  for (unsigned r = 0; r < numRegions; ++r) {
    if (perRegion[r].empty())
      continue;
    std::optional<Precision> level =
        symbolizePrecision(static_cast<uint32_t>(caseLevels[r]));
    if (!level)
      return dispatch.emitError("'")
             << AGNDialect::kCaseLevelsAttrName << "' holds " << caseLevels[r]
             << ", which is no level (expected " << getPrecisionNameList()
             << " as 0-" << kNumPrecisions - 1 << ")";
    int64_t levelBytes = 0;
    for (arith::ConstantOp constant : perRegion[r])
      levelBytes += getStorageBytes(cast<ShapedType>(constant.getType()));

    bool first = true;
    for (arith::ConstantOp constant : perRegion[r]) {
      auto tensorType = cast<RankedTensorType>(constant.getType());
      auto memrefType =
          MemRefType::get(tensorType.getShape(), tensorType.getElementType());
      bool fillsPage = levelBytes >= kPageBytes;
      int64_t alignment =
          first && fillsPage ? kLevelAlignment : kWeightAlignment;
      first = false;
      OpBuilder b(context);
      auto global = memref::GlobalOp::create(
          b, constant.getLoc(),
          getFreeName(Twine(kLevelWeightsPrefix) + stringifyPrecision(*level)),
          b.getStringAttr("private"), TypeAttr::get(memrefType),
          constant.getValue(), b.getUnitAttr(), b.getI64IntegerAttr(alignment));
      // Large levels follow each other; smaller ones go before them all, so
      // that none of them shares a large level's 64 KiB windows.
      ModuleOp module = getOperation();
      if (!fillsPage) {
        symbols->insert(global, module.getBody()->begin());
      } else {
        symbols->insert(global, lastGlobal
                                    ? std::next(Block::iterator(lastGlobal))
                                    : module.getBody()->begin());
        lastGlobal = global;
      }

      b.setInsertionPoint(constant);
      Value buffer = memref::GetGlobalOp::create(b, constant.getLoc(),
                                                 memrefType, global.getName());
      Value tensor = bufferization::ToTensorOp::create(
          b, constant.getLoc(), tensorType, buffer, /*restrict=*/true,
          /*writable=*/false);
      constant.replaceAllUsesWith(tensor);
      constant.erase();
      placed.push_back({*level, global, getStorageBytes(memrefType)});
    }
  }
  if (placed.empty())
    return success();
  MLIRContext *ctx = &getContext();
  Type i64 = IntegerType::get(ctx, 64);
  auto type = FunctionType::get(
      ctx, {i64, i64, LLVM::LLVMPointerType::get(ctx), i64}, {i64});
  if (failed(declareRuntimeFunction(getOperation(), *symbols, dispatch.getLoc(),
                                    kRegisterWeightsFn, type,
                                    "agn-place-level-weights")))
    return failure();
  emitRegistration(dispatch, unitId, placed);
  return success();
}

void PlaceLevelWeightsPass::emitRegistration(scf::IndexSwitchOp dispatch,
                                             LLVM::GlobalOp unitId,
                                             ArrayRef<PlacedWeight> placed) {
  MLIRContext *context = &getContext();
  Location loc = dispatch.getLoc();
  OpBuilder b(context);
  Type i64 = b.getI64Type();
  Type ptr = LLVM::LLVMPointerType::get(context);

  auto flag = LLVM::GlobalOp::create(
      b, loc, i64, /*isConstant=*/false, LLVM::Linkage::Internal,
      getFreeName(Twine(kLevelWeightsPrefix) + "registered"),
      b.getI64IntegerAttr(0),
      /*alignment=*/8);
  symbols->insert(flag, getOperation().getBody()->begin());

  // The flag and the id are monotonic atomics, as agn-lower's id is: threads
  // racing on the first call may both register, which the runtime takes as
  // one registration.
  auto load = [&](OpBuilder &builder, Value address) -> Value {
    return LLVM::LoadOp::create(builder, loc, i64, address, /*alignment=*/8,
                                /*isVolatile=*/false, /*isNonTemporal=*/false,
                                /*isInvariant=*/false,
                                /*isInvariantGroup=*/false,
                                LLVM::AtomicOrdering::monotonic);
  };
  b.setInsertionPoint(dispatch);
  Value flagAddress = LLVM::AddressOfOp::create(b, loc, flag);
  Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
  Value unregistered = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                             load(b, flagAddress), zero);
  scf::IfOp::create(b, loc, unregistered, [&](OpBuilder &b, Location loc) {
    Value id = load(b, LLVM::AddressOfOp::create(b, loc, unitId));
    // Until the unit is registered (a failed registration leaves a negative
    // error code) there is nothing to attach the weights to: a later call
    // tries again.
    Value valid =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, id, zero);
    scf::IfOp::create(b, loc, valid, [&](OpBuilder &b, Location loc) {
      for (PlacedWeight weight : placed) {
        Value buffer = memref::GetGlobalOp::create(
            b, loc, weight.global.getType(), weight.global.getName());
        Value address =
            memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
        Value integer = arith::IndexCastOp::create(b, loc, i64, address);
        Value pointer = LLVM::IntToPtrOp::create(b, loc, ptr, integer);
        Value level = arith::ConstantIntOp::create(
            b, loc, i64, static_cast<int64_t>(weight.level));
        Value bytes = arith::ConstantIntOp::create(b, loc, i64, weight.bytes);
        // A failure (a level the unit lacks) only costs the release of
        // those pages; the call goes on.
        func::CallOp::create(b, loc, kRegisterWeightsFn, TypeRange{i64},
                             ValueRange{id, level, pointer, bytes});
      }
      Value one = arith::ConstantIntOp::create(b, loc, i64, 1);
      LLVM::StoreOp::create(b, loc, one, flagAddress, /*alignment=*/8,
                            /*isVolatile=*/false, /*isNonTemporal=*/false,
                            /*isInvariantGroup=*/false,
                            LLVM::AtomicOrdering::monotonic);
      scf::YieldOp::create(b, loc);
    });
    scf::YieldOp::create(b, loc);
  });
}

/// Whether `op` is the dispatch of a unit, whose weights the pass places:
/// it names the unit's id and the level of each region.
static bool isUnitDispatch(scf::IndexSwitchOp op) {
  return op->getAttrOfType<FlatSymbolRefAttr>(AGNDialect::kUnitIdAttrName) &&
         op->getAttrOfType<DenseI32ArrayAttr>(AGNDialect::kCaseLevelsAttrName);
}

void PlaceLevelWeightsPass::runOnOperation() {
  ModuleOp module = getOperation();
  symbols.emplace(module);
  lastGlobal = nullptr;
  nextSuffix = 0;
  // Each weight goes to the innermost dispatch one of whose regions holds
  // all its users: one walk of the module, not one per dispatch (densenet121
  // has hundreds).
  SmallVector<scf::IndexSwitchOp> dispatches;
  DenseMap<Operation *, SmallVector<RegionWeight>> weightsOf;
  module.walk([&](Operation *op) {
    if (auto dispatch = dyn_cast<scf::IndexSwitchOp>(op)) {
      if (isUnitDispatch(dispatch))
        dispatches.push_back(dispatch);
      return;
    }
    auto constant = dyn_cast<arith::ConstantOp>(op);
    if (!constant || !isWeight(constant) || constant->use_empty())
      return;
    Operation *firstUser = *constant->getUsers().begin();
    for (auto dispatch = firstUser->getParentOfType<scf::IndexSwitchOp>();
         dispatch; dispatch = dispatch->getParentOfType<scf::IndexSwitchOp>()) {
      if (!isUnitDispatch(dispatch))
        continue;
      if (std::optional<unsigned> region = getUsingRegion(dispatch, constant)) {
        weightsOf[dispatch].push_back({constant, *region});
        return;
      }
    }
  });
  for (scf::IndexSwitchOp dispatch : dispatches)
    if (failed(placeWeights(dispatch, weightsOf.lookup(dispatch))))
      return signalPassFailure();
}
