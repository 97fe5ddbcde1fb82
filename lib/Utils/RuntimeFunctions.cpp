//===- RuntimeFunctions.cpp - Declaring agn's runtime entry points --------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Utils/RuntimeFunctions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

LogicalResult mlir::agn::declareRuntimeFunction(ModuleOp module,
                                                SymbolTable &symbols,
                                                Location loc, StringRef name,
                                                FunctionType type,
                                                StringRef caller) {
  Operation *existing = symbols.lookup(name);
  if (!existing) {
    OpBuilder b(module.getContext());
    auto fn = func::FuncOp::create(b, loc, name, type);
    fn.setPrivate();
    symbols.insert(fn, module.getBody()->begin());
    return success();
  }
  auto fn = dyn_cast<func::FuncOp>(existing);
  if (fn && fn.getFunctionType() == type)
    return success();
  StringRef header = name.starts_with("agn_gpu_") ? "include/agn-c/GpuRuntime.h"
                                                  : "include/agn-c/Runtime.h";
  return existing->emitError("symbol '")
         << name << "' is reserved for agn's runtime function of type " << type
         << " (" << header << "), which " << caller
         << " calls; rename this symbol or declare it with that type";
}
