//===- VnniMatmuls.cpp - i8 and i4 matmuls on AVX-512 VNNI ----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites the integer matmuls of agn's i8 and i4 versions into
// register-tiled loops around agn_x86.usdot, which agn-lower-usdot turns into
// `vpdpbusd` (AVX-512 VNNI): neither the vector nor the x86vector dialect of
// MLIR 22 reaches that instruction.
//
// agn_x86.usdot (vpdpbusd) multiplies unsigned bytes of its first operand by
// signed bytes of its second and adds each group of four products to one i32
// lane. The activations (A) are signed, so the kernels flip their sign bits
// (a + 128 as an unsigned byte) and start every accumulator at -128 times
// the sum of its column of B, precomputed with the packing:
//
//   sum_k (a_k + 128) b_k - 128 sum_k b_k = sum_k a_k b_k   (exact in i32).
//
// B is packed into panels of 64 columns, one 64-byte vector holding four K
// values of 16 columns in the order vpdpbusd reads them, a panel contiguous
// in memory (VnniPacking.h): at compile time when B is a constant (as
// agn-quantize-weights leaves weights), else by vector code on every call. The
// loops, on tensors (bufferization makes C in place):
//
//   for p in panels:                           // 64 columns of C
//     for m0 in rows, step `rows`:             // `rows` x 4 accumulators
//       <tile>
//     (the rows left over by `rows` go through the same tile with one row)
//
// i8 x i8 (or constant i4, widened to bytes) -> i32 (`linalg.matmul`):
// packed[p][k4][4 j + t] =
// B[4 k4 + t][64 p + j], zero beyond K and N; the tile is
//
//   acc = C[m0 : m0+rows, 64p : 64p+64] + bias
//   for k4 in K / 4: acc = usdot(acc, A[m, 4k4 : 4k4+4] ^ 0x80.., packed)
//   C[...] = acc
//
// i8 x i4 with per-block weight scales (agn-multiversion's i4 version: a
// linalg.generic of the partial sums P[m, n, j] of each block j of T K values,
// then a linalg.generic that adds float(P) * (sa[m] * sw[j, n]) over j): the
// two are fused, so that P never leaves the registers. Two i4 values share a
// byte: packed[p][j][q][4 c + t] holds W[j][8q + t][64p + c] in its low
// nibble and W[j][8q + 4 + t][64p + c] in its high one. They are unpacked in
// registers as 16 times their value (x & 0xF0, and (x << 4) & 0xF0, which are
// exact signed bytes), so the block's i32 sum is 16 P:
//
// clang-format off
//   acc = C[tile]                                              (f32)
//   for j in blocks:
//     p = bias16[j]                                            (i32)
//     for q in T / 8:
//       p = usdot(usdot(p, A[m, j, 8q..], lo), A[m, j, 8q+4..], hi)
//     acc = acc + float(p >> 4) * (sa[m] * sw[j, cols])        (as the reference)
//   C[tile] = acc
// clang-format on
//
// Columns past N are masked in the reads and writes of C; A is padded with
// zeros when K is not a multiple of 4 (i8). With `parallel`, the panels are
// split into `threads` chunks of consecutive panels, the iterations of an
// scf.forall, each computing its slice of C.
//
//===----------------------------------------------------------------------===//

#include "VnniPacking.h"
#include "agn/Codegen/Common/Tiling.h"

#include "agn/Codegen/X86/Passes.h"
#include "agn/Codegen/X86/VnniKernels.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/X86/IR/X86Dialect.h"
#include "agn/Utils/ZeroTensors.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVNNIMATMULS
#include "agn/Codegen/X86/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

using namespace mlir::agn::vnni;
using namespace mlir::agn::x86;

/// Erases `op` and then its operands' producers while nothing uses them and
/// they have no effects (the weights a kernel replaced by their packed form,
/// the partial sums' zero-filled init).
static void eraseIfDead(Operation *op) {
  SmallVector<Operation *> worklist;
  if (op)
    worklist.push_back(op);
  llvm::SmallPtrSet<Operation *, 8> erased;
  while (!worklist.empty()) {
    Operation *candidate = worklist.pop_back_val();
    if (erased.contains(candidate) || !isOpTriviallyDead(candidate))
      continue;
    for (Value operand : candidate->getOperands())
      if (Operation *producer = operand.getDefiningOp())
        worklist.push_back(producer);
    erased.insert(candidate);
    candidate->erase();
  }
}

//===----------------------------------------------------------------------===//
// The shared loop nest
//===----------------------------------------------------------------------===//

namespace {
/// The indices of one register tile.
struct TileIndices {
  /// The first column of C (and of B) of each of the 4 vectors of a row.
  SmallVector<Value> columns;
  /// The same columns in the tensor the tile reads and writes: C itself, or
  /// a chunk's slice of C when chunks of panels run in parallel.
  SmallVector<Value> outputColumns;
  /// The tile's rows.
  SmallVector<Value> rows;
};

/// Emits the loops over panels and row tiles shared by both kernels and the
/// pieces of their tiles.
class KernelBuilder {
public:
  /// Builds one tile of `tileRows` rows at row `m0` of panel `panel`, whose
  /// packed weights are `weights`, into `c`, which is C, or (when
  /// `sliceStart` is set) the slice of C starting at column `sliceStart`;
  /// returns the updated `c`.
  using TileFn = function_ref<Value(
      ImplicitLocOpBuilder &b, int64_t tileRows, Value m0, Value panel,
      const PanelWeights &weights, Value c, Value sliceStart)>;

