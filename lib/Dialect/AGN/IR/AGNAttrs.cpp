//===- AGNAttrs.cpp - agn attributes and enums ----------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/IR/AGNAttrs.h"
#include "agn/Dialect/AGN/IR/AGNDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::agn;

#include "agn/Dialect/AGN/IR/AGNEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "agn/Dialect/AGN/IR/AGNAttrs.cpp.inc"

void AGNDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "agn/Dialect/AGN/IR/AGNAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Precision helpers
//===----------------------------------------------------------------------===//

SmallVector<Precision> mlir::agn::getAllPrecisions() {
  SmallVector<Precision> levels;
  for (uint32_t value = 0; value <= getMaxEnumValForPrecision(); ++value)
    if (std::optional<Precision> level = symbolizePrecision(value))
      levels.push_back(*level);
  return levels;
}

std::string mlir::agn::getPrecisionNameList(StringRef separator,
                                            StringRef lastSeparator) {
  SmallVector<Precision> levels = getAllPrecisions();
  std::string text;
  for (auto [i, level] : llvm::enumerate(levels)) {
    if (i > 0)
      text += i + 1 == levels.size() ? lastSeparator : separator;
    text += stringifyPrecision(level);
  }
  return text;
}

unsigned mlir::agn::getBitWidth(Precision level) {
  switch (level) {
  case Precision::i4:
    return 4;
  case Precision::i8:
    return 8;
  case Precision::bf16:
  case Precision::f16:
    return 16;
  case Precision::f32:
    return 32;
  }
  llvm_unreachable("unknown precision");
}

bool mlir::agn::isFloatPrecision(Precision level) {
  return level == Precision::bf16 || level == Precision::f16 ||
         level == Precision::f32;
}

int64_t mlir::agn::getSymmetricQMax(Precision level) {
  assert(!isFloatPrecision(level) && "qmax is defined for integer levels");
  return (int64_t{1} << (getBitWidth(level) - 1)) - 1;
}

Type mlir::agn::getStorageElementType(MLIRContext *context, Precision level) {
  Builder b(context);
  switch (level) {
  case Precision::i4:
    return b.getIntegerType(4);
  case Precision::i8:
    return b.getIntegerType(8);
  case Precision::bf16:
    return b.getBF16Type();
  case Precision::f16:
    return b.getF16Type();
  case Precision::f32:
    return b.getF32Type();
  }
  llvm_unreachable("unknown precision");
}

std::optional<Precision> mlir::agn::getPrecisionForStorageType(Type type) {
  if (type.isSignlessInteger(4))
    return Precision::i4;
  if (type.isSignlessInteger(8))
    return Precision::i8;
  if (type.isBF16())
    return Precision::bf16;
  if (type.isF16())
    return Precision::f16;
  if (type.isF32())
    return Precision::f32;
  return std::nullopt;
}

SmallVector<Precision> mlir::agn::getPrecisions(ArrayAttr levels) {
  return llvm::map_to_vector(levels, [](Attribute attr) {
    return cast<PrecisionAttr>(attr).getValue();
  });
}

ArrayAttr mlir::agn::getPrecisionArrayAttr(MLIRContext *context,
                                           ArrayRef<Precision> levels) {
  return ArrayAttr::get(context,
                        llvm::map_to_vector(levels, [&](Precision level) {
                          return Attribute(PrecisionAttr::get(context, level));
                        }));
}

ParseResult mlir::agn::parseLevelKeywords(AsmParser &parser,
                                          SmallVectorImpl<Precision> &levels) {
  return parser.parseCommaSeparatedList(
      AsmParser::Delimiter::Square, [&]() -> ParseResult {
        SMLoc loc = parser.getCurrentLocation();
        StringRef keyword;
        if (parser.parseKeyword(&keyword))
          return failure();
        std::optional<Precision> level = symbolizePrecision(keyword);
        if (!level)
          return parser.emitError(loc)
                 << "unknown precision level '" << keyword
                 << "'; expected one of " << getPrecisionNameList();
        levels.push_back(*level);
        return success();
      });
}

void mlir::agn::printLevelKeywords(AsmPrinter &printer,
                                   ArrayRef<Precision> levels) {
  printer << '[';
  llvm::interleaveComma(levels, printer, [&](Precision level) {
    printer << stringifyPrecision(level);
  });
  printer << ']';
}

