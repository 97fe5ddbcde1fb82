//===- VectorizeConvolutions.cpp - Tile and vectorize convolutions --------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// 2-D convolutions with static shapes (linalg.conv_2d_nchw_fchw and, for
// grouped and depthwise ones, conv_2d_ngchw_gfchw, as agn's ONNX importer
// writes them, conv_2d_nhwc_hwcf, and conv_2d_nhwc_fhwc as TOSA's lowering
// does; float, and the signless-integer i8/i4 versions) become an im2col
// copy of the input and a linalg.matmul, which agn-vectorize-contractions
// (or, for integers, agn-vnni-matmuls) tiles and vectorizes; several images
// make a loop of single-image convolutions, several groups a loop of
// single-group ones. Groups too narrow for that (depthwise convolutions) get
// direct vector loops (DirectConvolution.h). 1-D convolutions go as 2-D
// ones of height 1, 3-D ones as loops over depths of 2-D ones. On this
// project's CPU the im2col matmuls measured 1.4x to 1.9x upstream's recipe
// (tiles one row high decomposed into 1-D convolutions and vectorized) and
// 12x to 35x linalg's loops (bench/convolution_bench.py).
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/CPU/KernelConfig.h"
#include "agn/Codegen/CPU/Passes.h"

#include "DirectConvolution.h"
#include "KernelEpilogue.h"
#include "PaddedPlaneConvolution.h"
#include "agn/Codegen/Common/ConstantLayout.h"
#include "agn/Codegen/Common/Tiling.h"
#include "agn/Codegen/X86/VnniKernels.h"
#include "agn/Dialect/X86/IR/VnniLayout.h"
#include "agn/Utils/ZeroTensors.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVECTORIZECONVOLUTIONS
#include "agn/Codegen/CPU/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns whether `op` is a 2-D convolution the pass handles. Loop 0 of
/// each is the image (n); loop 1 of the grouped one the group (g).
static bool isSupportedConvolution(Operation *op) {
  return isa<linalg::Conv2DNchwFchwOp, linalg::Conv2DNhwcHwcfOp,
             linalg::Conv2DNhwcFhwcOp, linalg::Conv2DNgchwGfchwOp>(op);
}

