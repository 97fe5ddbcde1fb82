//===- Report.cpp - agn-report pass ---------------------------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Prints each unit's levels with their weight bytes and multiply-accumulates,
// and its policy, as a table or as JSON.
//
//===----------------------------------------------------------------------===//

#include "agn/Dialect/AGN/Transforms/Passes.h"

#include "agn/Dialect/AGN/IR/AGNOps.h"
#include "agn/Dialect/AGN/Transforms/Contraction.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::agn {
#define GEN_PASS_DEF_REPORT
#include "agn/Dialect/AGN/Transforms/Passes.h.inc"
} // namespace mlir::agn

using namespace mlir;
using namespace mlir::agn;

namespace {
/// One level of one unit, as reported.
struct LevelRow {
  Precision level;
  uint64_t weightBytes;
  uint64_t macs;
};

/// One unit, as reported.
struct UnitRow {
  std::string name;
  SmallVector<LevelRow> levels;
  PolicyAttr policy;
  /// True when the unit has no cost table and the numbers were estimated
  /// from its contraction (stored weight values only, no scales).
  bool estimated;
};
} // namespace

/// Collects the report rows of `unit`.
static UnitRow describeUnit(UnitOp unit) {
  UnitRow row{unit.getUnitName().str(), {}, unit.getPolicy(), false};
  if (std::optional<ArrayAttr> costs = unit.getCosts()) {
    for (CostAttr cost : costs->getAsRange<CostAttr>())
      row.levels.push_back(
          {cost.getLevel(), cost.getWeightBytes(), cost.getMacs()});
    return row;
  }

  // No cost table yet (before agn-quantize-weights): estimate from types.
  row.estimated = true;
  std::optional<ContractionInfo> info = findUnitContraction(unit);
  auto weightType = cast<RankedTensorType>(unit.getWeight().getType());
  int64_t elements =
      weightType.hasStaticShape() ? weightType.getNumElements() : 0;
  for (Precision level : unit.getLevelValues())
    row.levels.push_back(
        {level, static_cast<uint64_t>(elements) * getBitWidth(level) / 8,
         info ? info->getMacs() : 0});
  return row;
}

/// Renders `policy` as `variance: i8 < 0.05 <= bf16 < 0.5 <= f32`.
static std::string describePolicy(PolicyAttr policy) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << stringifyStatisticKind(policy.getStatistic()) << ": ";
  ArrayRef<Precision> levels = policy.getLevels();
  ArrayRef<double> thresholds = policy.getThresholdValues();
  for (size_t i = 0; i < levels.size(); ++i) {
    if (i > 0)
      os << " < " << llvm::format("%g", thresholds[i - 1]) << " <= ";
    os << stringifyPrecision(levels[i]);
  }
  if (!policy.getHysteresis().isZero())
    os << ", hysteresis "
       << llvm::format("%g", policy.getHysteresis().convertToDouble());
  return text;
}

static void printTable(raw_ostream &os, ArrayRef<UnitRow> rows) {
  size_t nameWidth = 4;
  for (const UnitRow &row : rows)
    nameWidth = std::max(nameWidth, row.name.size());
  auto printRow = [&](StringRef name, StringRef level, StringRef bytes,
                      StringRef macs, StringRef policy) {
    os << llvm::left_justify(name, nameWidth) << "  "
       << llvm::left_justify(level, 5) << "  " << llvm::right_justify(bytes, 14)
       << "  " << llvm::right_justify(macs, 14);
    if (!policy.empty())
      os << "  " << policy;
    os << "\n";
  };
  printRow("unit", "level", "weight bytes", "MACs", "policy");
  bool anyEstimated = false;
  for (const UnitRow &row : rows) {
    anyEstimated |= row.estimated;
    for (auto [i, level] : llvm::enumerate(row.levels)) {
      std::string name = i == 0 ? row.name : "";
      std::string policy = i == 0 ? describePolicy(row.policy) : "";
      std::string bytes = std::to_string(level.weightBytes);
      if (row.estimated)
        bytes += "*";
      printRow(name, stringifyPrecision(level.level), bytes,
               std::to_string(level.macs), policy);
    }
  }
  os << rows.size() << " unit" << (rows.size() == 1 ? "" : "s") << "\n";
  if (anyEstimated)
    os << "* no cost table: stored weight values only (run "
          "agn-quantize-weights for exact costs)\n";
}

static void printJson(raw_ostream &os, ArrayRef<UnitRow> rows) {
  llvm::json::Array units;
  for (const UnitRow &row : rows) {
    llvm::json::Array levels;
    for (const LevelRow &level : row.levels)
      levels.push_back(llvm::json::Object{
          {"level", stringifyPrecision(level.level)},
          {"weight_bytes", static_cast<int64_t>(level.weightBytes)},
          {"macs", static_cast<int64_t>(level.macs)}});
    llvm::json::Array policyLevels, thresholds;
    for (Precision level : row.policy.getLevels())
      policyLevels.push_back(stringifyPrecision(level));
    for (double threshold : row.policy.getThresholdValues())
      thresholds.push_back(threshold);
    units.push_back(llvm::json::Object{
        {"name", row.name},
        {"levels", std::move(levels)},
        {"estimated", row.estimated},
        {"policy",
         llvm::json::Object{
             {"statistic", stringifyStatisticKind(row.policy.getStatistic())},
             {"levels", std::move(policyLevels)},
             {"thresholds", std::move(thresholds)},
             {"hysteresis", row.policy.getHysteresis().convertToDouble()}}}});
  }
  os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                   {"units", std::move(units)}}))
     << "\n";
}

namespace {
struct ReportPass : public agn::impl::ReportBase<ReportPass> {
  using Base::Base;

  void runOnOperation() override {
    if (format != "table" && format != "json") {
      mlir::emitError(getOperation()->getLoc(),
                      "agn-report: unknown 'format' '")
          << format << "'; expected table or json";
      return signalPassFailure();
    }
    SmallVector<UnitRow> rows;
    getOperation()->walk(
        [&](UnitOp unit) { rows.push_back(describeUnit(unit)); });

    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(output, &error);
    if (!file) {
      mlir::emitError(getOperation()->getLoc(), "agn-report: cannot write '")
          << output << "': " << error;
      return signalPassFailure();
    }
    if (format == "json")
      printJson(file->os(), rows);
    else
      printTable(file->os(), rows);
    file->keep();
    markAllAnalysesPreserved();
  }
};
} // namespace
