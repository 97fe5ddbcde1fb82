//===- DirectConvolution.cpp - Vector loops of narrow grouped convs -------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A depthwise convolution (one channel and one filter per group) does
// KH KW multiply-adds per output: an im2col copy costs as much as the
// arithmetic it feeds, and measured no faster than linalg's scalar loops.
// Here the output row is the vector: for output row oh of filter f of group
// g of image n, 64 outputs at a time,
//
//   acc = y[n, g, f, oh, ow0 : ow0 + 64]
//   for c in Cg, i in KH, j in KW (KH and KW unrolled):
//     acc += x[n, g, c, oh s + i d, (ow0 + 0..63) s + j d] * w[g, f, c, i, j]
//   y[n, g, f, oh, ow0 : ow0 + 64] = acc
//
// The input vector is one read of 63 s + 1 elements and, for a stride s > 1,
// a shuffle of every s-th lane; columns past OW (and the input past W) are
// masked. Integers are sign-extended to the output type, as linalg does.
//
// A row of 7 or 14 outputs fills a tenth or a fifth of those 64 lanes
// (MobileNet's last stages). So for stride 1 and an output that starts as
// a fill, the vector runs over the channel's plane as it lies in memory
// instead, as the padded-plane convolutions do: output (oh, ow) is position
// p = oh W + ow and reads, at kernel offset (i, j), the input at
// p + i dh W + j dw, so that each step is one unmasked read of 64
// consecutive inputs. The W - OW positions past each output row are
// computed and dropped; the image gets the rows at its bottom that the last
// step reads (its padding widened). Each output's sum is the same either way.
//
//===----------------------------------------------------------------------===//

#include "DirectConvolution.h"
#include "KernelEpilogue.h"
#include "PaddedPlaneConvolution.h"

#include "agn/Codegen/Common/Tiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::agn;

/// Outputs of a row computed at once: four 512-bit vectors of f32 or i32,
/// independent chains of additions.
static constexpr int64_t kRowChunk = 64;

bool mlir::agn::canComputeDirectly(linalg::Conv2DNgchwGfchwOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
    return false;
  Type input = getElementTypeOrSelf(op.getDpsInputs()[0].getType());
  Type filter = getElementTypeOrSelf(op.getDpsInputs()[1].getType());
  Type output = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  if (isa<FloatType>(input))
    return input == filter && input == output;
  return input.isSignlessInteger() && filter.isSignlessInteger() &&
         output.isSignlessInteger() &&
         output.getIntOrFloatBitWidth() >= input.getIntOrFloatBitWidth() &&
         output.getIntOrFloatBitWidth() >= filter.getIntOrFloatBitWidth();
}

/// Emits `for i in [0, count)` carrying `init`; `body` returns the value
/// yielded.
static Value
buildLoop(ImplicitLocOpBuilder &b, int64_t count, Value init,
          function_ref<Value(ImplicitLocOpBuilder &, Value, Value)> body) {
  scf::ForOp loop = buildCountedLoop(
      b, count, init,
      [&](ImplicitLocOpBuilder &b, Value index, ValueRange iterArgs) {
        return SmallVector<Value>{body(b, index, iterArgs[0])};
      });
  return loop.getResult(0);
}

/// Returns `a * factor + offset` for index values.
static Value affine(ImplicitLocOpBuilder &b, Value a, int64_t factor,
                    Value offset) {
  Value scaled =
      arith::MulIOp::create(b, a, arith::ConstantIndexOp::create(b, factor));
  return arith::AddIOp::create(b, scaled, offset);
}

/// Returns `input` ([N, G, Cg, H, W]) with `rows` more rows at its bottom,
/// which only dropped plane positions read: the padding of its producer
/// widened (also through the expand_shape that splits NCHW channels into
/// groups), else zero rows of a tensor.pad.
static Value padRowsBelow(ImplicitLocOpBuilder &b, Value input, int64_t rows) {
  if (rows == 0)
    return input;
  if (Value widened = widenPadding(b, input, rows, 0))
    return widened;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[3] += rows;
  if (auto expand = input.getDefiningOp<tensor::ExpandShapeOp>()) {
    SmallVector<ReassociationIndices> dims = expand.getReassociationIndices();
    bool rowsOwnDimension = dims.size() == 4 &&
                            dims[2] == ReassociationIndices{3} &&
                            dims[3] == ReassociationIndices{4};
    if (rowsOwnDimension)
      if (Value widened = widenPadding(b, expand.getSrc(), rows, 0))
        return tensor::ExpandShapeOp::create(b, type.clone(shape), widened,
                                             dims);
  }
  return padHigh(b, input, {0, 0, 0, rows, 0});
}