/// Tiles the convolution `op` by one image (an scf.for over its images) and,
/// for a grouped convolution, one group; returns the tile: a single-image
/// (single-group) convolution of static shape.
static FailureOr<linalg::LinalgOp> splitImages(RewriterBase &rewriter,
                                               linalg::LinalgOp op) {
  SmallVector<int64_t> sizes(op.getNumLoops(), 0);
  sizes[0] = 1;
  if (isa<linalg::Conv2DNgchwGfchwOp>(op.getOperation()))
    sizes[1] = 1;
  FailureOr<Operation *> tiled =
      tileInPlace(rewriter, op, sizes, "agn-vectorize-convolutions",
                  "splitting the images");
  if (failed(tiled))
    return failure();
  return cast<linalg::LinalgOp>(*tiled);
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
    // Narrow floats (none of agn's levels) are left to linalg.transpose.
    if (width % 8 == 0 || isa<IntegerType>(type.getElementType()))
      return arith::ConstantOp::create(
          rewriter, loc, permuteConstant(values, {rows, cols}, {1, 0}));
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

/// Returns the integer matrix `matrix` with elements narrower than a byte
/// (i4 filters) sign-extended to i8, as the integer kernels read their left
/// operand: a constant for a constant, else signExtendToBytes.
static Value widenFilterToBytes(RewriterBase &rewriter, Location loc,
                                Value matrix) {
  auto type = cast<RankedTensorType>(matrix.getType());
  auto elementType = dyn_cast<IntegerType>(type.getElementType());
  if (!elementType || elementType.getWidth() >= 8)
    return matrix;
  DenseIntElementsAttr values;
  if (matchPattern(matrix, m_Constant(&values)))
    return arith::ConstantOp::create(
        rewriter, loc,
        values.mapValues(rewriter.getI8Type(),
                         [](const APInt &value) { return value.sext(8); }));
  return signExtendToBytes(rewriter, loc, matrix);
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
    lhs = widenFilterToBytes(
        rewriter, loc, getFilterMatrix(rewriter, loc, filter, true, false));
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

/// Replaces the single-image, single-group convolution `op` by the
/// conv_2d_nchw_fchw it is once its unit group dimensions are dropped, and
/// returns that.
static linalg::LinalgOp dropGroup(RewriterBase &rewriter,
                                  linalg::Conv2DNgchwGfchwOp op) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  // [1, 1, ...] -> [1, ...] (input, output); [1, Fg, ...] -> [Fg, ...].
  auto dropUnitDim = [&](Value value) {
    return tensor::CollapseShapeOp::create(rewriter, loc, value,
                                           getGroups({2, 1, 1, 1}));
  };
  Value input = dropUnitDim(op.getDpsInputs()[0]);
  Value filter = dropUnitDim(op.getDpsInputs()[1]);
  Value init = dropUnitDim(op.getDpsInits()[0]);
  auto conv = linalg::Conv2DNchwFchwOp::create(
      rewriter, loc, TypeRange{init.getType()}, ValueRange{input, filter},
      ValueRange{init}, op.getStridesAttr(), op.getDilationsAttr());
  Value result =
      tensor::ExpandShapeOp::create(rewriter, loc, op.getResult(0).getType(),
                                    conv.getResult(0), getGroups({2, 1, 1, 1}));
  rewriter.replaceOp(op, result);
  return conv;
}

/// Replaces the 1-D convolution `op` by the 2-D convolution of height 1 it
/// is (a unit dimension before the width of the input, filter and output;
/// stride and dilation 1 along it), and returns that.
static linalg::LinalgOp liftToTwoDimensions(RewriterBase &rewriter,
                                            linalg::Conv1DNcwFcwOp op) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  // [A, B, W] <-> [A, B, 1, W].
  SmallVector<ReassociationIndices> unitHeight = {{0}, {1}, {2, 3}};
  auto addHeight = [&](Value value) -> Value {
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> shape = {type.getDimSize(0), type.getDimSize(1), 1,
                                  type.getDimSize(2)};
    return tensor::ExpandShapeOp::create(rewriter, loc, type.clone(shape),
                                         value, unitHeight);
  };
  auto window = [&](DenseIntElementsAttr attr) {
    int64_t value = *attr.getValues<int64_t>().begin();
    return DenseIntElementsAttr::get(
        RankedTensorType::get({2}, rewriter.getI64Type()),
        ArrayRef<int64_t>{1, value});
  };
  Value init = addHeight(op.getDpsInits()[0]);
  auto conv = linalg::Conv2DNchwFchwOp::create(
      rewriter, loc, TypeRange{init.getType()},
      ValueRange{addHeight(op.getDpsInputs()[0]),
                 addHeight(op.getDpsInputs()[1])},
      ValueRange{init}, window(op.getStrides()), window(op.getDilations()));
  rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
      op, op.getResult(0).getType(), conv.getResult(0), unitHeight);
  return conv;
}

/// Replaces the 3-D convolution `op` (NCDHW/FCDHW) by loops over its images,
/// output depths and kernel depths (the last accumulating) around the 2-D
/// convolution of one image's input plane with one kernel plane (the unit
/// depth dimensions dropped), and returns that 2-D convolution.
static FailureOr<linalg::LinalgOp> sliceDepths(RewriterBase &rewriter,
                                               linalg::Conv3DNcdhwFcdhwOp op) {
  // Loops (n, f, od, oh, ow, c, kd, kh, kw).
  linalg::LinalgOp tile = op;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ranges[0] != 1 || ranges[2] != 1 || ranges[6] != 1) {
    FailureOr<Operation *> tiled =
        tileInPlace(rewriter, op, {1, 0, 1, 0, 0, 0, 1, 0, 0},
                    "agn-vectorize-convolutions", "splitting the depths");
    if (failed(tiled))
      return failure();
    tile = cast<linalg::LinalgOp>(*tiled);
  }
  auto conv3d = cast<linalg::Conv3DNcdhwFcdhwOp>(tile.getOperation());
  Location loc = conv3d.getLoc();
  rewriter.setInsertionPoint(conv3d);
  // [A, B, 1, H, W] <-> [A, B, H, W].
  SmallVector<ReassociationIndices> unitDepth = {{0}, {1}, {2, 3}, {4}};
  auto dropDepth = [&](Value value) -> Value {
    return tensor::CollapseShapeOp::create(rewriter, loc, value, unitDepth);
  };
  // The window's height and width of the depth, height, width ones.
  auto plane = [&](DenseIntElementsAttr attr) {
    SmallVector<int64_t> values = llvm::to_vector(attr.getValues<int64_t>());
    return DenseIntElementsAttr::get(
        RankedTensorType::get({2}, rewriter.getI64Type()),
        ArrayRef<int64_t>{values[1], values[2]});
  };
  Value init = dropDepth(conv3d.getDpsInits()[0]);
  auto conv = linalg::Conv2DNchwFchwOp::create(
      rewriter, loc, TypeRange{init.getType()},
      ValueRange{dropDepth(conv3d.getDpsInputs()[0]),
                 dropDepth(conv3d.getDpsInputs()[1])},
      ValueRange{init}, plane(conv3d.getStrides()),
      plane(conv3d.getDilations()));
  rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
      conv3d, conv3d.getResult(0).getType(), conv.getResult(0), unitDepth);
  return cast<linalg::LinalgOp>(conv.getOperation());
}

