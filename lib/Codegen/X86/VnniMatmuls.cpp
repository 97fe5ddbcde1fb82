//===- VnniMatmuls.cpp - i8 and i4 matmuls on AVX-512 VNNI ----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Lowers agn_x86's VNNI kernel ops (the i8 and i4 matmuls of agn's
// versions, on weights packed by agn_x86's layout ops; agn-vnni-pack makes
// them) into register-tiled loops around agn_x86.usdot, which
// agn-lower-usdot turns into `vpdpbusd` (AVX-512 VNNI): neither the vector
// nor the x86vector dialect of MLIR 22 reaches that instruction.
//
// agn_x86.usdot (vpdpbusd) multiplies unsigned bytes of its first operand by
// signed bytes of its second and adds each group of four products to one i32
// lane. The activations (A) are signed, so the kernels flip their sign bits
// (a + 128 as an unsigned byte) and start every accumulator at -128 times
// the sum of its column of B, precomputed with the packing:
//
//   sum_k (a_k + 128) b_k - 128 sum_k b_k = sum_k a_k b_k   (exact in i32).
//
// A `signed_dot` config (AVX2 without VNNI) runs the same kernels with
// agn_x86.sdot (signed bytes by signed bytes, its right operand without
// -128: the weights, or A where only A is known to hold none, as a
// convolution's constant filter on the left of its activations): A is
// read as it is, the accumulators start at C with no correction (the
// blocked kernel's partial sums at 0), and the blocked kernel unpacks i4
// nibbles as their values (an arithmetic shift of each byte; 16 times -8 would
// be -128) and sums them without the final shift.
//
// B is packed into panels of 64 columns, one 64-byte vector holding four K
// values of 16 columns in the order vpdpbusd reads them, a panel contiguous
// in memory (VnniLayout.h): at compile time when B is a constant (as
// agn-quantize-weights leaves weights: the layout op folds), else by vector
// code on every call, each panel right before its rows (VnniPacking.h). The
// loops, on tensors (bufferization makes C in place):
//
//   for p in panels:                           // 64 columns of C
//     for m0 in rows, step `rows`:             // `rows` x 4 accumulators
//       <tile>
//     (the rows left over by `rows` go through the same tile with one row)
//
// i8 x i8 (or i4, widened to bytes) -> i32 (`agn_x86.vnni_matmul`):
// packed[p][k4][4 j + t] =
// B[4 k4 + t][64 p + j], zero beyond K and N; the tile is
//
//   acc = C[m0 : m0+rows, 64p : 64p+64] + bias     (0 + bias: C zero-filled)
//   for k4 in K / 4: acc = usdot(acc, A[m, 4k4 : 4k4+4] ^ 0x80.., packed)
//   C[...] = acc
//
// i8 x i4 with per-block weight scales (`agn_x86.vnni_blocked_matmul`,
// agn-multiversion's i4 version: the partial sums P[m, n, j] of each block j
// of T K values, and the sum of float(P) * (sa[m] * sw[j, n]) over j), with
// P kept in registers. Two i4 values share a
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
// A C that starts as zeros (a linalg.fill of zero) is not read: the i8
// kernel's accumulators start at zero (plus the correction) and its tiles,
// which write every element, write a new tensor.
//
// Columns past N are masked in the reads and writes of C; A is padded with
// zeros when K is not a multiple of 4 (i8). With `threads` > 1, the panels
// are split into `threads` chunks of consecutive panels, the iterations of an
// scf.forall, each computing its slice of C.
//
//===----------------------------------------------------------------------===//

#include "VnniContractions.h"
#include "VnniPacking.h"
#include "agn/Codegen/Common/Tiling.h"
#include "agn/Utils/ZeroTensors.h"

#include "agn/Codegen/X86/Passes.h"
#include "agn/Codegen/X86/VnniKernels.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/X86/IR/X86Dialect.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVNNIMATMULS
#include "agn/Codegen/X86/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

using namespace mlir::agn::vnni;
using namespace mlir::agn::x86;

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

  /// Reads 4 bytes of `a` at `indices` and returns them broadcast to all 16
  /// lanes as bytes, with their sign bits flipped (unsigned a + 128, as
  /// usdot reads them) if `flipSigns`.
  static Value loadGroup(ImplicitLocOpBuilder &b, Value a, ValueRange indices,
                         bool flipSigns);

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

