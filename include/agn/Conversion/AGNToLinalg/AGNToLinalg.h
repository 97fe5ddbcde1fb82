//===- AGNToLinalg.h - agn to linalg, arith and scf -------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The pieces of agn-lower, for tools that want to mix them with their own
// patterns. Every pattern rewrites an agn op into upstream ops on tensors
// (linalg, tensor, arith, math, scf) and needs no type conversion.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CONVERSION_AGNTOLINALG_AGNTOLINALG_H
#define AGN_CONVERSION_AGNTOLINALG_AGNTOLINALG_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
class RewritePatternSet;

namespace agn {

/// Adds the lowerings of `agn.variance` and `agn.abs_max` to one-pass linalg
/// reductions over the row-major flattening of the input.
void populateStatisticLoweringPatterns(RewritePatternSet &patterns);

/// Adds the lowerings of `agn.quantize` and `agn.dequantize` to linalg: a
/// max-abs reduction per scale group, the scales, and an elementwise pass.
void populateQuantizationLoweringPatterns(RewritePatternSet &patterns);

/// Adds the lowerings of the control ops: `agn.unit` (inlined),
/// `agn.select` (arith) and `agn.dispatch` (`scf.index_switch`).
void populateControlLoweringPatterns(RewritePatternSet &patterns);

/// Replaces every `agn.arbitrate` in `module` with a call to
/// `agn_rt_arbitrate`, registering its unit with the runtime on the first
/// call. Needs the enclosing `agn.unit`s (name, levels, costs), so it runs
/// before they are inlined. Adds the per-unit globals and the runtime
/// declarations to `module`; fails, with a diagnostic, when a declaration
/// already in the module has another type.
LogicalResult lowerArbitrations(ModuleOp module);

/// Checks that every agn op in `module` can be lowered by agn-lower and
/// diagnoses (what, where, how to fix) those that cannot.
LogicalResult checkLowerable(ModuleOp module);

} // namespace agn
} // namespace mlir

#endif // AGN_CONVERSION_AGNTOLINALG_AGNTOLINALG_H
