//===- VnniContractions.cpp - The contractions agn's VNNI kernels take ----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "VnniContractions.h"
#include "VnniPacking.h"

#include "agn/Codegen/X86/VnniKernels.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Utils/ZeroTensors.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <limits>

using namespace mlir;
using namespace mlir::agn;
using namespace mlir::agn::vnni;

//===----------------------------------------------------------------------===//
// i8 x i8 -> i32
//===----------------------------------------------------------------------===//
bool vnni::startsOnWholeBytes(Value value) {
  while (true) {
    Operation *producer = value.getDefiningOp();
    if (!producer) {
      // A function's argument (passed whole) or some other block argument
      // (a loop's, which may be anything).
      auto argument = cast<BlockArgument>(value);
      return isa<FunctionOpInterface>(argument.getOwner()->getParentOp());
    }
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(
            producer)) {
      value = producer->getOperand(0);
      continue;
    }
    // A destination-style op's result is its init's buffer.
    if (auto destination = dyn_cast<DestinationStyleOpInterface>(producer)) {
      value = destination.getTiedOpOperand(cast<OpResult>(value))->get();
      continue;
    }
    auto slice = dyn_cast<tensor::ExtractSliceOp>(producer);
    if (!slice)
      return true;
    // Every row of the slice starts a multiple of the source's last
    // dimension after the slice's first element.
    auto sourceType = slice.getSourceType();
    if (!sourceType.hasStaticShape() ||
        sourceType.getDimSize(sourceType.getRank() - 1) % 2 != 0 ||
        llvm::any_of(slice.getMixedStrides(), [](OpFoldResult stride) {
          return getConstantIntValue(stride) != 1;
        }))
      return false;
    // The flat offset: sum of offset_i times the source's stride i.
    int64_t stride = 1;
    for (int64_t dim = sourceType.getRank() - 1; dim >= 0; --dim) {
      std::optional<int64_t> offset =
          getConstantIntValue(slice.getMixedOffsets()[dim]);
      bool even = offset ? (*offset * stride) % 2 == 0 : stride % 2 == 0;
      if (!even)
        return false;
      stride *= sourceType.getDimSize(dim);
    }
    value = slice.getSource();
  }
}

bool vnni::isFoldableConstant(Value weights) {
  DenseIntElementsAttr attr;
  return matchPattern(weights, m_Constant(&attr));
}

bool vnni::canPackInt8OnEveryCall(Value weights) {
  auto type = cast<RankedTensorType>(weights.getType());
  return canPackInt8Panel(type) &&
         (type.getElementType().isSignlessInteger(8) ||
          startsOnWholeBytes(weights));
}

bool vnni::canPackBlockedOnEveryCall(Value weights) {
  auto type = cast<RankedTensorType>(weights.getType());
  return type.hasStaticShape() && type.getDimSize(2) % 2 == 0 &&
         startsOnWholeBytes(weights);
}

std::optional<Int8Matmul> vnni::matchInt8Matmul(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps() ||
      op.getCast() != linalg::TypeFn::cast_signed)
    return std::nullopt;
  auto isInteger = [](Value value, unsigned width) {
    return getElementTypeOrSelf(value.getType()).isSignlessInteger(width);
  };
  // i4 weights (agn's i4 versions of convolutions and batched matmuls, with
  // per-channel scales) are packed as sign-extended bytes.
  Value a = op.getInputs()[0], weights = op.getInputs()[1];
  if (!isInteger(a, 8) || !(isInteger(weights, 8) || isInteger(weights, 4)) ||
      !isInteger(op.getOutputs()[0], 32))
    return std::nullopt;
  auto type = cast<RankedTensorType>(weights.getType());
  bool constant = isFoldableConstant(weights);
  // (Empty weights: nothing to compute, and no panel to split among threads.)
  if (!type.hasStaticShape() || type.getNumElements() == 0 ||
      (!constant && !canPackInt8OnEveryCall(weights)))
    return std::nullopt;
  // i8 weights packed on every call pay only over several rows of A: for
  // one row (a matrix-vector product) the packing doubles the reads of B,
  // and the generic vector code was 2.6x faster (1x4096x4096, i8/kernel row
  // of bench/KernelBench.cpp). (Integer operands narrower than 8 bits have
  // no generic vector code.)
  if (cast<RankedTensorType>(a.getType()).getDimSize(0) == 1 && !constant &&
      isInteger(weights, 8))
    return std::nullopt;
  return Int8Matmul{op, type.getDimSize(0), type.getDimSize(1)};
}

