//===- QuantizeWeights.cpp - Compile-time weights and unit costs ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn-quantize-weights prepares units for agn-multiversion and the runtime:
//
// - A unit whose weights are a dense f32 constant (arith.constant, tosa.const
//   or any other constant-like op) gets a copy of the constant in its body, in
//   place of its weight argument. The agn.quantize ops that
//   agn-multiversion emits on the weights then read a constant and fold, at
//   canonicalization, to each level's stored weights and scales: the
//   quantization happens once, at compile time. Weights that arrive as
//   arguments are left to be quantized at run time.
// - Every unit gets its cost table: per allowed level, the bytes of its
//   weights as that level stores them (values, scales, and the f32 bias) and
//   the multiply-accumulates of one call.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Dialect/AGN/IR/Quantization.h"
#include "agn/Dialect/AGN/Transforms/Contraction.h"
#include "agn/Dialect/AGN/Transforms/QuantizationScheme.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace mlir::agn {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns the contraction whose shapes give `unit`'s costs
/// (findUnitContraction), or diagnoses its absence.
static FailureOr<ContractionInfo> getUnitContraction(UnitOp unit) {
  if (std::optional<ContractionInfo> info = findUnitContraction(unit))
    return *info;
  return unit.emitError("unit '")
         << unit.getUnitName()
         << "' has no contraction to take its costs from (one of "
         << getContractionKindList()
         << " on tensors); form units with agn-form-units";
}

/// Returns the number of elements of `type`, counting dynamic sizes as 1 (the
/// cost per unit of that size, as ContractionInfo::getMacs does).
static uint64_t getNumElements(Type type) {
  uint64_t count = 1;
  for (int64_t size : cast<RankedTensorType>(type).getShape())
    if (!ShapedType::isDynamic(size))
      count *= static_cast<uint64_t>(size);
  return count;
}

/// Returns `unit`'s cost table: per allowed level, the stored weight values
/// (4, 2, 2, 1 or 1/2 byte each, rounded up), 4 bytes per weight scale, the
/// f32 bias, and the contraction's multiply-accumulates.
static ArrayAttr getCosts(UnitOp unit, const ContractionInfo &info,
                          int64_t i4BlockSize) {
  MLIRContext *context = unit.getContext();
  uint64_t numWeights = getNumElements(unit.getWeight().getType());
  uint64_t biasBytes =
      unit.getBias() ? 4 * getNumElements(unit.getBias().getType()) : 0;
  uint64_t macs = info.getMacs();
  SmallVector<Attribute> costs;
  for (Precision level : unit.getLevelValues()) {
    uint64_t valueBytes = (numWeights * getBitWidth(level) + 7) / 8;
    uint64_t scaleBytes = 4 * getNumWeightScales(info, level, i4BlockSize);
    costs.push_back(CostAttr::get(context, level,
                                  valueBytes + scaleBytes + biasBytes, macs));
  }
  return ArrayAttr::get(context, costs);
}

/// Moves a copy of `unit`'s dense f32 weight constant into its body, in place
/// of the weight argument, as an arith.constant. Any constant-like op counts
/// (arith.constant, tosa.const, ...), so that models from every frontend get
/// their weights quantized at compile time. Units whose weights are not such
/// a constant, or whose body no longer reads the argument, are left as they
/// are.
static LogicalResult sinkConstantWeights(UnitOp unit) {
  DenseFPElementsAttr weights;
  if (!matchPattern(unit.getWeight(), m_Constant(&weights)) ||
      !weights.getElementType().isF32())
    return success();

  Location loc = unit.getWeight().getLoc();
  if (!isAllFinite(weights)) {
    InFlightDiagnostic diag =
        unit.emitError("unit '")
        << unit.getUnitName()
        << "' has weights with NaN or infinite values, which no precision "
           "level can represent and which make its outputs NaN; fix the "
           "model's weights (retrain or re-export it)";
    diag.attachNote(loc) << "weights defined here";
    return diag;
  }

  BlockArgument argument = unit.getBody().getArgument(1);
  if (argument.use_empty())
    return success();
  auto builder = OpBuilder::atBlockBegin(&unit.getBody().front());
  Value inside = arith::ConstantOp::create(builder, loc, weights);
  argument.replaceAllUsesWith(inside);
  return success();
}

namespace {
struct QuantizeWeightsPass
    : public agn::impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (i4BlockSize < 1) {
      mlir::emitError(getOperation()->getLoc(),
                      "agn-quantize-weights: 'i4-block-size' must be at least "
                      "1, got ")
          << static_cast<int64_t>(i4BlockSize);
      return signalPassFailure();
    }
    SmallVector<UnitOp> units;
    getOperation()->walk([&](UnitOp unit) { units.push_back(unit); });
    bool failed = false;
    for (UnitOp unit : units) {
      FailureOr<ContractionInfo> info = getUnitContraction(unit);
      if (mlir::failed(info) || mlir::failed(sinkConstantWeights(unit))) {
        failed = true;
        continue;
      }
      unit.setCostsAttr(getCosts(unit, *info, i4BlockSize));
    }
    if (failed)
      signalPassFailure();
  }
};
} // namespace
