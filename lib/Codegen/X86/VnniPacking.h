//===- VnniPacking.h - Weight layouts of agn's VNNI kernels -----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The packed weight layouts agn-vnni-matmuls' kernels read, and the code that
// produces them: folded at compile time for constant weights, emitted as
// vector loops that pack one panel right before the kernel reads it (so
// that it is still in the cache) for weights that are function arguments or
// computed values.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CODEGEN_X86_VNNIPACKING_H
#define AGN_LIB_CODEGEN_X86_VNNIPACKING_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::agn::vnni {

/// i32 lanes of one 512-bit accumulator.
inline constexpr int64_t kLanes = 16;
/// Accumulators per row of a register tile: one panel of 64 columns.
inline constexpr int64_t kVectorsPerRow = 4;
/// Columns of C per packed panel of B.
inline constexpr int64_t kPanelWidth = kLanes * kVectorsPerRow;
/// K values that vpdpbusd sums into one lane.
inline constexpr int64_t kGroup = 4;
/// Bytes of one packed vector of B.
inline constexpr int64_t kVectorBytes = kLanes * kGroup;
/// The i4 values are unpacked as 16 times their value.
inline constexpr int64_t kNibbleScaleLog2 = 4;
/// The largest block of the i4 kernel: 16 * 1024 * T < 2^31.
inline constexpr int64_t kMaxBlockSize = int64_t{1} << 17;

/// The packed weights and sign-flip corrections (-128, or -128 * 16 for
/// unpacked nibbles, times each column's sum of B) one panel of 64 columns
/// of a kernel reads: either slices of tensors that hold every panel (the
/// first index of both is then `panel`) or the panel's own tensors (`panel`
/// is null).
struct PanelWeights {
  Value packed;
  Value bias;
  Value panel;

  /// Returns `indices` into the panel, prefixed with `panel` when the
  /// tensors hold every panel.
  SmallVector<Value> at(ValueRange indices) const;

  /// Returns these tensors of every panel as the weights of panel `index`.
  PanelWeights ofPanel(Value index) const {
    return PanelWeights{packed, bias, index};
  }
};

/// The i8 layout: packed[p][g][4 j + t] = B[4 g + t][64 p + j] (zeros past K
/// and N), bias[p][j] = -128 sum_k B[k][64 p + j], wrapping modulo 2^32 as
/// the matmul's sums do. Returns every panel of the K x N weights `weights`
/// (i8, or i4 widened to bytes), as a tensor<P x G x 256 x i8> and a
/// tensor<P x 64 x i32> (with `panel` null: the kernel sets it), if they are
/// a constant.
std::optional<PanelWeights> packInt8Constant(ImplicitLocOpBuilder &b,
                                             Value weights);

/// Returns whether packInt8Panel takes weights of `type`: static K x N, i8,
/// or i4 with K a multiple of 4 and N even (each row then starts on a whole
/// byte of the emulated, two-per-byte memref).
bool canPackInt8Panel(RankedTensorType type);

/// Emits the packing of panel `panel` of the K x N i8 (or i4, sign-extended)
/// weights `weights` into a tensor<G x 256 x i8> and a tensor<64 x i32> (the
/// i8 layout).
PanelWeights packInt8Panel(ImplicitLocOpBuilder &b, Value weights, Value panel);

/// The i4 layout of the `blocks` x T x N weights of agn's blocked i4 matmul,
/// two per byte: packed[p][j][q][4 c + t] holds W[j][8q + t][64p + c] in its
/// low nibble and W[j][8q + 4 + t][64p + c] in its high one; bias[p][j][c] =
/// -2048 sum_t W[j][t][64p + c] (the correction of the nibbles unpacked as
/// 16 w). Returns every panel, a tensor<P x blocks x (T / 8) x 256 x i8> and
/// a tensor<P x blocks x 64 x i32> (with `panel` null: the kernel sets it),
/// if `weights` is a constant.
std::optional<PanelWeights> packInt4BlockedConstant(ImplicitLocOpBuilder &b,
                                                    Value weights);

/// Emits the packing of panel `panel` of the blocked i4 weights `weights`
/// into a tensor<blocks x (T / 8) x 256 x i8> and a tensor<blocks x 64 x i32>
/// (the i4 layout).
PanelWeights packInt4BlockedPanel(ImplicitLocOpBuilder &b, Value weights,
                                  Value panel);

} // namespace mlir::agn::vnni

#endif // AGN_LIB_CODEGEN_X86_VNNIPACKING_H
