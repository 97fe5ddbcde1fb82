//===- VnniMatmuls.cpp - i8 matmuls on AVX-512 VNNI
//------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites the signed i8 x i8 -> i32 matmuls whose weights (B) are
// compile-time constants, as the i8 versions of agn's units have them after
// agn-quantize-weights, into register-tiled loops around agn.usdot, which
// agn-lower-usdot turns into `vpdpbusd` (AVX-512 VNNI): neither the vector
// nor the x86vector dialect of MLIR 22 reaches that instruction.
//
// agn.usdot (vpdpbusd) multiplies unsigned bytes of its first operand by signed
// bytes of its second and adds each group of four products to one i32 lane. The
// activations (A) are signed, so the kernel flips their sign bits (a + 128
// as an unsigned byte) and starts every accumulator at -128 times the sum
// of its column of B, precomputed with the packing:
//
//   sum_k (a_k + 128) b_k - 128 sum_k b_k = sum_k a_k b_k   (exact in i32).
//
// B is packed at compile time into panels of 64 columns,
// packed[p][k4][4 j + t] = B[4 k4 + t][64 p + j] (zero beyond K and N), so
// that one 64-byte load holds the four K values of 16 columns in the order
// vpdpbusd wants them, and a panel is contiguous: its K / 4 rows of 256
// bytes stream through the caches once per tile of rows of A.
//
// The loops, on tensors (bufferization makes C in place):
//
//   for p in panels:                           // 64 columns of C
//     for m0 in rows, step `rows`:             // `rows` x 4 zmm accumulators
//       acc = C[m0 : m0+rows, 64p : 64p+64] + bias
//       for k4 in K / 4: acc = usdot(acc, A[m, 4k4 : 4k4+4] ^ 0x80.., packed)
//       C[...] = acc
//     (the rows left over by `rows` go through the same tile with one row)
//
// Columns past N are masked in the reads and writes of C; A is padded with
// zeros when K is not a multiple of 4.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/Passes.h"
#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/TargetParser/Host.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNVNNIMATMULS
#include "agn/Conversion/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// i32 lanes of one 512-bit accumulator.
static constexpr int64_t kLanes = 16;
/// Accumulators per row of a register tile: one panel of 64 columns.
static constexpr int64_t kVectorsPerRow = 4;
/// Columns of C per packed panel of B.
static constexpr int64_t kPanelWidth = kLanes * kVectorsPerRow;
/// K values that vpdpbusd sums into one lane.
static constexpr int64_t kGroup = 4;

bool mlir::agn::hostHasAVX512VNNI() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("avx512vnni");
}

namespace {
/// The pieces of a matmul that the VNNI kernel replaces.
struct VnniMatmul {
  linalg::MatmulOp op;
  /// The constant weights, K x N.
  DenseIntElementsAttr weights;
  int64_t k, n;
};

/// The compile-time constants the kernel reads.
struct PackedWeights {
  /// panels x K/4 x 256 bytes.
  Value panels;
  /// -128 times each column's sum, padded to whole panels.
  Value bias;
};

/// Emits the VNNI loop nest for one matmul.
class VnniKernelBuilder {
public:
  VnniKernelBuilder(ImplicitLocOpBuilder &b, const VnniMatmul &matmul,
                    int64_t rows)
      : b(b), matmul(matmul), rows(rows),
        panelCount(llvm::divideCeil(matmul.n, kPanelWidth)),
        groupCount(llvm::divideCeil(matmul.k, kGroup)) {}

  /// Returns the result of the matmul computed by the kernel.
  Value build();

private:
  PackedWeights packWeights();
  Value padActivations(Value a);
  /// Computes one tile of `tileRows` rows at row `m0` of panel `panel` of
  /// `c` and returns the updated `c`.
  Value buildTile(int64_t tileRows, Value m0, Value panel, Value a, Value c,
                  const PackedWeights &packed);
  /// Emits `for i in [lb, ub) step tileRows` over tiles of `tileRows` rows.
  Value buildRowLoop(int64_t tileRows, Value lb, Value ub, Value panel, Value a,
                     Value c, const PackedWeights &packed);

  ImplicitLocOpBuilder &b;
  const VnniMatmul &matmul;
  int64_t rows;
  int64_t panelCount;
  int64_t groupCount;
};
} // namespace

