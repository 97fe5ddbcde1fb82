//===- X86Dialect.cpp - agn's x86 instruction dialect ---------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/X86/IR/X86Dialect.h"
#include "agn/Dialect/X86/IR/VnniLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/Support/InterleavedRange.h"

using namespace mlir;
using namespace mlir::agn;
using namespace mlir::agn::x86;

#include "agn/Dialect/X86/IR/X86Dialect.cpp.inc"

void X86Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "agn/Dialect/X86/IR/X86Ops.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// UsdotOp
//===----------------------------------------------------------------------===//

/// Verifies the operand shapes of a dot-product step: fixed-length vectors,
/// four bytes of `lhs` per i32 lane of `acc`.
static LogicalResult verifyDotStep(Operation *op, VectorType acc,
                                   VectorType lhs) {
  if (acc.isScalable() || lhs.isScalable())
    return op->emitOpError("expects fixed-length vectors");
  int64_t lanes = acc.getNumElements();
  int64_t bytes = lhs.getNumElements();
  if (bytes != 4 * lanes)
    return op->emitOpError("expects four bytes per i32 lane: ")
           << bytes << " bytes for " << lanes << " lanes (need " << 4 * lanes
           << ")";
  return success();
}

LogicalResult UsdotOp::verify() {
  return verifyDotStep(*this, getAcc().getType(), getLhs().getType());
}

//===----------------------------------------------------------------------===//
// SdotOp
//===----------------------------------------------------------------------===//

LogicalResult SdotOp::verify() {
  return verifyDotStep(*this, getAcc().getType(), getLhs().getType());
}

Operation *X86Dialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

//===----------------------------------------------------------------------===//
// Packed weight layouts
//===----------------------------------------------------------------------===//

using vnni::PackedTypes;

/// Checks that `op`'s results have the `expected` types of its layout.
static LogicalResult verifyPackedTypes(Operation *op, Value packed,
                                       Value correction,
                                       const PackedTypes &expected) {
  if (packed.getType() == expected.packed &&
      correction.getType() == expected.correction)
    return success();
  return op->emitOpError("expects results of types ")
         << expected.packed << " and " << expected.correction
         << " (the layout of its weights), got " << packed.getType() << " and "
         << correction.getType();
}

/// Folds constant weights packed by `pack` into constants.
static LogicalResult foldPackedConstant(
    Attribute weights, SmallVectorImpl<OpFoldResult> &results,
    function_ref<vnni::PackedConstants(DenseIntElementsAttr)> pack) {
  auto constant = dyn_cast_if_present<DenseIntElementsAttr>(weights);
  if (!constant)
    return failure();
  vnni::PackedConstants packed = pack(constant);
  results.push_back(packed.packed);
  results.push_back(packed.correction);
  return success();
}

void PackVnniOp::build(OpBuilder &builder, OperationState &state,
                       Value weights) {
  PackedTypes types =
      vnni::getPackedTypes(cast<RankedTensorType>(weights.getType()));
  build(builder, state, types.packed, types.correction, weights);
}

LogicalResult PackVnniOp::verify() {
  RankedTensorType type = getWeights().getType();
  if (!type.hasStaticShape())
    return emitOpError("expects statically shaped weights, got ") << type;
  return verifyPackedTypes(*this, getPacked(), getCorrection(),
                           vnni::getPackedTypes(type));
}

LogicalResult PackVnniOp::fold(FoldAdaptor adaptor,
                               SmallVectorImpl<OpFoldResult> &results) {
  return foldPackedConstant(adaptor.getWeights(), results, vnni::packConstant);
}

void PackVnniBlockedOp::build(OpBuilder &builder, OperationState &state,
                              Value weights) {
  PackedTypes types =
      vnni::getBlockedPackedTypes(cast<RankedTensorType>(weights.getType()));
  build(builder, state, types.packed, types.correction, weights);
}

LogicalResult PackVnniBlockedOp::verify() {
  RankedTensorType type = getWeights().getType();
  if (!type.hasStaticShape())
    return emitOpError("expects statically shaped weights, got ") << type;
  int64_t blockSize = type.getDimSize(1);
  if (blockSize % (2 * vnni::kGroup) != 0 || blockSize >= vnni::kMaxBlockSize)
    return emitOpError("expects blocks of a multiple of 8 K values below ")
           << vnni::kMaxBlockSize << ", got " << blockSize;
  return verifyPackedTypes(*this, getPacked(), getCorrection(),
                           vnni::getBlockedPackedTypes(type));
}