//===----------------------------------------------------------------------===//
// i8 x i4 with per-block weight scales, rescaled to f32
//===----------------------------------------------------------------------===//

/// Returns whether `block` is exactly `ops`, in order, then the yield.
template <typename... Ops> static bool hasBody(Block &block) {
  SmallVector<Operation *> ops = llvm::map_to_vector(
      block.without_terminator(), [](Operation &op) { return &op; });
  if (ops.size() != sizeof...(Ops))
    return false;
  unsigned index = 0;
  return (isa<Ops>(ops[index++]) && ...);
}

namespace {
/// A value in the body of a matched linalg.generic: one of its block
/// arguments, or the result of one of its operations (by position).
struct BodyValue {
  bool isArgument;
  unsigned index;
};
} // namespace

static BodyValue argument(unsigned index) { return {true, index}; }
static BodyValue result(unsigned index) { return {false, index}; }

/// Returns whether operation i of `block` (the terminator aside) takes
/// `operands[i]` as its leading operands, and the terminator yields the last
/// operation's result: the dataflow of a body whose operation kinds hasBody
/// checked.
static bool hasDataflow(Block &block,
                        ArrayRef<SmallVector<BodyValue>> operands) {
  SmallVector<Operation *> ops = llvm::map_to_vector(
      block.without_terminator(), [](Operation &op) { return &op; });
  if (ops.size() != operands.size())
    return false;
  auto valueOf = [&](BodyValue value) -> Value {
    return value.isArgument ? Value(block.getArgument(value.index))
                            : ops[value.index]->getResult(0);
  };
  for (auto [op, expected] : llvm::zip(ops, operands)) {
    if (op->getNumOperands() < expected.size())
      return false;
    for (auto [position, value] : llvm::enumerate(expected))
      if (op->getOperand(position) != valueOf(value))
        return false;
  }
  return block.getTerminator()->getOperand(0) == ops.back()->getResult(0);
}

/// Returns whether `op`'s indexing maps are `maps` (as text-free exprs).
static bool hasMaps(linalg::GenericOp op,
                    ArrayRef<SmallVector<unsigned>> maps) {
  SmallVector<AffineMap> actual = op.getIndexingMapsArray();
  if (actual.size() != maps.size())
    return false;
  for (auto [map, dims] : llvm::zip(actual, maps)) {
    if (map.getNumSymbols() != 0 || map.getNumResults() != dims.size())
      return false;
    for (auto [expr, dim] : llvm::zip(map.getResults(), dims))
      if (expr != getAffineDimExpr(dim, op.getContext()))
        return false;
  }
  return true;
}

