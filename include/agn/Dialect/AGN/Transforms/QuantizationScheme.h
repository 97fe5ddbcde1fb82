//===- QuantizationScheme.h - How agn quantizes a contraction ---*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Which scales the integer versions of a contraction use: per row for the
// activations, per output channel (i8) or per block along the reduction (i4)
// for the weights. agn-multiversion builds the versions from these decisions
// and agn-quantize-weights counts the bytes of the scales they store, so both
// ask here.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_TRANSFORMS_QUANTIZATIONSCHEME_H
#define AGN_DIALECT_AGN_TRANSFORMS_QUANTIZATIONSCHEME_H

#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/AGN/Transforms/Contraction.h"

#include <optional>

namespace mlir::agn {

/// Which elements of a tensor share a scale, spelled as `agn.quantize`'s
/// attributes: one scale for the tensor (no axis), one per index along
/// `axis`, or one per `block` consecutive elements along `axis`.
struct ScaleGranularity {
  std::optional<int64_t> axis;
  std::optional<int64_t> block;

  bool isPerTensor() const { return !axis; }
  bool isPerBlock() const { return block.has_value(); }
};

/// Returns the granularity of the activation scales of the integer versions:
/// per row (along the input's row dimension) when the contraction has rows,
/// else per tensor.
ScaleGranularity getActivationScaleGranularity(const ContractionInfo &info);

/// Returns the granularity of the weight scales at integer `level`.
///
/// i8: per output channel (along the weights' channel dimension), per tensor
/// when the contraction has no single channel dimension.
///
/// i4: per block of `i4BlockSize` along the weights' reduction dimension when
/// the blocked formulation applies: the weights have a single reduction
/// dimension, of static size, which the block divides into more than one
/// block, and every indexing map is a projected permutation (so that the
/// reduction can be split in two loops and the block scales indexed from the
/// result). Otherwise as i8.
ScaleGranularity getWeightScaleGranularity(const ContractionInfo &info,
                                           Precision level,
                                           int64_t i4BlockSize);

/// Returns the number of scales the weights carry at `level`: none at the
/// float levels (their scales are all 1 and not stored), as
/// getWeightScaleGranularity says at the integer ones. Dynamic sizes count as
/// 1, as in ContractionInfo::getMacs.
uint64_t getNumWeightScales(const ContractionInfo &info, Precision level,
                            int64_t i4BlockSize);

} // namespace mlir::agn

#endif // AGN_DIALECT_AGN_TRANSFORMS_QUANTIZATIONSCHEME_H
