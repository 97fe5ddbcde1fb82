//===- InstrumentProfile.cpp - agn-instrument-profile ---------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Brackets functions, units' versions and costly ops with calls into the
// runtime's profiler, each naming a static record of what it times (see the
// pass description in Passes.td and lib/Runtime/Profiler.h).
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Utils/RuntimeFunctions.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNINSTRUMENTPROFILE
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The runtime's entry points (include/agn-c/Runtime.h).
static constexpr StringLiteral kBeginFn = "agn_rt_profile_begin";
static constexpr StringLiteral kEndFn = "agn_rt_profile_end";
static constexpr StringLiteral kArbitrateFn = "agn_rt_arbitrate";

/// Returns true if `generic`'s body only yields one of its input arguments:
/// a copy, whatever its indexing maps.
static bool isCopy(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 1)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  return llvm::all_of(yield.getValues(), [&](Value value) {
    auto argument = dyn_cast<BlockArgument>(value);
    return argument && argument.getOwner() == &body &&
           argument.getArgNumber() < generic.getNumDpsInputs();
  });
}

/// Returns true if some element type of `values` is a float (`wantFloat`) or
/// an integer (otherwise).
static bool hasElementKind(ValueRange values, bool wantFloat) {
  return llvm::any_of(values.getTypes(), [&](Type type) {
    Type element = getElementTypeOrSelf(type);
    return wantFloat ? isa<FloatType>(element) : element.isInteger();
  });
}

/// Returns true if `op`'s body multiplies: a convolution, where a pooling
/// window (which linalg also counts as a convolution) takes a max or a sum.
static bool multiplies(linalg::LinalgOp op) {
  return llvm::any_of(op.getBlock()->getOperations(), [](Operation &inner) {
    return isa<arith::MulFOp, arith::MulIOp>(inner);
  });
}

/// The group of a `linalg.generic`.
static StringRef classifyGeneric(linalg::GenericOp generic) {
  auto linalgOp = cast<linalg::LinalgOp>(generic.getOperation());
  if (linalg::isaContractionOpInterface(linalgOp))
    return "contraction";
  if (linalg::isaConvolutionOpInterface(linalgOp))
    return multiplies(linalgOp) ? "contraction" : "pooling";
  bool windowed =
      llvm::any_of(generic.getDpsInputOperands(), [&](OpOperand *operand) {
        return !generic.getMatchingIndexingMap(operand)
                    .isProjectedPermutation();
      });
  if (isCopy(generic))
    return windowed ? "im2col" : "layout";
  SmallVector<Value> inputs = generic.getDpsInputs();
  SmallVector<Value> outputs = llvm::to_vector(generic.getDpsInits());
  if (hasElementKind(inputs, /*wantFloat=*/true) &&
      !hasElementKind(outputs, /*wantFloat=*/true))
    return "quantize";
  if (hasElementKind(inputs, /*wantFloat=*/false) &&
      hasElementKind(outputs, /*wantFloat=*/true) &&
      !hasElementKind(outputs, /*wantFloat=*/false))
    return "dequantize";
  if (generic.getNumReductionLoops() > 0)
    return windowed ? "pooling" : "reduction";
  return "elementwise";
}

/// Returns true if `loop` holds the work of a contraction kernel.
static bool holdsContraction(Operation *loop) {
  WalkResult found = loop->walk([](Operation *op) {
    if (isa<vector::ContractionOp, vector::OuterProductOp>(op) ||
        op->getDialect()->getNamespace() == "agn_x86")
      return WalkResult::interrupt();
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      if (linalg::isaContractionOpInterface(linalgOp) ||
          linalg::isaConvolutionOpInterface(linalgOp))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return found.wasInterrupted();
}

/// The group of `op`, or nothing for ops not worth timing on their own
/// (constants, views, scalar arithmetic, calls of instrumented functions).
static std::optional<StringRef> classify(Operation *op) {
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    return classifyGeneric(generic);
  if (isa<linalg::FillOp>(op))
    return StringRef("fill");
  if (isa<linalg::TransposeOp, linalg::CopyOp, linalg::BroadcastOp,
          tensor::ConcatOp, tensor::InsertSliceOp>(op))
    return StringRef("layout");
  if (isa<tensor::PadOp>(op))
    return StringRef("padding");
  if (isa<linalg::ReduceOp, linalg::SoftmaxOp>(op))
    return StringRef("reduction");
  if (isa<linalg::MapOp, linalg::ElementwiseOp>(op))
    return StringRef("elementwise");
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (op->getName().getStringRef().starts_with("linalg.pooling_"))
      return StringRef("pooling");
    if (linalg::isaContractionOpInterface(linalgOp) ||
        linalg::isaConvolutionOpInterface(linalgOp))
      return StringRef("contraction");
    if (linalgOp.getNumReductionLoops() == 0)
      return StringRef("elementwise");
    return StringRef("other");
  }
  if (isa<scf::ForOp, scf::ForallOp, scf::ParallelOp>(op))
    return holdsContraction(op) ? StringRef("contraction") : StringRef("loop");
  if (auto call = dyn_cast<func::CallOp>(op))
    if (call.getCallee() == kArbitrateFn)
      return StringRef("controller");
  return std::nullopt;
}

/// "12544x147xi8" for a shaped type, else the type as printed.
static std::string describeType(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto shaped = dyn_cast<ShapedType>(type); shaped && shaped.hasRank()) {
    for (int64_t dim : shaped.getShape()) {
      if (ShapedType::isDynamic(dim))
        os << '?';
      else
        os << dim;
      os << 'x';
    }
    os << shaped.getElementType();
  } else {
    os << type;
  }
  return text;
}

