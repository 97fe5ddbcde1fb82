//===- Report.cpp - agn-report pass ---------------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

namespace mlir::agn {
#define GEN_PASS_DEF_REPORT
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
struct ReportPass : public agn::impl::ReportBase<ReportPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
