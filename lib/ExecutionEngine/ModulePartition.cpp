//===- ModulePartition.cpp - Split an LLVM-dialect module for threads -----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/ExecutionEngine/ModulePartition.h"

#include "agn/Utils/RuntimeFunctions.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <tuple>

using namespace mlir;
using namespace mlir::agn;

/// Returns whether `linkage` keeps a symbol inside its module.
static bool isLocal(LLVM::Linkage linkage) {
  return linkage == LLVM::Linkage::Private ||
         linkage == LLVM::Linkage::Internal;
}

/// Returns the symbols that `op` (a function or a global) refers to.
static SmallVector<StringAttr> getReferencedSymbols(Operation *op) {
  SmallVector<StringAttr> symbols;
  if (std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(op))
    for (const SymbolTable::SymbolUse &use : *uses)
      symbols.push_back(use.getSymbolRef().getRootReference());
  return symbols;
}

/// Returns a declaration of `op`, a function or global defined in another
/// part: the same symbol, type and attributes, without body or value.
static Operation *cloneAsDeclaration(Operation *op) {
  Operation *declaration = op->cloneWithoutRegions();
  if (auto function = dyn_cast<LLVM::LLVMFuncOp>(declaration)) {
    function.setLinkage(LLVM::Linkage::External);
    function.setVisibility_(LLVM::Visibility::Default);
    function.removeDsoLocalAttr();
    function.removeComdatAttr();
    return declaration;
  }
  auto global = cast<LLVM::GlobalOp>(declaration);
  global.removeValueAttr();
  global.setLinkage(LLVM::Linkage::External);
  global.setVisibility_(LLVM::Visibility::Default);
  global.removeDsoLocalAttr();
  global.removeComdatAttr();
  global.removeUnnamedAddrAttr();
  return declaration;
}

/// Returns whether `function` has a loop: a branch back to its own block or
/// to one before it (the order in which agn's lowering lays loops out).
static bool hasLoop(LLVM::LLVMFuncOp function) {
  llvm::DenseMap<Block *, unsigned> order;
  for (Block &block : function.getBody())
    order[&block] = order.size();
  for (Block &block : function.getBody())
    for (Block *successor : block.getSuccessors())
      if (order.lookup(successor) <= order.lookup(&block))
        return true;
  return false;
}

/// Returns the estimated cost of compiling `function`, in units of one
/// operation of straight-line code. Measured on densenet121 at five levels
/// on this project's CPU: an operation of a function with loops costs LLVM
/// about 5 (the vectorizer and unroller multiply it).
static uint64_t estimateCost(LLVM::LLVMFuncOp function) {
  uint64_t operations = 0;
  function.walk([&](Operation *) { ++operations; });
  return hasLoop(function) ? 5 * operations : operations;
}

/// Returns the bytes of data that `global`'s value holds (0 for none).
static uint64_t getDataBytes(LLVM::GlobalOp global) {
  auto value = dyn_cast_or_null<ElementsAttr>(global.getValueOrNull());
  if (!value)
    return 0;
  Type element = value.getElementType();
  unsigned bits = element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 64;
  return (value.getNumElements() * bits + 7) / 8;
}

/// Returns whether `global` holds a level's weights (a constant that
/// agn-place-level-weights made), however small: a level's 4 KiB scales must
/// stay beside the rest of its level, in the level's own 64 KiB windows.
static bool isLevelWeights(LLVM::GlobalOp global) {
  return global.getConstant() && global.getValueOrNull() &&
         global.getSymName().starts_with(kLevelWeightsPrefix);
}

