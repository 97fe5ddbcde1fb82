//===- SplitEmptyTensors.cpp - agn-split-empty-tensors
//---------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Every use of a tensor.empty gets one of its own before bufferization, so
// that One-Shot Bufferize's pairwise conflict analysis does not meet one
// alias set holding every destination of a shape (see the pass description
// in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNSPLITEMPTYTENSORS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {

struct AGNSplitEmptyTensors
    : agn::impl::AGNSplitEmptyTensorsBase<AGNSplitEmptyTensors> {
  void runOnOperation() override {
    SmallVector<tensor::EmptyOp> empties;
    getOperation()->walk([&](tensor::EmptyOp op) { empties.push_back(op); });
    for (tensor::EmptyOp empty : empties) {
      if (empty->hasOneUse() || empty->use_empty())
        continue;
      // A clone just before each user (the sizes the clone takes dominate
      // the original, so they dominate the user too), then the original
      // goes.
      SmallVector<OpOperand *> uses = llvm::map_to_vector(
          empty->getUses(), [](OpOperand &use) { return &use; });
      for (OpOperand *use : uses) {
        OpBuilder builder(use->getOwner());
        use->set(builder.clone(*empty)->getResult(0));
      }
      empty->erase();
    }
  }
};

} // namespace
