//===- HoistVectorTransfers.cpp - agn-hoist-vector-transfers --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Codegen/Common/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::agn {
#define GEN_PASS_DEF_AGNHOISTVECTORTRANSFERS
#include "agn/Codegen/Common/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

/// Returns the buffer `memref` is a view of: the first value, following the
/// sources of view-like ops (subviews, reshapes, casts, the metadata of a
/// strided buffer), that no view-like op defines.
static Value getViewRoot(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  return memref;
}

/// Returns whether the buffers `a` and `b` may overlap. Distinct allocations
/// (memref.alloc, memref.alloca) overlap nothing but views of themselves,
/// and distinct globals do not overlap each other; anything else (function
/// arguments, values from calls or loads) may be anything.
static bool mayAlias(Value a, Value b) {
  Value rootA = getViewRoot(a), rootB = getViewRoot(b);
  if (rootA == rootB)
    return true;
  auto isAllocation = [](Value root) {
    return isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(
        root.getDefiningOp());
  };
  if (isAllocation(rootA) || isAllocation(rootB))
    return false;
  auto globalA = rootA.getDefiningOp<memref::GetGlobalOp>();
  auto globalB = rootB.getDefiningOp<memref::GetGlobalOp>();
  return !globalA || !globalB || globalA.getName() == globalB.getName();
}

/// Hoists out of `loop` a vector.transfer_read and a vector.transfer_write
/// of one buffer at the same loop-invariant place (the accumulator tile of
/// a vectorized matmul), when nothing else in the loop writes memory and
/// every other read is of a buffer that cannot overlap it. Upstream's
/// hoisting gives up on any buffer that has a view anywhere in the function
/// (a matmul split into whole tiles and a remainder writes both parts into
/// one buffer through views), which left those tiles loaded and stored on
/// every K step: half the speed.
static void hoistAccumulatorPair(RewriterBase &rewriter, scf::ForOp loop) {
  vector::TransferReadOp read;
  vector::TransferWriteOp write;
  SmallVector<Value> otherReads;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (auto transfer = dyn_cast<vector::TransferWriteOp>(op)) {
      if (write || !isa<MemRefType>(transfer.getShapedType()))
        return;
      write = transfer;
      continue;
    }
    if (auto transfer = dyn_cast<vector::TransferReadOp>(op)) {
      if (!isa<MemRefType>(transfer.getShapedType()))
        return;
      otherReads.push_back(transfer.getBase());
      continue;
    }
    if (!isMemoryEffectFree(&op))
      return;
  }
  if (!write || write.getMask() || write.hasOutOfBoundsDim())
    return;
  Value buffer = write.getBase();
  if (!loop.isDefinedOutsideOfLoop(buffer) ||
      llvm::any_of(write.getIndices(), [&](Value index) {
        return !loop.isDefinedOutsideOfLoop(index);
      }))
    return;
  // The one read of the tile: the same place, type and map as the write.
  for (Operation &op : loop.getBody()->without_terminator()) {
    auto transfer = dyn_cast<vector::TransferReadOp>(op);
    if (!transfer || transfer.getBase() != buffer)
      continue;
    if (read || transfer.getIndices() != write.getIndices() ||
        transfer.getVectorType() != write.getVectorType() ||
        transfer.getPermutationMap() != write.getPermutationMap() ||
        transfer.getMask() || transfer.hasOutOfBoundsDim() ||
        !transfer->isBeforeInBlock(write))
      return;
    read = transfer;
  }
  if (!read || llvm::any_of(read->getOperands(), [&](Value operand) {
        return !loop.isDefinedOutsideOfLoop(operand);
      }))
    return;
  bool overlaps = false;
  for (Value other : otherReads)
    if (other != buffer && mayAlias(other, buffer))
      overlaps = true;
  if (overlaps)
    return;

  // The read before the loop, its vector carried by the loop, the write
  // after it.
  rewriter.moveOpBefore(read, loop);
  FailureOr<LoopLikeOpInterface> replaced =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, read.getResult(),
              /*replaceInitOperandUsesInLoop=*/true,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                return SmallVector<Value>{write.getVector()};
              });
  if (failed(replaced))
    return;
  Operation *newLoop = replaced->getOperation();
  rewriter.moveOpAfter(write, newLoop);
  rewriter.modifyOpInPlace(write, [&] {
    write.getValueToStoreMutable().assign(newLoop->getResults().back());
  });
}

