//===- Contraction.cpp - The contractions agn forms units around ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Contraction.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::agn;

StringRef mlir::agn::stringifyContractionKind(ContractionKind kind) {
  switch (kind) {
  case ContractionKind::Matmul:
    return "matmul";
  case ContractionKind::BatchMatmul:
    return "batch_matmul";
  case ContractionKind::Matvec:
    return "matvec";
  case ContractionKind::Conv2DNchwFchw:
    return "conv_2d_nchw_fchw";
  case ContractionKind::Conv2DNhwcHwcf:
    return "conv_2d_nhwc_hwcf";
  case ContractionKind::Conv2DNhwcFhwc:
    return "conv_2d_nhwc_fhwc";
  case ContractionKind::Conv2DNgchwGfchw:
    return "conv_2d_ngchw_gfchw";
  case ContractionKind::Conv1DNcwFcw:
    return "conv_1d_ncw_fcw";
  case ContractionKind::Conv3DNcdhwFcdhw:
    return "conv_3d_ncdhw_fcdhw";
  case ContractionKind::Generic:
    return "generic";
  }
  llvm_unreachable("unknown contraction kind");
}

std::optional<ContractionKind>
mlir::agn::symbolizeContractionKind(StringRef name) {
  return llvm::StringSwitch<std::optional<ContractionKind>>(name)
      .Case("matmul", ContractionKind::Matmul)
      .Case("batch_matmul", ContractionKind::BatchMatmul)
      .Case("matvec", ContractionKind::Matvec)
      .Case("conv_2d_nchw_fchw", ContractionKind::Conv2DNchwFchw)
      .Case("conv_2d_nhwc_hwcf", ContractionKind::Conv2DNhwcHwcf)
      .Case("conv_2d_nhwc_fhwc", ContractionKind::Conv2DNhwcFhwc)
      .Case("conv_2d_ngchw_gfchw", ContractionKind::Conv2DNgchwGfchw)
      .Case("conv_1d_ncw_fcw", ContractionKind::Conv1DNcwFcw)
      .Case("conv_3d_ncdhw_fcdhw", ContractionKind::Conv3DNcdhwFcdhw)
      .Case("generic", ContractionKind::Generic)
      .Default(std::nullopt);
}

std::string mlir::agn::getContractionKindList() {
  return "matmul, batch_matmul, matvec, conv_2d_nchw_fchw, conv_2d_nhwc_hwcf, "
         "conv_2d_nhwc_fhwc, conv_2d_ngchw_gfchw, conv_1d_ncw_fcw, "
         "conv_3d_ncdhw_fcdhw, generic";
}

/// Returns whether `op` has a convolution's indexing maps and a
/// multiply-accumulate body. (Upstream's convolution interface also admits
/// pooling, whose body takes a maximum or a plain sum.)
static bool isGenericConvolution(linalg::GenericOp op) {
  if (!linalg::isaConvolutionOpInterface(op))
    return false;
  return linalg::detail::isContractionBody(
      *op.getBlock(), [](Operation *multiply, Operation *accumulate) {
        return (isa<arith::MulFOp>(multiply) &&
                isa<arith::AddFOp>(accumulate)) ||
               (isa<arith::MulIOp>(multiply) && isa<arith::AddIOp>(accumulate));
      });
}

std::optional<ContractionKind> mlir::agn::getContractionKind(Operation *op) {
  if (isa<linalg::MatmulOp>(op))
    return ContractionKind::Matmul;
  if (isa<linalg::BatchMatmulOp>(op))
    return ContractionKind::BatchMatmul;
  if (isa<linalg::MatvecOp>(op))
    return ContractionKind::Matvec;
  if (isa<linalg::Conv2DNchwFchwOp>(op))
    return ContractionKind::Conv2DNchwFchw;
  if (isa<linalg::Conv2DNhwcHwcfOp>(op))
    return ContractionKind::Conv2DNhwcHwcf;
  if (isa<linalg::Conv2DNhwcFhwcOp>(op))
    return ContractionKind::Conv2DNhwcFhwc;
  if (isa<linalg::Conv2DNgchwGfchwOp>(op))
    return ContractionKind::Conv2DNgchwGfchw;
  if (isa<linalg::Conv1DNcwFcwOp>(op))
    return ContractionKind::Conv1DNcwFcw;
  if (isa<linalg::Conv3DNcdhwFcdhwOp>(op))
    return ContractionKind::Conv3DNcdhwFcdhw;
  // Generics that multiply and sum two operands: contractions, and
  // convolutions with no named op (the importer's grouped 1-D and 3-D ones).
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    if (linalg::isaContractionOpInterface(generic) ||
        isGenericConvolution(generic))
      return ContractionKind::Generic;
  return std::nullopt;
}

