//===- VnniPacking.h - Packing weights for agn's VNNI kernels ---*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The code that packs weights that are not constants into the layouts of
// agn_x86.pack_vnni and pack_vnni_blocked (VnniLayout.h; constants fold at
// compile time): vector loops that pack one panel, which agn-vnni-matmuls
// emits right before its kernel reads the panel (so that it is still in the
// cache), or a loop over every panel for a packing no kernel reads.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CODEGEN_X86_VNNIPACKING_H
#define AGN_LIB_CODEGEN_X86_VNNIPACKING_H

#include "agn/Dialect/X86/IR/VnniLayout.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::agn::vnni {

/// The packed weights and sign-flip corrections one panel of 64 columns of
/// a kernel reads: either tensors that hold every panel (the first index of
/// both is then `panel`) or the panel's own tensors (`panel` is null).
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

/// Returns whether packInt8Panel takes weights of `type`: static K x N, i8,
/// or i4 with K a multiple of 4 and N even (each row then starts on a whole
/// byte of the emulated, two-per-byte memref).
bool canPackInt8Panel(RankedTensorType type);

/// Emits the packing of panel `panel` of the K x N i8 (or i4, sign-extended)
/// weights `weights` into a tensor<G x 256 x i8> and, `withCorrection`, a
/// tensor<64 x i32> (agn_x86.pack_vnni's layout, one panel); without it (the
/// `signed_dot` kernel reads none) the bias is null and the columns are not
/// summed.
PanelWeights packInt8Panel(ImplicitLocOpBuilder &b, Value weights, Value panel,
                           bool withCorrection = true);

/// Emits the packing of panel `panel` of the blocked i4 weights `weights`
/// into a tensor<blocks x (T / 8) x 256 x i8> and a tensor<blocks x 64 x i32>
/// (agn_x86.pack_vnni_blocked's layout, one panel).
PanelWeights packInt4BlockedPanel(ImplicitLocOpBuilder &b, Value weights,
                                  Value panel);

/// Emits the packing of every panel of `weights` (a loop over the panels)
/// into tensors of `types`, in agn_x86.pack_vnni_blocked's layout if
/// `blocked`, else in agn_x86.pack_vnni's; returns the packed weights and
/// the corrections.
std::pair<Value, Value> packAllPanels(ImplicitLocOpBuilder &b, Value weights,
                                      const PackedTypes &types, bool blocked);

} // namespace mlir::agn::vnni

#endif // AGN_LIB_CODEGEN_X86_VNNIPACKING_H