/// Hoists the accumulator pairs upstream's hoisting left in the loops under
/// `root`.
static void hoistRemainingAccumulators(RewriterBase &rewriter,
                                       Operation *root) {
  SmallVector<scf::ForOp> loops;
  root->walk([&](scf::ForOp loop) { loops.push_back(loop); });
  for (scf::ForOp loop : loops)
    hoistAccumulatorPair(rewriter, loop);
}

/// Hoists the redundant transfers of the loop nest `outermost` alone, as
/// upstream's hoistRedundantVectorTransfers would inside a whole function.
/// Upstream restarts its walk of the root after every pair it hoists, and
/// first moves the invariant code of every loop under the root: over a whole
/// model's function (every unit at every level) that is quadratic, 12 s of
/// densenet121's compile at five levels. A nest at a time, the walks cover
/// that nest only. The root cannot be the loop itself, which hoisting
/// replaces: the nest goes into an `scf.execute_region` for the duration,
/// and the region is inlined back after, leaving the IR upstream would.
static void hoistInLoopNest(RewriterBase &rewriter,
                            LoopLikeOpInterface outermost) {
  Operation *loop = outermost.getOperation();
  rewriter.setInsertionPoint(loop);
  auto region = scf::ExecuteRegionOp::create(rewriter, loop->getLoc(),
                                             loop->getResultTypes());
  Block *body = rewriter.createBlock(&region.getRegion());
  rewriter.replaceAllUsesWith(loop->getResults(), region.getResults());
  rewriter.moveOpBefore(loop, body, body->end());
  rewriter.setInsertionPointToEnd(body);
  scf::YieldOp::create(rewriter, loop->getLoc(), loop->getResults());

  linalg::hoistRedundantVectorTransfers(region);
  hoistRemainingAccumulators(rewriter, region);

  Block *parent = region->getBlock();
  auto yield = cast<scf::YieldOp>(body->getTerminator());
  SmallVector<Value> results(yield.getOperands());
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(body, parent, region->getIterator());
  rewriter.replaceOp(region, results);
}

namespace {
struct HoistVectorTransfersPass
    : public agn::impl::AGNHoistVectorTransfersBase<HoistVectorTransfersPass> {
  using Base::Base;

  void runOnOperation() override {
    // Hoisting needs the transfers on the buffers themselves, not on
    // subviews of them.
    RewritePatternSet patterns(&getContext());
    memref::populateFoldMemRefAliasOpPatterns(patterns);
    // Not converging within the driver's iterations is no error: every step
    // leaves valid IR (a transfer through a unit-dimension expand_shape of a
    // one-column matmul kept the folding going), and the hoisting below
    // takes what it can.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
    // The folding computes the indices of a tile's read and of its write
    // separately (inside an scf.forall, from its induction variable); the
    // hoisting needs them to be the same values.
    IRRewriter rewriter(&getContext());
    eliminateCommonSubExpressions(rewriter, getAnalysis<DominanceInfo>(),
                                  getOperation());
    SmallVector<LoopLikeOpInterface> nests;
    getOperation()->walk<WalkOrder::PreOrder>([&](LoopLikeOpInterface loop) {
      nests.push_back(loop);
      return WalkResult::skip();
    });
    for (LoopLikeOpInterface nest : nests)
      hoistInLoopNest(rewriter, nest);
  }
};
} // namespace