  /// Returns the packed weights of panel `panel`, emitting their packing
  /// before the panel's row loops if they are not constants.
  using PanelFn =
      function_ref<PanelWeights(ImplicitLocOpBuilder &b, Value panel)>;

  /// A kernel for N columns, `rows` rows per tile, its panels split into
  /// `threads` chunks (the iterations of an scf.forall) when `threads` > 1,
  /// each panel's weights from `panelWeights`.
  KernelBuilder(int64_t n, int64_t rows, int64_t threads, PanelFn panelWeights)
      : n(n), rows(rows), threads(threads), panelWeights(panelWeights) {}

  int64_t getPanelCount() const { return llvm::divideCeil(n, kPanelWidth); }

  /// Whether every column of every panel is inside C (no masks needed).
  bool columnsInBounds() const { return n % kPanelWidth == 0; }

  /// Emits the panel loop with its row loops over the `m` rows of `init`.
  Value buildLoops(ImplicitLocOpBuilder &b, Value m, Value init,
                   TileFn tile) const;

  /// Returns the indices of the tile of `tileRows` rows at `m0`, `panel`,
  /// in a slice of C starting at column `sliceStart` when it is set.
  static TileIndices getIndices(ImplicitLocOpBuilder &b, Value m0, Value panel,
                                int64_t tileRows, Value sliceStart);

  /// Reads 4 bytes of `a` at `indices` and returns them with their sign bits
  /// flipped (unsigned a + 128), broadcast to all 16 lanes as bytes.
  static Value loadUnsignedGroup(ImplicitLocOpBuilder &b, Value a,
                                 ValueRange indices);

  /// Writes the tile's `accumulators` (row-major: 4 per row) into `c` at
  /// `at`; returns the updated `c`.
  static Value writeTile(ImplicitLocOpBuilder &b, ValueRange accumulators,
                         Value c, const TileIndices &at, bool inBounds);

  /// Reads one vector of `type` from `source` at `indices`.
  static Value read(ImplicitLocOpBuilder &b, VectorType type, Value source,
                    ValueRange indices, bool inBounds);

private:
  Value buildRowLoop(ImplicitLocOpBuilder &b, int64_t tileRows, Value lb,
                     Value ub, Value panel, const PanelWeights &weights,
                     Value c, Value sliceStart, TileFn tile) const;
  /// Emits the row loops of one panel of `c`.
  Value buildPanel(ImplicitLocOpBuilder &b, Value m, Value panel, Value c,
                   Value sliceStart, TileFn tile) const;

  int64_t n;
  int64_t rows;
  int64_t threads;
  PanelFn panelWeights;
};
} // namespace

Value KernelBuilder::buildRowLoop(ImplicitLocOpBuilder &b, int64_t tileRows,
                                  Value lb, Value ub, Value panel,
                                  const PanelWeights &weights, Value c,
                                  Value sliceStart, TileFn tile) const {
  Value step = arith::ConstantIndexOp::create(b, tileRows);
  auto loop = scf::ForOp::create(
      b, lb, ub, step, ValueRange{c},
      [&](OpBuilder &nested, Location loc, Value m0, ValueRange iterArgs) {
        ImplicitLocOpBuilder body(loc, nested);
        scf::YieldOp::create(body, tile(body, tileRows, m0, panel, weights,
                                        iterArgs[0], sliceStart));
      });
  return loop.getResult(0);
}

Value KernelBuilder::buildPanel(ImplicitLocOpBuilder &b, Value m, Value panel,
                                Value c, Value sliceStart, TileFn tile) const {
  // Rows in whole tiles; the rest go one by one.
  Value tiledRows = arith::SubIOp::create(
      b, m,
      arith::RemUIOp::create(b, m, arith::ConstantIndexOp::create(b, rows)));
  Value zero = arith::ConstantIndexOp::create(b, 0);
  PanelWeights weights = panelWeights(b, panel);
  c = buildRowLoop(b, rows, zero, tiledRows, panel, weights, c, sliceStart,
                   tile);
  if (rows > 1)
    c = buildRowLoop(b, 1, tiledRows, m, panel, weights, c, sliceStart, tile);
  return c;
}

