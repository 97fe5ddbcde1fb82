//===- AdaptivePipeline.cpp - agn-adaptive-pipeline -----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Pipelines/Pipelines.h"

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::agn;

void mlir::agn::buildAdaptivePipeline(OpPassManager &pm,
                                      const AdaptivePipelineOptions &options) {
  FormUnitsOptions formUnits;
  formUnits.ops.assign(options.ops.begin(), options.ops.end());
  formUnits.levels.assign(options.levels.begin(), options.levels.end());
  formUnits.thresholds.assign(options.thresholds.begin(),
                              options.thresholds.end());
  formUnits.hysteresis = options.hysteresis;
  formUnits.statistic = options.statistic;
  formUnits.split = options.split;
  formUnits.splitAlong = options.splitAlong;
  pm.addPass(createFormUnits(formUnits));

  InsertControllersOptions controllers;
  controllers.stride = options.stride;
  pm.addPass(createInsertControllers(controllers));

  QuantizeWeightsOptions quantize;
  quantize.i4BlockSize = options.i4BlockSize;
  pm.addPass(createQuantizeWeights(quantize));

  MultiVersionOptions multiversion;
  multiversion.i4BlockSize = options.i4BlockSize;
  pm.addPass(createMultiVersion(multiversion));

  // Each version pads what it computes on (i8 values, not f32 ones).
  pm.addPass(createSinkPadding());

  // Folds the compile-time weight quantizations into constants and removes
  // what the versions no longer use.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // After the weight quantizations folded: the producer's dequantization
  // and epilogue are then what agn.requantize absorbs.
  if (options.exchangeQuantized)
    pm.addPass(createExchangeQuantized());
}

void mlir::agn::registerAdaptivePipeline() {
  PassPipelineRegistration<AdaptivePipelineOptions>(
      "agn-adaptive-pipeline",
      "Turn linalg contractions into Granularity Units with controllers and "
      "one kernel version per precision level",
      buildAdaptivePipeline);
}
