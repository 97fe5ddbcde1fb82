//===- VnniLayout.h - Weight layouts of agn's VNNI kernels ------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The packed weight layouts of agn_x86.pack_vnni and pack_vnni_blocked (the
// ops' descriptions give them in full): their shapes, and their packing of
// constant weights, which the ops' folders use.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_X86_IR_VNNILAYOUT_H
#define AGN_DIALECT_X86_IR_VNNILAYOUT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

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
/// Bytes of one packed group of four K values of a panel.
inline constexpr int64_t kGroupBytes = kGroup * kPanelWidth;
/// The i4 values are unpacked as 16 times their value.
inline constexpr int64_t kNibbleScaleLog2 = 4;
/// The largest block of the i4 kernel: 16 * 1024 * T < 2^31.
inline constexpr int64_t kMaxBlockSize = int64_t{1} << 17;
/// The correction of one byte of B: the kernels compute with a + 128.
inline constexpr int64_t kByteCorrection = -128;
/// The correction of one i4 value, unpacked as 16 w: -128 * 16.
inline constexpr int64_t kNibbleCorrection =
    kByteCorrection * (int64_t{1} << kNibbleScaleLog2);

/// The packed weights and corrections of one layout.
struct PackedTypes {
  RankedTensorType packed;
  RankedTensorType correction;
};

/// Returns the types agn_x86.pack_vnni makes of K x N `weights`:
/// tensor<P x G x 256 x i8> and tensor<P x 64 x i32>.
PackedTypes getPackedTypes(RankedTensorType weights);

/// Returns the types agn_x86.pack_vnni_blocked makes of blocks x T x N
/// `weights`: tensor<P x blocks x (T / 8) x 256 x i8> and
/// tensor<P x blocks x 64 x i32>.
PackedTypes getBlockedPackedTypes(RankedTensorType weights);

/// The packed weights and corrections of constant weights.
struct PackedConstants {
  DenseElementsAttr packed;
  DenseElementsAttr correction;
};

/// Packs the constant K x N weights `weights` (i8, or i4) as
/// agn_x86.pack_vnni does.
PackedConstants packConstant(DenseIntElementsAttr weights);

/// Packs the constant blocks x T x N i4 weights `weights` as
/// agn_x86.pack_vnni_blocked does.
PackedConstants packBlockedConstant(DenseIntElementsAttr weights);

} // namespace mlir::agn::vnni

#endif // AGN_DIALECT_X86_IR_VNNILAYOUT_H
