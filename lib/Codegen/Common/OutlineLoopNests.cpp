//===- OutlineLoopNests.cpp - agn-outline-loop-nests
//-----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Every outermost loop nest of a function moves into a private function of
// its own, and identical nests share one: LLVM then optimizes many small
// functions, and each distinct kernel once, instead of one huge entry
// function (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNOUTLINELOOPNESTS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns true for the loops whose nests the pass outlines.
static bool isLoop(Operation *op) {
  return isa<scf::ForOp, scf::ParallelOp, scf::ForallOp>(op);
}

/// Returns the outermost loops of `function`: loops not inside another loop,
/// at any depth of other region ops.
static SmallVector<Operation *> collectOutermostLoops(func::FuncOp function) {
  SmallVector<Operation *> loops;
  function.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (!isLoop(op))
      return WalkResult::advance();
    loops.push_back(op);
    return WalkResult::skip();
  });
  return loops;
}

/// Returns the rank-0 `memref.alloca` that defines `value`, if one does: a
/// scalar on the function's stack, such as the accumulator bufferization
/// makes of a reduction to a 0-d tensor (a controller's statistic).
static memref::AllocaOp getStackScalar(Value value) {
  auto alloca = value.getDefiningOp<memref::AllocaOp>();
  if (alloca && alloca.getType().getRank() == 0)
    return alloca;
  return {};
}

/// Returns true if `value` is the result of an operand-free constant-like
/// op, which the outlined function clones instead of taking as an argument.
static bool isClonableConstant(Value value) {
  Operation *definingOp = value.getDefiningOp();
  return definingOp && definingOp->getNumOperands() == 0 &&
         matchPattern(value, m_Constant());
}

/// Moves `nest` into a new private, non-inlinable function named after
/// `parent` and the nest's `index` in it, and replaces it by a call. Returns
/// the new function.
///
/// A scalar on the parent's stack that the nest uses (an accumulator) goes
/// in by value and comes back as a result, and the function keeps it on a
/// stack of its own: LLVM keeps such an accumulator in a register, and
/// vectorizes the reduction, only where it sees the alloca; behind a pointer
/// argument that may alias the others it can do neither.
static func::FuncOp outlineNest(Operation *nest, func::FuncOp parent,
                                unsigned index, SymbolTable &symbols) {
  // The values the nest uses from above, its own operands first, then in
  // the order the regions use them: equal nests get equal signatures.
  llvm::SetVector<Value> captured(llvm::from_range, nest->getOperands());
  getUsedValuesDefinedAbove(nest->getRegions(), captured);
  SmallVector<Value> arguments;
  SmallVector<memref::AllocaOp> stackScalars;
  llvm::SetVector<Operation *> constants;
  for (Value value : captured) {
    if (isClonableConstant(value))
      constants.insert(value.getDefiningOp());
    else if (memref::AllocaOp alloca = getStackScalar(value))
      stackScalars.push_back(alloca);
    else
      arguments.push_back(value);
  }
  // The scalars' values follow the other arguments, and follow the nest's
  // results.
  SmallVector<Type> argumentTypes(ValueRange(arguments).getTypes());
  SmallVector<Type> resultTypes(nest->getResultTypes());
  for (memref::AllocaOp alloca : stackScalars) {
    argumentTypes.push_back(alloca.getType().getElementType());
    resultTypes.push_back(alloca.getType().getElementType());
  }

  Location loc = nest->getLoc();
  MLIRContext *context = nest->getContext();
  OpBuilder builder(parent);
  builder.setInsertionPointAfter(parent);
  auto type = FunctionType::get(context, argumentTypes, resultTypes);
  auto function = func::FuncOp::create(
      builder, loc, (parent.getSymName() + "_nest" + Twine(index)).str(), type);
  function.setPrivate();
  // Not to be inlined, by MLIR's inliner or by LLVM's (func-to-llvm passes
  // these attributes on): an internal function LLVM sees called once it
  // would inline straight back.
  function.setNoInline(true);
  function->setAttr("llvm.linkage",
                    LLVM::LinkageAttr::get(context, LLVM::Linkage::Internal));
  function->setAttr("passthrough", builder.getStrArrayAttr({"noinline"}));
  // Uniques the name should the module have one like it.
  symbols.insert(function);

  Block *entry = function.addEntryBlock();
  IRMapping mapping;
  mapping.map(arguments, entry->getArguments().take_front(arguments.size()));
  builder.setInsertionPointToStart(entry);
  SmallVector<Value> localScalars;
  for (auto [alloca, initial] : llvm::zip_equal(
           stackScalars, entry->getArguments().drop_front(arguments.size()))) {
    Value local = builder.clone(*alloca)->getResult(0);
    memref::StoreOp::create(builder, loc, initial, local);
    mapping.map(alloca.getResult(), local);
    localScalars.push_back(local);
  }
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  Operation *clone = builder.clone(*nest, mapping);
  SmallVector<Value> results(clone->getResults());
  for (Value local : localScalars)
    results.push_back(memref::LoadOp::create(builder, loc, local));
  func::ReturnOp::create(builder, loc, results);

  builder.setInsertionPoint(nest);
  SmallVector<Value> operands(arguments);
  for (memref::AllocaOp alloca : stackScalars)
    operands.push_back(
        memref::LoadOp::create(builder, loc, alloca.getResult()));
  auto call = func::CallOp::create(builder, loc, function, operands);
  for (auto [alloca, finalValue] : llvm::zip_equal(
           stackScalars, call.getResults().drop_front(nest->getNumResults())))
    memref::StoreOp::create(builder, loc, finalValue, alloca.getResult());
  nest->replaceAllUsesWith(call.getResults().take_front(nest->getNumResults()));
  nest->erase();
  // Constants only the nest used go with it.
  for (Operation *constant : constants)
    if (constant->use_empty())
      constant->erase();
  return function;
}

