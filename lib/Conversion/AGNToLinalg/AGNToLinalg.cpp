//===- AGNToLinalg.cpp - agn-lower pass -----------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn-lower replaces every agn op with upstream ops on tensors, in two steps:
// the arbitrations first, because they need their enclosing unit (name,
// levels, costs) and module-level symbols; then everything else with the
// dialect conversion framework, which inlines the units. What the pass
// cannot lower is diagnosed up front, so it fails without touching the IR.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/AGNToLinalg/AGNToLinalg.h"
#include "agn/Conversion/Passes.h"

#include "agn/Dialect/AGN/IR/AGNDialect.h"
#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNLOWER
#include "agn/Conversion/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// The widest float type the lowering computes with: statistics and
/// quantization work in f64 at most.
static constexpr unsigned kMaxFloatBits = 64;

/// Diagnoses a float element type the lowering cannot compute with.
static LogicalResult checkFloatWidth(Operation *op, Type type, StringRef what) {
  Type element = cast<ShapedType>(type).getElementType();
  if (element.getIntOrFloatBitWidth() <= kMaxFloatBits)
    return success();
  return op->emitError("agn-lower cannot lower this op: its ")
         << what << " has element type " << element
         << ", wider than the f64 it computes in; convert the " << what
         << " to f64 or f32 first";
}

LogicalResult mlir::agn::checkLowerable(ModuleOp module) {
  bool failed = false;
  module.walk([&](Operation *op) {
    if (!isa<AGNDialect>(op->getDialect()))
      return;
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case<VarianceOp, AbsMaxOp>([](auto statistic) {
              return checkFloatWidth(statistic, statistic.getInput().getType(),
                                     "input");
            })
            .Case([](QuantizeOp quantize) {
              return checkFloatWidth(quantize, quantize.getInput().getType(),
                                     "input");
            })
            .Case([](RequantizeOp requantize) {
              return checkFloatWidth(
                  requantize,
                  RankedTensorType::get({},
                                        requantize.getYieldedValue().getType()),
                  "body's value");
            })
            .Case([](DequantizeOp dequantize) {
              return checkFloatWidth(
                  dequantize, dequantize.getResult().getType(), "result");
            })
            .Case([](UnitOp unit) -> LogicalResult {
              // The runtime takes the name as a C string.
              if (!unit.getUnitName().contains('\0'))
                return success();
              return unit.emitError("agn-lower cannot register this unit with "
                                    "the runtime: its name contains a NUL "
                                    "character; rename the unit");
            })
            .Case<SelectOp, ArbitrateOp, DispatchOp, YieldOp>(
                [](Operation *) { return success(); })
            .Default([](Operation *unknown) {
              return unknown->emitError("agn-lower has no lowering for '")
                     << unknown->getName()
                     << "'; lower or remove it before agn-lower";
            });
    failed |= mlir::failed(result);
  });
  return failure(failed);
}

namespace {
struct AGNLowerPass : public agn::impl::AGNLowerBase<AGNLowerPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkLowerable(module)) || failed(lowerArbitrations(module)))
      return signalPassFailure();

    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    target.addIllegalDialect<AGNDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(context);
    populateStatisticLoweringPatterns(patterns);
    populateQuantizationLoweringPatterns(patterns);
    populateControlLoweringPatterns(patterns);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