PackedWeights VnniKernelBuilder::packWeights() {
  int64_t k = matmul.k, n = matmul.n;
  SmallVector<int8_t> weights;
  weights.reserve(k * n);
  for (const APInt &value : matmul.weights.getValues<APInt>())
    weights.push_back(static_cast<int8_t>(value.getSExtValue()));

  int64_t panelBytes = groupCount * kGroup * kPanelWidth;
  SmallVector<int8_t> panels(panelCount * panelBytes, 0);
  SmallVector<int32_t> bias(panelCount * kPanelWidth, 0);
  for (int64_t row = 0; row < k; ++row) {
    for (int64_t col = 0; col < n; ++col) {
      int8_t value = weights[row * n + col];
      int64_t panel = col / kPanelWidth, column = col % kPanelWidth;
      int64_t group = row / kGroup, member = row % kGroup;
      panels[panel * panelBytes + group * kGroup * kPanelWidth +
             column * kGroup + member] = value;
      bias[col] -= 128 * static_cast<int32_t>(value);
    }
  }

  auto panelsType = RankedTensorType::get(
      {panelCount, groupCount, kGroup * kPanelWidth}, b.getI8Type());
  auto biasType =
      RankedTensorType::get({panelCount * kPanelWidth}, b.getI32Type());
  return {arith::ConstantOp::create(
              b, DenseElementsAttr::get(panelsType, ArrayRef<int8_t>(panels))),
          arith::ConstantOp::create(
              b, DenseElementsAttr::get(biasType, ArrayRef<int32_t>(bias)))};
}

Value VnniKernelBuilder::padActivations(Value a) {
  int64_t padding = groupCount * kGroup - matmul.k;
  if (padding == 0)
    return a;
  auto type = cast<RankedTensorType>(a.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[1] += padding;
  SmallVector<OpFoldResult> low(2, b.getIndexAttr(0));
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(padding)};
  Value zero = arith::ConstantOp::create(b, b.getI8IntegerAttr(0));
  return tensor::PadOp::create(b, type.clone(shape), a, low, high, zero,
                               /*nofold=*/false);
}

Value VnniKernelBuilder::buildTile(int64_t tileRows, Value m0, Value panel,
                                   Value a, Value c,
                                   const PackedWeights &packed) {
  auto accType = VectorType::get({kLanes}, b.getI32Type());
  auto bytesType = VectorType::get({kLanes * kGroup}, b.getI8Type());
  auto groupType = VectorType::get({kGroup}, b.getI8Type());
  auto wordType = VectorType::get({1}, b.getI32Type());
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value accPadding = arith::ConstantOp::create(b, b.getI32IntegerAttr(0));
  Value bytePadding = arith::ConstantOp::create(b, b.getI8IntegerAttr(0));
  // Only the last panel may reach past N.
  bool columnsInBounds = matmul.n % kPanelWidth == 0;

  Value panelStart = arith::MulIOp::create(
      b, panel, arith::ConstantIndexOp::create(b, kPanelWidth));
  SmallVector<Value> columns, rowIndices;
  for (int64_t v = 0; v < kVectorsPerRow; ++v)
    columns.push_back(arith::AddIOp::create(
        b, panelStart, arith::ConstantIndexOp::create(b, v * kLanes)));
  for (int64_t i = 0; i < tileRows; ++i)
    rowIndices.push_back(
        arith::AddIOp::create(b, m0, arith::ConstantIndexOp::create(b, i)));

  // The accumulators start at C plus the sign-flip correction.
  SmallVector<Value> accumulators;
  for (int64_t i = 0; i < tileRows; ++i) {
    for (int64_t v = 0; v < kVectorsPerRow; ++v) {
      Value bias = vector::TransferReadOp::create(
          b, accType, packed.bias, ValueRange{columns[v]}, accPadding,
          ArrayRef<bool>{true});
      Value init = vector::TransferReadOp::create(
          b, accType, c, ValueRange{rowIndices[i], columns[v]}, accPadding,
          ArrayRef<bool>{columnsInBounds});
      accumulators.push_back(arith::AddIOp::create(b, init, bias));
    }
  }

  Value groups = arith::ConstantIndexOp::create(b, groupCount);
  Value one = arith::ConstantIndexOp::create(b, 1);
  auto loop = scf::ForOp::create(
      b, zero, groups, one, accumulators,
      [&](OpBuilder &nested, Location loc, Value group, ValueRange accs) {
        ImplicitLocOpBuilder body(loc, nested);
        SmallVector<Value> weights;
        for (int64_t v = 0; v < kVectorsPerRow; ++v) {
          Value offset = arith::ConstantIndexOp::create(
              body, v * bytesType.getNumElements());
          weights.push_back(vector::TransferReadOp::create(
              body, bytesType, packed.panels, ValueRange{panel, group, offset},
              bytePadding, ArrayRef<bool>{true}));
        }
        Value k = arith::MulIOp::create(
            body, group, arith::ConstantIndexOp::create(body, kGroup));
        Value signFlip = arith::ConstantOp::create(
            body, body.getI32IntegerAttr(static_cast<int32_t>(0x80808080u)));
        SmallVector<Value> results;
        for (int64_t i = 0; i < tileRows; ++i) {
          Value bytes = vector::TransferReadOp::create(
              body, groupType, a, ValueRange{rowIndices[i], k}, bytePadding,
              ArrayRef<bool>{true});
          Value word = vector::ExtractOp::create(
              body, vector::BitCastOp::create(body, wordType, bytes),
              ArrayRef<int64_t>{0});
          Value unsignedWord = arith::XOrIOp::create(body, word, signFlip);
          Value broadcast = vector::BitCastOp::create(
              body, bytesType,
              vector::BroadcastOp::create(body, accType, unsignedWord));
          for (int64_t v = 0; v < kVectorsPerRow; ++v) {
            Value acc = accs[i * kVectorsPerRow + v];
            results.push_back(
                UsdotOp::create(body, acc, broadcast, weights[v]));
          }
        }
        scf::YieldOp::create(body, results);
      });

  for (int64_t i = 0; i < tileRows; ++i)
    for (int64_t v = 0; v < kVectorsPerRow; ++v)
      c = vector::TransferWriteOp::create(
              b, loop.getResult(i * kVectorsPerRow + v), c,
              ValueRange{rowIndices[i], columns[v]},
              ArrayRef<bool>{columnsInBounds})
              .getResult();
  return c;
}