SmallVector<OwningOpRef<ModuleOp>> mlir::agn::partitionModule(ModuleOp module,
                                                              unsigned count) {
  SmallVector<LLVM::LLVMFuncOp> definitions;
  SmallVector<Operation *> symbols;
  for (Operation &op : module.getBody()->getOperations()) {
    if (!isa<LLVM::LLVMFuncOp, LLVM::GlobalOp>(op))
      return {};
    symbols.push_back(&op);
    if (auto function = dyn_cast<LLVM::LLVMFuncOp>(op);
        function && !function.isExternal())
      definitions.push_back(function);
  }
  count = std::min<unsigned>(count, definitions.size());
  if (count < 2)
    return {};

  // Costliest first, each to the part with the least cost so far (LPT
  // scheduling: within 4/3 of the best balance); ties in module order, so
  // that a module always splits the same way.
  SmallVector<std::tuple<uint64_t, unsigned, LLVM::LLVMFuncOp>> costs;
  for (auto [index, function] : llvm::enumerate(definitions))
    costs.push_back({estimateCost(function), index, function});
  llvm::sort(costs, [](const auto &a, const auto &b) {
    return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) > std::get<0>(b)
                                            : std::get<1>(a) < std::get<1>(b);
  });
  llvm::DenseMap<Operation *, unsigned> partOf;
  SmallVector<uint64_t> load(count, 0);
  for (auto [cost, index, function] : costs) {
    unsigned part = std::min_element(load.begin(), load.end()) - load.begin();
    load[part] += cost;
    partOf[function] = part;
  }

  // The weights (globals of data larger than a page, and every level's
  // weights however small) go to a part of their own, in module order:
  // emitting them is a share of the machine code that runs beside the other
  // parts, and they stay together in one object, laid out as
  // agn-place-level-weights placed them. (Spread over the parts' objects,
  // pages of the granted levels went uncounted in the runtime's residency;
  // a level's one-page scales left with the entry function shared a 64 KiB
  // window with another unit's, and releasing one level dropped a granted
  // page of the other: test_weight_memory.py.) Other globals go with the
  // first function that uses them (in module order), where LLVM still sees
  // the constants a kernel reads; unused ones to part 0.
  unsigned dataPart = count;
  for (Operation *op : symbols)
    if (auto global = dyn_cast<LLVM::GlobalOp>(op);
        global &&
        (getDataBytes(global) > kWeightGlobalBytes || isLevelWeights(global)))
      partOf[op] = dataPart;
  if (llvm::any_of(partOf,
                   [&](const auto &entry) { return entry.second == dataPart; }))
    ++count;
  SymbolTable table(module);
  SmallVector<SmallVector<StringAttr>> referenced(symbols.size());
  for (auto [index, op] : llvm::enumerate(symbols))
    referenced[index] = getReferencedSymbols(op);
  for (auto [index, op] : llvm::enumerate(symbols)) {
    auto user = partOf.find(op);
    if (user == partOf.end() || !isa<LLVM::LLVMFuncOp>(op))
      continue;
    // A copy: try_emplace may grow the map, which frees the entry `user`
    // points to. (Reading it afterwards gave globals a part number that no
    // part has, now and then, when another thread had reused the memory:
    // the JIT then found none of them, "Symbols not found".)
    unsigned userPart = user->second;
    for (StringAttr name : referenced[index]) {
      Operation *used = table.lookup(name);
      if (isa_and_nonnull<LLVM::GlobalOp>(used))
        partOf.try_emplace(used, userPart);
    }
  }
  for (Operation *op : symbols)
    if (isa<LLVM::GlobalOp>(op))
      partOf.try_emplace(op, 0);

  // What each part uses from elsewhere, and what must become external. A
  // global's initializer may refer to other symbols too (addresses).
  SmallVector<llvm::DenseSet<Operation *>> imports(count);
  llvm::DenseSet<Operation *> exported;
  for (auto [index, op] : llvm::enumerate(symbols)) {
    auto owner = partOf.find(op);
    if (owner == partOf.end())
      continue; // A declaration: uses are followed from the definitions.
    for (StringAttr name : referenced[index]) {
      Operation *used = table.lookup(name);
      if (!used || used == op)
        continue;
      auto usedOwner = partOf.find(used);
      if (usedOwner != partOf.end() && usedOwner->second == owner->second)
        continue;
      imports[owner->second].insert(used);
      if (usedOwner != partOf.end())
        exported.insert(used);
    }
  }

  SmallVector<OwningOpRef<ModuleOp>> parts;
  for (unsigned part = 0; part < count; ++part) {
    OwningOpRef<ModuleOp> partModule = ModuleOp::create(module.getLoc());
    (*partModule)->setAttrs(module->getAttrDictionary());
    Block *body = partModule->getBody();
    for (Operation *op : symbols) {
      auto owner = partOf.find(op);
      Operation *copy = nullptr;
      if (owner != partOf.end() && owner->second == part) {
        copy = op->clone();
        // Still reached directly from its own part (dso_local); the other
        // parts reach it through the JIT's GOT and stubs.
        if (exported.contains(op)) {
          if (auto function = dyn_cast<LLVM::LLVMFuncOp>(copy);
              function && isLocal(function.getLinkage())) {
            function.setLinkage(LLVM::Linkage::External);
            function.setDsoLocal(true);
          }
          if (auto global = dyn_cast<LLVM::GlobalOp>(copy);
              global && isLocal(global.getLinkage())) {
            global.setLinkage(LLVM::Linkage::External);
            global.setDsoLocal(true);
          }
        }
      } else if (imports[part].contains(op)) {
        copy = owner == partOf.end() ? op->clone() : cloneAsDeclaration(op);
      }
      if (copy)
        body->push_back(copy);
    }
    parts.push_back(std::move(partModule));
  }
  return parts;
}
