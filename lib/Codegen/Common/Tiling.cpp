//===- Tiling.cpp - Tiling helpers of agn's kernel passes -----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Tiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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

bool mlir::agn::hasEmptyIterationDomain(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && llvm::is_contained(linalgOp.getStaticLoopRanges(), 0);
}

bool mlir::agn::isPlainElementwise(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && generic.hasPureTensorSemantics() &&
         generic.getNumLoops() == generic.getNumParallelLoops() &&
         generic->getDiscardableAttrDictionary().empty();
}

bool mlir::agn::hasFloatOperands(Operation *op) {
  return llvm::all_of(op->getOperandTypes(), [](Type type) {
    return isa<FloatType>(getElementTypeOrSelf(type));
  });
}

FailureOr<linalg::MatmulOp> mlir::agn::splitBatch(RewriterBase &rewriter,
                                                  linalg::BatchMatmulOp op,
                                                  StringRef pass) {
  FailureOr<Operation *> tiled =
      tileInPlace(rewriter, op, {1, 0, 0, 0}, pass, "splitting the batch");
  if (failed(tiled))
    return failure();
  auto tile = cast<linalg::BatchMatmulOp>(*tiled);
  Location loc = tile.getLoc();
  rewriter.setInsertionPoint(tile);
  SmallVector<ReassociationIndices> dropBatch = {{0, 1}, {2}};
  auto matrix = [&](Value value) -> Value {
    return tensor::CollapseShapeOp::create(rewriter, loc, value, dropBatch);
  };
  Value init = matrix(tile.getDpsInits()[0]);
  // Integer operands are extended as the batch matmul extends them. (The
  // body is built from the attributes the op is created with: setting the
  // cast afterwards would leave a sign-extending body.)
  SmallVector<NamedAttribute> attributes;
  if (linalg::TypeFnAttr cast = tile.getCastAttr())
    attributes.push_back(rewriter.getNamedAttr("cast", cast));
  auto matmul =
      linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()},
                               ValueRange{matrix(tile.getDpsInputs()[0]),
                                          matrix(tile.getDpsInputs()[1])},
                               ValueRange{init}, attributes);
  rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
      tile, tile.getResultTypes()[0], matmul.getResult(0), dropBatch);
  return matmul;
}

Value mlir::agn::buildUnitChunks(
    ImplicitLocOpBuilder &b, Value init, unsigned dim, int64_t units,
    int64_t unitSize, int64_t threads,
    function_ref<Value(ImplicitLocOpBuilder &, Value, int64_t, Value)>
        compute) {
  if (threads <= 1 || units < 2)
    return compute(b, arith::ConstantIndexOp::create(b, 0), units, init);
  int64_t perChunk = llvm::divideCeil(units, threads);
  while (units % perChunk != 0)
    --perChunk;
  auto forall = scf::ForallOp::create(
      b, ArrayRef<OpFoldResult>{b.getIndexAttr(units / perChunk)},
      ValueRange{init}, /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  Value first =
      arith::MulIOp::create(b, forall.getInductionVar(0),
                            arith::ConstantIndexOp::create(b, perChunk));
  Value offset =
      unitSize == 1 ? first
                    : arith::MulIOp::create(
                          b, first, arith::ConstantIndexOp::create(b, unitSize))
                          .getResult();
  ArrayRef<int64_t> shape = cast<RankedTensorType>(init.getType()).getShape();
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0));
  offsets[dim] = offset;
  SmallVector<OpFoldResult> sizes =
      getAsIndexOpFoldResult(b.getContext(), shape);
  sizes[dim] = b.getIndexAttr(perChunk * unitSize);
  SmallVector<OpFoldResult> strides(shape.size(), b.getIndexAttr(1));
  Value shared = forall.getRegionIterArgs()[0];
  Value slice =
      tensor::ExtractSliceOp::create(b, shared, offsets, sizes, strides);
  Value chunk = compute(b, first, perChunk, slice);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, chunk, shared, offsets, sizes,
                                        strides);
  return forall.getResult(0);
}

scf::ForOp mlir::agn::buildCountedLoop(
    ImplicitLocOpBuilder &b, int64_t count, ValueRange inits,
    function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, Value, ValueRange)>
        body) {
  return scf::ForOp::create(
      b, arith::ConstantIndexOp::create(b, 0),
      arith::ConstantIndexOp::create(b, count),
      arith::ConstantIndexOp::create(b, 1), inits,
      [&](OpBuilder &nested, Location loc, Value index, ValueRange iterArgs) {
        ImplicitLocOpBuilder inner(loc, nested);
        scf::YieldOp::create(inner, body(inner, index, iterArgs));
      });
}
