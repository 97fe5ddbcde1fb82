//===- QuantizationScheme.cpp - How agn quantizes a contraction -----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/QuantizationScheme.h"

#include "agn/Dialect/AGN/IR/Quantization.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::agn;

ScaleGranularity
mlir::agn::getActivationScaleGranularity(const ContractionInfo &info) {
  return {info.getInputRowDim(), std::nullopt};
}

/// Returns whether the i4 weights of `info` can take per-block scales of
/// `blockSize` (see getWeightScaleGranularity).
static bool canUseBlockScales(const ContractionInfo &info, int64_t blockSize) {
  std::optional<int64_t> reductionDim = info.getWeightReductionDim();
  if (blockSize <= 0 || !reductionDim)
    return false;
  auto weightType =
      cast<RankedTensorType>(info.getWeightOperand().get().getType());
  int64_t size = weightType.getDimSize(*reductionDim);
  if (ShapedType::isDynamic(size) || size % blockSize != 0 ||
      size / blockSize < 2)
    return false;

  // The blocked version splits the reduction loop in two, which needs it as a
  // plain dimension of the input too, and indexes the block scales by the
  // weights' other loops, which must therefore be loops of the result.
  AffineMap inputMap = info.op.getMatchingIndexingMap(&info.getInputOperand());
  AffineMap weightMap =
      info.op.getMatchingIndexingMap(&info.getWeightOperand());
  AffineMap outputMap =
      info.op.getMatchingIndexingMap(&info.getOutputOperand());
  if (!inputMap.isProjectedPermutation() ||
      !weightMap.isProjectedPermutation() ||
      !outputMap.isProjectedPermutation())
    return false;
  unsigned reductionLoop = info.reductionLoops.front();
  if (!info.getOperandDim(info.getInputOperand(), reductionLoop))
    return false;
  return llvm::all_of(weightMap.getResults(), [&](AffineExpr expr) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    return loop == reductionLoop ||
           info.getOperandDim(info.getOutputOperand(), loop).has_value();
  });
}

ScaleGranularity
mlir::agn::getWeightScaleGranularity(const ContractionInfo &info,
                                     Precision level, int64_t i4BlockSize) {
  if (level == Precision::i4 && canUseBlockScales(info, i4BlockSize))
    return {info.getWeightReductionDim(), i4BlockSize};
  return {info.getWeightScaleDim(), std::nullopt};
}

uint64_t mlir::agn::getNumWeightScales(const ContractionInfo &info,
                                       Precision level, int64_t i4BlockSize) {
  if (isFloatPrecision(level))
    return 0;
  ScaleGranularity granularity =
      getWeightScaleGranularity(info, level, i4BlockSize);
  auto weightType =
      cast<RankedTensorType>(info.getWeightOperand().get().getType());
  uint64_t count = 1;
  for (int64_t size : getQuantizationScalesShape(
           weightType.getShape(), granularity.axis, granularity.block))
    if (!ShapedType::isDynamic(size))
      count *= static_cast<uint64_t>(size);
  return count;
}
