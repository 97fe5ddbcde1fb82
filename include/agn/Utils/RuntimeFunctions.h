//===- RuntimeFunctions.h - Declaring agn's runtime entry points -*- C++
//-*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The passes that emit calls into agn's runtimes (include/agn-c/Runtime.h,
// include/agn-c/GpuRuntime.h) declare their functions the same way, kept
// once here.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_UTILS_RUNTIMEFUNCTIONS_H
#define AGN_UTILS_RUNTIMEFUNCTIONS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::agn {

/// The prefix of the globals agn-place-level-weights makes of each level's
/// weights (`__agn_weights_<level>_<n>`, registered with the runtime), and of
/// its registration flag (`__agn_weights_registered_<n>`, not constant).
constexpr llvm::StringLiteral kLevelWeightsPrefix = "__agn_weights_";

/// Declares the runtime function `name` of `type` (a private `func.func` at
/// the start of `module`) unless `symbols` has it. Fails with a diagnostic
/// naming `caller` when another symbol, or a function of another type, has
/// that name.
LogicalResult declareRuntimeFunction(ModuleOp module, SymbolTable &symbols,
                                     Location loc, StringRef name,
                                     FunctionType type, StringRef caller);

} // namespace mlir::agn

#endif // AGN_UTILS_RUNTIMEFUNCTIONS_H