/// Maps each op of `block` that exists only to compute the case index of a
/// unit's dispatch in `block` (its statistic, arbitration, registration) to
/// that unit's name.
static DenseMap<Operation *, StringAttr> findControllerOps(Block &block) {
  DenseMap<Operation *, StringAttr> controllerOf;
  // Users follow their operands' definitions in a block, so one walk from
  // the end sees every user of an op before the op.
  for (Operation &op : llvm::reverse(block)) {
    StringAttr unit;
    bool onlyForControl = !op.use_empty();
    for (OpOperand &use : op.getUses()) {
      Operation *user = block.findAncestorOpInBlock(*use.getOwner());
      StringAttr userUnit;
      auto dispatch = dyn_cast_or_null<scf::IndexSwitchOp>(user);
      if (dispatch && use.getOwner() == user && use.getOperandNumber() == 0)
        userUnit =
            dispatch->getAttrOfType<StringAttr>(AGNDialect::kUnitNameAttrName);
      else if (user)
        userUnit = controllerOf.lookup(user);
      if (!userUnit || (unit && unit != userUnit)) {
        onlyForControl = false;
        break;
      }
      unit = userUnit;
    }
    if (onlyForControl)
      controllerOf[&op] = unit;
  }
  return controllerOf;
}

namespace {

/// What a region record says besides the model.
struct RegionRecord {
  StringRef group;
  std::string unit, level, label;
};

struct InstrumentProfilePass
    : mlir::agn::impl::AGNInstrumentProfileBase<InstrumentProfilePass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// Returns the address of a new record global for `record`, built at
  /// `builder`'s insertion point.
  Value getRecordAddress(OpBuilder &builder, Location loc,
                         const RegionRecord &record);
  /// Brackets `op` with a span of `record`.
  void wrapOp(Operation *op, const RegionRecord &record);
  /// Brackets `block`'s operations, its terminator aside, with a span of
  /// `record`.
  void wrapBlock(Block &block, const RegionRecord &record);
  /// Brackets the costly ops of `block` (of `unit` at `level`, or outside
  /// units when empty) and the units' dispatches in it.
  void instrumentBlock(Block &block, StringRef unit, StringRef level);
  /// Brackets each version of a unit's dispatch and the ops in it.
  void instrumentDispatch(scf::IndexSwitchOp dispatch);

  std::string modelName;
  std::optional<SymbolTable> symbols;
  unsigned numRegions = 0;
};

} // namespace

/// Replaces the tabs and line breaks a record field must not hold.
static std::string sanitizeField(StringRef text) {
  std::string result = text.str();
  for (char &c : result)
    if (c == '\t' || c == '\n' || c == '\r' || c == '\0')
      c = ' ';
  return result;
}

Value InstrumentProfilePass::getRecordAddress(OpBuilder &builder, Location loc,
                                              const RegionRecord &record) {
  std::string text = sanitizeField(modelName) + "\t" + record.group.str() +
                     "\t" + sanitizeField(record.unit) + "\t" + record.level +
                     "\t" + sanitizeField(record.label);
  text.push_back('\0');
  MLIRContext *context = &getContext();
  OpBuilder moduleBuilder(context);
  auto global = LLVM::GlobalOp::create(
      moduleBuilder, loc,
      LLVM::LLVMArrayType::get(IntegerType::get(context, 8), text.size()),
      /*isConstant=*/true, LLVM::Linkage::Internal,
      "__agn_profile_" + std::to_string(numRegions++),
      moduleBuilder.getStringAttr(text));
  // Uniques the name should the module have one like it.
  symbols->insert(global, getOperation().getBody()->begin());
  return LLVM::AddressOfOp::create(builder, loc, global);
}