Value KernelBuilder::buildLoops(ImplicitLocOpBuilder &b, Value m, Value init,
                                TileFn tile) const {
  int64_t panelCount = getPanelCount();
  if (threads <= 1) {
    auto loop = scf::ForOp::create(
        b, arith::ConstantIndexOp::create(b, 0),
        arith::ConstantIndexOp::create(b, panelCount),
        arith::ConstantIndexOp::create(b, 1), ValueRange{init},
        [&](OpBuilder &nested, Location loc, Value panel, ValueRange iterArgs) {
          ImplicitLocOpBuilder body(loc, nested);
          scf::YieldOp::create(body, buildPanel(body, m, panel, iterArgs[0],
                                                /*sliceStart=*/nullptr, tile));
        });
    return loop.getResult(0);
  }

  // `threads` chunks of consecutive panels (so that no more than `threads`
  // tasks run at once), each an iteration of an scf.forall that computes its
  // slice of C (all rows) and inserts it.
  int64_t panelsPerChunk = llvm::divideCeil(panelCount, threads);
  int64_t chunkCount = llvm::divideCeil(panelCount, panelsPerChunk);
  int64_t chunkWidth = panelsPerChunk * kPanelWidth;
  auto forall = scf::ForallOp::create(
      b, ArrayRef<OpFoldResult>{b.getIndexAttr(chunkCount)}, ValueRange{init},
      /*mapping=*/std::nullopt);
  Value chunk = forall.getInductionVar(0);
  Value shared = forall.getRegionIterArgs()[0];
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  Value firstPanel = arith::MulIOp::create(
      b, chunk, arith::ConstantIndexOp::create(b, panelsPerChunk));
  Value lastPanel = arith::MinSIOp::create(
      b,
      arith::AddIOp::create(b, firstPanel,
                            arith::ConstantIndexOp::create(b, panelsPerChunk)),
      arith::ConstantIndexOp::create(b, panelCount));
  Value start = arith::MulIOp::create(
      b, firstPanel, arith::ConstantIndexOp::create(b, kPanelWidth));
  OpFoldResult width = b.getIndexAttr(chunkWidth);
  if (n % chunkWidth != 0)
    width = arith::MinSIOp::create(
                b, arith::ConstantIndexOp::create(b, chunkWidth),
                arith::SubIOp::create(b, arith::ConstantIndexOp::create(b, n),
                                      start))
                .getResult();
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), start};
  SmallVector<OpFoldResult> sizes = {m, width};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  Value slice =
      tensor::ExtractSliceOp::create(b, shared, offsets, sizes, strides);
  auto panels = scf::ForOp::create(
      b, firstPanel, lastPanel, arith::ConstantIndexOp::create(b, 1),
      ValueRange{slice},
      [&](OpBuilder &nested, Location loc, Value panel, ValueRange iterArgs) {
        ImplicitLocOpBuilder body(loc, nested);
        scf::YieldOp::create(
            body, buildPanel(body, m, panel, iterArgs[0], start, tile));
      });
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, panels.getResult(0), shared, offsets,
                                        sizes, strides);
  return forall.getResult(0);
}

TileIndices KernelBuilder::getIndices(ImplicitLocOpBuilder &b, Value m0,
                                      Value panel, int64_t tileRows,
                                      Value sliceStart) {
  TileIndices indices;
  Value panelStart = arith::MulIOp::create(
      b, panel, arith::ConstantIndexOp::create(b, kPanelWidth));
  for (int64_t v = 0; v < kVectorsPerRow; ++v) {
    Value offset = arith::ConstantIndexOp::create(b, v * kLanes);
    indices.columns.push_back(arith::AddIOp::create(b, panelStart, offset));
    indices.outputColumns.push_back(
        sliceStart
            ? arith::SubIOp::create(b, indices.columns.back(), sliceStart)
            : indices.columns.back());
  }
  for (int64_t i = 0; i < tileRows; ++i)
    indices.rows.push_back(
        arith::AddIOp::create(b, m0, arith::ConstantIndexOp::create(b, i)));
  return indices;
}

Value KernelBuilder::writeTile(ImplicitLocOpBuilder &b, ValueRange accumulators,
                               Value c, const TileIndices &at, bool inBounds) {
  for (auto [i, row] : llvm::enumerate(at.rows))
    for (auto [v, column] : llvm::enumerate(at.outputColumns))
      c = vector::TransferWriteOp::create(
              b, accumulators[i * kVectorsPerRow + v], c,
              ValueRange{row, column}, ArrayRef<bool>{inBounds})
              .getResult();
  return c;
}

Value KernelBuilder::read(ImplicitLocOpBuilder &b, VectorType type,
                          Value source, ValueRange indices, bool inBounds) {
  Value padding =
      arith::ConstantOp::create(b, b.getZeroAttr(type.getElementType()));
  return vector::TransferReadOp::create(b, type, source, indices, padding,
                                        ArrayRef<bool>{inBounds});
}

Value KernelBuilder::loadUnsignedGroup(ImplicitLocOpBuilder &b, Value a,
                                       ValueRange indices) {
  Value bytes = read(b, VectorType::get({kGroup}, b.getI8Type()), a, indices,
                     /*inBounds=*/true);
  Value word = vector::ExtractOp::create(
      b,
      vector::BitCastOp::create(b, VectorType::get({1}, b.getI32Type()), bytes),
      ArrayRef<int64_t>{0});
  Value signFlip = arith::ConstantOp::create(
      b, b.getI32IntegerAttr(static_cast<int32_t>(0x80808080u)));
  Value unsignedWord = arith::XOrIOp::create(b, word, signFlip);
  Value broadcast = vector::BroadcastOp::create(
      b, VectorType::get({kLanes}, b.getI32Type()), unsignedWord);
  return vector::BitCastOp::create(
      b, VectorType::get({kVectorBytes}, b.getI8Type()), broadcast);
}

//===----------------------------------------------------------------------===//
// i8 x i8 -> i32
//===----------------------------------------------------------------------===//

namespace {
/// A signed i8 x i8 -> i32 linalg.matmul with statically shaped K x N
/// weights.
struct Int8Matmul {
  linalg::MatmulOp op;
  int64_t k, n;
};
} // namespace

