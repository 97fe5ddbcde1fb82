//===- Target.h - The CPU code is generated for -----------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn records the target of code generation on the module as upstream's
// `llvm.target` attribute (#llvm.target<triple, chip, features>), set by
// agn-set-target; kernel choices and the JIT/AOT target machine read it from
// there, so the same input and options give the same IR on every machine.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_UTILS_TARGET_H
#define AGN_UTILS_TARGET_H

#include "mlir/Dialect/LLVMIR/LLVMAttrs.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::agn {

/// Returns the target recorded on `op`'s closest enclosing module (or `op`
/// itself, if it is one), or null when there is none.
LLVM::TargetAttr getTarget(Operation *op);

/// Returns whether the target recorded for `op` has the LLVM feature
/// `feature` (a name such as "avx512vnni", without the sign): from its
/// features, or, for a target written with a chip only, from the features
/// of that chip ("native": the host's). False when no target is recorded.
bool targetHasFeature(Operation *op, StringRef feature);

/// Returns the target of CPU `cpu` ("native": the host, with its detected
/// features; otherwise a CPU name LLVM knows, with the features it implies
/// on x86) for `triple` (empty: the host's), with the comma-separated LLVM
/// features `overrides` ("+avx2,-avx512f") applied last. Fails with a
/// message saying what is wrong in `error`.
FailureOr<LLVM::TargetAttr> resolveTarget(MLIRContext *context, StringRef cpu,
                                          StringRef triple, StringRef overrides,
                                          std::string &error);

} // namespace mlir::agn

#endif // AGN_UTILS_TARGET_H
