//===- PaddedPlaneConvolution.cpp - Convolutions without im2col -----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// An im2col convolution copies every input KH KW times into a matrix,
// multiplies it and transposes the pixel-major product back to NCHW: in
// resnet18 at f32 the copies and transposes took a third as long as the
// multiplications. For stride 1 the copy is not needed: in the input plane
// as it lies in memory (W columns per row, padding included), output pixel
// (oh, ow) at position p = oh W + ow needs, at kernel offset (kh, kw), the
// input at p + kh W + kw, so consecutive positions read consecutive inputs.
// Computing every position of the plane (the W - OW past each output row
// too, and dropping those) makes each step of the sum one vector read of
// the image and a broadcast per filter:
//
//   for each panel of Ft filters f0, each tile of Pt positions p0:
//     acc[0..Ft) = init                            (Ft vectors of Pt lanes)
//     for c in C, kh in KH, kw in KW (KH and KW unrolled):
//       x = in[c, p0 + kh W + kw : + Pt]
//       acc[i] += broadcast(w[f0 + i, c, kh, kw]) * x       (i < Ft)
//     out[f0 + i, p0 : p0 + Pt] = acc[i]
//
// The filter is repacked at compile time as [F / Ft, C KH KW, Ft], so that a
// step's Ft weights are adjacent (one vector.outerproduct per step). The
// last tiles read up to Pt + KW - 1 positions past the OH W the outputs use:
// the image gets the rows that covers at its bottom (its padding widened).
//
// A convolution of stride (SH, SW) reads, at kernel offset (kh, kw), the
// input at (SH oh + kh, SW ow + kw): row kh / SH and column kw / SW of the
// phase plane (kh % SH, kw % SW), the inputs whose row and column leave those
// remainders. One copy of the image splits it into its phase planes
// ([C, SH, SW, H / SH, W / SW], fewer phases when the kernel is smaller than
// the stride), after which the sum is the stride-1 one over the phase
// planes: nine (or 49) copies of each input in the im2col matrix become one.
//
//===----------------------------------------------------------------------===//

#include "PaddedPlaneConvolution.h"
#include "KernelEpilogue.h"

#include "agn/Codegen/Common/ConstantLayout.h"
#include "agn/Codegen/Common/Tiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::agn;

bool mlir::agn::canComputeOnPaddedPlane(linalg::Conv2DNchwFchwOp op,
                                        int64_t filterTile) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() || filterTile < 1)
    return false;
  if (!llvm::all_of(op->getOperandTypes(), [](Type type) {
        return getElementTypeOrSelf(type).isF32();
      }))
    return false;
  auto isOne = [](DenseIntElementsAttr attr) {
    return llvm::all_of(attr.getValues<int64_t>(),
                        [](int64_t value) { return value == 1; });
  };
  if (!isOne(op.getDilations()))
    return false;
  // Loops (n, f, oh, ow, c, kh, kw).
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ranges[0] != 1 || ranges[1] % filterTile != 0)
    return false;
  DenseElementsAttr filter;
  return matchPattern(op.getDpsInputs()[1], m_Constant(&filter)) &&
         op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
}

/// Returns the constant filter `values` ([F, C, KH, KW]) as [F / `tile`, C KH
/// KW, `tile`]: panel f / tile, row (c, kh, kw), lane f % tile.
static Value packFilter(ImplicitLocOpBuilder &b, DenseElementsAttr values,
                        int64_t tile) {
  auto type = cast<RankedTensorType>(values.getType());
  int64_t filters = type.getDimSize(0);
  int64_t rows = type.getNumElements() / filters;
  // [F, rows] viewed as [F / tile, tile, rows], lanes moved innermost.
  return arith::ConstantOp::create(
      b, permuteConstant(values, {filters / tile, tile, rows}, {0, 2, 1}));
}

Value mlir::agn::widenPadding(ImplicitLocOpBuilder &b, Value input,
                              int64_t rows, int64_t columns) {
  auto pad = input.getDefiningOp<tensor::PadOp>();
  if (!pad || pad.getNofold())
    return nullptr;
  Value value = pad.getConstantPaddingValue();
  SmallVector<OpFoldResult> high = pad.getMixedHighPad();
  int64_t rank = high.size();
  std::optional<int64_t> bottom = getConstantIntValue(high[rank - 2]);
  std::optional<int64_t> right = getConstantIntValue(high[rank - 1]);
  if (!value || !bottom || !right)
    return nullptr;
  if (rows == 0 && columns == 0)
    return input;
  high[rank - 2] = b.getIndexAttr(*bottom + rows);
  high[rank - 1] = b.getIndexAttr(*right + columns);
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[rank - 2] += rows;
  shape[rank - 1] += columns;
  return tensor::PadOp::create(b, type.clone(shape), pad.getSource(),
                               pad.getMixedLowPad(), high, value)
      .getResult();
}

