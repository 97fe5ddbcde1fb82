//===- KernelEpilogue.cpp - Elementwise ops applied in a kernel -----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// After a convolution of MobileNet come its bias (a value per filter) and a
// clip to [0, 6] (two scalars), each a linalg.generic over the whole output:
// two more passes over memory than the kernel needs, which took a sixth of
// the model's time. The kernel applies them to each register tile instead:
// every scalar op of their bodies becomes the same op on the tile's vector
// type, the bias a column broadcast along the tile's positions. An op works
// on each element alone (ElementwiseMappable), so the results are the bits
// the generics compute.
//
//===----------------------------------------------------------------------===//

#include "KernelEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::agn;

/// Returns whether `type` is an integer or float scalar (what a vector holds).
static bool isIntOrFloat(Type type) { return type.isIntOrFloat(); }

/// Returns whether the kernel built in place of `kernel` can use `value`:
/// defined before `kernel`, or a constant (which the kernel creates again).
static bool isAvailable(Value value, Operation *kernel,
                        DominanceInfo &dominance) {
  Operation *producer = value.getDefiningOp();
  return (producer && producer->hasTrait<OpTrait::ConstantLike>()) ||
         dominance.properlyDominates(value, kernel);
}

/// Returns `value`, or a copy of its constant at `b`'s insertion point (the
/// constant may be defined after the kernel).
static Value materialize(ImplicitLocOpBuilder &b, Value value) {
  Operation *producer = value.getDefiningOp();
  if (producer && producer->hasTrait<OpTrait::ConstantLike>())
    return b.clone(*producer)->getResult(0);
  return value;
}

/// Returns whether `input` of `op` is a scalar (a rank-0 tensor) or a value
/// per filter (a [F] tensor read at loop 1) of an output with `filters`
/// filters.
static bool isScalarOrPerFilter(linalg::GenericOp op, OpOperand *input,
                                int64_t filters) {
  auto type = dyn_cast<RankedTensorType>(input->get().getType());
  if (!type || !isIntOrFloat(type.getElementType()))
    return false;
  AffineMap map = op.getMatchingIndexingMap(input);
  if (type.getRank() == 0)
    return map.getNumResults() == 0;
  return type.getRank() == 1 && type.getDimSize(0) == filters &&
         map == AffineMap::get(4, 0, getAffineDimExpr(1, op.getContext()));
}

/// Returns the input of `op` that reads `value` when `op` can follow it in
/// a kernel's epilogue (KernelEpilogue), each of its other values available
/// before `kernel`.
static std::optional<unsigned> getChainedInput(linalg::GenericOp op,
                                               Value value, Operation *kernel,
                                               DominanceInfo &dominance) {
  auto type = cast<RankedTensorType>(value.getType());
  // Elementwise over the same positions, in the kernel's block (not under
  // a condition the kernel would ignore).
  if (op->getBlock() != kernel->getBlock() || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || op->getResult(0).getType() != type ||
      op.getNumParallelLoops() != op.getNumLoops() || op.getNumLoops() != 4 ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  // The output starts empty: its value is not read.
  if (!op.getBody()->getArgument(op.getNumDpsInputs()).use_empty())
    return std::nullopt;
  std::optional<unsigned> chained;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input->get() == value) {
      if (chained || !op.getMatchingIndexingMap(input).isIdentity())
        return std::nullopt;
      chained = input->getOperandNumber();
      continue;
    }
    if (!isScalarOrPerFilter(op, input, type.getDimSize(1)) ||
        !isAvailable(input->get(), kernel, dominance))
      return std::nullopt;
  }
  if (!chained)
    return std::nullopt;
  Block *body = op.getBody();
  for (Operation &inner : body->without_terminator()) {
    // The tile computes every lane, dropped positions and masked reads'
    // zeros too: only ops that are safe on any value (no division by zero).
    if (inner.getNumRegions() != 0 || !isPure(&inner) ||
        !isSpeculatable(&inner) ||
        !(isa<arith::ConstantOp>(inner) ||
          OpTrait::hasElementwiseMappableTraits(&inner)))
      return std::nullopt;
    if (!llvm::all_of(inner.getResultTypes(), isIntOrFloat))
      return std::nullopt;
    for (Value operand : inner.getOperands()) {
      if (!isIntOrFloat(operand.getType()))
        return std::nullopt;
      // A value from outside the body, broadcast in the kernel.
      if (operand.getParentBlock() != body &&
          !isAvailable(operand, kernel, dominance))
        return std::nullopt;
    }
  }
  Value yielded = body->getTerminator()->getOperand(0);
  if (yielded.getParentBlock() != body &&
      !isAvailable(yielded, kernel, dominance))
    return std::nullopt;
  return chained;
}

