//===- PrecisionTest.cpp - #agn.precision against the runtime's levels ----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// AGNDialect.cpp checks at compile time that the dialect's Precision enum has
// the runtime's levels (AGN_LEVELS in agn-c/Runtime.h) with their ordinals.
// What is not constexpr is checked here: the enum's spellings, which the IR
// prints and the passes' options parse, are the runtime's names, which its
// configuration and telemetry use.
//
//===----------------------------------------------------------------------===//

#include "agn-c/Runtime.h"
#include "agn/Dialect/AGN/IR/AGNAttrs.h"

#include "gtest/gtest.h"

using namespace mlir::agn;

namespace {

TEST(PrecisionTest, NamesAreTheRuntimeNames) {
  for (int64_t level = 0; level < AGN_NUM_LEVELS; ++level) {
    std::optional<Precision> precision = symbolizePrecision(level);
    ASSERT_TRUE(precision) << "level " << level;
    EXPECT_EQ(stringifyPrecision(*precision).str(),
              std::string(agn_rt_level_name(level)));
    EXPECT_EQ(symbolizePrecision(agn_rt_level_name(level)), precision);
  }
  EXPECT_FALSE(symbolizePrecision(uint32_t{AGN_NUM_LEVELS}));
}

TEST(PrecisionTest, BitWidthsAreTheRuntimeWidths) {
#define AGN_CHECK_BITS_(NAME, name, ordinal, bits)                             \
  EXPECT_EQ(getBitWidth(Precision::name), unsigned{bits}) << #name;
  AGN_LEVELS(AGN_CHECK_BITS_)
#undef AGN_CHECK_BITS_
}

TEST(PrecisionTest, AllPrecisionsInOrder) {
  llvm::SmallVector<Precision> levels = getAllPrecisions();
  ASSERT_EQ(levels.size(), size_t{AGN_NUM_LEVELS});
  for (auto [ordinal, level] : llvm::enumerate(levels))
    EXPECT_EQ(static_cast<size_t>(level), ordinal);
}

TEST(PrecisionTest, NameLists) {
  EXPECT_EQ(getPrecisionNameList(), "i4, i8, bf16, f16, f32");
  EXPECT_EQ(getPrecisionNameList(", ", " or "), "i4, i8, bf16, f16 or f32");
}

} // namespace
