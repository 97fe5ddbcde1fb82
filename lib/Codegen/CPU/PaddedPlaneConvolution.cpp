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
//===----------------------------------------------------------------------===//

#include "PaddedPlaneConvolution.h"

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
  if (!isOne(op.getStrides()) || !isOne(op.getDilations()))
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
  auto packedType = RankedTensorType::get({filters / tile, rows, tile},
                                          type.getElementType());
  if (values.isSplat())
    return arith::ConstantOp::create(b, values.resizeSplat(packedType));
  ArrayRef<char> raw = values.getRawData();
  constexpr size_t bytes = sizeof(float);
  SmallVector<char> packed(raw.size());
  for (int64_t f = 0; f < filters; ++f)
    for (int64_t row = 0; row < rows; ++row)
      std::memcpy(&packed[((f / tile * rows + row) * tile + f % tile) * bytes],
                  &raw[(f * rows + row) * bytes], bytes);
  return arith::ConstantOp::create(
      b, DenseElementsAttr::getFromRawBuffer(packedType, packed));
}

/// Returns `input` ([1, C, H, W]) with `rows` more rows at its bottom, which
/// only the dropped positions read: its producer's padding widened when it
/// is a tensor.pad of a constant with a constant bottom (one copy of the
/// image, not two; the border keeps that constant), else zero rows of a
/// tensor.pad of its own.
static Value padBottom(ImplicitLocOpBuilder &b, Value input, int64_t rows) {
  if (rows == 0)
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += rows;
  if (auto pad = input.getDefiningOp<tensor::PadOp>();
      pad && !pad.getNofold()) {
    Value value = pad.getConstantPaddingValue();
    SmallVector<OpFoldResult> high = pad.getMixedHighPad();
    if (std::optional<int64_t> bottom = getConstantIntValue(high[2]);
        value && bottom) {
      high[2] = b.getIndexAttr(*bottom + rows);
      return tensor::PadOp::create(b, type.clone(shape), pad.getSource(),
                                   pad.getMixedLowPad(), high, value)
          .getResult();
    }
  }
  SmallVector<OpFoldResult> low(4, b.getIndexAttr(0));
  SmallVector<OpFoldResult> high(4, b.getIndexAttr(0));
  high[2] = b.getIndexAttr(rows);
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  return tensor::PadOp::create(b, type.clone(shape), input, low, high, zero)
      .getResult();
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
  auto filterType = cast<RankedTensorType>(filterValues.getType());
  auto outputType = cast<RankedTensorType>(op.getResult(0).getType());
  // [1, C, H, W], [F, C, KH, KW], [1, F, OH, OW].
  ArrayRef<int64_t> in = cast<RankedTensorType>(input.getType()).getShape();
  int64_t channels = in[1], width = in[3];
  int64_t filters = filterType.getDimSize(0);
  int64_t kernelRows = filterType.getDimSize(2);
  int64_t kernelColumns = filterType.getDimSize(3);
  int64_t outRows = outputType.getDimSize(2);
  int64_t outColumns = outputType.getDimSize(3);

  // Plane positions the outputs use, computed in tiles of `pixelTile`, and
  // the rows the last tile's reads need beyond the input's.
  int64_t positions = outRows * width;
  int64_t tiles = llvm::divideCeil(positions, pixelTile);
  int64_t computed = tiles * pixelTile;
  int64_t extraRows = llvm::divideCeil(
      std::max<int64_t>(0, computed + kernelColumns - 1 - positions), width);
  Value image = padBottom(b, input, extraRows);
  int64_t plane = (in[2] + extraRows) * width;
  Value flat = tensor::CollapseShapeOp::create(
      b, image, ArrayRef<ReassociationIndices>{{0, 1, 2, 3}});
  Value packed = packFilter(b, filterValues, filterTile);
  int64_t steps = kernelRows * kernelColumns;

  auto f32 = b.getF32Type();
  auto pixelsType = VectorType::get({pixelTile}, f32);
  auto weightsType = VectorType::get({filterTile}, f32);
  auto accType = VectorType::get({filterTile, pixelTile}, f32);
  Value planeResult =
      tensor::EmptyOp::create(b, ArrayRef<int64_t>{filters, computed}, f32);

  // The tile of `filterTile` filters from panel `panel` and positions from
  // tile `tile`, written into `out` at row `outRow`.
  auto computeTile = [&](ImplicitLocOpBuilder &b, Value panel, Value tile,
                         Value outRow, Value out) -> Value {
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
              arith::MulIOp::create(b, c,
                                    arith::ConstantIndexOp::create(b, plane)),
              p0);
          Value firstRow = arith::MulIOp::create(
              b, c, arith::ConstantIndexOp::create(b, steps));
          for (int64_t kh = 0; kh < kernelRows; ++kh) {
            for (int64_t kw = 0; kw < kernelColumns; ++kw) {
              Value at = arith::AddIOp::create(
                  b, channelStart,
                  arith::ConstantIndexOp::create(b, kh * width + kw));
              Value x = vector::TransferReadOp::create(b, pixelsType, flat,
                                                       ValueRange{at}, zero,
                                                       ArrayRef<bool>{true});
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
    return vector::TransferWriteOp::create(b, sum.getResult(0), out,
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
              b, tiles, panelArgs,
              [&](ImplicitLocOpBuilder &b, Value tile,
                  ValueRange tileArgs) -> SmallVector<Value> {
                return {computeTile(b, panel, tile, outRow, tileArgs[0])};
              });
          return {columns.getResult(0)};
        });
    return panels.getResult(0);
  };

  int64_t panelCount = filters / filterTile;
  Value result;
  if (threads <= 1 || panelCount < 2) {
    result = computePanels(b, arith::ConstantIndexOp::create(b, 0), panelCount,
                           planeResult);
  } else {
    // Chunks of whole panels that divide their count, at least `threads`.
    int64_t perChunk = llvm::divideCeil(panelCount, threads);
    while (panelCount % perChunk != 0)
      --perChunk;
    auto forall = scf::ForallOp::create(
        b, ArrayRef<OpFoldResult>{b.getIndexAttr(panelCount / perChunk)},
        ValueRange{planeResult}, /*mapping=*/std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getTerminator());
    Value first =
        arith::MulIOp::create(b, forall.getInductionVar(0),
                              arith::ConstantIndexOp::create(b, perChunk));
    Value firstFilter = arith::MulIOp::create(
        b, first, arith::ConstantIndexOp::create(b, filterTile));
    SmallVector<OpFoldResult> offsets = {firstFilter, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(perChunk * filterTile),
                                       b.getIndexAttr(computed)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    Value shared = forall.getRegionIterArgs()[0];
    Value slice =
        tensor::ExtractSliceOp::create(b, shared, offsets, sizes, strides);
    Value chunk = computePanels(b, first, perChunk, slice);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, chunk, shared, offsets, sizes,
                                          strides);
    result = forall.getResult(0);
  }

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
  rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
      op, outputType, outputs,
      ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
}