/// Filters from which float NCHW convolutions put the filter on the right
/// of their im2col matmul ([OH OW, C KH KW] x [C KH KW, F], the output
/// transposed back), where the small filter matrix stays in the caches while
/// the copy streams through the register tiles' rows. Measured against the
/// filter on the left (bench/convolution_bench.py shapes, agn-run medians):
/// 1.2x-1.8x faster with 64 to 256 filters, 1.06x with 32, 0.5x-0.75x with
/// 8 or 16 (too few columns for a 32-wide register tile).
static constexpr int64_t kMinFiltersOnTheRight = 32;

/// Filters per group from which grouped convolutions become im2col matmuls.
/// Narrower groups get direct vector loops (DirectConvolution.h): for
/// depthwise convolutions (one channel and one filter per group) the im2col
/// copy cost more than it saved (0.74x linalg's loops at 32x114x114, 3x3;
/// 1.05x for 32 groups of 4 filters; bench/convolution_bench.py).
static constexpr int64_t kMinGroupFilters = 16;

/// Returns whether `op` is a grouped convolution with groups too narrow for
/// an im2col matmul.
static bool hasNarrowGroups(linalg::LinalgOp op) {
  return isa<linalg::Conv2DNgchwGfchwOp>(op.getOperation()) &&
         op.getStaticLoopRanges()[2] < kMinGroupFilters;
}