OpOperand &ContractionInfo::getInputOperand() const {
  return *op.getDpsInputOperand(inputIndex);
}

OpOperand &ContractionInfo::getWeightOperand() const {
  return *op.getDpsInputOperand(weightIndex);
}

OpOperand &ContractionInfo::getOutputOperand() const {
  return *op.getDpsInitOperand(0);
}

std::optional<int64_t> ContractionInfo::getOperandDim(OpOperand &operand,
                                                      unsigned loop) const {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  for (auto [dim, expr] : llvm::enumerate(map.getResults()))
    if (auto dimExpr = dyn_cast<AffineDimExpr>(expr);
        dimExpr && dimExpr.getPosition() == loop)
      return dim;
  return std::nullopt;
}

std::optional<int64_t> ContractionInfo::getWeightChannelDim() const {
  if (channelLoops.size() != 1)
    return std::nullopt;
  return getOperandDim(getWeightOperand(), channelLoops.front());
}

std::optional<int64_t> ContractionInfo::getWeightReductionDim() const {
  if (reductionLoops.size() != 1)
    return std::nullopt;
  return getOperandDim(getWeightOperand(), reductionLoops.front());
}

std::optional<int64_t> ContractionInfo::getResultChannelDim() const {
  if (channelLoops.size() != 1)
    return std::nullopt;
  return getOperandDim(getOutputOperand(), channelLoops.front());
}

std::optional<unsigned> ContractionInfo::getWeightScaleLoop() const {
  if (channelLoops.size() != 1)
    return std::nullopt;
  unsigned channel = channelLoops.front();
  std::optional<unsigned> group = getGroupLoop();
  if (!group)
    return channel;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!ShapedType::isDynamic(ranges[*group]) &&
      !ShapedType::isDynamic(ranges[channel]) &&
      ranges[*group] > ranges[channel])
    return *group;
  return channel;
}

std::optional<unsigned> ContractionInfo::getGroupLoop() const {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  bool grouped = kind == ContractionKind::Conv2DNgchwGfchw ||
                 (generic && isGenericConvolution(generic));
  if (!grouped)
    return std::nullopt;
  // The group loop indexes the input, the filter and the result alike:
  // (n, g, f, oh, ow, c, kh, kw) has g.
  std::optional<unsigned> group;
  for (auto [loop, iterator] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (iterator != utils::IteratorType::parallel ||
        !getOperandDim(getInputOperand(), loop) ||
        !getOperandDim(getWeightOperand(), loop) ||
        !getOperandDim(getOutputOperand(), loop))
      continue;
    if (group)
      return std::nullopt;
    group = loop;
  }
  return group;
}

std::optional<int64_t> ContractionInfo::getWeightScaleDim() const {
  std::optional<unsigned> loop = getWeightScaleLoop();
  return loop ? getOperandDim(getWeightOperand(), *loop) : std::nullopt;
}

std::optional<int64_t> ContractionInfo::getResultScaleDim() const {
  std::optional<unsigned> loop = getWeightScaleLoop();
  return loop ? getOperandDim(getOutputOperand(), *loop) : std::nullopt;
}

std::optional<int64_t> ContractionInfo::getResultRowDim() const {
  if (rowLoops.empty())
    return std::nullopt;
  return getOperandDim(getOutputOperand(), rowLoops.front());
}

std::optional<int64_t> ContractionInfo::getInputRowDim() const {
  if (rowLoops.empty())
    return std::nullopt;
  return getOperandDim(getInputOperand(), rowLoops.front());
}