Value VnniKernelBuilder::buildRowLoop(int64_t tileRows, Value lb, Value ub,
                                      Value panel, Value a, Value c,
                                      const PackedWeights &packed) {
  Value step = arith::ConstantIndexOp::create(b, tileRows);
  auto loop = scf::ForOp::create(
      b, lb, ub, step, ValueRange{c},
      [&](OpBuilder &nested, Location loc, Value m0, ValueRange iterArgs) {
        ImplicitLocOpBuilder body(loc, nested);
        VnniKernelBuilder inner(body, matmul, rows);
        scf::YieldOp::create(
            body, inner.buildTile(tileRows, m0, panel, a, iterArgs[0], packed));
      });
  return loop.getResult(0);
}

Value VnniKernelBuilder::build() {
  PackedWeights packed = packWeights();
  linalg::MatmulOp op = matmul.op;
  Value a = padActivations(op.getInputs()[0]);
  Value init = op.getOutputs()[0];

  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value m = tensor::DimOp::create(b, a, 0);
  // Rows in whole tiles; the rest go one by one.
  Value tiledRows = arith::SubIOp::create(
      b, m,
      arith::RemUIOp::create(b, m, arith::ConstantIndexOp::create(b, rows)));
  Value panels = arith::ConstantIndexOp::create(b, panelCount);
  auto loop = scf::ForOp::create(
      b, zero, panels, one, ValueRange{init},
      [&](OpBuilder &nested, Location loc, Value panel, ValueRange iterArgs) {
        ImplicitLocOpBuilder body(loc, nested);
        VnniKernelBuilder inner(body, matmul, rows);
        Value c = inner.buildRowLoop(rows, zero, tiledRows, panel, a,
                                     iterArgs[0], packed);
        if (rows > 1)
          c = inner.buildRowLoop(1, tiledRows, m, panel, a, c, packed);
        scf::YieldOp::create(body, c);
      });
  return loop.getResult(0);
}

/// Returns the matmul's pieces if it is a signed i8 x i8 -> i32 matmul on
/// tensors with the default maps and constant, statically shaped weights.
static std::optional<VnniMatmul> matchVnniMatmul(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps() ||
      op.getCast() != linalg::TypeFn::cast_signed)
    return std::nullopt;
  auto isInteger = [](Value value, unsigned width) {
    return getElementTypeOrSelf(value.getType()).isSignlessInteger(width);
  };
  Value a = op.getInputs()[0], weights = op.getInputs()[1];
  if (!isInteger(a, 8) || !isInteger(weights, 8) ||
      !isInteger(op.getOutputs()[0], 32))
    return std::nullopt;
  DenseIntElementsAttr attr;
  if (!matchPattern(weights, m_Constant(&attr)))
    return std::nullopt;
  auto type = cast<RankedTensorType>(weights.getType());
  if (!type.hasStaticShape())
    return std::nullopt;
  return VnniMatmul{op, attr, type.getDimSize(0), type.getDimSize(1)};
}

namespace {
struct VnniMatmulsPass : public agn::impl::AGNVnniMatmulsBase<VnniMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (rows < 1) {
      getOperation().emitError("agn-vnni-matmuls: 'rows' must be at least 1, "
                               "got ")
          << static_cast<int64_t>(rows);
      return signalPassFailure();
    }
    SmallVector<VnniMatmul> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      if (std::optional<VnniMatmul> matmul = matchVnniMatmul(op))
        matmuls.push_back(*matmul);
    });
    for (VnniMatmul &matmul : matmuls) {
      ImplicitLocOpBuilder b(matmul.op.getLoc(), matmul.op);
      VnniKernelBuilder kernel(b, matmul, rows);
      Value result = kernel.build();
      matmul.op->getResult(0).replaceAllUsesWith(result);
      matmul.op->erase();
    }
  }
};
} // namespace