/// Returns whether the i4 tensor `value` is known to start on a whole byte
/// once bufferized and packed two values per byte: a fresh tensor (or a
/// function argument, passed with offset 0), or a reshape of one, or a
/// slice of one at an offset that is even whatever its dynamic indices are
/// (agn's batched matmuls slice their weights one batch element at a time),
/// following destination-style ops to their inits (whose buffers they
/// write).
static bool startsOnWholeBytes(Value value) {
  while (true) {
    Operation *producer = value.getDefiningOp();
    if (!producer) {
      // A function's argument (passed whole) or some other block argument
      // (a loop's, which may be anything).
      auto argument = cast<BlockArgument>(value);
      return isa<FunctionOpInterface>(argument.getOwner()->getParentOp());
    }
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(
            producer)) {
      value = producer->getOperand(0);
      continue;
    }
    // A destination-style op's result is its init's buffer.
    if (auto destination = dyn_cast<DestinationStyleOpInterface>(producer)) {
      value = destination.getTiedOpOperand(cast<OpResult>(value))->get();
      continue;
    }
    auto slice = dyn_cast<tensor::ExtractSliceOp>(producer);
    if (!slice)
      return true;
    // Every row of the slice starts a multiple of the source's last
    // dimension after the slice's first element.
    auto sourceType = slice.getSourceType();
    if (!sourceType.hasStaticShape() ||
        sourceType.getDimSize(sourceType.getRank() - 1) % 2 != 0 ||
        llvm::any_of(slice.getMixedStrides(), [](OpFoldResult stride) {
          return getConstantIntValue(stride) != 1;
        }))
      return false;
    // The flat offset: sum of offset_i times the source's stride i.
    int64_t stride = 1;
    for (int64_t dim = sourceType.getRank() - 1; dim >= 0; --dim) {
      std::optional<int64_t> offset =
          getConstantIntValue(slice.getMixedOffsets()[dim]);
      bool even = offset ? (*offset * stride) % 2 == 0 : stride % 2 == 0;
      if (!even)
        return false;
      stride *= sourceType.getDimSize(dim);
    }
    value = slice.getSource();
  }
}

/// Returns the pieces of `op` if it is a signed i8 x i8 (or i4) -> i32
/// matmul on tensors with the default maps and statically shaped weights
/// that are constants or that packInt8Panel takes.
static std::optional<Int8Matmul> matchInt8Matmul(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps() ||
      op.getCast() != linalg::TypeFn::cast_signed)
    return std::nullopt;
  auto isInteger = [](Value value, unsigned width) {
    return getElementTypeOrSelf(value.getType()).isSignlessInteger(width);
  };
  // i4 weights (agn's i4 versions of convolutions and batched matmuls, with
  // per-channel scales) are packed as sign-extended bytes.
  Value a = op.getInputs()[0], weights = op.getInputs()[1];
  if (!isInteger(a, 8) || !(isInteger(weights, 8) || isInteger(weights, 4)) ||
      !isInteger(op.getOutputs()[0], 32))
    return std::nullopt;
  auto type = cast<RankedTensorType>(weights.getType());
  bool constant = matchPattern(weights, m_Constant());
  // (Empty weights: nothing to compute, and no panel to split among threads.)
  if (!type.hasStaticShape() || type.getNumElements() == 0 ||
      (!constant && (!canPackInt8Panel(type) ||
                     (isInteger(weights, 4) && !startsOnWholeBytes(weights)))))
    return std::nullopt;
  // i8 weights packed on every call pay only over several rows of A: for
  // one row (a matrix-vector product) the packing doubles the reads of B,
  // and the generic vector code was 2.6x faster (1x4096x4096, i8/kernel row
  // of bench/KernelBench.cpp). (Integer operands narrower than 8 bits have
  // no generic vector code.)
  if (cast<RankedTensorType>(a.getType()).getDimSize(0) == 1 && !constant &&
      isInteger(weights, 8))
    return std::nullopt;
  return Int8Matmul{op, type.getDimSize(0), type.getDimSize(1)};
}

