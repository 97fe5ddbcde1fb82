//===- Quantization.h - Symmetric quantization of constants -----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The arithmetic of `agn.quantize` on compile-time constants: which elements
// share a scale, the scales, and the stored values. The op's folder and the
// passes that quantize constant weights share it, so that a weight quantized
// at compile time is bit for bit the one the op describes.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_IR_QUANTIZATION_H
#define AGN_DIALECT_AGN_IR_QUANTIZATION_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::agn {

/// Returns the shape of `agn.quantize`'s scales for values of `shape`: `[]`
/// per tensor (no `axis`), `[shape[axis]]` per index along `axis`, and `shape`
/// with `shape[axis]` divided by `block` per block. Dynamic sizes stay
/// dynamic.
SmallVector<int64_t> getQuantizationScalesShape(ArrayRef<int64_t> shape,
                                                std::optional<int64_t> axis,
                                                std::optional<int64_t> block);

/// The stored values and the scales of a constant, quantized as
/// `agn.quantize` does at run time.
struct QuantizedConstant {
  /// The stored values: integers for i8 and i4 (one element per value; the
  /// packing of i4 is a matter of memory layout), floats otherwise.
  DenseElementsAttr stored;
  /// The f32 scales, shaped as getQuantizationScalesShape says.
  DenseElementsAttr scales;
};

/// Quantizes the constant `values` to `storedType` (element type i8, i4, f16,
/// bf16 or f32, the shape of `values`) with scales of `scalesType`, grouping
/// elements by `axis` and `block` as `agn.quantize` does: `scale = max|x| /
/// qmax` per group (1 for an all-zero group), rounded to f32, and `stored =
/// clamp(round_half_even(x / scale), -qmax, qmax)`, where `x / scale` is
/// evaluated in double as `x * qmax / max|x|`, which for inputs of up to 32
/// bits rounds as exact arithmetic does (ties included). Float storage rounds
/// to nearest, ties to even, with every scale 1.
///
/// Fails, leaving the work to run time, when a type is not static, when an
/// element is NaN or infinite, or when float storage would overflow (an
/// element's magnitude is above the storage type's largest finite value).
FailureOr<QuantizedConstant> quantizeConstant(DenseFPElementsAttr values,
                                              RankedTensorType storedType,
                                              RankedTensorType scalesType,
                                              std::optional<int64_t> axis,
                                              std::optional<int64_t> block);

/// Returns whether every element of `values` is finite (neither NaN nor
/// infinite).
bool isAllFinite(DenseFPElementsAttr values);

} // namespace mlir::agn

#endif // AGN_DIALECT_AGN_IR_QUANTIZATION_H