uint64_t ContractionInfo::getMacs() const {
  uint64_t macs = 1;
  for (int64_t range : op.getStaticLoopRanges())
    if (!ShapedType::isDynamic(range))
      macs *= static_cast<uint64_t>(range);
  return macs;
}

/// Returns the loop dimensions that `map` uses as plain dimension results.
static llvm::SmallDenseSet<unsigned> getPlainLoops(AffineMap map) {
  llvm::SmallDenseSet<unsigned> loops;
  for (AffineExpr expr : map.getResults())
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      loops.insert(dim.getPosition());
  return loops;
}

/// Returns the loop dimensions that `map` uses anywhere in its results.
static llvm::SmallDenseSet<unsigned> getUsedLoops(AffineMap map) {
  llvm::SmallDenseSet<unsigned> loops;
  for (unsigned loop = 0, e = map.getNumDims(); loop < e; ++loop)
    if (map.isFunctionOfDim(loop))
      loops.insert(loop);
  return loops;
}

FailureOr<ContractionInfo> mlir::agn::analyzeContraction(Operation *op) {
  std::optional<ContractionKind> kind = getContractionKind(op);
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!kind || !linalgOp || !linalgOp.hasPureTensorSemantics() ||
      linalgOp.getNumDpsInputs() != 2 || linalgOp.getNumDpsInits() != 1 ||
      op->getNumResults() != 1)
    return failure();

  ContractionInfo info;
  info.op = linalgOp;
  info.kind = *kind;
  // A matvec multiplies a (weight) matrix by an (activation) vector; every
  // other kind takes the activations first, as x @ W and conv(x, filter) do.
  if (*kind == ContractionKind::Matvec)
    std::swap(info.inputIndex, info.weightIndex);

  AffineMap inputMap = linalgOp.getMatchingIndexingMap(&info.getInputOperand());
  AffineMap weightMap =
      linalgOp.getMatchingIndexingMap(&info.getWeightOperand());
  AffineMap outputMap =
      linalgOp.getMatchingIndexingMap(&info.getOutputOperand());
  llvm::SmallDenseSet<unsigned> inputLoops = getUsedLoops(inputMap);
  llvm::SmallDenseSet<unsigned> weightLoops = getUsedLoops(weightMap);
  llvm::SmallDenseSet<unsigned> weightPlain = getPlainLoops(weightMap);
  llvm::SmallDenseSet<unsigned> inputPlain = getPlainLoops(inputMap);
  llvm::SmallDenseSet<unsigned> outputPlain = getPlainLoops(outputMap);

  SmallVector<utils::IteratorType> iterators = linalgOp.getIteratorTypesArray();
  for (auto [loop, iterator] : llvm::enumerate(iterators)) {
    if (iterator == utils::IteratorType::reduction) {
      if (weightPlain.contains(loop))
        info.reductionLoops.push_back(loop);
      continue;
    }
    if (!outputPlain.contains(loop))
      continue;
    if (weightPlain.contains(loop) && !inputLoops.contains(loop))
      info.channelLoops.push_back(loop);
    else if (inputPlain.contains(loop) && !weightLoops.contains(loop))
      info.rowLoops.push_back(loop);
  }
  return info;
}

/// Returns the first analyzable contraction among the ops of `block`.
static std::optional<ContractionInfo> findContractionIn(Block &block) {
  for (Operation &op : block)
    if (FailureOr<ContractionInfo> info = analyzeContraction(&op);
        succeeded(info))
      return *info;
  return std::nullopt;
}

std::optional<ContractionInfo> mlir::agn::findUnitContraction(Operation *op) {
  auto unit = cast<UnitOp>(op);
  Block &body = unit.getBody().front();
  if (std::optional<ContractionInfo> info = findContractionIn(body))
    return info;
  for (DispatchOp dispatch : body.getOps<DispatchOp>())
    if (std::optional<ContractionInfo> info =
            findContractionIn(dispatch.getCases().back().front()))
      return info;
  return std::nullopt;
}