void InstrumentProfilePass::wrapOp(Operation *op, const RegionRecord &record) {
  OpBuilder builder(op);
  Location loc = op->getLoc();
  Value address = getRecordAddress(builder, loc, record);
  func::CallOp::create(builder, loc, kBeginFn, TypeRange{}, address);
  builder.setInsertionPointAfter(op);
  func::CallOp::create(builder, loc, kEndFn, TypeRange{}, address);
}

void InstrumentProfilePass::wrapBlock(Block &block,
                                      const RegionRecord &record) {
  Location loc = block.getParentOp()->getLoc();
  auto builder = OpBuilder::atBlockBegin(&block);
  Value address = getRecordAddress(builder, loc, record);
  func::CallOp::create(builder, loc, kBeginFn, TypeRange{}, address);
  builder.setInsertionPoint(block.getTerminator());
  func::CallOp::create(builder, loc, kEndFn, TypeRange{}, address);
}

void InstrumentProfilePass::instrumentBlock(Block &block, StringRef unit,
                                            StringRef level) {
  DenseMap<Operation *, StringAttr> controllerOf = findControllerOps(block);
  for (Operation &op : llvm::make_early_inc_range(block)) {
    auto dispatch = dyn_cast<scf::IndexSwitchOp>(op);
    if (dispatch && dispatch->hasAttr(AGNDialect::kUnitNameAttrName)) {
      instrumentDispatch(dispatch);
      continue;
    }
    std::optional<StringRef> group = classify(&op);
    if (!group)
      continue;
    std::string what = op.getNumResults()
                           ? describeType(op.getResult(0).getType())
                           : op.getName().getStringRef().str();
    RegionRecord record{*group, unit.str(), level.str(),
                        (*group + " " + what).str()};
    if (StringAttr controlled = controllerOf.lookup(&op)) {
      // The statistic the controller measures, and the arbitration.
      record.group = "controller";
      record.unit = controlled.str();
      record.level.clear();
      record.label = isa<func::CallOp>(op) ? "arbitrate"
                                           : "statistic (" + record.label + ")";
    }
    // Equal ops elsewhere stay apart in the profile.
    record.label += " #" + std::to_string(numRegions);
    wrapOp(&op, record);
  }
}

void InstrumentProfilePass::instrumentDispatch(scf::IndexSwitchOp dispatch) {
  auto name =
      dispatch->getAttrOfType<StringAttr>(AGNDialect::kUnitNameAttrName);
  auto levels = dispatch->getAttrOfType<DenseI32ArrayAttr>(
      AGNDialect::kCaseLevelsAttrName);
  unsigned numCases = dispatch.getNumRegions();
  for (unsigned caseIndex = 0; caseIndex < numCases; ++caseIndex) {
    // The cases' levels come first, the default region's last.
    Region &region = caseIndex + 1 == numCases
                         ? dispatch.getDefaultRegion()
                         : dispatch.getCaseRegions()[caseIndex];
    std::string level = "case " + std::to_string(caseIndex);
    if (levels && static_cast<unsigned>(levels.size()) == numCases &&
        symbolizePrecision(levels[caseIndex]))
      level = stringifyPrecision(*symbolizePrecision(levels[caseIndex])).str();
    Block &block = region.front();
    instrumentBlock(block, name.getValue(), level);
    wrapBlock(block, {"unit", name.str(), level,
                      (name.getValue() + " @ " + level).str()});
  }
}

void InstrumentProfilePass::runOnOperation() {
  ModuleOp module = getOperation();
  symbols.emplace(module);
  numRegions = 0;
  modelName = model;
  if (modelName.empty())
    modelName = module.getSymName() ? module.getSymName()->str() : "model";

  MLIRContext *context = &getContext();
  auto type =
      FunctionType::get(context, {LLVM::LLVMPointerType::get(context)}, {});
  for (StringRef name : {kBeginFn, kEndFn})
    if (failed(declareRuntimeFunction(module, *symbols, module.getLoc(), name,
                                      type, "agn-instrument-profile")))
      return signalPassFailure();

  for (auto function : llvm::to_vector(module.getOps<func::FuncOp>())) {
    if (function.isExternal())
      continue;
    for (Block &block : function.getBody())
      instrumentBlock(block, "", "");
    // The function's span: from its start to each return.
    OpBuilder builder = OpBuilder::atBlockBegin(&function.getBody().front());
    Location loc = function.getLoc();
    Value address = getRecordAddress(
        builder, loc,
        {"function", "", "", ("@" + function.getSymName()).str()});
    func::CallOp::create(builder, loc, kBeginFn, TypeRange{}, address);
    function.walk([&](func::ReturnOp ret) {
      builder.setInsertionPoint(ret);
      func::CallOp::create(builder, ret.getLoc(), kEndFn, TypeRange{}, address);
    });
  }
}
