//===- Quantization.cpp - Symmetric quantization of constants -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/Quantization.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace mlir;
using namespace mlir::agn;

SmallVector<int64_t>
mlir::agn::getQuantizationScalesShape(ArrayRef<int64_t> shape,
                                      std::optional<int64_t> axis,
                                      std::optional<int64_t> block) {
  if (!axis)
    return {};
  if (!block)
    return {shape[*axis]};
  SmallVector<int64_t> scalesShape(shape);
  if (!ShapedType::isDynamic(scalesShape[*axis]))
    scalesShape[*axis] /= *block;
  return scalesShape;
}

//===----------------------------------------------------------------------===//
// Scale groups
//===----------------------------------------------------------------------===//

namespace {
/// Which scale each element of a row-major tensor uses. Around `axis` the
/// tensor is seen as [outer, axisSize, inner]: per tensor there is one group;
/// per index along the axis the group is the axis index; per block it is the
/// element's position in the scales tensor, whose axis dimension is
/// axisSize / block.
class GroupLayout {
public:
  GroupLayout(ArrayRef<int64_t> shape, std::optional<int64_t> axis,
              std::optional<int64_t> block) {
    int64_t numElements = ShapedType::getNumElements(shape);
    if (!axis) {
      inner = numElements;
      numGroups = 1;
      return;
    }
    perAxis = true;
    axisSize = shape[*axis];
    for (int64_t dim : shape.take_front(*axis))
      outer *= dim;
    for (int64_t dim : shape.drop_front(*axis + 1))
      inner *= dim;
    if (block) {
      this->block = *block;
      numGroups = outer * (axisSize / *block) * inner;
    } else {
      numGroups = axisSize;
    }
  }

  int64_t getNumGroups() const { return numGroups; }

  /// Calls `fn(element, group)` for every element, in row-major order. Nested
  /// loops instead of a division per element keep large weights cheap.
  template <typename Fn> void forEach(Fn fn) const {
    int64_t element = 0;
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t a = 0; a < axisSize; ++a) {
        int64_t base = 0;
        if (perAxis)
          base = block ? (o * (axisSize / block) + a / block) * inner : a;
        bool perElement = perAxis && block;
        for (int64_t i = 0; i < inner; ++i)
          fn(element++, perElement ? base + i : base);
      }
    }
  }

private:
  bool perAxis = false;
  int64_t outer = 1;
  int64_t axisSize = 1;
  int64_t inner = 1;
  int64_t block = 0;
  int64_t numGroups = 1;
};
} // namespace

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

/// Rounds to the nearest integer, ties to even, whatever the floating-point
/// environment's rounding mode.
static double roundHalfEven(double value) {
  double rounded = std::round(value);
  if (std::fabs(value - std::trunc(value)) == 0.5)
    rounded = 2.0 * std::round(value / 2.0);
  return rounded;
}

namespace {
/// An IEEE-like binary format narrower than double.
struct FloatFormat {
  /// Total bits; the sign is the highest.
  int bits;
  /// Explicit fraction bits.
  int fractionBits;
  /// Exponent of the smallest normal number.
  int minExponent;
  /// Largest finite value.
  double largest;
};
} // namespace

static FloatFormat getFloatFormat(Type type) {
  const llvm::fltSemantics &semantics =
      cast<FloatType>(type).getFloatSemantics();
  return {static_cast<int>(llvm::APFloat::semanticsSizeInBits(semantics)),
          static_cast<int>(llvm::APFloat::semanticsPrecision(semantics)) - 1,
          llvm::APFloat::semanticsMinExponent(semantics),
          llvm::APFloat::getLargest(semantics).convertToDouble()};
}