/// A hash of `function`'s signature and body that equal functions share
/// (names of values and locations aside).
static llvm::hash_code hashFunction(func::FuncOp function) {
  llvm::hash_code hash = hash_value(function.getFunctionType());
  function.getBody().walk([&](Operation *op) {
    hash =
        llvm::hash_combine(hash, OperationEquivalence::computeHash(
                                     op, OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::IgnoreLocations));
  });
  return hash;
}

/// Keeps one of each set of identical functions among `functions`, the
/// first, and points the calls of the others at it.
static void mergeIdenticalFunctions(ArrayRef<func::FuncOp> functions,
                                    ModuleOp module) {
  llvm::DenseMap<llvm::hash_code, SmallVector<func::FuncOp>> kept;
  llvm::DenseMap<StringAttr, FlatSymbolRefAttr> replacements;
  SmallVector<func::FuncOp> duplicates;
  for (func::FuncOp function : functions) {
    SmallVector<func::FuncOp> &candidates = kept[hashFunction(function)];
    auto same = llvm::find_if(candidates, [&](func::FuncOp candidate) {
      return candidate.getFunctionType() == function.getFunctionType() &&
             OperationEquivalence::isRegionEquivalentTo(
                 &candidate.getBody(), &function.getBody(),
                 OperationEquivalence::IgnoreLocations);
    });
    if (same == candidates.end()) {
      candidates.push_back(function);
      continue;
    }
    replacements[function.getSymNameAttr()] =
        FlatSymbolRefAttr::get(same->getSymNameAttr());
    duplicates.push_back(function);
  }
  if (duplicates.empty())
    return;
  // The outlined functions are private and only called: one walk updates
  // every call.
  module.walk([&](func::CallOp call) {
    auto replacement = replacements.find(call.getCalleeAttr().getAttr());
    if (replacement != replacements.end())
      call.setCalleeAttr(replacement->second);
  });
  for (func::FuncOp duplicate : duplicates)
    duplicate.erase();
}

namespace {

struct OutlineLoopNestsPass
    : mlir::agn::impl::AGNOutlineLoopNestsBase<OutlineLoopNestsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> outlined;
    for (func::FuncOp function :
         llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (function.isExternal())
        continue;
      for (auto [index, nest] :
           llvm::enumerate(collectOutermostLoops(function)))
        outlined.push_back(outlineNest(nest, function, index, symbols));
    }
    mergeIdenticalFunctions(outlined, module);
  }
};

} // namespace
