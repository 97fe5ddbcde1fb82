//===- MemoryBudgetTest.cpp - Greedy allocation, memory pressure ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "MemoryBudget.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace agn::rt;
using ::testing::ElementsAre;

namespace {

constexpr uint64_t MiB = 1ull << 20;

/// A unit with weights of \p bytesPerBit * bit width at every level of
/// \p levels, starting at its highest.
BudgetUnit unit(std::vector<int> levels, double sensitivity,
                uint64_t bytesPerBit = 100) {
  BudgetUnit u;
  for (int l : levels) {
    u.Allowed |= static_cast<LevelMask>(1u << l);
    u.Bytes[l] = bytesPerBit * kLevelBits[l];
  }
  u.Sensitivity = sensitivity;
  u.Start = highestLevel(u.Allowed);
  return u;
}

const std::vector<int> kI8F32 = {AGN_LEVEL_I8, AGN_LEVEL_F32};

TEST(AllocateWeightBudgetTest, FitsWithoutLowering) {
  BudgetAllocation a =
      allocateWeightBudget({unit(kI8F32, 1), unit(kI8F32, 1)}, 6400);
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_F32, AGN_LEVEL_F32));
  EXPECT_EQ(a.TotalBytes, 6400u);
  EXPECT_FALSE(a.OverBudget);
}

TEST(AllocateWeightBudgetTest, LowersTheBestBytesPerSensitivityFirst) {
  // Both save 2400 bytes at i8; the first is four times less sensitive.
  BudgetAllocation a =
      allocateWeightBudget({unit(kI8F32, 1), unit(kI8F32, 4)}, 5000);
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_I8, AGN_LEVEL_F32));
  EXPECT_EQ(a.TotalBytes, 800u + 3200u);
  EXPECT_FALSE(a.OverBudget);
}

TEST(AllocateWeightBudgetTest, BiggerSavingsWinAtEqualSensitivity) {
  BudgetAllocation a =
      allocateWeightBudget({unit(kI8F32, 1, 100), unit(kI8F32, 1, 300)}, 12000);
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_F32, AGN_LEVEL_I8));
}

TEST(AllocateWeightBudgetTest, SensitivityZeroDropsFirst) {
  BudgetAllocation a = allocateWeightBudget(
      {unit(kI8F32, 0.5, 1000), unit(kI8F32, 0, 10)}, 32000 + 300);
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_F32, AGN_LEVEL_I8));
}

TEST(AllocateWeightBudgetTest, StopsAsSoonAsItFits) {
  BudgetAllocation a = allocateWeightBudget({unit({0, 1, 3, 4}, 1, 100)},
                                            1000); // 3200, 1600, 800, 400
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_I8));
  EXPECT_EQ(a.TotalBytes, 800u);
}

TEST(AllocateWeightBudgetTest, SkipsLevelsThatFreeNothing) {
  // f16 and bf16 weigh the same: the step from f16 goes straight to i8.
  BudgetAllocation a = allocateWeightBudget(
      {unit({AGN_LEVEL_I8, AGN_LEVEL_BF16, AGN_LEVEL_F16}, 1)}, 1599);
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_I8));
}

TEST(AllocateWeightBudgetTest, PinnedUnitsStayAndCount) {
  BudgetUnit pinned = unit(kI8F32, 0, 100);
  pinned.Fixed = true;
  BudgetAllocation a =
      allocateWeightBudget({pinned, unit(kI8F32, 100, 100)}, 4000);
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_F32, AGN_LEVEL_I8));
  EXPECT_EQ(a.TotalBytes, 4000u);
}

TEST(AllocateWeightBudgetTest, OverBudgetLeavesEverythingAtItsLowest) {
  BudgetAllocation a = allocateWeightBudget(
      {unit(kI8F32, 1), unit({0, 4}, 1), unit({2}, 1)}, 10);
  EXPECT_THAT(a.Levels,
              ElementsAre(AGN_LEVEL_I8, AGN_LEVEL_I4, AGN_LEVEL_BF16));
  EXPECT_EQ(a.TotalBytes, 800u + 400u + 1600u);
  EXPECT_TRUE(a.OverBudget);
  EXPECT_TRUE(allocateWeightBudget({unit(kI8F32, 1)}, 0).OverBudget);
}

TEST(AllocateWeightBudgetTest, TiesAreBrokenByUnitOrder) {
  BudgetAllocation a = allocateWeightBudget(
      {unit(kI8F32, 1), unit(kI8F32, 1), unit(kI8F32, 1)}, 8000);
  EXPECT_THAT(a.Levels,
              ElementsAre(AGN_LEVEL_I8, AGN_LEVEL_F32, AGN_LEVEL_F32));
}

TEST(AllocateWeightBudgetTest, StartsWhereTheOtherPoliciesLeftIt) {
  BudgetUnit capped = unit({0, 1, 4}, 1);
  capped.Start = AGN_LEVEL_I8;
  BudgetAllocation a = allocateWeightBudget({capped}, UINT64_MAX);
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_I8));
  EXPECT_EQ(a.TotalBytes, 800u);
}

