//===- MagnitudeMaximum.cpp - max|x| reductions for agn-lower -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// For IEEE-754 binary types the reduction runs on the bit patterns with the
// sign bit cleared, as unsigned integers: their order is that of the
// magnitudes, with every NaN (all exponent bits set, a nonzero significand)
// above +infinity, so the maximum is NaN as soon as one element is. Integer
// maxima vectorize (vpmaxud); LLVM keeps a NaN-propagating float maximum
// (arith.maximumf) scalar. Other float types (the f8 variants, whose NaN
// encodings do not all sort on top) take arith.maximumf.
//
//===----------------------------------------------------------------------===//

#include "MagnitudeMaximum.h"

#include "agn/Utils/ZeroTensors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::agn;

/// Returns whether the magnitudes of floats of `type` are ordered like their
/// bit patterns with the sign bit cleared, NaNs above +infinity.
static bool hasIEEEMagnitudeOrder(Type type) {
  return isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(type);
}

Value mlir::agn::buildMagnitudeMaximum(OpBuilder &b, Location loc, Value input,
                                       ArrayRef<OpFoldResult> sizes,
                                       AffineMap inputMap, AffineMap resultMap,
                                       ArrayRef<utils::IteratorType> iterators,
                                       FloatType resultType) {
  auto elementType = cast<FloatType>(getElementTypeOrSelf(input));
  SmallVector<AffineMap> maps = {inputMap, resultMap};
  if (!hasIEEEMagnitudeOrder(elementType)) {
    Value init = createZeros(b, loc, sizes, resultType);
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{input},
               ValueRange{init}, maps, iterators,
               [&](OpBuilder &nested, Location l, ValueRange args) {
                 Value magnitude = math::AbsFOp::create(nested, l, args[0]);
                 magnitude =
                     convertScalarToDtype(nested, l, magnitude, resultType,
                                          /*isUnsignedCast=*/false);
                 // Maximum is associative; reassoc lets LLVM reorder it
                 // (NaN still propagates: no nnan).
                 Value max =
                     arith::MaximumFOp::create(nested, l, args[1], magnitude,
                                               arith::FastMathFlags::reassoc);
                 linalg::YieldOp::create(nested, l, max);
               })
        .getResult(0);
  }

  unsigned width = elementType.getWidth();
  Type bitsType = b.getIntegerType(width);
  Value init = createZeros(b, loc, sizes, bitsType);
  Value bits =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{input},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &nested, Location l, ValueRange args) {
            Value pattern =
                arith::BitcastOp::create(nested, l, bitsType, args[0]);
            Value magnitudeMask = arith::ConstantOp::create(
                nested, l,
                nested.getIntegerAttr(bitsType,
                                      APInt::getSignedMaxValue(width)));
            Value magnitude =
                arith::AndIOp::create(nested, l, pattern, magnitudeMask);
            linalg::YieldOp::create(nested, l,
                                    ValueRange{arith::MaxUIOp::create(
                                        nested, l, args[1], magnitude)});
          })
          .getResult(0);

  // Back to floats: widening is exact; narrowing f64 (to an f32 result of
  // agn.abs_max) is monotonic and keeps NaN.
  auto bitsTensorType = cast<RankedTensorType>(bits.getType());
  Value empty = tensor::EmptyOp::create(b, loc, sizes, resultType);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(
      bitsTensorType.getRank(), b.getContext());
  SmallVector<utils::IteratorType> parallel(bitsTensorType.getRank(),
                                            utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty.getType()}, ValueRange{bits},
             ValueRange{empty}, ArrayRef<AffineMap>{identity, identity},
             parallel,
             [&](OpBuilder &nested, Location l, ValueRange args) {
               Value max =
                   arith::BitcastOp::create(nested, l, elementType, args[0]);
               linalg::YieldOp::create(
                   nested, l,
                   convertScalarToDtype(nested, l, max, resultType,
                                        /*isUnsignedCast=*/false));
             })
      .getResult(0);
}
