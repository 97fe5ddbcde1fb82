//===- UnitCanonicalization.cpp - agn.unit canonicalization patterns ------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::agn;

namespace {
/// Clones constant operands of a unit into its body and uses the clones
/// there: the body is isolated from above, so without this nothing inside
/// could fold on a constant input, weight or bias.
struct SinkConstantOperands : public OpRewritePattern<UnitOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(UnitOp unit,
                                PatternRewriter &rewriter) const override {
    Block &body = unit.getBody().front();
    bool changed = false;
    for (auto [operand, argument] :
         llvm::zip(unit->getOperands(), body.getArguments())) {
      Operation *def = operand.getDefiningOp();
      if (argument.use_empty() || !def || !matchPattern(def, m_Constant()))
        continue;
      rewriter.setInsertionPointToStart(&body);
      Operation *clone = rewriter.clone(*def);
      rewriter.replaceAllUsesWith(argument, clone->getResult(0));
      changed = true;
    }
    return success(changed);
  }
};
} // namespace

void UnitOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<SinkConstantOperands>(context);
}
