//===- KernelConfig.h - Kernel choices of the CPU code ----------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// What agn-cpu-configure-kernels decides for each contraction, as functions
// that tests and other drivers can call. Each returns the config the op
// gets (an #agn.lowering_config), or nothing when the op is left to linalg's
// loops; the kernel passes carry the configs out.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_CPU_KERNELCONFIG_H
#define AGN_CODEGEN_CPU_KERNELCONFIG_H

#include "agn/Dialect/AGN/IR/AGNAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::agn {

/// Returns the kernel of the convolution `op` (2-D NCHW/FCHW, NGCHW/GFCHW,
/// NHWC/HWCF, NHWC/FHWC, 1-D NCW/FCW, 3-D NCDHW/FCDHW, static shapes):
/// register tiles over the padded input plane for f32 NCHW convolutions of
/// one image, dilation 1 and a constant filter (PaddedPlaneConvolution.h);
/// direct vector loops for groups of fewer than 16 filters; else an im2col
/// matmul with the filter on the right for integer convolutions and float
/// ones of at least 32 filters (per group). With `signedDot` (the target's
/// i8 kernel is `signed_dot`), 2-D NCHW (NGCHW) integer convolutions of two
/// filters or more whose filter holds no -128 and whose output planes fill
/// `threads` or more
/// panels of the kernel with little padding put the filter on the left:
/// the product is then NCHW, with no i32 transpose, and its columns (the
/// pixels) fill the panels where few filters would leave them mostly empty.
std::optional<LoweringConfigAttr>
chooseConvolutionConfig(linalg::LinalgOp op, bool signedDot = false,
                        int64_t threads = 1);

/// Returns whether agn-vectorize-contractions can carry out `pack_b` on the
/// matmul `op` with register tiles `tileSizes` (M, N, K): a B of float
/// constants (read [K, N], or [N, K] as Gemm's transB, which the pass
/// transposes first), static sizes, and at least two panels of N columns.
bool canPackConstantB(linalg::MatmulOp op, ArrayRef<int64_t> tileSizes);

/// Returns whether agn-vectorize-contractions can tile and vectorize the
/// matmul `op` (tensors, any operand maps, no empty dimension; float
/// operands, or signed integer ones of 8 bits or more, none wider than the
/// result).
bool canUseRegisterTiles(linalg::MatmulOp op);

/// Returns whether a register-tiled matmul with static loop ranges `ranges`
/// (M, N, K) and register tiles `tileSizes` gives its `threads` threads rows
/// (chunks of M) rather than columns (chunks of N): where A is the larger
/// operand (M > N), so that each thread reads half of A and all of B rather
/// than all of A and half of B, and M is whole tiles, at least one per
/// thread (the convolutions of a network's first stages: 12544 or 3136
/// pixels by 64 filters).
bool splitsRowsForThreads(ArrayRef<int64_t> ranges, ArrayRef<int64_t> tileSizes,
                          int64_t threads);

/// Returns whether the float matvec or dot product `op` (tensors, default
/// maps) can become a reassociated sum.
bool canReassociateSum(linalg::LinalgOp op);

} // namespace mlir::agn

#endif // AGN_CODEGEN_CPU_KERNELCONFIG_H