/// Returns the bit pattern of `value` rounded to `format`, to nearest with
/// ties to even. `value` must be finite and its magnitude at most
/// `format.largest`. Counting quanta in double arithmetic (exact: the scaling
/// is by powers of two) is much faster than APFloat on large weights.
static uint64_t encodeRounded(double value, const FloatFormat &format) {
  uint64_t signBit = std::signbit(value) ? uint64_t{1} << (format.bits - 1) : 0;
  double magnitude = std::fabs(value);
  if (magnitude == 0.0)
    return signBit;
  int exponent;
  std::frexp(magnitude, &exponent);
  // magnitude is in [2^e, 2^(e+1)); below the smallest normal exponent the
  // quantum stays that of the subnormals.
  int e = exponent - 1;
  int quantumExponent = std::max(e, format.minExponent) - format.fractionBits;
  auto quanta = static_cast<uint64_t>(
      roundHalfEven(std::ldexp(magnitude, -quantumExponent)));
  // A subnormal is its count of quanta; rounding up to 2^fractionBits quanta
  // gives the smallest normal, whose encoding that count also is.
  if (e < format.minExponent)
    return signBit | quanta;
  // Rounding up to 2^(fractionBits + 1) quanta carries into the exponent,
  // which the addition does by itself.
  uint64_t biasedExponent = e - format.minExponent + 1;
  return signBit | ((biasedExponent << format.fractionBits) +
                    (quanta - (uint64_t{1} << format.fractionBits)));
}

//===----------------------------------------------------------------------===//
// quantizeConstant
//===----------------------------------------------------------------------===//

/// Computes max|x| per group; fails on a non-finite element.
template <typename Reader>
static FailureOr<std::vector<double>>
computeGroupMaxima(const GroupLayout &groups, Reader read) {
  std::vector<double> absMax(groups.getNumGroups(), 0.0);
  bool finite = true;
  groups.forEach([&](int64_t element, int64_t group) {
    double x = read(element);
    finite &= std::isfinite(x);
    absMax[group] = std::max(absMax[group], std::fabs(x));
  });
  if (!finite)
    return failure();
  return absMax;
}

/// Returns round_half_even(x / scale) with scale = absMax / qmax, clamped to
/// [-qmax, qmax]. It is computed as x * qmax / absMax: for float and half
/// inputs x * qmax is exact in double, so the one rounding of the division
/// leaves a quotient that is a tie in exact arithmetic a tie, and the result
/// is that of exact arithmetic.
static double quantizeValue(double x, double absMax, int64_t qmax) {
  if (absMax == 0.0)
    return 0.0;
  auto limit = static_cast<double>(qmax);
  return std::clamp(roundHalfEven(x * limit / absMax), -limit, limit);
}

/// Returns the scale of a group: absMax / qmax, or 1 for an all-zero group.
static float getScale(double absMax, int64_t qmax) {
  return static_cast<float>(absMax == 0.0 ? 1.0
                                          : absMax / static_cast<double>(qmax));
}

/// Quantizes to i8 or i4: one byte per stored value.
template <typename Reader>
static FailureOr<QuantizedConstant>
quantizeToInteger(const GroupLayout &groups, Reader read, int64_t numElements,
                  RankedTensorType storedType, RankedTensorType scalesType) {
  unsigned width = storedType.getElementTypeBitWidth();
  int64_t qmax = (int64_t{1} << (width - 1)) - 1;
  FailureOr<std::vector<double>> absMax = computeGroupMaxima(groups, read);
  if (failed(absMax))
    return failure();

  std::vector<char> stored(numElements);
  // i4 lives in the low nibble of its byte; the high nibble is kept clear as
  // APInt-built attributes have it, so equal values give equal attributes.
  uint8_t mask = width == 4 ? 0x0F : 0xFF;
  groups.forEach([&](int64_t element, int64_t group) {
    double q = quantizeValue(read(element), (*absMax)[group], qmax);
    stored[element] = static_cast<char>(static_cast<int8_t>(q) & mask);
  });

  SmallVector<float> scales = llvm::map_to_vector(
      *absMax, [&](double groupMax) { return getScale(groupMax, qmax); });
  return QuantizedConstant{
      DenseElementsAttr::getFromRawBuffer(storedType, stored),
      DenseElementsAttr::get(scalesType, ArrayRef<float>(scales))};
}

/// Converts to f16, bf16 or f32 storage, rounding to nearest even; fails on a
/// non-finite element or one above the storage type's range.
template <typename Reader>
static FailureOr<QuantizedConstant>
quantizeToFloat(Reader read, int64_t numElements, RankedTensorType storedType,
                RankedTensorType scalesType) {
  Type element = storedType.getElementType();
  FloatFormat format = getFloatFormat(element);
  unsigned bytes = storedType.getElementTypeBitWidth() / 8;
  std::vector<char> stored(numElements * bytes);
  for (int64_t i = 0; i < numElements; ++i) {
    double x = read(i);
    if (!std::isfinite(x) || std::fabs(x) > format.largest)
      return failure();
    if (element.isF32()) {
      auto value = static_cast<float>(x);
      std::memcpy(&stored[i * bytes], &value, bytes);
    } else {
      auto bits = static_cast<uint16_t>(encodeRounded(x, format));
      std::memcpy(&stored[i * bytes], &bits, bytes);
    }
  }
  return QuantizedConstant{
      DenseElementsAttr::getFromRawBuffer(storedType, stored),
      DenseElementsAttr::get(scalesType, 1.0f)};
}

