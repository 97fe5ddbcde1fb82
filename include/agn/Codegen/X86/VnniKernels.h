//===- VnniKernels.h - Where agn's VNNI kernels apply -----------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_X86_VNNIKERNELS_H
#define AGN_CODEGEN_X86_VNNIKERNELS_H

#include "agn/Dialect/AGN/IR/AGNAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::agn::x86 {

/// Returns whether kernels of `kind` are agn-vnni-matmuls' kernels on
/// packed panels: `vnni` (AVX-512 VNNI) and `signed_dot` (AVX2).
inline bool readsPackedPanels(KernelKind kind) {
  return kind == KernelKind::vnni || kind == KernelKind::signed_dot;
}

/// Returns whether agn-vnni-matmuls can compute the matmul `op`: signed
/// i8 x i8 (or i4) -> i32, tensors, default maps, static non-empty weights
/// that are constants or that it can pack on every call (and more than one
/// row of A for i8 weights packed on every call, where packing does not pay).
bool canUseVnniKernel(linalg::MatmulOp op);

/// Returns whether agn-vnni-matmuls can compute the matmul `op` with the
/// `signed_dot` kernel (AVX2, agn_x86.sdot): as canUseVnniKernel, with
/// weights or A that hold no -128 (i4, bytes sign-extended from i4, or i8
/// constants without it: a convolution's filter on the left).
bool canUseSignedDotKernel(linalg::MatmulOp op);

/// Returns whether no byte of the i8 (or i4) tensor `value` can be -128, as
/// agn_x86.sdot requires of one operand: i4 values, bytes sign-extended from
/// fewer bits, or i8 constants without -128 (agn quantizes to [-127, 127]).
bool holdsNoMinimumByte(Value value);

/// Returns whether agn-vnni-matmuls can fuse the block-scaled i4 matmul
/// whose partial sums are `partialSums` (marked #agn.blocked_matmul by
/// agn-multiversion) with its rescale into one kernel.
bool canUseVnniKernel(linalg::GenericOp partialSums);

} // namespace mlir::agn::x86

#endif // AGN_CODEGEN_X86_VNNIKERNELS_H
