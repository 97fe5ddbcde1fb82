//===- VnniContractions.h - What agn's VNNI kernels compute -----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Which linalg ops agn-vnni-pack rewrites into agn_x86's kernel ops: the
// same test answers agn-cpu-configure-kernels (canUseVnniKernel), so that a
// `vnni` config is only given where the kernels apply.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CODEGEN_X86_VNNICONTRACTIONS_H
#define AGN_LIB_CODEGEN_X86_VNNICONTRACTIONS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::agn::vnni {

/// A signed i8 x i8 (or i4) -> i32 linalg.matmul with statically shaped
/// K x N weights.
struct Int8Matmul {
  linalg::MatmulOp op;
  int64_t k, n;
};

/// Returns the pieces of `op` if it is a signed i8 x i8 (or i4) -> i32
/// matmul on tensors with the default maps and statically shaped weights
/// that are constants or that packInt8Panel takes.
std::optional<Int8Matmul> matchInt8Matmul(linalg::MatmulOp op);

/// agn-multiversion's blocked i4 contraction and its rescaling:
///   P[m, n, j] = sum_t extsi(A[m, j, t]) * extsi(W[j, t, n])   (i32, from 0)
///   C[m, n] = init[m, n] + sum_j sitofp(P[m, n, j]) * (sa * sw[j, n])
/// with sa one scale per row of A (sa[m]) or per tensor (sa[]).
struct Int4BlockedMatmul {
  linalg::GenericOp partial, rescale;
  int64_t blocks, blockSize, n;
  bool perRowScales;
};

/// Returns the pieces of the partial sums `partial` and their rescaling if
/// they have the form of agn-multiversion's i4 version of a matmul (see
/// Int4BlockedMatmul) with statically shaped weights and blocks of a multiple
/// of 8.
std::optional<Int4BlockedMatmul>
matchInt4BlockedMatmul(linalg::GenericOp partial);

/// Returns whether the i4 tensor `value` is known to start on a whole byte
/// once bufferized and packed two values per byte: a fresh tensor (or a
/// function argument, passed with offset 0), or a reshape of one, or a
/// slice of one at an offset that is even whatever its dynamic indices are
/// (agn's batched matmuls slice their weights one batch element at a time),
/// following destination-style ops to their inits (whose buffers they
/// write).
bool startsOnWholeBytes(Value value);

/// Returns whether `weights` are a constant the layout ops fold (dense
/// integer elements): packed at compile time. Other weights are packed on
/// every call.
bool isFoldableConstant(Value weights);

/// Returns whether no byte of the i8 (or i4) `weights` can be -128, as
/// agn_x86.sdot requires of its right operand: i4 weights (-8 to 7, widened
/// to bytes), bytes sign-extended from fewer bits by a linalg.generic, or
/// constant i8 weights without -128 (agn quantizes to [-127, 127]), each
/// also through slices, reshapes and casts.
bool hasNoMinimumByte(Value weights);

/// Returns whether the `signed_dot` kernel can compute A x `weights` (A being
/// `lhs`): agn_x86.sdot is exact when either operand holds no -128
/// (hasNoMinimumByte). Where the weights may hold -128 (activations on the
/// right of a convolution's filter) and A holds none, the kernel passes A
/// as sdot's right operand.
bool canComputeWithSignedDot(Value lhs, Value weights);

/// Returns whether agn-vnni-matmuls can pack the K x N `weights` of an
/// i8 matmul on every call: any static i8 weights; i4 ones with K a
/// multiple of 4, N even and rows that start on whole bytes.
bool canPackInt8OnEveryCall(Value weights);

/// Returns whether agn-vnni-matmuls can pack the blocks x T x N i4
/// `weights` of a block-scaled matmul on every call: read in rows of 64
/// values, which must start on whole bytes of the emulated (two per byte)
/// memref.
bool canPackBlockedOnEveryCall(Value weights);

} // namespace mlir::agn::vnni

#endif // AGN_LIB_CODEGEN_X86_VNNICONTRACTIONS_H