void mlir::agn::rewriteDirectConvolution(RewriterBase &rewriter,
                                         linalg::Conv2DNgchwGfchwOp op,
                                         int64_t threads) {
  rewriter.setInsertionPoint(op);
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  Value input = op.getDpsInputs()[0], filter = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  auto inputType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  auto outputType = cast<RankedTensorType>(init.getType());
  SmallVector<int64_t> strides =
      llvm::to_vector(op.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dilations =
      llvm::to_vector(op.getDilations().getValues<int64_t>());
  // [N, G, Cg, H, W], [G, Fg, Cg, KH, KW], [N, G, Fg, OH, OW].
  ArrayRef<int64_t> in = inputType.getShape();
  ArrayRef<int64_t> kernel = filterType.getShape();
  ArrayRef<int64_t> out = outputType.getShape();
  Type elementType = outputType.getElementType();
  Type inputElementType = inputType.getElementType();
  bool isFloat = isa<FloatType>(elementType);
  auto accType = VectorType::get({kRowChunk}, elementType);
  auto lanesType = VectorType::get({kRowChunk}, inputElementType);

  // Returns acc + x * w in the output type, as linalg's body computes it.
  auto multiplyAdd = [&](ImplicitLocOpBuilder &b, Value acc, Value x,
                         Value w) -> Value {
    if (isFloat)
      return arith::AddFOp::create(b, acc, arith::MulFOp::create(b, x, w));
    Value wideX = x.getType() == accType
                      ? x
                      : arith::ExtSIOp::create(b, accType, x).getResult();
    return arith::AddIOp::create(b, acc, arith::MulIOp::create(b, wideX, w));
  };
  // Returns w[g, f, c, i, j] broadcast to the accumulators' type.
  auto broadcastWeight = [&](ImplicitLocOpBuilder &b, Value g, Value f, Value c,
                             int64_t i, int64_t j) -> Value {
    Value weight = tensor::ExtractOp::create(
        b, filter,
        ValueRange{g, f, c, arith::ConstantIndexOp::create(b, i),
                   arith::ConstantIndexOp::create(b, j)});
    if (!isFloat && weight.getType() != elementType)
      weight = arith::ExtSIOp::create(b, elementType, weight);
    return vector::BroadcastOp::create(b, accType, weight);
  };
  Value inputZero =
      arith::ConstantOp::create(b, b.getZeroAttr(inputElementType));

  // Stride 1 from a filled output: the plane form (file comment). Position
  // p = oh W + ow of a channel's plane reads p + i dh W + j dw at kernel
  // offset (i, j); 64 positions per step, the W - OW past each row dropped.
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (fill && strides[0] == 1 && strides[1] == 1) {
    int64_t width = in[4];
    int64_t positions = out[3] * width;
    int64_t tiles = llvm::divideCeil(positions, kRowChunk);
    int64_t computed = tiles * kRowChunk;
    int64_t lastRead = computed + (kernel[3] - 1) * dilations[0] * width +
                       (kernel[4] - 1) * dilations[1];
    int64_t planeRows = llvm::divideCeil(lastRead, width);
    int64_t plane = planeRows * width;
    Value image = padRowsBelow(b, input, planeRows - in[3]);
    Value flat = tensor::CollapseShapeOp::create(
        b, image, ArrayRef<ReassociationIndices>{{0, 1, 2, 3, 4}});
    Value start = vector::BroadcastOp::create(b, accType, fill.getInputs()[0]);
    // A depthwise convolution of one image (one filter per group: group g
    // is NCHW channel g) applies the elementwise ops after it to its rows.
    KernelEpilogue epilogue;
    tensor::CollapseShapeOp channels;
    if (out[0] == 1 && out[2] == 1 && op->getResult(0).hasOneUse()) {
      channels = dyn_cast<tensor::CollapseShapeOp>(
          *op->getResult(0).getUsers().begin());
      if (channels &&
          channels.getReassociationIndices() ==
              SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}})
        epilogue = matchKernelEpilogue(channels.getResult(), op);
    }
    Value planeInit = tensor::EmptyOp::create(
        b, ArrayRef<int64_t>{out[0], out[1], out[2], computed}, elementType);

    auto computeGroups = [&](ImplicitLocOpBuilder &b, Value first,
                             int64_t count, Value y) -> Value {
      auto body = [&](ImplicitLocOpBuilder &b, Value n, Value local, Value f,
                      Value tile, Value y) -> Value {
        Value g = arith::AddIOp::create(b, first, local);
        Value p0 = arith::MulIOp::create(
            b, tile, arith::ConstantIndexOp::create(b, kRowChunk));
        // The first plane of group g of image n.
        Value groupPlanes = affine(b, n, in[1], g);
        Value acc = buildLoop(
            b, kernel[2], start,
            [&](ImplicitLocOpBuilder &b, Value c, Value acc) -> Value {
              Value channel = affine(b, groupPlanes, in[2], c);
              Value base = affine(b, channel, plane, p0);
              for (int64_t i = 0; i < kernel[3]; ++i) {
                for (int64_t j = 0; j < kernel[4]; ++j) {
                  Value at = arith::AddIOp::create(
                      b, base,
                      arith::ConstantIndexOp::create(
                          b, i * dilations[0] * width + j * dilations[1]));
                  Value x = vector::TransferReadOp::create(
                      b, lanesType, flat, ValueRange{at}, inputZero,
                      ArrayRef<bool>{true});
                  acc =
                      multiplyAdd(b, acc, x, broadcastWeight(b, g, f, c, i, j));
                }
              }
              return acc;
            });
        if (!epilogue.ops.empty()) {
          // The tile of one channel (filter) and 64 positions.
          auto rowType = VectorType::get({1, kRowChunk}, elementType);
          Value row = vector::ShapeCastOp::create(b, rowType, acc);
          row = applyKernelEpilogue(b, epilogue, row, g);
          acc = vector::ShapeCastOp::create(b, accType, row);
        }
        return vector::TransferWriteOp::create(
                   b, acc, y, ValueRange{n, local, f, p0}, ArrayRef<bool>{true})
            .getResult();
      };
      return buildLoop(
          b, out[0], y, [&](ImplicitLocOpBuilder &b, Value n, Value y) {
            return buildLoop(
                b, count, y,
                [&](ImplicitLocOpBuilder &b, Value local, Value y) {
                  return buildLoop(
                      b, out[2], y,
                      [&](ImplicitLocOpBuilder &b, Value f, Value y) {
                        return buildLoop(
                            b, tiles, y,
                            [&](ImplicitLocOpBuilder &b, Value tile, Value y) {
                              return body(b, n, local, f, tile, y);
                            });
                      });
                });
          });
    };
    Value result = buildUnitChunks(b, planeInit, /*dim=*/1, out[1],
                                   /*unitSize=*/1, threads, computeGroups);

    // The outputs: the first OW of every W positions of the plane's rows.
    SmallVector<OpFoldResult> zeros4(4, b.getIndexAttr(0));
    SmallVector<OpFoldResult> ones4(4, b.getIndexAttr(1));
    Value used = tensor::ExtractSliceOp::create(
        b, result, zeros4,
        getAsIndexOpFoldResult(b.getContext(),
                               {out[0], out[1], out[2], positions}),
        ones4);
    Value rows = tensor::ExpandShapeOp::create(
        b,
        RankedTensorType::get({out[0], out[1], out[2], out[3], width},
                              elementType),
        used, ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    SmallVector<OpFoldResult> zeros5(5, b.getIndexAttr(0));
    SmallVector<OpFoldResult> ones5(5, b.getIndexAttr(1));
    Value output = tensor::ExtractSliceOp::create(
        b, outputType, rows, zeros5,
        getAsIndexOpFoldResult(b.getContext(), out), ones5);
    // The epilogue's ops are in the rows: the output, its channels merged,
    // replaces their last result. They are left for the pass to erase (the
    // walk that applies this rewrite lets it erase only the convolution).
    if (!epilogue.ops.empty()) {
      rewriter.replaceAllUsesWith(
          epilogue.getResult(channels.getResult()),
          tensor::CollapseShapeOp::create(b, channels.getResultType(), output,
                                          channels.getReassociationIndices()));
      markApplied(rewriter, epilogue);
    }
    rewriter.replaceOp(op, output);
    return;
  }

  // The row form.
  int64_t chunks = llvm::divideCeil(out[4], kRowChunk);
  bool wholeChunks = out[4] % kRowChunk == 0;
  // Input elements one read covers: the last lane is 63 s further.
  int64_t span = (kRowChunk - 1) * strides[1] + 1;
  auto spanType = VectorType::get({span}, inputElementType);
  SmallVector<int64_t> everyStride;
  for (int64_t lane = 0; lane < kRowChunk; ++lane)
    everyStride.push_back(lane * strides[1]);
  // An input row is read whole only if the last read stays inside it.
  bool inputInBounds = wholeChunks && (chunks - 1) * kRowChunk * strides[1] +
                                              (kernel[4] - 1) * dilations[1] +
                                              span <=
                                          in[4];

  // The row `oh` of filter `f` of group `g` of image `n`, chunk `chunk`,
  // into `y`, where group `g` is group `yGroup`.
  auto computeChunk = [&](ImplicitLocOpBuilder &b, Value n, Value g,
                          Value yGroup, Value f, Value oh, Value chunk,
                          Value y) -> Value {
    Value ow0 = arith::MulIOp::create(
        b, chunk, arith::ConstantIndexOp::create(b, kRowChunk));
    Value zero = arith::ConstantOp::create(b, b.getZeroAttr(elementType));
    Value acc = vector::TransferReadOp::create(
        b, accType, y, ValueRange{n, yGroup, f, oh, ow0}, zero,
        ArrayRef<bool>{wholeChunks});
    Value firstColumn = arith::MulIOp::create(
        b, ow0, arith::ConstantIndexOp::create(b, strides[1]));
    acc = buildLoop(
        b, kernel[2], acc,
        [&](ImplicitLocOpBuilder &b, Value c, Value acc) -> Value {
          for (int64_t i = 0; i < kernel[3]; ++i) {
            Value row =
                affine(b, oh, strides[0],
                       arith::ConstantIndexOp::create(b, i * dilations[0]));
            for (int64_t j = 0; j < kernel[4]; ++j) {
              Value column = arith::AddIOp::create(
                  b, firstColumn,
                  arith::ConstantIndexOp::create(b, j * dilations[1]));
              Value x = vector::TransferReadOp::create(
                  b, strides[1] == 1 ? lanesType : spanType, input,
                  ValueRange{n, g, c, row, column}, inputZero,
                  ArrayRef<bool>{inputInBounds});
              if (strides[1] != 1)
                x = vector::ShuffleOp::create(b, x, x, everyStride);
              acc = multiplyAdd(b, acc, x, broadcastWeight(b, g, f, c, i, j));
            }
          }
          return acc;
        });
    return vector::TransferWriteOp::create(b, acc, y,
                                           ValueRange{n, yGroup, f, oh, ow0},
                                           ArrayRef<bool>{wholeChunks})
        .getResult();
  };

  // Groups [first, first + count) of every image into `y`, whose group 0
  // is group `first`.
  auto computeGroups = [&](ImplicitLocOpBuilder &b, Value first, int64_t count,
                           Value y) -> Value {
    return buildLoop(
        b, out[0], y, [&](ImplicitLocOpBuilder &b, Value n, Value y) {
          return buildLoop(
              b, count, y, [&](ImplicitLocOpBuilder &b, Value local, Value y) {
                Value g = arith::AddIOp::create(b, first, local);
                return buildLoop(
                    b, out[2], y,
                    [&](ImplicitLocOpBuilder &b, Value f, Value y) {
                      return buildLoop(
                          b, out[3], y,
                          [&](ImplicitLocOpBuilder &b, Value oh, Value y) {
                            return buildLoop(b, chunks, y,
                                             [&](ImplicitLocOpBuilder &b,
                                                 Value chunk, Value y) {
                                               return computeChunk(b, n, g,
                                                                   local, f, oh,
                                                                   chunk, y);
                                             });
                          });
                    });
              });
        });
  };
  rewriter.replaceOp(op,
                     buildUnitChunks(b, init, /*dim=*/1, out[1], /*unitSize=*/1,
                                     threads, computeGroups));
}
