//===- VnniPacking.cpp - Packing weights for agn's VNNI kernels -----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Weights that are not constants are packed by the code emitted here, one
// panel of 64 columns at a time right before the kernel's loops over that
// panel read it from the cache (constants fold, VnniLayout.cpp): K values in
// groups
// of four rows, each read as a vector of the panel's 64 columns and
// interleaved into the 256-byte vectors vpdpbusd reads,
//
//   interleave(interleave(r0, r2), interleave(r1, r3))
//     = r0[0] r1[0] r2[0] r3[0] r0[1] r1[1] ...,
//
// while the rows' sums accumulate in a vector of 64 i32 columns. (Packing
// the whole matrix before the kernel measured 2x to 3x slower on a
// 1x4096x4096 unit, most of it in the page faults of a fresh 16 MiB buffer
// on every call.)
//
//===----------------------------------------------------------------------===//

#include "VnniPacking.h"

#include "agn/Codegen/Common/Tiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::agn;
using namespace mlir::agn::vnni;

/// Returns `rows` (four vectors of 64 bytes) interleaved byte by byte into
/// one vector of 256: row t's byte j at 4 j + t.
static Value interleaveGroup(ImplicitLocOpBuilder &b, ArrayRef<Value> rows) {
  assert(rows.size() == kGroup && "a group is four rows");
  Value even = vector::InterleaveOp::create(b, rows[0], rows[2]);
  Value odd = vector::InterleaveOp::create(b, rows[1], rows[3]);
  return vector::InterleaveOp::create(b, even, odd);
}

/// Returns `sum` plus the sign-extended (i32) values of each of `rows`.
static Value addRows(ImplicitLocOpBuilder &b, Value sum, ArrayRef<Value> rows) {
  auto wideType = cast<VectorType>(sum.getType());
  for (Value row : rows)
    sum =
        arith::AddIOp::create(b, sum, arith::ExtSIOp::create(b, wideType, row));
  return sum;
}

/// Returns a splat vector constant of `type` holding the integer `value`.
static Value splat(ImplicitLocOpBuilder &b, VectorType type, int64_t value) {
  return arith::ConstantOp::create(
      b, DenseElementsAttr::get(
             type, b.getIntegerAttr(type.getElementType(), value)));
}

/// Returns the 64 i4 values `nibbles` as signed bytes, in order. They are
/// unpacked from their bytes (two values each, the first in the low nibble,
/// as the emulated memrefs hold them) with shifts and an interleave:
/// sign-extending the i4 vector instead made LLVM extract every element
/// (7 ms to pack 4096x4096 i4 weights).
static Value unpackNibbles(ImplicitLocOpBuilder &b, Value nibbles) {
  auto type = cast<VectorType>(nibbles.getType());
  auto bytesType = VectorType::get({type.getNumElements() / 2}, b.getI8Type());
  Value bytes = vector::BitCastOp::create(b, bytesType, nibbles);
  Value four = splat(b, bytesType, 4);
  // Low nibbles (even elements): moved up, then arithmetically back down.
  Value even =
      arith::ShRSIOp::create(b, arith::ShLIOp::create(b, bytes, four), four);
  Value odd = arith::ShRSIOp::create(b, bytes, four);
  return vector::InterleaveOp::create(b, even, odd);
}

SmallVector<Value> PanelWeights::at(ValueRange indices) const {
  SmallVector<Value> result;
  if (panel)
    result.push_back(panel);
  llvm::append_range(result, indices);
  return result;
}

/// Returns `factor` times the column sums `sums` written into a new
/// tensor<64 x i32>.
static Value writeCorrection(ImplicitLocOpBuilder &b, Value sums,
                             int64_t factor) {
  auto type = cast<VectorType>(sums.getType());
  Value scaled = arith::MulIOp::create(b, sums, splat(b, type, factor));
  Value empty = tensor::EmptyOp::create(b, type.getShape(), b.getI32Type());
  Value c0 = arith::ConstantIndexOp::create(b, 0);
  return vector::TransferWriteOp::create(b, scaled, empty, ValueRange{c0},
                                         ArrayRef<bool>{true})
      .getResult();
}

//===----------------------------------------------------------------------===//
// i8 x i8 -> i32
//===----------------------------------------------------------------------===//

bool vnni::canPackInt8Panel(RankedTensorType type) {
  if (!type.hasStaticShape())
    return false;
  if (type.getElementType().isSignlessInteger(8))
    return true;
  return type.getElementType().isSignlessInteger(4) &&
         type.getDimSize(0) % kGroup == 0 && type.getDimSize(1) % 2 == 0;
}

