//===- MagnitudeMaximum.h - max|x| reductions for agn-lower -----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The largest magnitude of a tensor or of each of its groups, as agn.abs_max
// and agn.quantize's scales need it: NaN as soon as one element is NaN, and
// in a form LLVM vectorizes.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_CONVERSION_AGNTOSTANDARD_MAGNITUDEMAXIMUM_H
#define AGN_LIB_CONVERSION_AGNTOSTANDARD_MAGNITUDEMAXIMUM_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"

namespace mlir::agn {

/// Returns max|x| over the elements of `input` that `inputMap` and
/// `resultMap` send to each element of a tensor of `sizes` (a linalg
/// reduction with `iterators`), as a tensor of `resultType`, which must hold
/// every magnitude of `input`'s element type exactly (f32 or f64). A result
/// element with no input element is 0; one with a NaN element is NaN.
Value buildMagnitudeMaximum(OpBuilder &b, Location loc, Value input,
                            ArrayRef<OpFoldResult> sizes, AffineMap inputMap,
                            AffineMap resultMap,
                            ArrayRef<utils::IteratorType> iterators,
                            FloatType resultType);

} // namespace mlir::agn

#endif // AGN_LIB_CONVERSION_AGNTOSTANDARD_MAGNITUDEMAXIMUM_H
