//===- VectorizeConvolutions.cpp - Tile and vectorize 2-D convolutions ----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// 2-D convolutions with static shapes (linalg.conv_2d_nchw_fchw, as agn's
// ONNX importer writes them, conv_2d_nhwc_hwcf, and conv_2d_nhwc_fhwc as
// TOSA's lowering does) become vector code. With one image (the common
// inference case; float, and the signless-integer i8/i4 versions), an
// im2col copy of the input and a linalg.matmul that agn-vectorize-contractions
// (or, for constant integer weights, agn-vnni-matmuls) tiles and vectorizes
// (1.4x to 1.9x the tiled 1-D form below on this project's CPU,
// bench/convolution_bench.py). With several images, upstream's recipe for
// convolutions on CPUs: tile so that each tile covers one image, one output
// row and one kernel row, a block of output columns (up to 8), of output
// channels (up to 32) and of input channels (up to 8 for 1x1 kernels, 4
// otherwise); rewrite each tile, whose window is now one row high, into a 1-D
// convolution (linalg's DownscaleSizeOneWindowed2DConvolution); vectorize
// that with linalg's convolution vectorizer. The tile sizes divide the
// dimensions, so every tile has the same static shape; a tile the vectorizer
// does not take stays a linalg op (scalar loops), which computes the same.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

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
  if (isa<linalg::Conv2DNhwcHwcfOp, linalg::Conv2DNhwcFhwcOp>(op))
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
static FailureOr<Operation *> tileConvolution(RewriterBase &rewriter,
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
  return tiled->tiledOps.back();
}

/// Returns the reassociation that merges the dimension groups `sizes`
/// (consecutive dimensions, in order).
static SmallVector<ReassociationIndices>
getGroups(ArrayRef<int64_t> groupSizes) {
  SmallVector<ReassociationIndices> groups;
  int64_t next = 0;
  for (int64_t size : groupSizes) {
    groups.emplace_back();
    for (int64_t i = 0; i < size; ++i)
      groups.back().push_back(next++);
  }
  return groups;
}

/// Returns the filter of a convolution as the matrix operand of its im2col
/// matmul: with F outermost (`filterFirst`: FCHW, FHWC) as [F, rest] (or,
/// `transposed`, [rest, F]), HWCF as [KH KW C, F]. A constant filter (a
/// DenseElementsAttr) gives a constant (so that the matmul's weights stay
/// constants for agn-vnni-matmuls); another one (dense_resource included) a
/// reshape (and a linalg.transpose).
static Value getFilterMatrix(RewriterBase &rewriter, Location loc, Value filter,
                             bool filterFirst, bool transposed) {
  auto type = cast<RankedTensorType>(filter.getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rows = filterFirst ? shape[0] : shape[0] * shape[1] * shape[2];
  int64_t cols = filterFirst ? shape[1] * shape[2] * shape[3] : shape[3];
  auto matrixType = RankedTensorType::get({rows, cols}, type.getElementType());
  auto resultType =
      transposed ? RankedTensorType::get({cols, rows}, type.getElementType())
                 : matrixType;
  DenseElementsAttr values;
  unsigned width = type.getElementTypeBitWidth();
  if (matchPattern(filter, m_Constant(&values))) {
    if (values.isSplat())
      return arith::ConstantOp::create(rewriter, loc,
                                       values.resizeSplat(resultType));
    if (!transposed)
      return arith::ConstantOp::create(rewriter, loc,
                                       values.reshape(resultType));
    if (width % 8 == 0) {
      // Whole bytes per element: move them.
      ArrayRef<char> raw = values.getRawData();
      size_t bytes = width / 8;
      SmallVector<char> moved(raw.size());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          std::memcpy(&moved[(c * rows + r) * bytes],
                      &raw[(r * cols + c) * bytes], bytes);
      return arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::getFromRawBuffer(resultType, moved));
    }
    if (isa<IntegerType>(type.getElementType())) {
      // Sub-byte integers (the i4 versions' weights).
      SmallVector<APInt> all(values.getValues<APInt>());
      SmallVector<APInt> moved;
      moved.reserve(all.size());
      for (int64_t c = 0; c < cols; ++c)
        for (int64_t r = 0; r < rows; ++r)
          moved.push_back(all[r * cols + c]);
      return arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(resultType, moved));
    }
  }
  Value matrix = tensor::CollapseShapeOp::create(
      rewriter, loc, filter,
      filterFirst ? getGroups({1, 3}) : getGroups({3, 1}));
  if (!transposed)
    return matrix;
  Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                        type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, matrix, empty,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// Returns `value` ([rows, cols]) transposed.
