//===- FormUnits.cpp - agn-form-units pass
//---------------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

namespace mlir::agn {
#define GEN_PASS_DEF_FORMUNITS
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct FormUnitsPass : public agn::impl::FormUnitsBase<FormUnitsPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
