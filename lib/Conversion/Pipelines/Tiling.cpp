//===- Tiling.cpp - Tiling helpers of agn's kernel passes -----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Tiling.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using namespace mlir::agn;

FailureOr<Operation *> mlir::agn::tileInPlace(RewriterBase &rewriter,
                                              Operation *op,
                                              ArrayRef<int64_t> sizes,
                                              StringRef pass, StringRef what,
                                              bool forall) {
  scf::SCFTilingOptions options;
  if (forall)
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
  if (failed(tiled))
    return op->emitError() << pass << ": " << what << " failed";
  rewriter.replaceOp(op, tiled->replacements);
  return tiled->tiledOps.back();
}

bool mlir::agn::hasFloatOperands(Operation *op) {
  return llvm::all_of(op->getOperandTypes(), [](Type type) {
    return isa<FloatType>(getElementTypeOrSelf(type));
  });
}
