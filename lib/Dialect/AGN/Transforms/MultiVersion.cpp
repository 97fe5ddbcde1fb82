//===- MultiVersion.cpp - agn-multiversion pass
//---------------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

namespace mlir::agn {
#define GEN_PASS_DEF_MULTIVERSION
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct MultiVersionPass : public agn::impl::MultiVersionBase<MultiVersionPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