/// Quantizes a splat: every group has the same maximum, so the result is a
/// pair of splats, computed from one element.
static FailureOr<QuantizedConstant> quantizeSplat(double x,
                                                  RankedTensorType storedType,
                                                  RankedTensorType scalesType) {
  if (!std::isfinite(x))
    return failure();
  Type element = storedType.getElementType();
  if (auto floatType = dyn_cast<FloatType>(element)) {
    FloatFormat format = getFloatFormat(floatType);
    if (std::fabs(x) > format.largest)
      return failure();
    llvm::APFloat value(x);
    bool losesInfo;
    value.convert(floatType.getFloatSemantics(),
                  llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    return QuantizedConstant{DenseElementsAttr::get(storedType, value),
                             DenseElementsAttr::get(scalesType, 1.0f)};
  }
  unsigned width = storedType.getElementTypeBitWidth();
  int64_t qmax = (int64_t{1} << (width - 1)) - 1;
  double q = quantizeValue(x, std::fabs(x), qmax);
  llvm::APInt stored(width, static_cast<int64_t>(q), /*isSigned=*/true);
  return QuantizedConstant{
      DenseElementsAttr::get(storedType, stored),
      DenseElementsAttr::get(scalesType, getScale(std::fabs(x), qmax))};
}

FailureOr<QuantizedConstant> mlir::agn::quantizeConstant(
    DenseFPElementsAttr values, RankedTensorType storedType,
    RankedTensorType scalesType, std::optional<int64_t> axis,
    std::optional<int64_t> block) {
  auto valuesType = cast<RankedTensorType>(values.getType());
  if (!valuesType.hasStaticShape() || !storedType.hasStaticShape() ||
      !scalesType.hasStaticShape() ||
      storedType.getShape() != valuesType.getShape() ||
      !scalesType.getElementType().isF32() ||
      scalesType.getShape() != ArrayRef(getQuantizationScalesShape(
                                   valuesType.getShape(), axis, block)))
    return failure();
  Type inputElement = valuesType.getElementType();
  Type storedElement = storedType.getElementType();
  bool integerStorage =
      storedElement.isSignlessInteger(8) || storedElement.isSignlessInteger(4);
  if (!integerStorage &&
      !isa<Float16Type, BFloat16Type, Float32Type>(storedElement))
    return failure();
  // Every element of these converts to double exactly.
  if (!isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(inputElement))
    return failure();

  if (values.isSplat())
    return quantizeSplat(values.getSplatValue<APFloat>().convertToDouble(),
                         storedType, scalesType);

  // Conversions to the input's own type are exact: nothing can overflow, and
  // the attribute is already the answer.
  if (storedElement == inputElement) {
    if (!isAllFinite(values))
      return failure();
    return QuantizedConstant{values, DenseElementsAttr::get(scalesType, 1.0f)};
  }

  int64_t numElements = valuesType.getNumElements();
  GroupLayout groups(valuesType.getShape(), axis, block);
  auto quantize = [&](auto read) {
    if (integerStorage)
      return quantizeToInteger(groups, read, numElements, storedType,
                               scalesType);
    return quantizeToFloat(read, numElements, storedType, scalesType);
  };
  // f32 is the common case, and 4096x4096 weights are common: read it without
  // going through APFloat.
  if (inputElement.isF32()) {
    auto f32Values = values.getValues<float>().begin();
    return quantize(
        [&](int64_t i) { return static_cast<double>(f32Values[i]); });
  }
  auto apValues = values.getValues<APFloat>().begin();
  return quantize(
      [&](int64_t i) { return APFloat(apValues[i]).convertToDouble(); });
}

bool mlir::agn::isAllFinite(DenseFPElementsAttr values) {
  if (values.getElementType().isF32())
    return llvm::all_of(values.getValues<float>(),
                        [](float x) { return std::isfinite(x); });
  return llvm::all_of(values.getValues<APFloat>(),
                      [](const APFloat &x) { return x.isFinite(); });
}
