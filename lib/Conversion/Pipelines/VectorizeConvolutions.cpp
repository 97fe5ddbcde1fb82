//===- VectorizeConvolutions.cpp - Tile and vectorize 2-D convolutions ----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Float 2-D convolutions (linalg.conv_2d_nchw_fchw, as agn's ONNX importer
// writes them, and linalg.conv_2d_nhwc_hwcf) with static shapes go through
// upstream's recipe for convolutions on CPUs: tile so that each tile covers
// one image, one output row and one kernel row, a block of output columns
// (up to 8), of output channels (up to 32) and of input channels (up to 8
// for 1x1 kernels, 4 otherwise); rewrite each tile, whose window is now one row
// high, into a 1-D convolution (linalg's
// DownscaleSizeOneWindowed2DConvolution); vectorize that with linalg's
// convolution vectorizer (outer products over the kernel columns and input
// channels into an output block in registers). The tile sizes divide the
// dimensions, so every tile has the same static shape; a tile the vectorizer
// does not take stays a linalg op (scalar loops), which computes the same.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVECTORIZECONVOLUTIONS
#include "agn/Conversion/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
/// The positions of a 2-D convolution's loops in its iteration domain.
struct ConvolutionLoops {
  unsigned image, outputChannel, outputRow, outputColumn, inputChannel,
      kernelRow, kernelColumn;
};
} // namespace

/// Returns the loops of `op` if it is a 2-D convolution the pass handles.
static std::optional<ConvolutionLoops> getConvolutionLoops(Operation *op) {
  // (n, f, oh, ow, c, kh, kw)
  if (isa<linalg::Conv2DNchwFchwOp>(op))
    return ConvolutionLoops{0, 1, 2, 3, 4, 5, 6};
  // (n, oh, ow, f, kh, kw, c)
  if (isa<linalg::Conv2DNhwcHwcfOp>(op))
    return ConvolutionLoops{0, 3, 1, 2, 6, 4, 5};
  return std::nullopt;
}

/// Returns the largest of `candidates` (in decreasing order, ending with 1)
/// that divides `size`.
static int64_t getLargestDivisor(int64_t size, ArrayRef<int64_t> candidates) {
  for (int64_t candidate : candidates)
    if (size % candidate == 0)
      return candidate;
  return 1;
}

/// Tiles the convolution `op` (static shapes, float operands) into tiles of
/// one image, output row and kernel row and register-sized blocks of the
/// output columns, output channels and input channels.
static LogicalResult tileConvolution(RewriterBase &rewriter,
                                     linalg::LinalgOp op,
                                     const ConvolutionLoops &loops) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> sizes(ranges.size(), 0);
  sizes[loops.image] = 1;
  sizes[loops.outputRow] = 1;
  sizes[loops.kernelRow] = 1;
  // 8 x 32 f32 outputs: 16 zmm accumulators, as the matmul tiles.
  sizes[loops.outputColumn] =
      getLargestDivisor(ranges[loops.outputColumn], {8, 7, 6, 5, 4, 3, 2, 1});
  sizes[loops.outputChannel] =
      getLargestDivisor(ranges[loops.outputChannel], {32, 16, 8, 4, 2, 1});
  // Blocks of input channels: 8 for 1x1 kernels, 4 for wider ones, whose
  // input windows are larger (measured on this project's CPU: 1.2x to 1.5x
  // over the other choice; 32 or 1 were slower still).
  bool pointwise =
      ranges[loops.kernelRow] == 1 && ranges[loops.kernelColumn] == 1;
  sizes[loops.inputChannel] = getLargestDivisor(
      ranges[loops.inputChannel],
      pointwise ? ArrayRef<int64_t>{8, 4, 2, 1} : ArrayRef<int64_t>{4, 2, 1});
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), sizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return op.emitError("agn-vectorize-convolutions: tiling failed");
  rewriter.replaceOp(op, tiled->replacements);
  return success();
}

/// Returns whether `op` computes on floats only, with static shapes.
static bool isStaticFloatConvolution(linalg::LinalgOp op) {
  return op.hasPureTensorSemantics() && !op.hasDynamicShape() &&
         llvm::all_of(op->getOperandTypes(), [](Type type) {
           return isa<FloatType>(getElementTypeOrSelf(type));
         });
}

namespace {
struct VectorizeConvolutionsPass
    : public agn::impl::AGNVectorizeConvolutionsBase<
          VectorizeConvolutionsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, ConvolutionLoops>> convolutions;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<ConvolutionLoops> loops = getConvolutionLoops(op))
        if (isStaticFloatConvolution(op))
          convolutions.emplace_back(op, *loops);
    });
    if (convolutions.empty())
      return;
    IRRewriter rewriter(&getContext());
    for (auto [op, loops] : convolutions)
      if (failed(tileConvolution(rewriter, op, loops)))
        return signalPassFailure();

    // Tiles one row high become 1-D convolutions.
    RewritePatternSet patterns(&getContext());
    linalg::populateDecomposeConvolutionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    SmallVector<linalg::LinalgOp> oneDimensional;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::Conv1DNcwFcwOp, linalg::Conv1DNwcWcfOp>(op) &&
          isStaticFloatConvolution(op))
        oneDimensional.push_back(op);
    });
    for (linalg::LinalgOp op : oneDimensional) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, op);
      // A tile the vectorizer does not take stays as it is (scalar loops).
      if (succeeded(vectorized))
        rewriter.replaceOp(op, vectorized->replacements);
    }
  }
};
} // namespace
