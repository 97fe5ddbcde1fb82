//===- AGNAttrs.h - agn attributes and enums --------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_DIALECT_AGN_IR_AGNATTRS_H
#define AGN_DIALECT_AGN_IR_AGNATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "agn/Dialect/AGN/IR/AGNEnums.h.inc"

namespace mlir::agn {
/// Parses `[` sizes `]` (possibly empty), as #agn.lowering_config's
/// tile_sizes are written.
FailureOr<SmallVector<int64_t>> parseBracketedSizes(AsmParser &parser);
/// Prints `sizes` as `[a, b, c]`.
void printBracketedSizes(AsmPrinter &printer, ArrayRef<int64_t> sizes);
} // namespace mlir::agn

#define GET_ATTRDEF_CLASSES
#include "agn/Dialect/AGN/IR/AGNAttrs.h.inc"

namespace mlir {
class Type;
class MLIRContext;

namespace agn {

/// Number of precision levels (`i4` ... `f32`). The enum's cases are checked
/// against the runtime's list (AGN_LEVELS in agn-c/Runtime.h) in
/// AGNDialect.cpp.
constexpr unsigned kNumPrecisions = getMaxEnumValForPrecision() + 1;

/// Returns every precision level, least precise first.
SmallVector<Precision> getAllPrecisions();

/// Returns the names of all precision levels for diagnostics, least precise
/// first: "i4, i8, bf16, f16, f32" by default, "i4, i8, bf16, f16 or f32"
/// with `lastSeparator` " or ".
std::string getPrecisionNameList(StringRef separator = ", ",
                                 StringRef lastSeparator = ", ");

/// Returns the storage bit width of one element at `level` (4, 8, 16, 16, 32).
unsigned getBitWidth(Precision level);

/// Returns whether `level` stores floating-point values (f32, f16, bf16).
bool isFloatPrecision(Precision level);

/// Returns the largest stored magnitude of a symmetric integer level (7 for
/// i4, 127 for i8). Must only be called on integer levels.
int64_t getSymmetricQMax(Precision level);

/// Returns the element type values are stored in at `level`.
Type getStorageElementType(MLIRContext *context, Precision level);

/// Returns the level whose storage element type is `type`, if any.
std::optional<Precision> getPrecisionForStorageType(Type type);

/// Returns the enum values of an array of `#agn.precision` attributes.
SmallVector<Precision> getPrecisions(ArrayAttr levels);

/// Returns an array of `#agn.precision` attributes for `levels`.
ArrayAttr getPrecisionArrayAttr(MLIRContext *context,
                                ArrayRef<Precision> levels);

/// Parses `[l0, l1, ...]` of precision keywords, diagnosing unknown names and
/// lists that are empty or not strictly increasing.
ParseResult parseLevelKeywords(AsmParser &parser,
                               SmallVectorImpl<Precision> &levels);

/// Prints `[l0, l1, ...]`.
void printLevelKeywords(AsmPrinter &printer, ArrayRef<Precision> levels);

/// Checks that `levels` is non-empty and strictly increasing; `what` names the
/// list in the diagnostic.
LogicalResult verifyLevelList(function_ref<InFlightDiagnostic()> emitError,
                              ArrayRef<Precision> levels, StringRef what);

} // namespace agn
} // namespace mlir

#endif // AGN_DIALECT_AGN_IR_AGNATTRS_H