TEST(AllocateWeightBudgetTest, HugeTablesDoNotWrapAround) {
  BudgetUnit huge = unit(kI8F32, 1);
  huge.Bytes[AGN_LEVEL_F32] = UINT64_MAX - 5;
  huge.Bytes[AGN_LEVEL_I8] = UINT64_MAX / 4;
  // Lowering one unit still leaves about 1.25 * 2^64 bytes: a saturating
  // sum would have called that a fit.
  BudgetAllocation a = allocateWeightBudget({huge, huge}, UINT64_MAX - 1);
  EXPECT_THAT(a.Levels, ElementsAre(AGN_LEVEL_I8, AGN_LEVEL_I8));
  EXPECT_FALSE(a.OverBudget);
  EXPECT_EQ(a.TotalBytes, UINT64_MAX / 4 * 2);
}

TEST(MemoryPressureTest, OffWithoutReserve) {
  MemoryPressure p;
  EXPECT_FALSE(p.update(1 * MiB, UINT64_MAX, 0.2, 3, 500 * MiB, 500 * MiB));
  EXPECT_EQ(p.budget(), UINT64_MAX);
}

TEST(MemoryPressureTest, ShedsTheShortfallAtOnceThenEveryRequiredTicks) {
  MemoryPressure p;
  EXPECT_TRUE(p.update(40 * MiB, 64 * MiB, 0.2, 3, 1000 * MiB, 1000 * MiB));
  EXPECT_EQ(p.budget(), 976 * MiB);
  // Pressure lasts: the next shed waits for three more ticks, so that the
  // effect of the first one can show.
  EXPECT_FALSE(p.update(40 * MiB, 64 * MiB, 0.2, 3, 976 * MiB, 1000 * MiB));
  EXPECT_FALSE(p.update(40 * MiB, 64 * MiB, 0.2, 3, 976 * MiB, 1000 * MiB));
  EXPECT_TRUE(p.update(40 * MiB, 64 * MiB, 0.2, 3, 976 * MiB, 1000 * MiB));
  EXPECT_EQ(p.budget(), 952 * MiB);
}

TEST(MemoryPressureTest, HoldsInsideTheBandAndGrowsAfterPersistentHeadroom) {
  MemoryPressure p;
  p.update(0, 64 * MiB, 0.25, 2, 500 * MiB, 1000 * MiB);
  EXPECT_EQ(p.budget(), 436 * MiB);
  // Between reserve (64) and reserve * 1.25 (80): hold.
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(p.update(70 * MiB, 64 * MiB, 0.25, 2, 436 * MiB, 1000 * MiB));
  // Above the band: grows after two ticks by what lies above the band.
  EXPECT_FALSE(p.update(100 * MiB, 64 * MiB, 0.25, 2, 436 * MiB, 1000 * MiB));
  EXPECT_TRUE(p.update(100 * MiB, 64 * MiB, 0.25, 2, 436 * MiB, 1000 * MiB));
  EXPECT_EQ(p.budget(), 456 * MiB);
  // Enough to hold every unit at its top: no budget any more.
  EXPECT_FALSE(p.update(4000 * MiB, 64 * MiB, 0.25, 2, 456 * MiB, 1000 * MiB));
  EXPECT_TRUE(p.update(4000 * MiB, 64 * MiB, 0.25, 2, 456 * MiB, 1000 * MiB));
  EXPECT_EQ(p.budget(), UINT64_MAX);
}

TEST(MemoryPressureTest, AFlappingSignalDoesNotGrowTheBudget) {
  MemoryPressure p;
  p.update(0, 64 * MiB, 0.25, 3, 500 * MiB, 1000 * MiB);
  uint64_t shed = p.budget();
  for (int i = 0; i < 20; ++i)
    p.update(i % 2 ? 200 * MiB : 70 * MiB, 64 * MiB, 0.25, 3, shed, 1000 * MiB);
  EXPECT_EQ(p.budget(), shed);
}

TEST(MemoryPressureTest, AVanishedSourceReleasesAfterRequiredTicks) {
  MemoryPressure p;
  p.update(0, 64 * MiB, 0.2, 2, 500 * MiB, 1000 * MiB);
  EXPECT_FALSE(p.update(UINT64_MAX, 64 * MiB, 0.2, 2, 436 * MiB, 1000 * MiB));
  EXPECT_TRUE(p.update(UINT64_MAX, 64 * MiB, 0.2, 2, 436 * MiB, 1000 * MiB));
  EXPECT_EQ(p.budget(), UINT64_MAX);
}

TEST(MemoryPressureTest, NeverBelowZero) {
  MemoryPressure p;
  p.update(0, 64 * MiB, 0.2, 1, 10 * MiB, 10 * MiB);
  EXPECT_EQ(p.budget(), 0u);
  EXPECT_TRUE(p.reset());
  EXPECT_EQ(p.budget(), UINT64_MAX);
}

} // namespace