Value KernelBuilder::loadGroup(ImplicitLocOpBuilder &b, Value a,
                               ValueRange indices, bool flipSigns) {
  Value bytes = read(b, VectorType::get({kGroup}, b.getI8Type()), a, indices,
                     /*inBounds=*/true);
  Value word = vector::ExtractOp::create(
      b,
      vector::BitCastOp::create(b, VectorType::get({1}, b.getI32Type()), bytes),
      ArrayRef<int64_t>{0});
  if (flipSigns) {
    Value signFlip = arith::ConstantOp::create(
        b, b.getI32IntegerAttr(static_cast<int32_t>(0x80808080u)));
    word = arith::XOrIOp::create(b, word, signFlip);
  }
  Value broadcast = vector::BroadcastOp::create(
      b, VectorType::get({kLanes}, b.getI32Type()), word);
  return vector::BitCastOp::create(
      b, VectorType::get({kVectorBytes}, b.getI8Type()), broadcast);
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// Returns whether `op`'s config asks for the `signed_dot` kernel.
static bool isSignedDot(Operation *op) {
  return LoweringConfigAttr::hasKernel(op, KernelKind::signed_dot);
}

/// How a kernel's dot-product steps multiply A (broadcast) by the packed
/// weights.
enum class DotStep {
  /// agn_x86.usdot, A sign-flipped (the `vnni` kernels).
  usdot,
  /// agn_x86.sdot(A, weights): weights without -128.
  sdot,
  /// agn_x86.sdot(weights, A): A without -128 (a convolution's constant
  /// filter, on the left of activations that may hold -128). The product
  /// is the same; sdot takes the magnitudes of its left operand.
  swappedSdot,
};

/// Emits one dot-product step of kind `step`: `lhs` is A, `rhs` the weights.
static Value createDotStep(ImplicitLocOpBuilder &b, DotStep step, Value acc,
                           Value lhs, Value rhs) {
  switch (step) {
  case DotStep::usdot:
    return UsdotOp::create(b, acc, lhs, rhs);
  case DotStep::sdot:
    return SdotOp::create(b, acc, lhs, rhs);
  case DotStep::swappedSdot:
    return SdotOp::create(b, acc, rhs, lhs);
  }
  llvm_unreachable("unknown dot step");
}

/// Returns whether the packed weights `packed` of a kernel op hold no -128:
/// those of a layout op whose weights hold none, or a constant without it.
static bool packedHasNoMinimumByte(Value packed) {
  if (auto pack = packed.getDefiningOp<PackVnniOp>())
    return hasNoMinimumByte(pack.getWeights());
  return hasNoMinimumByte(packed);
}

/// Returns the dot-product step of the i8 kernel op `op`: usdot for a
/// `vnni` config; for a `signed_dot` one sdot with the operand that holds no
/// -128 on the right, nothing where both may hold it.
static std::optional<DotStep> getDotStep(VnniMatmulOp op) {
  if (!isSignedDot(op))
    return DotStep::usdot;
  if (packedHasNoMinimumByte(op.getPacked()))
    return DotStep::sdot;
  if (hasNoMinimumByte(op.getLhs()))
    return DotStep::swappedSdot;
  return std::nullopt;
}

/// Rows per tile and threads of a kernel op: its `vnni` (or `signed_dot`)
/// config's, else `rows` and one thread. (agn-vnni-matmuls rejects other
/// configs; the patterns alone ignore them.)
static std::pair<int64_t, int64_t> getTiling(Operation *op, int64_t rows) {
  LoweringConfigAttr config = LoweringConfigAttr::of(op);
  if (config && readsPackedPanels(config.getKernel()) &&
      !config.getTileSizes().empty())
    return {config.getTileSizes()[0], config.getThreads()};
  return {rows, 1};
}

/// Returns a tensor.empty shaped as `init` when `init` holds zeros only (a
/// linalg.fill of zero, through casts, reshapes and slices, as an im2col
/// matmul's C is the convolution's filled output collapsed), else null. A
/// kernel whose C starts as zeros starts its accumulators at zero and writes
/// into that empty tensor instead: its tiles write every element of C, so
/// the fill (a pass over C: 0.75 ms of mobilenet_v2's i8 call) and the
/// tiles' reads of C go.
static Value getZeroFilledReplacement(ImplicitLocOpBuilder &b, Value init) {
  Value value = init;
  while (Operation *producer = value.getDefiningOp()) {
    if (!isa<tensor::CastOp, tensor::CollapseShapeOp, tensor::ExpandShapeOp,
             tensor::ExtractSliceOp>(producer))
      break;
    value = producer->getOperand(0);
  }
  if (!isZeroTensor(value))
    return nullptr;
  return tensor::EmptyOp::create(b, tensor::getMixedSizes(b, b.getLoc(), init),
                                 getElementTypeOrSelf(init.getType()));
}

/// Returns whether agn-vnni-matmuls can pack `weights` on every call, in
/// the blocked i4 layout if `blocked`, else in the i8 one.
static bool canPackOnEveryCall(Value weights, bool blocked) {
  return blocked ? canPackBlockedOnEveryCall(weights)
                 : canPackInt8OnEveryCall(weights);
}

namespace {
/// Where a kernel op's weights of each panel come from: the packed tensors
/// it reads (every panel: constants, or packed elsewhere), or its layout
/// op's weights, packed one panel at a time inside the kernel.
template <typename PackOp> struct KernelWeights {
  Value packed, correction;
  /// The layout op the kernel packs inside its loops, or null.
  PackOp fused;

  /// Returns the weights of panel `panel`, emitting their packing when
  /// fused.
  PanelWeights
  ofPanel(ImplicitLocOpBuilder &b, Value panel,
          function_ref<PanelWeights(ImplicitLocOpBuilder &, Value, Value)>
              packPanel) const {
    if (PackOp pack = fused)
      return packPanel(b, pack.getWeights(), panel);
    return PanelWeights{packed, correction, panel};
  }
};
} // namespace

/// Returns the weights of a kernel reading `packed` and `correction`: fused
/// with their layout op when it packs weights its folder cannot pack (not
/// constants, or constants held other than as dense integer elements).
template <typename PackOp>
static FailureOr<KernelWeights<PackOp>>
getKernelWeights(PatternRewriter &rewriter, Operation *kernel, Value packed,
                 Value correction) {
  auto pack = packed.getDefiningOp<PackOp>();
  if (!pack || correction.getDefiningOp() != pack.getOperation())
    return KernelWeights<PackOp>{packed, correction, nullptr};
  if (isFoldableConstant(pack.getWeights()))
    return rewriter.notifyMatchFailure(kernel, "its layout op is not folded");
  if (!canPackOnEveryCall(pack.getWeights(),
                          std::is_same_v<PackOp, PackVnniBlockedOp>))
    return rewriter.notifyMatchFailure(kernel,
                                       "cannot pack its weights on every call");
  return KernelWeights<PackOp>{packed, correction, pack};
}

/// Replaces `kernel` by `result` and erases the layout op it fused when
/// nothing else reads it.
template <typename PackOp>
static void replaceKernel(PatternRewriter &rewriter, Operation *kernel,
                          Value result, const KernelWeights<PackOp> &weights) {
  rewriter.replaceOp(kernel, result);
  if (weights.fused && weights.fused->use_empty())
    rewriter.eraseOp(weights.fused);
}

//===----------------------------------------------------------------------===//
// i8 x i8 -> i32
//===----------------------------------------------------------------------===//

namespace {
/// Lowers agn_x86.vnni_matmul to register tiles of agn_x86.usdot, or of
/// agn_x86.sdot for a `signed_dot` config (no sign flip, no correction).
struct LowerVnniMatmul : public OpRewritePattern<VnniMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(VnniMatmulOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<KernelWeights<PackVnniOp>> packedWeights =
        getKernelWeights<PackVnniOp>(rewriter, op, op.getPacked(),
                                     op.getCorrection());
    if (failed(packedWeights))
      return failure();
    auto [rows, threads] = getTiling(op, /*rows=*/4);
    // agn_x86.sdot is exact only where one operand holds no -128.
    std::optional<DotStep> step = getDotStep(op);
    if (!step)
      return rewriter.notifyMatchFailure(
          op, "'signed_dot' weights and A may both hold -128");
    bool signedDot = *step != DotStep::usdot;
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    int64_t depth = op.getLhs().getType().getDimSize(1);
    int64_t n = op.getInit().getType().getDimSize(1);
    int64_t groupCount = llvm::divideCeil(depth, kGroup);
    // The signed_dot kernel reads no correction: its packing sums nothing.
    auto packPanel = [&](ImplicitLocOpBuilder &b, Value weights, Value panel) {
      return packInt8Panel(b, weights, panel, /*withCorrection=*/!signedDot);
    };
    auto panelWeights = [&](ImplicitLocOpBuilder &b, Value panel) {
      return packedWeights->ofPanel(b, panel, packPanel);
    };
    KernelBuilder kernel(n, rows, threads, panelWeights);

    // A, padded with zeros to whole groups of K.
    Value a = op.getLhs();
    if (int64_t padding = groupCount * kGroup - depth) {
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
    Value zeroFilled = getZeroFilledReplacement(b, op.getInit());
    auto tile = [&](ImplicitLocOpBuilder &b, int64_t tileRows, Value m0,
                    Value panel, const PanelWeights &weights, Value c,
                    Value sliceStart) -> Value {
      TileIndices at =
          KernelBuilder::getIndices(b, m0, panel, tileRows, sliceStart);
      // The accumulators start at C (zero for a zero-filled C), plus the
      // sign-flip correction for usdot (sdot reads A as it is).
      SmallVector<Value> accumulators;
      for (int64_t i = 0; i < tileRows; ++i) {
        for (int64_t v = 0; v < kVectorsPerRow; ++v) {
          Value correction;
          if (!signedDot)
            correction = KernelBuilder::read(
                b, accType, weights.bias,
                weights.at(
                    ValueRange{arith::ConstantIndexOp::create(b, v * kLanes)}),
                /*inBounds=*/true);
          Value init;
          if (!zeroFilled)
            init = KernelBuilder::read(b, accType, c,
                                       {at.rows[i], at.outputColumns[v]},
                                       columnsInBounds);
          if (init && correction)
            init = arith::AddIOp::create(b, init, correction);
          else if (!init)
            init = correction ? correction
                              : arith::ConstantOp::create(
                                    b, accType,
                                    DenseElementsAttr::get(
                                        accType, b.getI32IntegerAttr(0)));
          accumulators.push_back(init);
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
              Value lhs = KernelBuilder::loadGroup(body, a, {at.rows[i], k},
                                                   /*flipSigns=*/!signedDot);
              for (int64_t v = 0; v < kVectorsPerRow; ++v)
                results.push_back(createDotStep(body, *step,
                                                accs[i * kVectorsPerRow + v],
                                                lhs, columns[v]));
            }
            scf::YieldOp::create(body, results);
          });
      return KernelBuilder::writeTile(b, loop.getResults(), c, at,
                                      columnsInBounds);
    };

    Value m = tensor::DimOp::create(b, a, 0);
    Value result =
        kernel.buildLoops(b, m, zeroFilled ? zeroFilled : op.getInit(), tile);
    replaceKernel(rewriter, op, result, *packedWeights);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// i8 x i4 with per-block weight scales, rescaled to f32
//===----------------------------------------------------------------------===//

namespace {
/// Lowers agn_x86.vnni_blocked_matmul to register tiles of agn_x86.usdot, or
/// of agn_x86.sdot for a `signed_dot` config (no sign flip, no correction,
/// nibbles unpacked as their values).
struct LowerVnniBlockedMatmul : public OpRewritePattern<VnniBlockedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(VnniBlockedMatmulOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<KernelWeights<PackVnniBlockedOp>> packedWeights =
        getKernelWeights<PackVnniBlockedOp>(rewriter, op, op.getPacked(),
                                            op.getCorrection());
    if (failed(packedWeights))
      return failure();
    auto [rows, threads] = getTiling(op, /*rows=*/2);
    bool signedDot = isSignedDot(op);
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    int64_t blocks = op.getLhs().getType().getDimSize(1);
    int64_t blockSize = op.getLhs().getType().getDimSize(2);
    int64_t n = op.getInit().getType().getDimSize(1);
    bool perRowScales = op.getActivationScales().getType().getRank() == 1;
    // Pairs of groups of 4 K values per block: one byte holds one of each.
    int64_t pairs = blockSize / (2 * kGroup);
    auto panelWeights = [&](ImplicitLocOpBuilder &b, Value panel) {
      return packedWeights->ofPanel(b, panel, packInt4BlockedPanel);
    };
    KernelBuilder kernel(n, rows, threads, panelWeights);

    Value a = op.getLhs();
    Value activationScales = op.getActivationScales();
    Value weightScales = op.getWeightScales();
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
        if (perRowScales)
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
            // usdot's sums start at the sign-flip correction, sdot's at 0.
            SmallVector<Value> partials;
            for (int64_t i = 0; i < tileRows; ++i)
              for (int64_t v = 0; v < kVectorsPerRow; ++v)
                partials.push_back(
                    signedDot
                        ? arith::ConstantOp::create(body,
                                                    body.getZeroAttr(intType))
                              .getResult()
                        : KernelBuilder::read(
                              body, intType, weights.bias,
                              weights.at({j, arith::ConstantIndexOp::create(
                                                 body, v * kLanes)}),
                              /*inBounds=*/true));
            auto pairLoop = scf::ForOp::create(
                body, zero, arith::ConstantIndexOp::create(body, pairs), one,
                partials,
                [&](OpBuilder &nested, Location loc, Value pair,
                    ValueRange accs) {
                  ImplicitLocOpBuilder inner(loc, nested);
                  Value highMask = arith::ConstantOp::create(
                      inner, DenseElementsAttr::get(
                                 bytesType, inner.getI8IntegerAttr(-16)));
                  Value shift = arith::ConstantOp::create(
                      inner,
                      DenseElementsAttr::get(wordsType, inner.getI16IntegerAttr(
                                                            kNibbleScaleLog2)));
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
                    if (!signedDot)
                      high.push_back(
                          arith::AndIOp::create(inner, bytes, highMask));
                    Value shifted = arith::ShLIOp::create(
                        inner,
                        vector::BitCastOp::create(inner, wordsType, bytes),
                        shift);
                    Value lowTimes16 = arith::AndIOp::create(
                        inner,
                        vector::BitCastOp::create(inner, bytesType, shifted),
                        highMask);
                    if (!signedDot) {
                      low.push_back(lowTimes16);
                      continue;
                    }
                    // sdot takes no -128 (16 x -8): the nibbles' values,
                    // sign-extended by an arithmetic shift of each byte.
                    Value byteShift = arith::ConstantOp::create(
                        inner, DenseElementsAttr::get(
                                   bytesType,
                                   inner.getI8IntegerAttr(kNibbleScaleLog2)));
                    high.push_back(
                        arith::ShRSIOp::create(inner, bytes, byteShift));
                    low.push_back(
                        arith::ShRSIOp::create(inner, lowTimes16, byteShift));
                  }
                  Value k = arith::MulIOp::create(
                      inner, pair,
                      arith::ConstantIndexOp::create(inner, 2 * kGroup));
                  Value kHigh = arith::AddIOp::create(
                      inner, k, arith::ConstantIndexOp::create(inner, kGroup));
                  SmallVector<Value> results;
                  for (int64_t i = 0; i < tileRows; ++i) {
                    Value lhsLow = KernelBuilder::loadGroup(
                        inner, a, {at.rows[i], j, k}, /*flipSigns=*/!signedDot);
                    Value lhsHigh = KernelBuilder::loadGroup(
                        inner, a, {at.rows[i], j, kHigh},
                        /*flipSigns=*/!signedDot);
                    auto dot = [&](Value acc, Value lhs, Value rhs) {
                      return createDotStep(
                          inner, signedDot ? DotStep::sdot : DotStep::usdot,
                          acc, lhs, rhs);
                    };
                    for (int64_t v = 0; v < kVectorsPerRow; ++v)
                      results.push_back(
                          dot(dot(accs[i * kVectorsPerRow + v], lhsLow, low[v]),
                              lhsHigh, high[v]));
                  }
                  scf::YieldOp::create(inner, results);
                });
            // The reference's rescaling of each block's partial sum; usdot
            // summed 16 times the nibbles, sdot the nibbles.
            Value unscale;
            if (!signedDot)
              unscale = arith::ConstantOp::create(
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
                Value partial = pairLoop.getResult(index);
                if (unscale)
                  partial = arith::ShRSIOp::create(body, partial, unscale);
                Value sum = arith::SIToFPOp::create(body, floatType, partial);
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
    Value result = kernel.buildLoops(b, m, op.getInit(), tile);
    replaceKernel(rewriter, op, result, *packedWeights);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// Layout ops
//===----------------------------------------------------------------------===//

namespace {
/// Folds a layout op of constant weights (one written by hand, or left by a
/// pipeline without canonicalization): kernels then read the constants.
template <typename PackOp>
struct FoldConstantPack : public OpRewritePattern<PackOp> {
  using OpRewritePattern<PackOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(PackOp pack,
                                PatternRewriter &rewriter) const override {
    if (!isFoldableConstant(pack.getWeights()))
      return rewriter.notifyMatchFailure(pack, "weights do not fold");
    SmallVector<Value> folded;
    rewriter.createOrFold<PackOp>(folded, pack.getLoc(), pack.getWeights());
    rewriter.replaceOp(pack, folded);
    return success();
  }
};

/// Lowers a layout op that no kernel packs inside its loops to a loop that
/// packs every panel.
template <typename PackOp> struct LowerPack : public OpRewritePattern<PackOp> {
  using OpRewritePattern<PackOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(PackOp pack,
                                PatternRewriter &rewriter) const override {
    if (!canPackOnEveryCall(pack.getWeights(),
                            std::is_same_v<PackOp, PackVnniBlockedOp>))
      return rewriter.notifyMatchFailure(
          pack, "cannot pack these weights on every call");
    ImplicitLocOpBuilder b(pack.getLoc(), rewriter);
    PackedTypes types{pack.getPacked().getType(),
                      pack.getCorrection().getType()};
    auto [packed, correction] =
        packAllPanels(b, pack.getWeights(), types,
                      /*blocked=*/std::is_same_v<PackOp, PackVnniBlockedOp>);
    rewriter.replaceOp(pack, ValueRange{packed, correction});
    return success();
  }
};
} // namespace

void mlir::agn::populateVnniKernelLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<FoldConstantPack<PackVnniOp>, FoldConstantPack<PackVnniBlockedOp>,
           LowerVnniMatmul, LowerVnniBlockedMatmul>(patterns.getContext());
}

void mlir::agn::populateVnniPackLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerPack<PackVnniOp>, LowerPack<PackVnniBlockedOp>>(
      patterns.getContext());
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

/// Checks the config of the kernel op `op`, whose kernel takes `step` K
/// values per step: a `vnni` or `signed_dot` one with that step, if any,
/// `signed_dot` where the weights or A hold no -128 (the blocked kernel's
/// weights are i4).
static LogicalResult checkConfig(Operation *op, int64_t step) {
  LoweringConfigAttr config = LoweringConfigAttr::of(op);
  if (!config)
    return success();
  auto matmul = dyn_cast<VnniMatmulOp>(op);
  if (config.getKernel() == KernelKind::signed_dot && matmul &&
      !getDotStep(matmul))
    return op->emitError("agn-vnni-matmuls: the 'signed_dot' kernel needs "
                         "packed weights or an A that hold no -128 (i4 "
                         "values, bytes sign-extended from i4, or constant "
                         "i8 ones without it)");
  if (!readsPackedPanels(config.getKernel()))
    return op->emitError("agn-vnni-matmuls: a VNNI kernel op takes only a "
                         "'vnni' or 'signed_dot' agn.lowering_config, got ")
           << config;
  if (config.getTileSizes()[2] != step)
    return op->emitError("agn-vnni-matmuls: this kernel takes ")
           << step << " K values per step, but its agn.lowering_config "
           << "says " << config.getTileSizes()[2];
  return success();
}

namespace {
struct VnniMatmulsPass : public agn::impl::AGNVnniMatmulsBase<VnniMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // The i8 kernel reads 4 K values per step (i4 weights are widened to
    // bytes), the block-scaled i4 one 8 (two nibbles per byte).
    WalkResult checked = func.walk([&](Operation *op) {
      int64_t step = isa<VnniMatmulOp>(op)          ? kGroup
                     : isa<VnniBlockedMatmulOp>(op) ? 2 * kGroup
                                                    : 0;
      if (step && failed(checkConfig(op, step)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (checked.wasInterrupted())
      return signalPassFailure();

    // Kernels first, so that they pack their weights inside their loops;
    // then the layout ops no kernel took.
    RewritePatternSet kernels(&getContext());
    populateVnniKernelLoweringPatterns(kernels);
    walkAndApplyPatterns(func, std::move(kernels));
    RewritePatternSet packs(&getContext());
    populateVnniPackLoweringPatterns(packs);
    walkAndApplyPatterns(func, std::move(packs));

    // What is left has no lowering.
    WalkResult left = func.walk([&](Operation *op) {
      if (!isa<VnniMatmulOp, VnniBlockedMatmulOp, PackVnniOp,
               PackVnniBlockedOp>(op))
        return WalkResult::advance();
      op->emitError("agn-vnni-matmuls: cannot pack these i4 weights on "
                    "every call: their rows must start on whole bytes (an "
                    "even N, K a multiple of 4 for agn_x86.pack_vnni, and "
                    "no slice at a possibly odd offset)");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      return signalPassFailure();
  }
};
} // namespace