/// Replaces `matmul` by the i8 kernel.
static void rewriteInt8Matmul(const Int8Matmul &matmul, int64_t rows,
                              int64_t threads) {
  linalg::MatmulOp op = matmul.op;
  ImplicitLocOpBuilder b(op.getLoc(), op);
  int64_t groupCount = llvm::divideCeil(matmul.k, kGroup);

  // Packed weights and the sign-flip correction: every panel at compile time,
  // or each panel before its rows.
  Value weights = op.getInputs()[1];
  std::optional<PanelWeights> constant = packInt8Constant(b, weights);
  auto panelWeights = [&](ImplicitLocOpBuilder &b, Value panel) {
    return constant ? constant->ofPanel(panel)
                    : packInt8Panel(b, weights, panel);
  };
  KernelBuilder kernel(matmul.n, rows, threads, panelWeights);

  // A, padded with zeros to whole groups of K.
  Value a = op.getInputs()[0];
  if (int64_t padding = groupCount * kGroup - matmul.k) {
    auto type = cast<RankedTensorType>(a.getType());
    SmallVector<int64_t> shape(type.getShape());
    if (ShapedType::isStatic(shape[1]))
      shape[1] += padding;
    SmallVector<OpFoldResult> low(2, b.getIndexAttr(0));
    SmallVector<OpFoldResult> high = {b.getIndexAttr(0),
                                      b.getIndexAttr(padding)};
    Value zero = arith::ConstantOp::create(b, b.getI8IntegerAttr(0));
    a = tensor::PadOp::create(b, type.clone(shape), a, low, high, zero,
                              /*nofold=*/false);
  }

  auto accType = VectorType::get({kLanes}, b.getI32Type());
  auto bytesType = VectorType::get({kVectorBytes}, b.getI8Type());
  bool columnsInBounds = kernel.columnsInBounds();
  auto tile = [&](ImplicitLocOpBuilder &b, int64_t tileRows, Value m0,
                  Value panel, const PanelWeights &weights, Value c,
                  Value sliceStart) -> Value {
    TileIndices at =
        KernelBuilder::getIndices(b, m0, panel, tileRows, sliceStart);
    // The accumulators start at C plus the sign-flip correction.
    SmallVector<Value> accumulators;
    for (int64_t i = 0; i < tileRows; ++i) {
      for (int64_t v = 0; v < kVectorsPerRow; ++v) {
        Value correction = KernelBuilder::read(
            b, accType, weights.bias,
            weights.at(
                ValueRange{arith::ConstantIndexOp::create(b, v * kLanes)}),
            /*inBounds=*/true);
        Value init = KernelBuilder::read(
            b, accType, c, {at.rows[i], at.outputColumns[v]}, columnsInBounds);
        accumulators.push_back(arith::AddIOp::create(b, init, correction));
      }
    }
    auto loop = scf::ForOp::create(
        b, arith::ConstantIndexOp::create(b, 0),
        arith::ConstantIndexOp::create(b, groupCount),
        arith::ConstantIndexOp::create(b, 1), accumulators,
        [&](OpBuilder &nested, Location loc, Value group, ValueRange accs) {
          ImplicitLocOpBuilder body(loc, nested);
          SmallVector<Value> columns;
          for (int64_t v = 0; v < kVectorsPerRow; ++v)
            columns.push_back(KernelBuilder::read(
                body, bytesType, weights.packed,
                weights.at({group, arith::ConstantIndexOp::create(
                                       body, v * kVectorBytes)}),
                /*inBounds=*/true));
          Value k = arith::MulIOp::create(
              body, group, arith::ConstantIndexOp::create(body, kGroup));
          SmallVector<Value> results;
          for (int64_t i = 0; i < tileRows; ++i) {
            Value lhs =
                KernelBuilder::loadUnsignedGroup(body, a, {at.rows[i], k});
            for (int64_t v = 0; v < kVectorsPerRow; ++v)
              results.push_back(UsdotOp::create(
                  body, accs[i * kVectorsPerRow + v], lhs, columns[v]));
          }
          scf::YieldOp::create(body, results);
        });
    return KernelBuilder::writeTile(b, loop.getResults(), c, at,
                                    columnsInBounds);
  };

  Value m = tensor::DimOp::create(b, a, 0);
  Value result = kernel.buildLoops(b, m, op.getOutputs()[0], tile);
  op->getResult(0).replaceAllUsesWith(result);
  Operation *weightsOp = op.getInputs()[1].getDefiningOp();
  op->erase();
  eraseIfDead(weightsOp);
}

//===----------------------------------------------------------------------===//
// i8 x i4 with per-block weight scales, rescaled to f32
//===----------------------------------------------------------------------===//

namespace {
/// agn-multiversion's blocked i4 contraction and its rescaling:
///   P[m, n, j] = sum_t extsi(A[m, j, t]) * extsi(W[j, t, n])   (i32, from 0)
///   C[m, n] = init[m, n] + sum_j sitofp(P[m, n, j]) * (sa * sw[j, n])
/// with sa one scale per row of A (sa[m]) or per tensor (sa[]).
struct Int4BlockedMatmul {
  linalg::GenericOp partial, rescale;
  int64_t blocks, blockSize, n;
  bool perRowScales;
};
} // namespace

/// Returns whether `block` is exactly `ops`, in order, then the yield.
template <typename... Ops> static bool hasBody(Block &block) {
  SmallVector<Operation *> ops = llvm::map_to_vector(
      block.without_terminator(), [](Operation &op) { return &op; });
  if (ops.size() != sizeof...(Ops))
    return false;
  unsigned index = 0;
  return (isa<Ops>(ops[index++]) && ...);
}

namespace {
/// A value in the body of a matched linalg.generic: one of its block
/// arguments, or the result of one of its operations (by position).
struct BodyValue {
  bool isArgument;
  unsigned index;
};
} // namespace

static BodyValue argument(unsigned index) { return {true, index}; }
static BodyValue result(unsigned index) { return {false, index}; }

/// Returns whether operation i of `block` (the terminator aside) takes
/// `operands[i]` as its leading operands, and the terminator yields the last
/// operation's result: the dataflow of a body whose operation kinds hasBody
/// checked.
static bool hasDataflow(Block &block,
                        ArrayRef<SmallVector<BodyValue>> operands) {
  SmallVector<Operation *> ops = llvm::map_to_vector(
      block.without_terminator(), [](Operation &op) { return &op; });
  if (ops.size() != operands.size())
    return false;
  auto valueOf = [&](BodyValue value) -> Value {
    return value.isArgument ? Value(block.getArgument(value.index))
                            : ops[value.index]->getResult(0);
  };
  for (auto [op, expected] : llvm::zip(ops, operands)) {
    if (op->getNumOperands() < expected.size())
      return false;
    for (auto [position, value] : llvm::enumerate(expected))
      if (op->getOperand(position) != valueOf(value))
        return false;
  }
  return block.getTerminator()->getOperand(0) == ops.back()->getResult(0);
}

/// Returns whether `op`'s indexing maps are `maps` (as text-free exprs).
static bool hasMaps(linalg::GenericOp op,
                    ArrayRef<SmallVector<unsigned>> maps) {
  SmallVector<AffineMap> actual = op.getIndexingMapsArray();
  if (actual.size() != maps.size())
    return false;
  for (auto [map, dims] : llvm::zip(actual, maps)) {
    if (map.getNumSymbols() != 0 || map.getNumResults() != dims.size())
      return false;
    for (auto [expr, dim] : llvm::zip(map.getResults(), dims))
      if (expr != getAffineDimExpr(dim, op.getContext()))
        return false;
  }
  return true;
}

