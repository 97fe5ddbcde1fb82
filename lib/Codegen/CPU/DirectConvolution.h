//===- DirectConvolution.h - Direct grouped convolutions --------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The direct vector code agn-vectorize-convolutions gives grouped
// convolutions whose groups are too narrow for an im2col matmul to pay
// (depthwise convolutions above all).
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CODEGEN_CPU_DIRECTCONVOLUTION_H
#define AGN_LIB_CODEGEN_CPU_DIRECTCONVOLUTION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::agn {

/// Returns whether `op` (static shapes, float or signless-integer operands
/// with an output at least as wide as the input) can be computed by
/// `rewriteDirectConvolution`.
bool canComputeDirectly(linalg::Conv2DNgchwGfchwOp op);

/// Replaces the grouped convolution `op` by loops over images, groups,
/// filters and output rows whose body computes 64 outputs of a row at once:
/// for each input channel of the group and kernel position, a vector of the
/// input row (every stride-th element) times the broadcast filter value,
/// added in the convolution's own order (channels, then kernel rows, then
/// kernel columns), so that the results are those of linalg's loops. For
/// stride 1 and an output that starts as a linalg.fill, the 64 outputs are
/// 64 consecutive positions of the channel's plane instead (whole rows of
/// W, the W - OW past each output dropped), the same sums. The groups are
/// split into `threads` chunks (an scf.forall).
void rewriteDirectConvolution(RewriterBase &rewriter,
                              linalg::Conv2DNgchwGfchwOp op, int64_t threads);

} // namespace mlir::agn

#endif // AGN_LIB_CODEGEN_CPU_DIRECTCONVOLUTION_H