LogicalResult PackVnniBlockedOp::fold(FoldAdaptor adaptor,
                                      SmallVectorImpl<OpFoldResult> &results) {
  return foldPackedConstant(adaptor.getWeights(), results,
                            vnni::packBlockedConstant);
}

//===----------------------------------------------------------------------===//
// Contractions on packed weights
//===----------------------------------------------------------------------===//

/// Returns whether the sizes `a` and `b` may be equal (one is dynamic, or
/// both are the same).
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks the shapes shared by both kernel ops: `packed` and `correction`
/// static, `panels` x ... x 256 bytes and `panels` x ... x 64 words (the
/// dimensions between are `middle`), for an `init` of static N columns and
/// as many rows as `lhs`.
static LogicalResult verifyPackedOperands(Operation *op, ShapedType lhs,
                                          ShapedType packed,
                                          ShapedType correction,
                                          ShapedType init,
                                          ArrayRef<int64_t> middle) {
  if (!packed.hasStaticShape() || !correction.hasStaticShape())
    return op->emitOpError("expects statically shaped packed weights");
  if (ShapedType::isDynamic(init.getDimSize(1)))
    return op->emitOpError("expects a static number of columns (N)");
  int64_t n = init.getDimSize(1);
  int64_t panels = llvm::divideCeil(n, vnni::kPanelWidth);
  SmallVector<int64_t> packedShape = {panels};
  llvm::append_range(packedShape, middle);
  packedShape.push_back(vnni::kGroupBytes);
  SmallVector<int64_t> correctionShape = {panels};
  llvm::append_range(correctionShape,
                     middle.drop_back(packed.getRank() - correction.getRank()));
  correctionShape.push_back(vnni::kPanelWidth);
  if (packed.getShape() != ArrayRef<int64_t>(packedShape) ||
      correction.getShape() != ArrayRef<int64_t>(correctionShape))
    return op->emitOpError("expects packed weights of shape ")
           << llvm::interleaved_array(packedShape) << " and corrections of "
           << "shape " << llvm::interleaved_array(correctionShape) << " for "
           << n << " columns, got " << packed << " and " << correction;
  if (!compatible(lhs.getDimSize(0), init.getDimSize(0)))
    return op->emitOpError("expects as many rows in 'lhs' as in 'init', got ")
           << lhs.getDimSize(0) << " and " << init.getDimSize(0);
  return success();
}

LogicalResult VnniMatmulOp::verify() {
  RankedTensorType lhs = getLhs().getType();
  int64_t k = lhs.getDimSize(1);
  if (ShapedType::isDynamic(k))
    return emitOpError("expects a static number of K values in 'lhs'");
  return verifyPackedOperands(
      *this, lhs, getPacked().getType(), getCorrection().getType(),
      getInit().getType(),
      {static_cast<int64_t>(llvm::divideCeil(k, vnni::kGroup))});
}

LogicalResult VnniBlockedMatmulOp::verify() {
  RankedTensorType lhs = getLhs().getType();
  int64_t blocks = lhs.getDimSize(1), blockSize = lhs.getDimSize(2);
  if (ShapedType::isDynamic(blocks) || ShapedType::isDynamic(blockSize))
    return emitOpError("expects static blocks in 'lhs'");
  if (blockSize % (2 * vnni::kGroup) != 0 || blockSize >= vnni::kMaxBlockSize)
    return emitOpError("expects blocks of a multiple of 8 K values below ")
           << vnni::kMaxBlockSize << ", got " << blockSize;
  RankedTensorType init = getInit().getType();
  if (failed(verifyPackedOperands(*this, lhs, getPacked().getType(),
                                  getCorrection().getType(), init,
                                  {blocks, blockSize / (2 * vnni::kGroup)})))
    return failure();
  RankedTensorType weightScales = getWeightScales().getType();
  if (weightScales.getDimSize(0) != blocks ||
      weightScales.getDimSize(1) != init.getDimSize(1))
    return emitOpError("expects one weight scale per block and column (")
           << blocks << "x" << init.getDimSize(1) << "), got " << weightScales;
  auto activationScales = getActivationScales().getType();
  if (activationScales.getRank() == 1 &&
      !compatible(activationScales.getDimSize(0), lhs.getDimSize(0)))
    return emitOpError("expects one activation scale per row of 'lhs' (or "
                       "one for all), got ")
           << activationScales;
  return success();
}

#define GET_OP_CLASSES
#include "agn/Dialect/X86/IR/X86Ops.cpp.inc"