Value mlir::agn::padHigh(ImplicitLocOpBuilder &b, Value tensor,
                         ArrayRef<int64_t> high) {
  if (llvm::all_of(high, [](int64_t size) { return size == 0; }))
    return tensor;
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<int64_t> shape(type.getShape());
  for (auto [size, more] : llvm::zip_equal(shape, high))
    size += more;
  SmallVector<OpFoldResult> low(high.size(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> highSizes =
      getAsIndexOpFoldResult(b.getContext(), llvm::to_vector(high));
  Value zero =
      arith::ConstantOp::create(b, b.getZeroAttr(type.getElementType()));
  return tensor::PadOp::create(b, type.clone(shape), tensor, low, highSizes,
                               zero)
      .getResult();
}

namespace {
/// Where the elements of a tensor lie in the buffer of another: element
/// (i0, i1, ...) at offset + sum i_d strides[d] of `base` (row-major).
struct BufferView {
  Value base;
  int64_t offset = 0;
  SmallVector<int64_t> strides;
};
} // namespace

/// Returns the row-major strides of `shape`.
static SmallVector<int64_t> getRowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Returns where the elements of `value` (static shape) lie: through
/// extract_slice ops of unit strides, expand_shape ops and collapse_shape
/// ops of contiguous groups, in the buffer of the first other op's result
/// (bufferization makes those views of it); else (or `depth` views deep,
/// past 8) in `value`'s own.
static BufferView getBufferView(Value value, int depth = 0) {
  auto type = cast<RankedTensorType>(value.getType());
  BufferView own{value, 0, getRowMajorStrides(type.getShape())};
  if (depth > 8)
    return own;
  if (auto slice = value.getDefiningOp<tensor::ExtractSliceOp>()) {
    if (!slice.hasUnitStride() ||
        slice.getSourceType().getRank() != type.getRank() ||
        !slice.getSourceType().hasStaticShape())
      return own;
    BufferView view = getBufferView(slice.getSource(), depth + 1);
    for (auto [d, offset] : llvm::enumerate(slice.getMixedOffsets())) {
      std::optional<int64_t> constant = getConstantIntValue(offset);
      if (!constant)
        return own;
      view.offset += *constant * view.strides[d];
    }
    return view;
  }
  if (auto expand = value.getDefiningOp<tensor::ExpandShapeOp>()) {
    if (!expand.getSrcType().hasStaticShape())
      return own;
    BufferView source = getBufferView(expand.getSrc(), depth + 1);
    BufferView view{source.base, source.offset,
                    SmallVector<int64_t>(type.getRank())};
    for (auto [d, dims] : llvm::enumerate(expand.getReassociationIndices())) {
      int64_t stride = source.strides[d];
      for (int64_t dim : llvm::reverse(dims)) {
        view.strides[dim] = stride;
        stride *= type.getDimSize(dim);
      }
    }
    return view;
  }
  if (auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>()) {
    if (!collapse.getSrcType().hasStaticShape())
      return own;
    ArrayRef<int64_t> shape = collapse.getSrcType().getShape();
    BufferView source = getBufferView(collapse.getSrc(), depth + 1);
    BufferView view{source.base, source.offset, {}};
    for (ReassociationIndices dims : collapse.getReassociationIndices()) {
      // A group is one run when each dimension of more than one element
      // steps over the whole of the next ones.
      int64_t expected = source.strides[dims.back()];
      for (int64_t dim : llvm::reverse(dims)) {
        if (shape[dim] != 1 && source.strides[dim] != expected)
          return own;
        expected *= shape[dim];
      }
      view.strides.push_back(source.strides[dims.back()]);
    }
    return view;
  }
  return own;
}

/// Returns the phase planes of `image` ([1, C, H, W]) for strides
/// (`rowStride`, `columnStride`): [C, `rowPhases`, `columnPhases`, `rows`,
/// `columns`], element (c, a, b, i, j) the image's (0, c, rowStride i + a,
/// columnStride j + b). One copy of the image (a linalg.generic).
static Value splitPhases(ImplicitLocOpBuilder &b, Value image,
                         int64_t rowStride, int64_t columnStride,
                         int64_t rowPhases, int64_t columnPhases, int64_t rows,
                         int64_t columns) {
  auto type = cast<RankedTensorType>(image.getType());
  MLIRContext *context = b.getContext();
  AffineExpr c, a, p, i, j;
  bindDims(context, c, a, p, i, j);
  AffineMap read = AffineMap::get(5, 0,
                                  {getAffineConstantExpr(0, context), c,
                                   i * rowStride + a, j * columnStride + p},
                                  context);
  AffineMap write = AffineMap::getMultiDimIdentityMap(5, context);
  SmallVector<int64_t> shape = {type.getDimSize(1), rowPhases, columnPhases,
                                rows, columns};
  Value init = tensor::EmptyOp::create(b, shape, type.getElementType());
  return linalg::GenericOp::create(
             b, init.getType(), ValueRange{image}, ValueRange{init},
             ArrayRef<AffineMap>{read, write},
             SmallVector<utils::IteratorType>(5, utils::IteratorType::parallel),
             [](OpBuilder &nested, Location loc, ValueRange args) {
               linalg::YieldOp::create(nested, loc, args[0]);
             })
      .getResult(0);
}

void mlir::agn::rewritePaddedPlaneConvolution(RewriterBase &rewriter,
                                              linalg::Conv2DNchwFchwOp op,
                                              int64_t filterTile,
                                              int64_t pixelTile,
                                              int64_t threads) {
  rewriter.setInsertionPoint(op);
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  Value input = op.getDpsInputs()[0];
  DenseElementsAttr filterValues;
  matchPattern(op.getDpsInputs()[1], m_Constant(&filterValues));
  auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  Value initValue = fill.getInputs()[0];
  // The elementwise ops after the convolution that the tiles apply before
  // they are stored (its bias, a ReLU, a clip).
  KernelEpilogue epilogue = matchKernelEpilogue(op.getResult(0), op);
  auto filterType = cast<RankedTensorType>(filterValues.getType());
  auto outputType = cast<RankedTensorType>(op.getResult(0).getType());
  // [1, C, H, W], [F, C, KH, KW], [1, F, OH, OW].
  ArrayRef<int64_t> in = cast<RankedTensorType>(input.getType()).getShape();
  int64_t channels = in[1];
  int64_t filters = filterType.getDimSize(0);
  int64_t kernelRows = filterType.getDimSize(2);
  int64_t kernelColumns = filterType.getDimSize(3);
  int64_t outRows = outputType.getDimSize(2);
  int64_t outColumns = outputType.getDimSize(3);

  // Strides and the phase planes they split the image into: phase (a, b)
  // holds rows a, a + SH, ... and columns b, b + SW, ... (one plane, the
  // image itself, for stride 1).
  SmallVector<int64_t> strides =
      llvm::to_vector(op.getStrides().getValues<int64_t>());
  int64_t rowStride = strides[0], columnStride = strides[1];
  int64_t rowPhases = std::min(kernelRows, rowStride);
  int64_t columnPhases = std::min(kernelColumns, columnStride);
  int64_t width = llvm::divideCeil(in[3], columnStride);
  // A stride-1 image is read in the buffer it lies in, even when it is part
  // of a larger one (the kept columns of another padded-plane result, read
  // with its rows' pitch): a buffer of its own would be a copy.
  BufferView view;
  if (rowStride == 1 && columnStride == 1) {
    view = getBufferView(input);
    ArrayRef<int64_t> pitch = view.strides;
    if (pitch[3] != 1 || pitch[2] < in[3] || pitch[1] < 1)
      view = {input, 0, getRowMajorStrides(in)};
    width = view.strides[2];
  }

  // Plane positions the outputs use, computed in tiles of `pixelTile`, and
  // the rows of each phase plane that the last tile's reads need.
  int64_t positions = outRows * width;
  int64_t tiles = llvm::divideCeil(positions, pixelTile);
  int64_t computed = tiles * pixelTile;
  int64_t lastRead = computed + (kernelRows - 1) / rowStride * width +
                     (kernelColumns - 1) / columnStride;
  int64_t planeRows = llvm::divideCeil(lastRead, width);
  int64_t plane = planeRows * width;
  // Channel c's plane starts at channelPitch c + firstOffset in `flat`.
  int64_t channelPitch = plane, firstOffset = 0;
  // Tiles from `firstMaskedTile` on read with masks: past the end of the last
  // channel's plane they read zeros (only for dropped positions).
  int64_t firstMaskedTile = tiles;
  // Only dropped positions read past the rows and columns the image has,
  // so those reads may see any number: zeros, or the padding's constant.
  Value flat;
  if (rowStride == 1 && columnStride == 1) {
    // A padded image gets the rows the last tiles read (its padding
    // widened); another is read as it is (a copy with more rows would cost
    // a pass over it), the last tiles masked where they reach past the end
    // of its buffer.
    Value image = view.base == input
                      ? widenPadding(b, input, planeRows - in[2], 0)
                      : Value();
    if (!image) {
      image = view.base;
      channelPitch = view.strides[1];
      firstOffset = view.offset;
      int64_t size = cast<RankedTensorType>(image.getType()).getNumElements();
      int64_t readsPastTile = lastRead - computed;
      int64_t safe = size - firstOffset - (channels - 1) * channelPitch -
                     readsPastTile - pixelTile;
      firstMaskedTile = safe < 0 ? 0 : std::min(tiles, safe / pixelTile + 1);
    }
    auto imageType = cast<RankedTensorType>(image.getType());
    ReassociationIndices all =
        llvm::to_vector(llvm::seq<int64_t>(0, imageType.getRank()));
    flat = tensor::CollapseShapeOp::create(b, image,
                                           ArrayRef<ReassociationIndices>{all});
  } else {
    // A padded image has its padding widened to what the phase planes read.
    // Else the planes are cut from the rows and columns every phase has and
    // then padded (a copy of the planes, not of the image) when that keeps
    // every row and column the outputs read; else the image is padded.
    int64_t neededRows = rowStride * (planeRows - 1) + rowPhases;
    int64_t neededColumns = columnStride * (width - 1) + columnPhases;
    int64_t extraRows = std::max<int64_t>(0, neededRows - in[2]);
    int64_t extraColumns = std::max<int64_t>(0, neededColumns - in[3]);
    int64_t cutRows = planeRows, cutColumns = width;
    Value image = widenPadding(b, input, extraRows, extraColumns);
    if (!image) {
      cutRows = std::min(planeRows, (in[2] - rowPhases) / rowStride + 1);
      cutColumns = std::min(width, (in[3] - columnPhases) / columnStride + 1);
      bool keepsOutputs =
          cutRows >= outRows + (kernelRows - 1) / rowStride &&
          cutColumns >= outColumns + (kernelColumns - 1) / columnStride;
      image = input;
      if (!keepsOutputs) {
        image = padHigh(b, input, {0, 0, extraRows, extraColumns});
        cutRows = planeRows;
        cutColumns = width;
      }
    }
    Value phases = splitPhases(b, image, rowStride, columnStride, rowPhases,
                               columnPhases, cutRows, cutColumns);
    phases =
        padHigh(b, phases, {0, 0, 0, planeRows - cutRows, width - cutColumns});
    flat = tensor::CollapseShapeOp::create(
        b, phases, ArrayRef<ReassociationIndices>{{0, 1, 2, 3, 4}});
    channelPitch = rowPhases * columnPhases * plane;
  }
  Value packed = packFilter(b, filterValues, filterTile);
  int64_t steps = kernelRows * kernelColumns;

  auto f32 = b.getF32Type();
  auto pixelsType = VectorType::get({pixelTile}, f32);
  auto weightsType = VectorType::get({filterTile}, f32);
  auto accType = VectorType::get({filterTile, pixelTile}, f32);
  Value planeResult =
      tensor::EmptyOp::create(b, ArrayRef<int64_t>{filters, computed}, f32);

  // The tile of `filterTile` filters from panel `panel` and positions from
  // tile `tile`, written into `out` at row `outRow`; its image reads masked
  // unless `inBounds`.
  auto computeTile = [&](ImplicitLocOpBuilder &b, Value panel, Value tile,
                         Value outRow, Value out, bool inBounds) -> Value {
    Value p0 = arith::MulIOp::create(
        b, tile, arith::ConstantIndexOp::create(b, pixelTile));
    Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0));
    Value c0 = arith::ConstantIndexOp::create(b, 0);
    Value start = vector::BroadcastOp::create(b, accType, initValue);
    scf::ForOp sum = buildCountedLoop(
        b, channels, start,
        [&](ImplicitLocOpBuilder &b, Value c,
            ValueRange accs) -> SmallVector<Value> {
          Value acc = accs[0];
          Value channelStart = arith::AddIOp::create(
              b,
              arith::MulIOp::create(
                  b, c, arith::ConstantIndexOp::create(b, channelPitch)),
              arith::AddIOp::create(
                  b, p0, arith::ConstantIndexOp::create(b, firstOffset)));
          Value firstRow = arith::MulIOp::create(
              b, c, arith::ConstantIndexOp::create(b, steps));
          for (int64_t kh = 0; kh < kernelRows; ++kh) {
            for (int64_t kw = 0; kw < kernelColumns; ++kw) {
              int64_t phase = kh % rowStride * columnPhases + kw % columnStride;
              int64_t offset =
                  phase * plane + kh / rowStride * width + kw / columnStride;
              Value at = arith::AddIOp::create(
                  b, channelStart, arith::ConstantIndexOp::create(b, offset));
              Value x = vector::TransferReadOp::create(
                  b, pixelsType, flat, ValueRange{at}, zero,
                  ArrayRef<bool>{inBounds});
              Value row = arith::AddIOp::create(
                  b, firstRow,
                  arith::ConstantIndexOp::create(b, kh * kernelColumns + kw));
              Value weights = vector::TransferReadOp::create(
                  b, weightsType, packed, ValueRange{panel, row, c0}, zero,
                  ArrayRef<bool>{true});
              acc = vector::OuterProductOp::create(b, weights, x, acc);
            }
          }
          return {acc};
        });
    Value firstFilter = arith::MulIOp::create(
        b, panel, arith::ConstantIndexOp::create(b, filterTile));
    Value tileValue =
        applyKernelEpilogue(b, epilogue, sum.getResult(0), firstFilter);
    return vector::TransferWriteOp::create(b, tileValue, out,
                                           ValueRange{outRow, p0},
                                           ArrayRef<bool>{true, true})
        .getResult();
  };

  // Panels [first, first + count) into `out`, whose row 0 is filter
  // first * filterTile.
  auto computePanels = [&](ImplicitLocOpBuilder &b, Value first, int64_t count,
                           Value out) -> Value {
    scf::ForOp panels = buildCountedLoop(
        b, count, out,
        [&](ImplicitLocOpBuilder &b, Value local,
            ValueRange panelArgs) -> SmallVector<Value> {
          Value panel = arith::AddIOp::create(b, first, local);
          Value outRow = arith::MulIOp::create(
              b, local, arith::ConstantIndexOp::create(b, filterTile));
          scf::ForOp columns = buildCountedLoop(
              b, firstMaskedTile, panelArgs,
              [&](ImplicitLocOpBuilder &b, Value tile,
                  ValueRange tileArgs) -> SmallVector<Value> {
                return {computeTile(b, panel, tile, outRow, tileArgs[0],
                                    /*inBounds=*/true)};
              });
          if (firstMaskedTile == tiles)
            return {columns.getResult(0)};
          scf::ForOp lastColumns = buildCountedLoop(
              b, tiles - firstMaskedTile, columns.getResults(),
              [&](ImplicitLocOpBuilder &b, Value local,
                  ValueRange tileArgs) -> SmallVector<Value> {
                Value tile = arith::AddIOp::create(
                    b, local,
                    arith::ConstantIndexOp::create(b, firstMaskedTile));
                return {computeTile(b, panel, tile, outRow, tileArgs[0],
                                    /*inBounds=*/false)};
              });
          return {lastColumns.getResult(0)};
        });
    return panels.getResult(0);
  };

  // Threads take chunks of whole panels.
  Value result =
      buildUnitChunks(b, planeResult, /*dim=*/0, filters / filterTile,
                      filterTile, threads, computePanels);

  // The outputs: the first OW of every W positions of the plane's rows.
  Value used = tensor::ExtractSliceOp::create(
      b, result, ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(filters),
                             b.getIndexAttr(positions)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  Value rows = tensor::ExpandShapeOp::create(
      b, RankedTensorType::get({filters, outRows, width}, f32), used,
      ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  Value outputs = tensor::ExtractSliceOp::create(
      b, RankedTensorType::get({filters, outRows, outColumns}, f32), rows,
      ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0),
                             b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(filters), b.getIndexAttr(outRows),
                             b.getIndexAttr(outColumns)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                             b.getIndexAttr(1)});
  Value output = tensor::ExpandShapeOp::create(
      b, outputType, outputs, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
  // The epilogue's ops are in the tiles: the output replaces their last
  // result. They are left for the pass to erase (the walk that applies this
  // rewrite lets it erase only the convolution).
  if (!epilogue.ops.empty()) {
    rewriter.replaceAllUsesWith(epilogue.getResult(op.getResult(0)), output);
    markApplied(rewriter, epilogue);
  }
  rewriter.replaceOp(op, output);
}