static Value transposeMatrix(RewriterBase &rewriter, Location loc,
                             Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{type.getDimSize(1), type.getDimSize(0)},
      type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, value, empty,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// Rewrites the single-image convolution `op` (N = 1, static shapes) into an
/// im2col copy of its input and a linalg.matmul, which
/// agn-vectorize-contractions then tiles and vectorizes like any matmul:
///
///   NCHW/FCHW: col[c, i, j, oh, ow] = x[0, c, oh s + i d, ow s + j d];
///              y[F, OH OW] = w[F, C KH KW] col[C KH KW, OH OW]
///   NHWC/HWCF: col[oh, ow, i, j, c] = x[0, oh s + i d, ow s + j d, c];
///              y[OH OW, F] = col[OH OW, KH KW C] w[KH KW C, F]
///
/// The copy's input map is affine (no division), so its innermost loop walks
/// an image row. (Strided tensor slices per kernel position, copied by
/// MLIR's generic memrefCopy, measured 1.1x to 1.8x slower.)
static void rewriteAsMatmul(RewriterBase &rewriter, linalg::LinalgOp op,
                            bool channelsFirst, bool weightsOnTheRight) {
  Location loc = op.getLoc();
  MLIRContext *context = op.getContext();
  rewriter.setInsertionPoint(op);
  Value input = op.getDpsInputs()[0], filter = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  SmallVector<int64_t> strides, dilations;
  auto readWindow = [&](auto conv) {
    strides = llvm::to_vector(conv.getStrides().template getValues<int64_t>());
    dilations =
        llvm::to_vector(conv.getDilations().template getValues<int64_t>());
  };
  // The filter's layout: FCHW, HWCF or FHWC (F outermost for FCHW, FHWC).
  bool filterFirst = true;
  if (auto nchw = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation())) {
    readWindow(nchw);
  } else if (auto fhwc =
                 dyn_cast<linalg::Conv2DNhwcFhwcOp>(op.getOperation())) {
    readWindow(fhwc);
  } else {
    readWindow(cast<linalg::Conv2DNhwcHwcfOp>(op.getOperation()));
    filterFirst = false;
  }
  auto filterType = cast<RankedTensorType>(filter.getType());
  auto outputType = cast<RankedTensorType>(init.getType());
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  ArrayRef<int64_t> filterShape = filterType.getShape();
  int64_t c, kh, kw, oh, ow;
  if (channelsFirst) {
    c = filterShape[1];
    kh = filterShape[2];
    kw = filterShape[3];
    oh = outputType.getDimSize(2);
    ow = outputType.getDimSize(3);
  } else {
    // HWCF or FHWC: (kh, kw, c) are consecutive either way.
    ArrayRef<int64_t> window = filterShape.slice(filterFirst ? 1 : 0, 3);
    kh = window[0];
    kw = window[1];
    c = window[2];
    oh = outputType.getDimSize(1);
    ow = outputType.getDimSize(2);
  }

  // The copy: loops in the order of the col tensor's dimensions; the input
  // map is affine (no division), the innermost loop walks an image row.
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(context, d0, d1, d2, d3, d4);
  AffineExpr zero = getAffineConstantExpr(0, context);
  SmallVector<int64_t> colShape;
  AffineMap inputMap;
  if (channelsFirst && weightsOnTheRight) {
    // (oh, ow, c, i, j)
    colShape = {oh, ow, c, kh, kw};
    inputMap = AffineMap::get(5, 0,
                              {zero, d2, d0 * strides[0] + d3 * dilations[0],
                               d1 * strides[1] + d4 * dilations[1]},
                              context);
  } else if (channelsFirst) {
    // (c, i, j, oh, ow)
    colShape = {c, kh, kw, oh, ow};
    inputMap = AffineMap::get(5, 0,
                              {zero, d0, d3 * strides[0] + d1 * dilations[0],
                               d4 * strides[1] + d2 * dilations[1]},
                              context);
  } else {
    // (oh, ow, i, j, c)
    colShape = {oh, ow, kh, kw, c};
    inputMap = AffineMap::get(5, 0,
                              {zero, d0 * strides[0] + d2 * dilations[0],
                               d1 * strides[1] + d3 * dilations[1], d4},
                              context);
  }
  Value colInit = tensor::EmptyOp::create(rewriter, loc, colShape, elementType);
  SmallVector<utils::IteratorType> parallel(5, utils::IteratorType::parallel);
  Value col = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{colInit.getType()},
                  ValueRange{input}, ValueRange{colInit},
                  ArrayRef<AffineMap>{
                      inputMap, AffineMap::getMultiDimIdentityMap(5, context)},
                  parallel,
                  [](OpBuilder &b, Location l, ValueRange args) {
                    linalg::YieldOp::create(b, l, args[0]);
                  })
                  .getResult(0);

  Value lhs, rhs, output;
  bool transposedOutput = channelsFirst && weightsOnTheRight;
  if (channelsFirst && !weightsOnTheRight) {
    lhs = getFilterMatrix(rewriter, loc, filter, true, false);
    rhs =
        tensor::CollapseShapeOp::create(rewriter, loc, col, getGroups({3, 2}));
    output =
        tensor::CollapseShapeOp::create(rewriter, loc, init, getGroups({2, 2}));
  } else {
    // [OH OW, K] x [K, F]: NHWC, or NCHW with the output transposed.
    lhs =
        tensor::CollapseShapeOp::create(rewriter, loc, col, getGroups({2, 3}));
    // [K, F]: FCHW and FHWC transposed, HWCF as it is.
    rhs = getFilterMatrix(rewriter, loc, filter, filterFirst, filterFirst);
    if (channelsFirst)
      output = transposeMatrix(rewriter, loc,
                               tensor::CollapseShapeOp::create(
                                   rewriter, loc, init, getGroups({2, 2})));
    else
      output = tensor::CollapseShapeOp::create(rewriter, loc, init,
                                               getGroups({3, 1}));
  }
  Value product =
      linalg::MatmulOp::create(rewriter, loc, TypeRange{output.getType()},
                               ValueRange{lhs, rhs}, ValueRange{output})
          .getResult(0);
  if (transposedOutput)
    product = transposeMatrix(rewriter, loc, product);
  Value result = tensor::ExpandShapeOp::create(
      rewriter, loc, outputType, product,
      channelsFirst ? getGroups({2, 2}) : getGroups({3, 1}));
  rewriter.replaceOp(op, result);
}

