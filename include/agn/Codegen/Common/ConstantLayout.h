//===- ConstantLayout.h - Compile-time relayout of constants ----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Kernel passes store constant weights in the layout their loops read
// (transposed matrices, column panels, filter panels), so that no copy runs
// per call. Each such layout is a row-major view of the values with its
// dimensions permuted; this file computes it once, at compile time.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_CODEGEN_COMMON_CONSTANTLAYOUT_H
#define AGN_CODEGEN_COMMON_CONSTANTLAYOUT_H

#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::agn {

/// Returns `values` viewed row-major as `viewShape` (with as many elements)
/// and its dimensions permuted: dimension i of the result is dimension
/// `permutation[i]` of the view, as linalg.transpose defines it. For example,
/// [K, N] values as panels of 32 columns ([N / 32, K, 32]) are the view
/// [K, N / 32, 32] permuted by [1, 0, 2]. Splats are resized; whole-byte
/// elements are moved as bytes, narrower integers (i1, i4) value by value.
/// The elements must be integers or floats of whole bytes (not f4/f6/f8
/// variants narrower than a byte, nor index or complex).
DenseElementsAttr permuteConstant(DenseElementsAttr values,
                                  ArrayRef<int64_t> viewShape,
                                  ArrayRef<int64_t> permutation);

} // namespace mlir::agn

#endif // AGN_CODEGEN_COMMON_CONSTANTLAYOUT_H