/// Returns whether `op` computes on floats only, with static shapes.
static bool isStaticFloatConvolution(linalg::LinalgOp op) {
  return op.hasPureTensorSemantics() && !op.hasDynamicShape() &&
         hasFloatOperands(op);
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

/// Returns whether an operand of `op` has elements narrower than a byte.
/// Slicing such a filter by group or kernel depth may start mid-byte once
/// the narrow type is emulated with bytes, which the emulation cannot read:
/// those convolutions (agn makes no such ones) stay in linalg's loops.
static bool hasSubByteOperands(linalg::LinalgOp op) {
  return llvm::any_of(op->getOperandTypes(), [](Type type) {
    Type element = getElementTypeOrSelf(type);
    return element.isIntOrFloat() && element.getIntOrFloatBitWidth() < 8;
  });
}

/// Returns whether the integer convolution `op` should put its filter on the
/// left of its im2col matmul for the `signed_dot` kernel on `threads`
/// threads: a 2-D NCHW (or NGCHW) convolution whose filter holds no -128
/// (sdot's operand that must not; the activations may) and two filters or
/// more (the kernel packs no activations for a single row, where packing
/// does not pay), whose output plane fills at least a panel per thread with
/// at most an eighth of padding (mobilenet_v2's 56x56 and 112x112 planes,
/// not its 14x14 and 7x7 ones, which fill few panels: there, the filters
/// fill them).
static bool putsIntegerFilterOnTheLeft(linalg::LinalgOp op, int64_t threads) {
  auto output = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  int64_t filters, plane;
  if (isa<linalg::Conv2DNchwFchwOp>(op.getOperation())) {
    filters = output.getDimSize(1);
    plane = output.getDimSize(2) * output.getDimSize(3);
  } else if (isa<linalg::Conv2DNgchwGfchwOp>(op.getOperation())) {
    filters = output.getDimSize(2);
    plane = output.getDimSize(3) * output.getDimSize(4);
  } else {
    return false;
  }
  int64_t padded = llvm::alignTo(plane, vnni::kPanelWidth);
  return x86::holdsNoMinimumByte(op.getDpsInputs()[1]) && filters > 1 &&
         padded / vnni::kPanelWidth >= threads && 8 * padded <= 9 * plane;
}

/// Returns the `im2col` or `direct` config of `op`, or nothing when neither
/// applies (`signedDot` and `threads` as for chooseConvolutionConfig).
static std::optional<LoweringConfigAttr>
chooseIm2colOrDirect(linalg::LinalgOp op, bool signedDot, int64_t threads) {
  MLIRContext *context = op.getContext();
  auto im2col = [&](bool filterOnRight) {
    return LoweringConfigAttr::get(context, KernelKind::im2col, {},
                                   /*kBlock=*/0, /*threads=*/1,
                                   /*widenToF32=*/false, filterOnRight);
  };
  // Integer convolutions keep the weights on the right, where
  // agn-vnni-matmuls packs them at compile time, unless the signed_dot
  // kernel takes them on the left (see putsIntegerFilterOnTheLeft); float
  // ones when there are enough filters (per group) to fill the register
  // tiles' columns.
  auto filtersOnTheRight = [&](int64_t filters) {
    if (isStaticIntegerConvolution(op))
      return !(signedDot && putsIntegerFilterOnTheLeft(op, threads));
    return filters >= kMinFiltersOnTheRight;
  };
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (isa<linalg::Conv3DNcdhwFcdhwOp, linalg::Conv1DNcwFcwOp>(
          op.getOperation())) {
    bool threeD = isa<linalg::Conv3DNcdhwFcdhwOp>(op.getOperation());
    if (isStaticFloatConvolution(op) ||
        (isStaticIntegerConvolution(op) && !(threeD && hasSubByteOperands(op))))
      return im2col(filtersOnTheRight(ranges[1]));
    return std::nullopt;
  }
  if (!isSupportedConvolution(op))
    return std::nullopt;
  if (hasNarrowGroups(op)) {
    if (canComputeDirectly(cast<linalg::Conv2DNgchwGfchwOp>(op.getOperation())))
      return LoweringConfigAttr::get(context, KernelKind::direct, {});
    return std::nullopt;
  }
  bool grouped = isa<linalg::Conv2DNgchwGfchwOp>(op.getOperation());
  if (!isStaticFloatConvolution(op) &&
      !(isStaticIntegerConvolution(op) && !(grouped && hasSubByteOperands(op))))
    return std::nullopt;
  // Filters (per group): NCHW loops (n, f, ...), NGCHW (n, g, f, ...), NHWC
  // (n, oh, ow, f, ...).
  int64_t filters = grouped ? ranges[2]
                    : isa<linalg::Conv2DNchwFchwOp>(op.getOperation())
                        ? ranges[1]
                        : ranges[3];
  return im2col(filtersOnTheRight(filters));
}

std::optional<LoweringConfigAttr>
mlir::agn::chooseConvolutionConfig(linalg::LinalgOp op, bool signedDot,
                                   int64_t threads) {
  // Without an im2col copy where the convolution allows it: resnet18 at f32
  // took 0.6x the time with its stride-1 convolutions on the padded plane.
  if (auto nchw = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation());
      nchw && canComputeOnPaddedPlane(nchw, kPaddedPlaneFilters))
    return LoweringConfigAttr::get(op.getContext(), KernelKind::padded_plane,
                                   {kPaddedPlaneFilters, kPaddedPlanePixels});
  return chooseIm2colOrDirect(op, signedDot, threads);
}

/// Returns whether `op` carries a convolution config of `kind` that this
/// file can carry out: a `padded_plane` one where the convolution allows its
/// tiles, an `im2col` or `direct` one where that is the choice without the
/// padded plane (so that an im2col matmul can be pinned on any convolution
/// that has one).
static bool hasCompatibleConfig(linalg::LinalgOp op, KernelKind kind) {
  LoweringConfigAttr config = LoweringConfigAttr::of(op);
  if (!config || config.getKernel() != kind)
    return false;
  if (kind == KernelKind::padded_plane) {
    auto nchw = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation());
    return nchw && canComputeOnPaddedPlane(nchw, config.getTileSizes()[0]);
  }
  std::optional<LoweringConfigAttr> possible =
      chooseIm2colOrDirect(op, /*signedDot=*/false, /*threads=*/1);
  return possible && possible->getKernel() == kind;
}

namespace {
/// Carries out a `direct` config: vector loops over output rows.
struct ComputeConvolutionDirectly
    : public OpRewritePattern<linalg::Conv2DNgchwGfchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNgchwGfchwOp op,
                                PatternRewriter &rewriter) const override {
    if (!hasCompatibleConfig(op, KernelKind::direct))
      return rewriter.notifyMatchFailure(op, "not configured 'direct'");
    rewriteDirectConvolution(rewriter, op,
                             LoweringConfigAttr::of(op).getThreads());
    return success();
  }
};