/// Returns whether `op` computes on floats only, with static shapes.
static bool isStaticFloatConvolution(linalg::LinalgOp op) {
  return op.hasPureTensorSemantics() && !op.hasDynamicShape() &&
         llvm::all_of(op->getOperandTypes(), [](Type type) {
           return isa<FloatType>(getElementTypeOrSelf(type));
         });
}

/// Returns whether `op` computes on signless integers only (as agn's i8 and
/// i4 versions: i8 activations, i8 or i4 weights, i32 result), with static
/// shapes. (Linalg's integer convolutions sign-extend, as the matmul that
/// replaces them does.)
static bool isStaticIntegerConvolution(linalg::LinalgOp op) {
  return op.hasPureTensorSemantics() && !op.hasDynamicShape() &&
         llvm::all_of(op->getOperandTypes(), [](Type type) {
           return getElementTypeOrSelf(type).isSignlessInteger();
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
      std::optional<ConvolutionLoops> loops = getConvolutionLoops(op);
      if (!loops)
        return;
      // Integer convolutions (agn's i8 versions) and NHWC/FHWC ones (which
      // upstream's 1-D decomposition lacks) only as an im2col matmul, of one
      // image.
      bool oneImage = op.getStaticLoopRanges()[loops->image] == 1;
      bool tileable = !isa<linalg::Conv2DNhwcFhwcOp>(op.getOperation());
      if ((isStaticFloatConvolution(op) && (tileable || oneImage)) ||
          (isStaticIntegerConvolution(op) && oneImage))
        convolutions.emplace_back(op, *loops);
    });
    if (convolutions.empty())
      return;
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> tiles;
    for (auto [op, loops] : convolutions) {
      // One image: a matmul on an im2col copy. Integer ones keep the
      // (constant) weights on the right, where agn-vnni-matmuls takes them.
      if (op.getStaticLoopRanges()[loops.image] == 1) {
        rewriteAsMatmul(rewriter, op,
                        isa<linalg::Conv2DNchwFchwOp>(op.getOperation()),
                        /*weightsOnTheRight=*/isStaticIntegerConvolution(op));
        continue;
      }
      FailureOr<Operation *> tile = tileConvolution(rewriter, op, loops);
      if (failed(tile))
        return signalPassFailure();
      tiles.push_back(*tile);
    }
    if (tiles.empty())
      return;

    // The tiles, one row high, become 1-D convolutions; only they (not the
    // other convolutions or pooling ops of the function) are rewritten and
    // vectorized.
    llvm::SmallPtrSet<Operation *, 8> existing;
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::Conv1DNcwFcwOp, linalg::Conv1DNwcWcfOp>(op))
        existing.insert(op);
    });
    RewritePatternSet patterns(&getContext());
    linalg::populateDecomposeConvolutionPatterns(patterns);
    // A tile left as it is (no convergence) still computes the same.
    (void)applyOpPatternsGreedily(tiles, std::move(patterns));

    SmallVector<linalg::LinalgOp> oneDimensional;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::Conv1DNcwFcwOp, linalg::Conv1DNwcWcfOp>(op) &&
          !existing.contains(op) && isStaticFloatConvolution(op))
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