std::optional<Int4BlockedMatmul>
vnni::matchInt4BlockedMatmul(linalg::GenericOp partial) {
  using utils::IteratorType;
  // agn-multiversion marks the pair; the checks below make sure it is still
  // in the form the marker promises (a rewrite in between may have changed
  // the ops and kept the attribute), since the kernel relies on every map.
  BlockedMatmulAttr marker = BlockedMatmulAttr::of(partial);
  if (!marker || marker.getPart() != BlockedMatmulPart::partial_sums)
    return std::nullopt;
  // Loops (m, n, j, t).
  if (!partial.hasPureTensorSemantics() || partial.getNumDpsInputs() != 2 ||
      partial.getNumDpsInits() != 1 ||
      partial.getIteratorTypesArray() !=
          SmallVector<IteratorType>{
              IteratorType::parallel, IteratorType::parallel,
              IteratorType::parallel, IteratorType::reduction} ||
      !hasMaps(partial, {{0, 2, 3}, {2, 3, 1}, {0, 1, 2}}) ||
      !hasBody<arith::ExtSIOp, arith::ExtSIOp, arith::MulIOp, arith::AddIOp>(
          *partial.getBlock()))
    return std::nullopt;
  auto elementOf = [](Value value) { return getElementTypeOrSelf(value); };
  Value a = partial.getDpsInputs()[0], weights = partial.getDpsInputs()[1];
  if (!elementOf(a).isSignlessInteger(8) ||
      !elementOf(weights).isSignlessInteger(4) ||
      !elementOf(partial.getResult(0)).isSignlessInteger(32) ||
      !isZeroTensor(partial.getDpsInits()[0]))
    return std::nullopt;
  // The body: out + extsi(a) * extsi(w), operands in that order.
  if (!hasDataflow(*partial.getBlock(), {{argument(0)},
                                         {argument(1)},
                                         {result(0), result(1)},
                                         {argument(2), result(2)}}))
    return std::nullopt;
  auto weightType = cast<RankedTensorType>(weights.getType());
  // Blocks of whole pairs of groups; and 16 times a block's partial sum
  // (at most 128 * 8 per K value) must fit in i32 for the kernel's unscaling
  // shift to be exact.
  if (!weightType.hasStaticShape() || weightType.getNumElements() == 0 ||
      weightType.getDimSize(1) != marker.getBlockSize() ||
      weightType.getDimSize(1) % 8 != 0 ||
      weightType.getDimSize(1) >= kMaxBlockSize)
    return std::nullopt;
  if (!isFoldableConstant(weights) && !canPackBlockedOnEveryCall(weights))
    return std::nullopt;

  // The rescaling, loops (m, n, j): the one user of the partial sums.
  if (!partial->hasOneUse())
    return std::nullopt;
  auto rescale = dyn_cast<linalg::GenericOp>(*partial->user_begin());
  BlockedMatmulAttr rescaleMarker =
      rescale ? BlockedMatmulAttr::of(rescale) : nullptr;
  if (!rescaleMarker || rescaleMarker.getPart() != BlockedMatmulPart::rescale ||
      rescaleMarker.getBlockSize() != marker.getBlockSize() ||
      !rescale.hasPureTensorSemantics() || rescale.getNumDpsInputs() != 3 ||
      rescale.getNumDpsInits() != 1 ||
      rescale.getDpsInputs()[0] != partial.getResult(0) ||
      rescale.getIteratorTypesArray() !=
          SmallVector<IteratorType>{IteratorType::parallel,
                                    IteratorType::parallel,
                                    IteratorType::reduction} ||
      !elementOf(rescale.getResult(0)).isF32() ||
      !elementOf(rescale.getDpsInputs()[1]).isF32() ||
      !elementOf(rescale.getDpsInputs()[2]).isF32() ||
      !hasBody<arith::SIToFPOp, arith::MulFOp, arith::MulFOp, arith::AddFOp>(
          *rescale.getBlock()))
    return std::nullopt;
  bool perRowScales = hasMaps(rescale, {{0, 1, 2}, {0}, {2, 1}, {0, 1}});
  if (!perRowScales && !hasMaps(rescale, {{0, 1, 2}, {}, {2, 1}, {0, 1}}))
    return std::nullopt;
  // The body: out + sitofp(p) * (sa * sw), with the reference's operand order
  // (the kernel repeats it, so that both round alike).
  Block &rescaleBody = *rescale.getBlock();
  if (!hasDataflow(rescaleBody, {{argument(0)},
                                 {argument(1), argument(2)},
                                 {result(0), result(1)},
                                 {argument(3), result(2)}}))
    return std::nullopt;
  // Fast-math flags would let the reference round differently.
  for (Operation &step : rescaleBody.without_terminator())
    if (auto fastMath = dyn_cast<arith::ArithFastMathInterface>(&step))
      if (fastMath.getFastMathFlagsAttr().getValue() !=
          arith::FastMathFlags::none)
        return std::nullopt;

  return Int4BlockedMatmul{partial,
                           rescale,
                           weightType.getDimSize(0),
                           weightType.getDimSize(1),
                           weightType.getDimSize(2),
                           perRowScales};
}

