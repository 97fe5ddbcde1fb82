//===- SetTarget.cpp - agn-set-target -------------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"
#include "agn/Utils/Target.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNSETTARGET
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct SetTargetPass : public agn::impl::AGNSetTargetBase<SetTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (keepExisting && getTarget(module))
      return;
    std::string error;
    FailureOr<LLVM::TargetAttr> target =
        resolveTarget(&getContext(), cpu, triple, features, error);
    if (failed(target)) {
      module.emitError("agn-set-target: ") << error;
      return signalPassFailure();
    }
    module->setAttr(LLVM::LLVMDialect::getTargetAttrName(), *target);
  }
};
} // namespace
