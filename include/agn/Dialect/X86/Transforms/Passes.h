//===- Passes.h - agn_x86 passes --------------------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_X86_TRANSFORMS_PASSES_H
#define AGN_DIALECT_X86_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::agn {

#define GEN_PASS_DECL
#include "agn/Dialect/X86/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "agn/Dialect/X86/Transforms/Passes.h.inc"

} // namespace mlir::agn

#endif // AGN_DIALECT_X86_TRANSFORMS_PASSES_H
