//===- ZeroTensors.h - Small builders and tests on tensors ------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Helpers that agn's passes, its conversion and its kernels all need, kept
// once here.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_UTILS_ZEROTENSORS_H
#define AGN_UTILS_ZEROTENSORS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace mlir::agn {

/// Creates a tensor of `sizes` filled with zeros of `elementType`: a
/// `tensor.empty` and a `linalg.fill` (which bufferizes in place).
Value createZeros(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType);

/// Returns whether `value` is known to be a tensor of zeros: a
/// `linalg.fill` of a zero (integer, or float of either sign) or a zero
/// constant.
bool isZeroTensor(Value value);

/// Returns the signless integer tensor `value` (of elements narrower than a
/// byte: i4 weights) sign-extended to i8 by an elementwise `linalg.generic`,
/// the form the `signed_dot` kernel recognizes as holding no -128.
Value signExtendToBytes(OpBuilder &b, Location loc, Value value);

} // namespace mlir::agn

#endif // AGN_UTILS_ZEROTENSORS_H