bool mlir::agn::x86::canUseVnniKernel(linalg::MatmulOp op) {
  return matchInt8Matmul(op).has_value();
}

/// Returns the tensor `value` is a slice, reshape or cast of (through any
/// number of them): each of its elements is one of that tensor's.
static Value stripSlicesAndReshapes(Value value) {
  while (Operation *producer = value.getDefiningOp()) {
    if (!isa<tensor::ExtractSliceOp, tensor::CollapseShapeOp,
             tensor::ExpandShapeOp, tensor::CastOp>(producer))
      break;
    value = producer->getOperand(0);
  }
  return value;
}

/// Returns whether `value` holds bytes sign-extended from fewer than 8 bits
/// (as agn-split-batch-matmuls widens i4 weights), through reshapes and
/// slices: an elementwise linalg.generic (one input, all loops parallel,
/// the result's map a permutation, so that it writes every element) that
/// yields arith.extsi of its input's element into i8.
static bool isWidenedFromNarrower(Value value) {
  value = stripSlicesAndReshapes(value);
  auto generic = value.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumResults() != 1 ||
      generic.getNumDpsInputs() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isPermutation() ||
      !getElementTypeOrSelf(generic.getResult(0).getType())
           .isSignlessInteger(8))
    return false;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  auto extend = yield.getOperand(0).getDefiningOp<arith::ExtSIOp>();
  auto argument = extend ? dyn_cast<BlockArgument>(extend.getIn()) : nullptr;
  return argument && argument.getOwner() == generic.getBody() &&
         argument.getArgNumber() < generic.getNumDpsInputs() &&
         extend.getIn().getType().getIntOrFloatBitWidth() < 8;
}

bool vnni::hasNoMinimumByte(Value weights) {
  if (getElementTypeOrSelf(weights.getType()).isSignlessInteger(4) ||
      isWidenedFromNarrower(weights))
    return true;
  // A slice of a constant (a group's filter, sliced by a loop over groups)
  // holds no -128 when the constant holds none.
  DenseIntElementsAttr attr;
  if (!matchPattern(stripSlicesAndReshapes(weights), m_Constant(&attr)) ||
      !attr.getElementType().isSignlessInteger(8))
    return false;
  constexpr int8_t kMinimum = std::numeric_limits<int8_t>::min();
  if (attr.isSplat())
    return attr.getSplatValue<int8_t>() != kMinimum;
  return !llvm::is_contained(attr.getValues<int8_t>(), kMinimum);
}

bool vnni::canComputeWithSignedDot(Value lhs, Value weights) {
  return hasNoMinimumByte(weights) || hasNoMinimumByte(lhs);
}

bool mlir::agn::x86::holdsNoMinimumByte(Value value) {
  return hasNoMinimumByte(value);
}

bool mlir::agn::x86::canUseSignedDotKernel(linalg::MatmulOp op) {
  std::optional<Int8Matmul> matmul = matchInt8Matmul(op);
  return matmul &&
         canComputeWithSignedDot(op.getInputs()[0], op.getInputs()[1]);
}

bool mlir::agn::x86::canUseVnniKernel(linalg::GenericOp partialSums) {
  return matchInt4BlockedMatmul(partialSums).has_value();
}
