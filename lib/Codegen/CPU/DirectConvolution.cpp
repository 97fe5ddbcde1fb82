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
//===----------------------------------------------------------------------===//

#include "DirectConvolution.h"

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

void mlir::agn::rewriteDirectConvolution(RewriterBase &rewriter,
                                         linalg::Conv2DNgchwGfchwOp op) {
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
  int64_t chunks = llvm::divideCeil(out[4], kRowChunk);
  bool wholeChunks = out[4] % kRowChunk == 0;
  Type elementType = outputType.getElementType();
  Type inputElementType = inputType.getElementType();
  bool isFloat = isa<FloatType>(elementType);
  auto accType = VectorType::get({kRowChunk}, elementType);
  // Input elements one read covers: the last lane is 63 s further.
  int64_t span = (kRowChunk - 1) * strides[1] + 1;
  auto spanType = VectorType::get({span}, inputElementType);
  auto lanesType = VectorType::get({kRowChunk}, inputElementType);
  SmallVector<int64_t> everyStride;
  for (int64_t lane = 0; lane < kRowChunk; ++lane)
    everyStride.push_back(lane * strides[1]);
  // An input row is read whole only if the last read stays inside it.
  bool inputInBounds = wholeChunks && (chunks - 1) * kRowChunk * strides[1] +
                                              (kernel[4] - 1) * dilations[1] +
                                              span <=
                                          in[4];

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

  // The row `oh` of filter `f` of group `g` of image `n`, chunk `chunk`.
  auto computeChunk = [&](ImplicitLocOpBuilder &b, Value n, Value g, Value f,
                          Value oh, Value chunk, Value y) -> Value {
    Value ow0 = arith::MulIOp::create(
        b, chunk, arith::ConstantIndexOp::create(b, kRowChunk));
    Value zero = arith::ConstantOp::create(b, b.getZeroAttr(elementType));
    Value acc = vector::TransferReadOp::create(
        b, accType, y, ValueRange{n, g, f, oh, ow0}, zero,
        ArrayRef<bool>{wholeChunks});
    Value inputZero =
        arith::ConstantOp::create(b, b.getZeroAttr(inputElementType));
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
              Value weight = tensor::ExtractOp::create(
                  b, filter,
                  ValueRange{g, f, c, arith::ConstantIndexOp::create(b, i),
                             arith::ConstantIndexOp::create(b, j)});
              if (!isFloat && weight.getType() != elementType)
                weight = arith::ExtSIOp::create(b, elementType, weight);
              acc = multiplyAdd(
                  b, acc, x, vector::BroadcastOp::create(b, accType, weight));
            }
          }
          return acc;
        });
    return vector::TransferWriteOp::create(b, acc, y,
                                           ValueRange{n, g, f, oh, ow0},
                                           ArrayRef<bool>{wholeChunks})
        .getResult();
  };

  Value result = buildLoop(
      b, out[0], init, [&](ImplicitLocOpBuilder &b, Value n, Value y) {
        return buildLoop(
            b, out[1], y, [&](ImplicitLocOpBuilder &b, Value g, Value y) {
              return buildLoop(
                  b, out[2], y, [&](ImplicitLocOpBuilder &b, Value f, Value y) {
                    return buildLoop(
                        b, out[3], y,
                        [&](ImplicitLocOpBuilder &b, Value oh, Value y) {
                          return buildLoop(b, chunks, y,
                                           [&](ImplicitLocOpBuilder &b,
                                               Value chunk, Value y) {
                                             return computeChunk(b, n, g, f, oh,
                                                                 chunk, y);
                                           });
                        });
                  });
            });
      });
  rewriter.replaceOp(op, result);
}