PanelWeights vnni::packInt8Panel(ImplicitLocOpBuilder &b, Value weights,
                                 Value panel, bool withCorrection) {
  auto type = cast<RankedTensorType>(weights.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  int64_t groupCount = llvm::divideCeil(k, kGroup);
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  Value packed = tensor::EmptyOp::create(
      b, ArrayRef<int64_t>{groupCount, kGroupBytes}, i8);
  auto groupType = VectorType::get({kGroup, kPanelWidth}, i8);
  auto sumType = VectorType::get({kPanelWidth}, i32);
  bool isNarrow = type.getElementType().isSignlessInteger(4);
  auto narrowType = VectorType::get({kPanelWidth}, type.getElementType());
  assert((!isNarrow || canPackInt8Panel(type)) && "unsupported i4 weights");
  // Rows past K and columns past N read as zeros (i8); i4 rows, read through
  // the emulated memref as whole bytes, have the next rows' values past N:
  // those columns' sums and bias are only ever written through masks.
  SmallVector<bool> inBounds = {k % kGroup == 0, n % kPanelWidth == 0};
  Value column = arith::MulIOp::create(
      b, panel, arith::ConstantIndexOp::create(b, kPanelWidth));

  SmallVector<Value> init = {packed};
  if (withCorrection)
    init.push_back(splat(b, sumType, 0));
  scf::ForOp groups = buildCountedLoop(
      b, groupCount, init,
      [&](ImplicitLocOpBuilder &b, Value group, ValueRange state) {
        Value row = arith::MulIOp::create(
            b, group, arith::ConstantIndexOp::create(b, kGroup));
        SmallVector<Value> rows;
        if (isNarrow) {
          // i4: one read of 64 values per row (whole bytes: N is even),
          // sign-extended to bytes; K is a multiple of 4.
          Value zero = arith::ConstantOp::create(
              b, b.getIntegerAttr(type.getElementType(), 0));
          for (int64_t t = 0; t < kGroup; ++t) {
            Value rowT = arith::AddIOp::create(
                b, row, arith::ConstantIndexOp::create(b, t));
            Value narrow = vector::TransferReadOp::create(
                b, narrowType, weights, ValueRange{rowT, column}, zero,
                ArrayRef<bool>{inBounds[1]});
            rows.push_back(unpackNibbles(b, narrow));
          }
        } else {
          Value zero = arith::ConstantOp::create(b, b.getI8IntegerAttr(0));
          Value block = vector::TransferReadOp::create(
              b, groupType, weights, ValueRange{row, column}, zero, inBounds);
          for (int64_t t = 0; t < kGroup; ++t)
            rows.push_back(
                vector::ExtractOp::create(b, block, ArrayRef<int64_t>{t}));
        }
        Value c0 = arith::ConstantIndexOp::create(b, 0);
        Value written = vector::TransferWriteOp::create(
                            b, interleaveGroup(b, rows), state[0],
                            ValueRange{group, c0}, ArrayRef<bool>{true})
                            .getResult();
        if (!withCorrection)
          return SmallVector<Value>{written};
        return SmallVector<Value>{written, addRows(b, state[1], rows)};
      });
  if (!withCorrection)
    return {groups.getResult(0), nullptr, nullptr};
  return {groups.getResult(0),
          writeCorrection(b, groups.getResult(1), kByteCorrection), nullptr};
}

//===----------------------------------------------------------------------===//
// i4 in blocks, two per byte
//===----------------------------------------------------------------------===//

PanelWeights vnni::packInt4BlockedPanel(ImplicitLocOpBuilder &b, Value weights,
                                        Value panel) {
  auto type = cast<RankedTensorType>(weights.getType());
  int64_t blocks = type.getDimSize(0), blockSize = type.getDimSize(1),
          n = type.getDimSize(2);
  int64_t pairs = blockSize / (2 * kGroup);
  Type i4 = b.getIntegerType(4), i8 = b.getI8Type(), i32 = b.getI32Type();
  Value packed = tensor::EmptyOp::create(
      b, ArrayRef<int64_t>{blocks, pairs, kGroupBytes}, i8);
  Value bias =
      tensor::EmptyOp::create(b, ArrayRef<int64_t>{blocks, kPanelWidth}, i32);
  auto nibblesType = VectorType::get({kPanelWidth}, i4);
  auto bytesType = VectorType::get({kPanelWidth}, i8);
  auto sumType = VectorType::get({kPanelWidth}, i32);
  bool inBounds = n % kPanelWidth == 0;
  Value column = arith::MulIOp::create(
      b, panel, arith::ConstantIndexOp::create(b, kPanelWidth));

  // The eight rows of pair `pair` of block `block` into `packed`, their sums
  // added to `sums`.
  auto packPair = [&](ImplicitLocOpBuilder &b, Value block, Value pair,
                      Value packed, Value sums) -> SmallVector<Value> {
    Value first = arith::MulIOp::create(
        b, pair, arith::ConstantIndexOp::create(b, 2 * kGroup));
    Value zero = arith::ConstantOp::create(b, b.getIntegerAttr(i4, 0));
    // The rows as sign-extended bytes.
    SmallVector<Value> rows;
    for (int64_t t = 0; t < 2 * kGroup; ++t) {
      Value row =
          arith::AddIOp::create(b, first, arith::ConstantIndexOp::create(b, t));
      Value nibbles = vector::TransferReadOp::create(
          b, nibblesType, weights, ValueRange{block, row, column}, zero,
          ArrayRef<bool>{inBounds});
      rows.push_back(unpackNibbles(b, nibbles));
    }
    // Row t in the low nibble, row t + 4 in the high one.
    Value lowMask = splat(b, bytesType, 0x0F);
    Value shift = splat(b, bytesType, 4);
    SmallVector<Value> bytes;
    for (int64_t t = 0; t < kGroup; ++t)
      bytes.push_back(arith::OrIOp::create(
          b, arith::AndIOp::create(b, rows[t], lowMask),
          arith::ShLIOp::create(b, rows[t + kGroup], shift)));
    Value c0 = arith::ConstantIndexOp::create(b, 0);
    Value written = vector::TransferWriteOp::create(
                        b, interleaveGroup(b, bytes), packed,
                        ValueRange{block, pair, c0}, ArrayRef<bool>{true})
                        .getResult();
    return {written, addRows(b, sums, rows)};
  };

  scf::ForOp blockLoop = buildCountedLoop(
      b, blocks, {packed, bias},
      [&](ImplicitLocOpBuilder &b, Value block, ValueRange outer) {
        scf::ForOp pairLoop = buildCountedLoop(
            b, pairs, {outer[0], splat(b, sumType, 0)},
            [&](ImplicitLocOpBuilder &b, Value pair, ValueRange inner) {
              return packPair(b, block, pair, inner[0], inner[1]);
            });
        Value correction = arith::MulIOp::create(
            b, pairLoop.getResult(1), splat(b, sumType, kNibbleCorrection));
        Value c0 = arith::ConstantIndexOp::create(b, 0);
        Value written = vector::TransferWriteOp::create(b, correction, outer[1],
                                                        ValueRange{block, c0},
                                                        ArrayRef<bool>{true})
                            .getResult();
        return SmallVector<Value>{pairLoop.getResult(0), written};
      });
  return {blockLoop.getResult(0), blockLoop.getResult(1), nullptr};
}

//===----------------------------------------------------------------------===//
// Every panel
//===----------------------------------------------------------------------===//

/// Returns `panel` (one panel's tensor) inserted into `into` (every panel's)
/// at panel `index`.
static Value insertPanel(ImplicitLocOpBuilder &b, Value panel, Value into,
                         Value index) {
  auto type = cast<RankedTensorType>(into.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  offsets[0] = index;
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
  for (int64_t size : type.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(size));
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, panel, into, offsets, sizes, strides);
}

std::pair<Value, Value> vnni::packAllPanels(ImplicitLocOpBuilder &b,
                                            Value weights,
                                            const PackedTypes &types,
                                            bool blocked) {
  Value packed = tensor::EmptyOp::create(b, types.packed.getShape(),
                                         types.packed.getElementType());
  Value correction = tensor::EmptyOp::create(b, types.correction.getShape(),
                                             types.correction.getElementType());
  scf::ForOp panels = buildCountedLoop(
      b, types.packed.getDimSize(0), {packed, correction},
      [&](ImplicitLocOpBuilder &b, Value panel, ValueRange state) {
        PanelWeights weightsOfPanel =
            blocked ? packInt4BlockedPanel(b, weights, panel)
                    : packInt8Panel(b, weights, panel);
        return SmallVector<Value>{
            insertPanel(b, weightsOfPanel.packed, state[0], panel),
            insertPanel(b, weightsOfPanel.bias, state[1], panel)};
      });
  return {panels.getResult(0), panels.getResult(1)};
}