/// Returns the pieces of the partial sums `partial` and their rescaling if
/// they have the form of agn-multiversion's i4 version of a matmul (see
/// Int4BlockedMatmul) with statically shaped weights and blocks of a multiple
/// of 8.
static std::optional<Int4BlockedMatmul>
matchInt4BlockedMatmul(linalg::GenericOp partial) {
  using utils::IteratorType;
  // agn-multiversion marks the pair; the checks below make sure it is still
  // in the form the marker promises (a rewrite in between may have changed
  // the ops and kept the attribute), since the kernel relies on every map.
  BlockedMatmulAttr marker = BlockedMatmulAttr::of(partial);
  if (!marker || marker.getPart() != BlockedMatmulPart::partial_sums)
    return std::nullopt;
  // Loops (m, n, j, t).
  if (!partial.hasPureTensorSemantics() || partial.getNumDpsInputs() != 2 ||
      partial.getNumDpsInits() != 1 ||
      partial.getIteratorTypesArray() !=
          SmallVector<IteratorType>{
              IteratorType::parallel, IteratorType::parallel,
              IteratorType::parallel, IteratorType::reduction} ||
      !hasMaps(partial, {{0, 2, 3}, {2, 3, 1}, {0, 1, 2}}) ||
      !hasBody<arith::ExtSIOp, arith::ExtSIOp, arith::MulIOp, arith::AddIOp>(
          *partial.getBlock()))
    return std::nullopt;
  auto elementOf = [](Value value) { return getElementTypeOrSelf(value); };
  Value a = partial.getDpsInputs()[0], weights = partial.getDpsInputs()[1];
  if (!elementOf(a).isSignlessInteger(8) ||
      !elementOf(weights).isSignlessInteger(4) ||
      !elementOf(partial.getResult(0)).isSignlessInteger(32) ||
      !isZeroTensor(partial.getDpsInits()[0]))
    return std::nullopt;
  // The body: out + extsi(a) * extsi(w), operands in that order.
  if (!hasDataflow(*partial.getBlock(), {{argument(0)},
                                         {argument(1)},
                                         {result(0), result(1)},
                                         {argument(2), result(2)}}))
    return std::nullopt;
  auto weightType = cast<RankedTensorType>(weights.getType());
  // Blocks of whole pairs of groups; and 16 times a block's partial sum
  // (at most 128 * 8 per K value) must fit in i32 for the kernel's unscaling
  // shift to be exact.
  if (!weightType.hasStaticShape() || weightType.getNumElements() == 0 ||
      weightType.getDimSize(1) != marker.getBlockSize() ||
      weightType.getDimSize(1) % 8 != 0 ||
      weightType.getDimSize(1) >= kMaxBlockSize)
    return std::nullopt;
  // Weights packed at run time are read in rows of 64 i4 values, which must
  // start on whole bytes of the emulated (two per byte) memref.
  if (!matchPattern(weights, m_Constant()) &&
      (weightType.getDimSize(2) % 2 != 0 || !startsOnWholeBytes(weights)))
    return std::nullopt;

  // The rescaling, loops (m, n, j): the one user of the partial sums.
  if (!partial->hasOneUse())
    return std::nullopt;
  auto rescale = dyn_cast<linalg::GenericOp>(*partial->user_begin());
  BlockedMatmulAttr rescaleMarker =
      rescale ? BlockedMatmulAttr::of(rescale) : nullptr;
  if (!rescaleMarker || rescaleMarker.getPart() != BlockedMatmulPart::rescale ||
      rescaleMarker.getBlockSize() != marker.getBlockSize() ||
      !rescale.hasPureTensorSemantics() || rescale.getNumDpsInputs() != 3 ||
      rescale.getNumDpsInits() != 1 ||
      rescale.getDpsInputs()[0] != partial.getResult(0) ||
      rescale.getIteratorTypesArray() !=
          SmallVector<IteratorType>{IteratorType::parallel,
                                    IteratorType::parallel,
                                    IteratorType::reduction} ||
      !elementOf(rescale.getResult(0)).isF32() ||
      !elementOf(rescale.getDpsInputs()[1]).isF32() ||
      !elementOf(rescale.getDpsInputs()[2]).isF32() ||
      !hasBody<arith::SIToFPOp, arith::MulFOp, arith::MulFOp, arith::AddFOp>(
          *rescale.getBlock()))
    return std::nullopt;
  bool perRowScales = hasMaps(rescale, {{0, 1, 2}, {0}, {2, 1}, {0, 1}});
  if (!perRowScales && !hasMaps(rescale, {{0, 1, 2}, {}, {2, 1}, {0, 1}}))
    return std::nullopt;
  // The body: out + sitofp(p) * (sa * sw), with the reference's operand order
  // (the kernel repeats it, so that both round alike).
  Block &rescaleBody = *rescale.getBlock();
  if (!hasDataflow(rescaleBody, {{argument(0)},
                                 {argument(1), argument(2)},
                                 {result(0), result(1)},
                                 {argument(3), result(2)}}))
    return std::nullopt;
  // Fast-math flags would let the reference round differently.
  for (Operation &step : rescaleBody.without_terminator())
    if (auto fastMath = dyn_cast<arith::ArithFastMathInterface>(&step))
      if (fastMath.getFastMathFlagsAttr().getValue() !=
          arith::FastMathFlags::none)
        return std::nullopt;

  return Int4BlockedMatmul{partial,
                           rescale,
                           weightType.getDimSize(0),
                           weightType.getDimSize(1),
                           weightType.getDimSize(2),
                           perRowScales};
}

