//===- Schedule.cpp - Apply a transform-dialect schedule to one op --------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Schedule.h"

#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/Linalg/TransformOps/DialectExtension.h"
#include "mlir/Dialect/SCF/TransformOps/SCFTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/Dialect/Vector/TransformOps/VectorTransformOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#define DEBUG_TYPE "agn-gpu-schedule"

using namespace mlir;

/// The unit attribute that names the one op a schedule applies to. Tiling
/// copies an op's attributes onto its tiles, so it is removed afterwards.
static constexpr StringLiteral kTargetMarker = "agn.gpu_schedule_target";

void mlir::agn::gpu_schedule::registerExtensions(DialectRegistry &registry) {
  linalg::registerTransformDialectExtension(registry);
  gpu::registerTransformDialectExtension(registry);
  scf::registerTransformDialectExtension(registry);
  vector::registerTransformDialectExtension(registry);
}

LogicalResult mlir::agn::gpu_schedule::apply(Operation *root, Operation *target,
                                             StringRef body, StringRef pass) {
  std::string text = llvm::formatv(
      R"mlir(
module attributes {{transform.with_named_sequence} {
  transform.named_sequence @__transform_main(
      %root: !transform.any_op {{transform.readonly}) {
    %target = transform.structured.match attributes {{{0}} in %root
        : (!transform.any_op) -> !transform.any_op
{1}
    transform.yield
  }
}
)mlir",
      kTargetMarker, body);
  LLVM_DEBUG(llvm::dbgs() << pass << " schedule for " << target->getName()
                          << ":\n"
                          << text << "\n");
  ParserConfig config(root->getContext());
  OwningOpRef<ModuleOp> schedule =
      parseSourceString<ModuleOp>(text, config, pass);
  if (!schedule)
    return root->emitError()
           << pass << ": internal error: the schedule does not parse";
  auto entry =
      schedule->lookupSymbol<transform::NamedSequenceOp>("__transform_main");
  target->setAttr(kTargetMarker, UnitAttr::get(root->getContext()));
  LogicalResult result = transform::applyTransforms(
      root, entry, {},
      transform::TransformOptions().enableExpensiveChecks(false),
      /*enforceToplevelTransformOp=*/false);
  root->walk([](Operation *op) { op->removeAttr(kTargetMarker); });
  if (failed(result))
    return root->emitError() << pass << ": the schedule failed (see above)";
  return success();
}