KernelEpilogue mlir::agn::matchKernelEpilogue(Value kernelResult,
                                              Operation *kernel) {
  KernelEpilogue epilogue;
  auto type = dyn_cast<RankedTensorType>(kernelResult.getType());
  if (!type || type.getRank() != 4 || !type.getElementType().isF32() ||
      type.getDimSize(0) != 1)
    return epilogue;
  DominanceInfo dominance(kernel->getParentOp());
  Value value = kernelResult;
  while (value.hasOneUse()) {
    auto op = dyn_cast<linalg::GenericOp>(*value.getUsers().begin());
    if (!op)
      break;
    std::optional<unsigned> chained =
        getChainedInput(op, value, kernel, dominance);
    if (!chained)
      break;
    epilogue.ops.push_back(op);
    epilogue.chainedInputs.push_back(*chained);
    value = op->getResult(0);
  }
  return epilogue;
}

Value mlir::agn::applyKernelEpilogue(ImplicitLocOpBuilder &b,
                                     const KernelEpilogue &epilogue, Value tile,
                                     Value firstFilter) {
  ArrayRef<int64_t> shape = cast<VectorType>(tile.getType()).getShape();
  auto broadcast = [&](Value scalar) -> Value {
    return vector::BroadcastOp::create(
        b, VectorType::get(shape, scalar.getType()), scalar);
  };
  Value value = tile;
  for (auto [applied, chained] :
       llvm::zip_equal(epilogue.ops, epilogue.chainedInputs)) {
    linalg::GenericOp op = applied;
    Block *body = op.getBody();
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands()) {
      BlockArgument argument = body->getArgument(input->getOperandNumber());
      if (input->getOperandNumber() == chained) {
        mapping.map(argument, value);
        continue;
      }
      Value source = materialize(b, input->get());
      if (cast<RankedTensorType>(source.getType()).getRank() == 0) {
        mapping.map(argument,
                    broadcast(tensor::ExtractOp::create(b, source, {})));
        continue;
      }
      // Filter i's value along row i of the tile.
      Type element = argument.getType();
      Value padding = arith::ConstantOp::create(b, b.getZeroAttr(element));
      Value lanes = vector::TransferReadOp::create(
          b, VectorType::get({shape[0]}, element), source,
          ValueRange{firstFilter}, padding, ArrayRef<bool>{true});
      Value column = vector::ShapeCastOp::create(
          b, VectorType::get({shape[0], 1}, element), lanes);
      mapping.map(argument, vector::BroadcastOp::create(
                                b, VectorType::get(shape, element), column));
    }
    for (Operation &inner : body->without_terminator()) {
      if (isa<arith::ConstantOp>(inner)) {
        mapping.map(inner.getResult(0),
                    broadcast(b.clone(inner)->getResult(0)));
        continue;
      }
      for (Value operand : inner.getOperands())
        if (!mapping.contains(operand))
          mapping.map(operand, broadcast(materialize(b, operand)));
      Operation *vectorOp = b.clone(inner, mapping);
      for (OpResult result : vectorOp->getResults())
        result.setType(VectorType::get(shape, result.getType()));
    }
    Value yielded = body->getTerminator()->getOperand(0);
    value = mapping.contains(yielded) ? mapping.lookup(yielded)
                                      : broadcast(materialize(b, yielded));
  }
  return value;
}

/// The attribute markApplied sets.
static constexpr llvm::StringLiteral kAppliedAttr = "agn.applied_epilogue";

void mlir::agn::markApplied(RewriterBase &rewriter,
                            const KernelEpilogue &epilogue) {
  for (linalg::GenericOp op : epilogue.ops)
    rewriter.modifyOpInPlace(
        op, [&] { op->setAttr(kAppliedAttr, rewriter.getUnitAttr()); });
}

void mlir::agn::eraseAppliedEpilogues(Operation *root) {
  SmallVector<Operation *> applied;
  root->walk([&](linalg::GenericOp op) {
    if (op->hasAttr(kAppliedAttr))
      applied.push_back(op);
  });
  for (Operation *op : llvm::reverse(applied)) {
    assert(op->use_empty() && "an applied epilogue op still has users");
    op->erase();
  }
}
