//===- AGNToStandard.cpp - agn-lower pass ---------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Conversion/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNLOWER
#include "agn/Conversion/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct AGNLowerPass : public agn::impl::AGNLowerBase<AGNLowerPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