/// Carries out a `padded_plane` config: register tiles over the input plane.
struct ComputeOnPaddedPlane
    : public OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp op,
                                PatternRewriter &rewriter) const override {
    LoweringConfigAttr config = LoweringConfigAttr::of(op);
    if (!hasCompatibleConfig(op, KernelKind::padded_plane))
      return rewriter.notifyMatchFailure(op, "not configured 'padded_plane'");
    rewritePaddedPlaneConvolution(rewriter, op, config.getTileSizes()[0],
                                  config.getTileSizes()[1],
                                  config.getThreads());
    return success();
  }
};

/// Carries out an `im2col` config: 1-D convolutions as 2-D ones of height 1,
/// 3-D ones as a loop of 2-D ones over depths; several images (or groups) a
/// loop of single-image (single-group) convolutions; each an im2col copy
/// and a matmul, the filter on the side the config says.
struct ConvolutionAsMatmul
    : public OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!hasCompatibleConfig(op, KernelKind::im2col))
      return rewriter.notifyMatchFailure(op, "not configured 'im2col'");
    bool onTheRight = LoweringConfigAttr::of(op).getFilterOnRight();
    linalg::LinalgOp convolution = op;
    if (auto conv1d = dyn_cast<linalg::Conv1DNcwFcwOp>(op.getOperation())) {
      convolution = liftToTwoDimensions(rewriter, conv1d);
    } else if (auto conv3d =
                   dyn_cast<linalg::Conv3DNcdhwFcdhwOp>(op.getOperation())) {
      FailureOr<linalg::LinalgOp> plane = sliceDepths(rewriter, conv3d);
      if (failed(plane))
        return failure();
      convolution = *plane;
    }
    bool grouped = isa<linalg::Conv2DNgchwGfchwOp>(convolution.getOperation());
    SmallVector<int64_t> ranges = convolution.getStaticLoopRanges();
    linalg::LinalgOp single = convolution;
    if (ranges[0] != 1 || (grouped && ranges[1] != 1)) {
      FailureOr<linalg::LinalgOp> tile = splitImages(rewriter, convolution);
      if (failed(tile))
        return failure();
      single = *tile;
    }
    if (grouped)
      single = dropGroup(
          rewriter, cast<linalg::Conv2DNgchwGfchwOp>(single.getOperation()));
    bool channelsFirst = isa<linalg::Conv2DNchwFchwOp>(single.getOperation());
    rewriteAsMatmul(rewriter, single, channelsFirst,
                    /*weightsOnTheRight=*/onTheRight);
    return success();
  }
};
} // namespace

void mlir::agn::populateVectorizeConvolutionsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ComputeConvolutionDirectly, ComputeOnPaddedPlane,
               ConvolutionAsMatmul>(patterns.getContext());
}

/// Returns whether `op` carries an `im2col`, `direct` or `padded_plane`
/// config.
static bool hasConvolutionConfig(Operation *op) {
  return LoweringConfigAttr::hasKernel(op, KernelKind::im2col) ||
         LoweringConfigAttr::hasKernel(op, KernelKind::direct) ||
         LoweringConfigAttr::hasKernel(op, KernelKind::padded_plane);
}

namespace {
struct VectorizeConvolutionsPass
    : public agn::impl::AGNVectorizeConvolutionsBase<
          VectorizeConvolutionsPass> {
  using Base::Base;

  void runOnOperation() override {
    // A config this pass cannot carry out (set by hand on an op it does not
    // handle) is an error.
    WalkResult walk = getOperation().walk([&](linalg::LinalgOp op) {
      if (!hasConvolutionConfig(op) ||
          hasCompatibleConfig(op, KernelKind::im2col) ||
          hasCompatibleConfig(op, KernelKind::direct) ||
          hasCompatibleConfig(op, KernelKind::padded_plane))
        return WalkResult::advance();
      KernelKind kind = LoweringConfigAttr::of(op).getKernel();
      op.emitError("agn-vectorize-convolutions: cannot lower this op as ")
          << (kind == KernelKind::direct         ? "direct loops"
              : kind == KernelKind::padded_plane ? "padded-plane tiles"
                                                 : "an im2col matmul")
          << " (its agn.lowering_config); agn-cpu-configure-kernels "
             "chooses a kernel that applies";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateVectorizeConvolutionsPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    // The elementwise ops the kernels applied to their tiles.
    eraseAppliedEpilogues(getOperation());
    // A convolution left configured is one whose tiling failed (and said
    // why).
    if (getOperation()
            .walk([](linalg::LinalgOp op) {
              return hasConvolutionConfig(op) ? WalkResult::interrupt()
                                              : WalkResult::advance();
            })
            .wasInterrupted())
      return signalPassFailure();
  }
};
} // namespace
