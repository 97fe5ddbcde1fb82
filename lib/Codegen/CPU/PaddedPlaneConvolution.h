//===- PaddedPlaneConvolution.h - Convolutions without im2col ---*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The vector code agn-vectorize-convolutions gives float NCHW convolutions of
// stride 1 with constant filters under a `padded_plane` config: no im2col
// copy and no transpose of the result (PaddedPlaneConvolution.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CODEGEN_CPU_PADDEDPLANECONVOLUTION_H
#define AGN_LIB_CODEGEN_CPU_PADDEDPLANECONVOLUTION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::agn {

/// Filters per register tile of a `padded_plane` kernel, and output pixels
/// (one 512-bit vector pair of f32) per tile: 8 x 32 accumulators, 16 zmm.
inline constexpr int64_t kPaddedPlaneFilters = 8;
inline constexpr int64_t kPaddedPlanePixels = 32;

/// Returns whether `rewritePaddedPlaneConvolution` can compute `op`: one
/// image, f32 operands, static shapes, strides and dilations 1, a constant
/// filter whose filter count `filterTile` divides, and an initial value
/// that is a linalg.fill.
bool canComputeOnPaddedPlane(linalg::Conv2DNchwFchwOp op, int64_t filterTile);

/// Replaces `op` by loops of register tiles of `filterTile` filters x
/// `pixelTile` output pixels over the input plane as it lies in memory,
/// padding columns included: output pixel (oh, ow) is position p = oh W + ow
/// of the plane, and the input it needs at kernel offset (kh, kw) is at
/// p + kh W + kw, so that each (channel, kh, kw) step reads `pixelTile`
/// consecutive inputs and broadcasts `filterTile` weights. The W - OW
/// positions past each output row are computed and dropped. The filter is
/// repacked at compile time into panels of `filterTile` filters, each step's
/// weights adjacent; the image gets the rows at its bottom that the
/// last tile reads past the plane. The work is split into `threads` chunks
/// of filters (an scf.forall). The sums run in the order of the im2col
/// matmul's (channels, then kernel rows, then columns), with the same fused
/// multiply-adds, so the results are the same bits.
void rewritePaddedPlaneConvolution(RewriterBase &rewriter,
                                   linalg::Conv2DNchwFchwOp op,
                                   int64_t filterTile, int64_t pixelTile,
                                   int64_t threads);

} // namespace mlir::agn

#endif // AGN_LIB_CODEGEN_CPU_PADDEDPLANECONVOLUTION_H