/// Replaces `matmul`'s two generics by the fused i4 kernel.
static void rewriteInt4BlockedMatmul(const Int4BlockedMatmul &matmul,
                                     int64_t rows, int64_t threads) {
  linalg::GenericOp partial = matmul.partial, rescale = matmul.rescale;
  ImplicitLocOpBuilder b(rescale.getLoc(), rescale);
  int64_t blocks = matmul.blocks, blockSize = matmul.blockSize;
  // Pairs of groups of 4 K values per block: one byte holds one of each.
  int64_t pairs = blockSize / (2 * kGroup);

  // Packed weights, two per byte, and the sign-flip correction of the
  // unpacked values (16 w): every panel at compile time, or each panel before
  // its rows.
  Value weights = partial.getDpsInputs()[1];
  std::optional<PanelWeights> constant = packInt4BlockedConstant(b, weights);
  auto panelWeights = [&](ImplicitLocOpBuilder &b, Value panel) {
    return constant ? constant->ofPanel(panel)
                    : packInt4BlockedPanel(b, weights, panel);
  };
  KernelBuilder kernel(matmul.n, rows, threads, panelWeights);

  Value a = partial.getDpsInputs()[0];
  Value activationScales = rescale.getDpsInputs()[1];
  Value weightScales = rescale.getDpsInputs()[2];
  auto intType = VectorType::get({kLanes}, b.getI32Type());
  auto floatType = VectorType::get({kLanes}, b.getF32Type());
  auto bytesType = VectorType::get({kVectorBytes}, b.getI8Type());
  auto wordsType = VectorType::get({kVectorBytes / 2}, b.getI16Type());
  bool columnsInBounds = kernel.columnsInBounds();

  auto tile = [&](ImplicitLocOpBuilder &b, int64_t tileRows, Value m0,
                  Value panel, const PanelWeights &weights, Value c,
                  Value sliceStart) -> Value {
    TileIndices at =
        KernelBuilder::getIndices(b, m0, panel, tileRows, sliceStart);
    SmallVector<Value> sums, rowScales;
    for (int64_t i = 0; i < tileRows; ++i) {
      SmallVector<Value> scaleIndex;
      if (matmul.perRowScales)
        scaleIndex.push_back(at.rows[i]);
      rowScales.push_back(vector::BroadcastOp::create(
          b, floatType,
          tensor::ExtractOp::create(b, activationScales, scaleIndex)));
      for (int64_t v = 0; v < kVectorsPerRow; ++v)
        sums.push_back(KernelBuilder::read(b, floatType, c,
                                           {at.rows[i], at.outputColumns[v]},
                                           columnsInBounds));
    }
    Value zero = arith::ConstantIndexOp::create(b, 0);
    Value one = arith::ConstantIndexOp::create(b, 1);
    auto blockLoop = scf::ForOp::create(
        b, zero, arith::ConstantIndexOp::create(b, blocks), one, sums,
        [&](OpBuilder &nested, Location loc, Value j, ValueRange floatSums) {
          ImplicitLocOpBuilder body(loc, nested);
          SmallVector<Value> partials;
          for (int64_t i = 0; i < tileRows; ++i)
            for (int64_t v = 0; v < kVectorsPerRow; ++v)
              partials.push_back(KernelBuilder::read(
                  body, intType, weights.bias,
                  weights.at(
                      {j, arith::ConstantIndexOp::create(body, v * kLanes)}),
                  /*inBounds=*/true));
          auto pairLoop = scf::ForOp::create(
              body, zero, arith::ConstantIndexOp::create(body, pairs), one,
              partials,
              [&](OpBuilder &nested, Location loc, Value pair,
                  ValueRange accs) {
                ImplicitLocOpBuilder inner(loc, nested);
                Value highMask = arith::ConstantOp::create(
                    inner, DenseElementsAttr::get(bytesType,
                                                  inner.getI8IntegerAttr(-16)));
                Value shift = arith::ConstantOp::create(
                    inner,
                    DenseElementsAttr::get(
                        wordsType, inner.getI16IntegerAttr(kNibbleScaleLog2)));
                // Each byte unpacked as two signed bytes, 16 times the
                // nibbles: the high one masked in place, the low one moved
                // up by a 16-bit shift (its neighbour's bits are masked).
                SmallVector<Value> low, high;
                for (int64_t v = 0; v < kVectorsPerRow; ++v) {
                  Value bytes = KernelBuilder::read(
                      inner, bytesType, weights.packed,
                      weights.at({j, pair,
                                  arith::ConstantIndexOp::create(
                                      inner, v * kVectorBytes)}),
                      /*inBounds=*/true);
                  high.push_back(arith::AndIOp::create(inner, bytes, highMask));
                  Value shifted = arith::ShLIOp::create(
                      inner, vector::BitCastOp::create(inner, wordsType, bytes),
                      shift);
                  low.push_back(arith::AndIOp::create(
                      inner,
                      vector::BitCastOp::create(inner, bytesType, shifted),
                      highMask));
                }
                Value k = arith::MulIOp::create(
                    inner, pair,
                    arith::ConstantIndexOp::create(inner, 2 * kGroup));
                Value kHigh = arith::AddIOp::create(
                    inner, k, arith::ConstantIndexOp::create(inner, kGroup));
                SmallVector<Value> results;
                for (int64_t i = 0; i < tileRows; ++i) {
                  Value lhsLow = KernelBuilder::loadUnsignedGroup(
                      inner, a, {at.rows[i], j, k});
                  Value lhsHigh = KernelBuilder::loadUnsignedGroup(
                      inner, a, {at.rows[i], j, kHigh});
                  for (int64_t v = 0; v < kVectorsPerRow; ++v) {
                    Value acc = UsdotOp::create(
                        inner, accs[i * kVectorsPerRow + v], lhsLow, low[v]);
                    results.push_back(
                        UsdotOp::create(inner, acc, lhsHigh, high[v]));
                  }
                }
                scf::YieldOp::create(inner, results);
              });
          // The reference's rescaling of each block's partial sum.
          Value unscale = arith::ConstantOp::create(
              body, DenseElementsAttr::get(
                        intType, body.getI32IntegerAttr(kNibbleScaleLog2)));
          SmallVector<Value> columnScales;
          for (int64_t v = 0; v < kVectorsPerRow; ++v)
            columnScales.push_back(
                KernelBuilder::read(body, floatType, weightScales,
                                    {j, at.columns[v]}, columnsInBounds));
          SmallVector<Value> results;
          for (int64_t i = 0; i < tileRows; ++i) {
            for (int64_t v = 0; v < kVectorsPerRow; ++v) {
              int64_t index = i * kVectorsPerRow + v;
              Value sum = arith::SIToFPOp::create(
                  body, floatType,
                  arith::ShRSIOp::create(body, pairLoop.getResult(index),
                                         unscale));
              Value scale =
                  arith::MulFOp::create(body, rowScales[i], columnScales[v]);
              Value scaled = arith::MulFOp::create(body, sum, scale);
              results.push_back(
                  arith::AddFOp::create(body, floatSums[index], scaled));
            }
          }
          scf::YieldOp::create(body, results);
        });
    return KernelBuilder::writeTile(b, blockLoop.getResults(), c, at,
                                    columnsInBounds);
  };

  Value m = tensor::DimOp::create(b, a, 0);
  Value result = kernel.buildLoops(b, m, rescale.getDpsInits()[0], tile);
  rescale->getResult(0).replaceAllUsesWith(result);
  Operation *weightsOp = partial.getDpsInputs()[1].getDefiningOp();
  Operation *partialInit = partial.getDpsInits()[0].getDefiningOp();
  rescale->erase();
  partial->erase();
  eraseIfDead(weightsOp);
  eraseIfDead(partialInit);
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

bool mlir::agn::x86::canUseVnniKernel(linalg::MatmulOp op) {
  return matchInt8Matmul(op).has_value();
}

bool mlir::agn::x86::canUseVnniKernel(linalg::GenericOp partialSums) {
  return matchInt4BlockedMatmul(partialSums).has_value();
}

namespace {
struct VnniMatmulsPass : public agn::impl::AGNVnniMatmulsBase<VnniMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    // The ops configured for the VNNI kernels; a config this pass cannot
    // carry out (set by hand on an op it does not take) is an error.
    SmallVector<std::pair<Int8Matmul, LoweringConfigAttr>> int8Matmuls;
    SmallVector<std::pair<Int4BlockedMatmul, LoweringConfigAttr>> int4Matmuls;
    WalkResult walk = getOperation().walk([&](Operation *op) {
      LoweringConfigAttr config = LoweringConfigAttr::of(op);
      if (!config || config.getKernel() != KernelKind::vnni)
        return WalkResult::advance();
      if (auto matmul = dyn_cast<linalg::MatmulOp>(op)) {
        if (std::optional<Int8Matmul> matched = matchInt8Matmul(matmul)) {
          int8Matmuls.emplace_back(*matched, config);
          return WalkResult::advance();
        }
      } else if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        if (std::optional<Int4BlockedMatmul> matched =
                matchInt4BlockedMatmul(generic)) {
          int4Matmuls.emplace_back(*matched, config);
          return WalkResult::advance();
        }
      }
      op->emitError("agn-vnni-matmuls: cannot compute this op with the VNNI "
                    "kernels (its agn.lowering_config): only i8 x i8 (or i4) "
                    "-> i32 matmuls and agn's block-scaled i4 matmuls with "
                    "static weights");
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    // The config's K step must be the kernel's: 4 K values per step for the
    // i8 kernel (i4 weights are widened to bytes), 8 (two nibbles per byte)
    // for the block-scaled i4 one.
    auto checkStep = [&](Operation *op, LoweringConfigAttr config,
                         int64_t step) -> LogicalResult {
      if (config.getTileSizes()[2] == step)
        return success();
      return op->emitError("agn-vnni-matmuls: this kernel takes ")
             << step << " K values per step, but its agn.lowering_config "
             << "says " << config.getTileSizes()[2];
    };
    for (auto [matmul, config] : int8Matmuls)
      if (failed(checkStep(matmul.op, config, kGroup)))
        return signalPassFailure();
    for (auto [matmul, config] : int4Matmuls)
      if (failed(checkStep(matmul.partial, config, 2 * kGroup)))
        return signalPassFailure();
    for (auto [matmul, config] : int8Matmuls)
      rewriteInt8Matmul(matmul, config.getTileSizes()[0], config.getThreads());
    for (auto [matmul, config] : int4Matmuls)
      rewriteInt4BlockedMatmul(matmul, config.getTileSizes()[0],
                               config.getThreads());
  }
};
} // namespace