LogicalResult
mlir::agn::verifyLevelList(function_ref<InFlightDiagnostic()> emitError,
                           ArrayRef<Precision> levels, StringRef what) {
  if (levels.empty())
    return emitError() << what << " must name at least one precision level";
  for (auto [prev, next] : llvm::zip(levels, levels.drop_front())) {
    if (prev >= next)
      return emitError() << what
                         << " must be strictly increasing (i4 < i8 < bf16 < "
                            "f16 < f32), but "
                         << stringifyPrecision(next) << " follows "
                         << stringifyPrecision(prev);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// PolicyAttr
//===----------------------------------------------------------------------===//

LogicalResult PolicyAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StatisticKind statistic,
                                 ArrayRef<Precision> levels,
                                 DenseF64ArrayAttr thresholdsAttr,
                                 APFloat hysteresisValue) {
  ArrayRef<double> thresholds = thresholdsAttr.asArrayRef();
  double hysteresis = hysteresisValue.convertToDouble();
  if (failed(verifyLevelList(emitError, levels, "policy 'levels'")))
    return failure();
  if (thresholds.size() + 1 != levels.size())
    return emitError() << "policy 'thresholds' must have one fewer entry than "
                          "'levels' (expected "
                       << levels.size() - 1 << ", got " << thresholds.size()
                       << ")";
  for (auto [i, threshold] : llvm::enumerate(thresholds)) {
    if (!std::isfinite(threshold) || threshold < 0.0)
      return emitError() << "policy threshold #" << i << " (" << threshold
                         << ") must be finite and non-negative: statistics "
                            "are non-negative";
    if (i > 0 && thresholds[i - 1] >= threshold)
      return emitError() << "policy 'thresholds' must be strictly increasing, "
                            "but threshold #"
                         << i << " (" << threshold << ") is not above #"
                         << i - 1 << " (" << thresholds[i - 1] << ")";
  }
  if (!std::isfinite(hysteresis) || hysteresis < 0.0 || hysteresis >= 1.0)
    return emitError() << "policy 'hysteresis' must be in [0, 1), got "
                       << hysteresis;
  return success();
}

/// Counts the thresholds `t` with `statistic >= t * scale`.
static unsigned countThresholdsBelow(ArrayRef<double> thresholds,
                                     double statistic, double scale) {
  return llvm::count_if(thresholds,
                        [&](double t) { return statistic >= t * scale; });
}

unsigned PolicyAttr::selectBand(double statistic) const {
  if (!std::isfinite(statistic))
    return getLevels().size() - 1;
  return countThresholdsBelow(getThresholdValues(), statistic, 1.0);
}

unsigned PolicyAttr::selectBand(double statistic, unsigned previousBand) const {
  if (!std::isfinite(statistic))
    return getLevels().size() - 1;
  // Moving up needs the statistic to clear the threshold by the margin, and
  // moving down to fall below it by the margin; in between, stay.
  unsigned up = countThresholdsBelow(getThresholdValues(), statistic,
                                     1.0 + getHysteresisValue());
  unsigned down = countThresholdsBelow(getThresholdValues(), statistic,
                                       1.0 - getHysteresisValue());
  return std::clamp(std::min<unsigned>(previousBand, getLevels().size() - 1),
                    up, down);
}

unsigned PolicyAttr::getBandOf(Precision level) const {
  unsigned band = 0;
  for (auto [i, candidate] : llvm::enumerate(getLevels()))
    if (candidate <= level)
      band = i;
  return band;
}

Attribute PolicyAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StatisticKind statistic = StatisticKind::variance;
  SmallVector<Precision> levels;
  SmallVector<double> thresholds;
  double hysteresis = 0.0;
  llvm::StringSet<> seen;

  auto parseEntry = [&]() -> ParseResult {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return failure();
    if (!seen.insert(key).second)
      return parser.emitError(keyLoc)
             << "policy key '" << key << "' given more than once";
    if (key == "statistic") {
      SMLoc valueLoc = parser.getCurrentLocation();
      StringRef name;
      if (parser.parseKeyword(&name))
        return failure();
      std::optional<StatisticKind> kind = symbolizeStatisticKind(name);
      if (!kind)
        return parser.emitError(valueLoc)
               << "unknown statistic '" << name
               << "'; expected 'variance' or 'abs_max'";
      statistic = *kind;
      return success();
    }
    if (key == "levels")
      return parseLevelKeywords(parser, levels);
    if (key == "thresholds")
      return parser.parseCommaSeparatedList(
          AsmParser::Delimiter::Square, [&]() -> ParseResult {
            return parser.parseFloat(thresholds.emplace_back());
          });
    if (key == "hysteresis")
      return parser.parseFloat(hysteresis);
    return parser.emitError(keyLoc)
           << "unknown policy key '" << key
           << "'; expected statistic, levels, thresholds or hysteresis";
  };

  if (parser.parseLess() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::None, parseEntry) ||
      parser.parseGreater())
    return {};
  for (StringRef required : {"levels", "thresholds"})
    if (!seen.contains(required)) {
      parser.emitError(loc) << "policy is missing '" << required << "'";
      return {};
    }
  return PolicyAttr::getChecked(
      [&] { return parser.emitError(loc); }, parser.getContext(), statistic,
      levels, DenseF64ArrayAttr::get(parser.getContext(), thresholds),
      APFloat(hysteresis));
}

void PolicyAttr::print(AsmPrinter &printer) const {
  printer << '<';
  if (getStatistic() != StatisticKind::variance)
    printer << "statistic = " << stringifyStatisticKind(getStatistic()) << ", ";
  printer << "levels = ";
  printLevelKeywords(printer, getLevels());
  printer << ", thresholds = [";
  llvm::interleaveComma(getThresholdValues(), printer, [&](double t) {
    printer.printFloat(llvm::APFloat(t));
  });
  printer << ']';
  if (!getHysteresis().isZero()) {
    printer << ", hysteresis = ";
    printer.printFloat(getHysteresis());
  }
  printer << '>';
}
