//===- EmitCInterface.cpp - agn-emit-c-interface pass ---------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNEMITCINTERFACE
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct EmitCInterfacePass
    : public agn::impl::AGNEmitCInterfaceBase<EmitCInterfacePass> {
  using Base::Base;

  void runOnOperation() override {
    StringRef name = LLVM::LLVMDialect::getEmitCWrapperAttrName();
    auto unit = UnitAttr::get(&getContext());
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal())
        fn->setAttr(name, unit);
  }
};
} // namespace
