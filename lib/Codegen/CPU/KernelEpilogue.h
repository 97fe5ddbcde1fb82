//===- KernelEpilogue.h - Elementwise ops applied in a kernel ---*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The elementwise ops after a convolution (its bias, a ReLU or a clip) each
// read and write the whole output once more. A kernel that holds a tile of
// the output in registers can apply them before it stores the tile.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CODEGEN_CPU_KERNELEPILOGUE_H
#define AGN_LIB_CODEGEN_CPU_KERNELEPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::agn {

/// A chain of elementwise linalg.generic ops over an NCHW output [1, F, H,
/// W], each the only user of the one before (the first the only user of
/// the kernel's result), that a kernel can apply to its register tiles of
/// filters x positions: every other input is a scalar (a rank-0 tensor) or
/// a value per filter (a [F] tensor read at loop 1), and every body op
/// works on integer or float scalars elementwise.
struct KernelEpilogue {
  /// The ops in order; empty when there is nothing to apply.
  SmallVector<linalg::GenericOp> ops;
  /// For each op, the input that reads the previous value.
  SmallVector<unsigned> chainedInputs;

  /// The value the last op computes (the kernel's result without ops).
  Value getResult(Value kernelResult) const {
    return ops.empty() ? kernelResult : ops.back()->getResult(0);
  }
};

/// Returns the longest chain of elementwise ops after `kernelResult` (an
/// f32 [1, F, H, W] tensor) that keep its type and that a kernel built in
/// place of `kernel` can apply to its tiles (KernelEpilogue): in `kernel`'s
/// block, their other values defined before it (or constants), their
/// outputs indexed as their chained inputs, their body ops pure and
/// speculatable.
KernelEpilogue matchKernelEpilogue(Value kernelResult, Operation *kernel);

/// Marks the ops of `epilogue`, which the kernel applied, for
/// eraseAppliedEpilogues (a rewrite that may erase only the op it matched
/// leaves them in place, their last result replaced).
void markApplied(RewriterBase &rewriter, const KernelEpilogue &epilogue);

/// Erases the ops under `root` that markApplied marked, last first.
void eraseAppliedEpilogues(Operation *root);

/// Returns `epilogue` applied to `tile` (vector<Ft x Pt x f32>: filters
/// `firstFilter` .. + Ft, any positions), op by op as their bodies compute
/// each element: the same bits as the ops themselves.
Value applyKernelEpilogue(ImplicitLocOpBuilder &b,
                          const KernelEpilogue &epilogue, Value tile,
                          Value firstFilter);

} // namespace mlir::agn

#endif // AGN_LIB_CODEGEN_CPU_KERNELEPILOGUE_H
