//===- ZeroTensors.cpp - Small builders and tests on tensors --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Utils/ZeroTensors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

Value mlir::agn::createZeros(OpBuilder &b, Location loc,
                             ArrayRef<OpFoldResult> sizes, Type elementType) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, elementType);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

/// Returns whether `value` is a zero scalar or a splat of zeros.
static bool isZero(Value value) {
  return matchPattern(value, m_Zero()) || matchPattern(value, m_AnyZeroFloat());
}

bool mlir::agn::isZeroTensor(Value value) {
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return isZero(fill.getInputs().front());
  return isZero(value);
}

Value mlir::agn::signExtendToBytes(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  auto bytesType = type.clone(b.getI8Type());
  Value empty = tensor::EmptyOp::create(b, loc, bytesType.getShape(),
                                        bytesType.getElementType());
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{bytesType}, ValueRange{value}, ValueRange{empty},
             maps, iterators,
             [](OpBuilder &nested, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nested, l,
                   ValueRange{arith::ExtSIOp::create(
                       nested, l, args[1].getType(), args[0])});
             })
      .getResult(0);
}
