//===- PaddedPlaneConvolution.h - Convolutions without im2col ---*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The vector code agn-vectorize-convolutions gives float NCHW convolutions
// with constant filters under a `padded_plane` config: no im2col copy and no
// transpose of the result (PaddedPlaneConvolution.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CODEGEN_CPU_PADDEDPLANECONVOLUTION_H
#define AGN_LIB_CODEGEN_CPU_PADDEDPLANECONVOLUTION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::agn {

/// Filters per register tile of a `padded_plane` kernel, and output pixels
/// (one 512-bit vector pair of f32) per tile: 8 x 32 accumulators, 16 zmm.
inline constexpr int64_t kPaddedPlaneFilters = 8;
inline constexpr int64_t kPaddedPlanePixels = 32;

/// Returns `input` (an image of rows and columns in its last two dimensions)
/// with `rows` more rows at its bottom and `columns` more columns at its
/// right when it is a tensor.pad of a constant with a constant bottom and
/// right: that padding widened (one copy of the image, not two; the border
/// keeps that constant). Returns null for any other `input`. For the rows and
/// columns that only dropped positions of a plane read.
Value widenPadding(ImplicitLocOpBuilder &b, Value input, int64_t rows,
                   int64_t columns);

/// Returns `tensor` with `high[d]` more zeros at the end of each dimension d
/// (a tensor.pad; `tensor` itself when `high` is all zeros).
Value padHigh(ImplicitLocOpBuilder &b, Value tensor, ArrayRef<int64_t> high);

/// Returns whether `rewritePaddedPlaneConvolution` can compute `op`: one
/// image, f32 operands, static shapes, dilations 1, a constant
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
/// last tile reads past the plane. A strided convolution runs the same
/// loops over the image's phase planes (one copy of the image splits it into
/// the SH x SW planes of rows a + SH i, columns b + SW j), where its kernel
/// offset (kh, kw) is offset (kh / SH, kw / SW) of phase (kh % SH, kw % SW).
/// The work is split into `threads` chunks
/// of filters (an scf.forall). The sums run in the order of the im2col
/// matmul's (channels, then kernel rows, then columns), with the same fused
/// multiply-adds, so the results are the same bits.
void rewritePaddedPlaneConvolution(RewriterBase &rewriter,
                                   linalg::Conv2DNchwFchwOp op,
                                   int64_t filterTile, int64_t pixelTile,
                                   int64_t threads);

} // namespace mlir::agn

#endif // AGN_LIB_CODEGEN_CPU_PADDEDPLANECONVOLUTION_H
