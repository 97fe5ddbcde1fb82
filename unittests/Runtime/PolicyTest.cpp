//===- PolicyTest.cpp - Load and latency policies, hysteresis -------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Hysteresis.h"
#include "LatencyPolicy.h"
#include "LoadPolicy.h"

#include "gtest/gtest.h"

using namespace agn::rt;

namespace {

TEST(PersistenceTest, FiresAfterConsecutiveTicksAndStartsOver) {
  Persistence p;
  EXPECT_FALSE(p.update(true, 3));
  EXPECT_FALSE(p.update(true, 3));
  EXPECT_TRUE(p.update(true, 3));
  EXPECT_EQ(p.count(), 0u);
  EXPECT_FALSE(p.update(true, 3));
  EXPECT_FALSE(p.update(false, 3)) << "a break resets the count";
  EXPECT_FALSE(p.update(true, 3));
  EXPECT_FALSE(p.update(true, 3));
  EXPECT_TRUE(p.update(true, 3));
  EXPECT_TRUE(p.update(true, 1));
}

const LoadThresholds kBand = {0.8, 0.6};

TEST(LoadPolicyTest, OffMeansNoCap) {
  LoadPolicy p;
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(p.update(1.0, {-1, 0}, 0, 1));
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_F32);
}

TEST(LoadPolicyTest, StepsDownByBitWidthAfterPersistentLoad) {
  LoadPolicy p;
  EXPECT_FALSE(p.update(0.95, kBand, AGN_LEVEL_I4, 3));
  EXPECT_FALSE(p.update(0.95, kBand, AGN_LEVEL_I4, 3));
  EXPECT_TRUE(p.update(0.95, kBand, AGN_LEVEL_I4, 3));
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_F16);
  for (int i = 0; i < 3; ++i)
    p.update(0.95, kBand, AGN_LEVEL_I4, 3);
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_I8);
  for (int i = 0; i < 3; ++i)
    p.update(0.95, kBand, AGN_LEVEL_I4, 3);
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_I4);
  for (int i = 0; i < 9; ++i)
    p.update(0.95, kBand, AGN_LEVEL_I4, 3);
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_I4);
}

TEST(LoadPolicyTest, RespectsTheFloor) {
  LoadPolicy p;
  for (int i = 0; i < 20; ++i)
    p.update(1.0, kBand, AGN_LEVEL_I8, 1);
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_I8);
  // A floor between widths (bf16) stops at the step above it.
  LoadPolicy q;
  for (int i = 0; i < 20; ++i)
    q.update(1.0, kBand, AGN_LEVEL_BF16, 1);
  EXPECT_EQ(q.ceiling(), AGN_LEVEL_F16);
}

TEST(LoadPolicyTest, NoiseAroundTheThresholdDoesNotFlap) {
  LoadPolicy p;
  // Crossing `high` on every other tick never persists for 2 ticks.
  for (int i = 0; i < 50; ++i)
    EXPECT_FALSE(p.update(i % 2 ? 0.81 : 0.79, kBand, AGN_LEVEL_I4, 2));
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_F32);
}

TEST(LoadPolicyTest, HoldsInsideTheBandAndRecoversBelowIt) {
  LoadPolicy p;
  for (int i = 0; i < 4; ++i)
    p.update(0.9, kBand, AGN_LEVEL_I4, 2);
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_I8);
  // Between low (0.6) and high (0.8): no movement either way.
  for (int i = 0; i < 50; ++i)
    EXPECT_FALSE(p.update(0.7, kBand, AGN_LEVEL_I4, 2));
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_I8);
  EXPECT_FALSE(p.update(0.5, kBand, AGN_LEVEL_I4, 2));
  EXPECT_TRUE(p.update(0.5, kBand, AGN_LEVEL_I4, 2));
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_F16);
  p.update(0.5, kBand, AGN_LEVEL_I4, 2);
  p.update(0.5, kBand, AGN_LEVEL_I4, 2);
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_F32);
}

TEST(LoadPolicyTest, UnknownLoadReleases) {
  LoadPolicy p;
  p.update(1.0, kBand, AGN_LEVEL_I4, 1);
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_F16);
  p.update(-1, kBand, AGN_LEVEL_I4, 1);
  EXPECT_EQ(p.ceiling(), AGN_LEVEL_F32);
}

TEST(LatencyPolicyTest, LowersAfterPersistentOverrunAndRestartsTheCount) {
  LatencyPolicy p;
  using Action = LatencyPolicy::Action;
  EXPECT_EQ(p.update(2e6, 1000000, 0.2, 2), Action::Hold);
  EXPECT_EQ(p.update(2e6, 1000000, 0.2, 2), Action::Lower);
  p.recordLowered(7, AGN_LEVEL_F32);
  EXPECT_EQ(p.update(2e6, 1000000, 0.2, 2), Action::Hold)
      << "the next step waits for fresh evidence";
  EXPECT_EQ(p.update(2e6, 1000000, 0.2, 2), Action::Lower);
}

TEST(LatencyPolicyTest, SmoothsAndRaisesOnlyWellUnderTheTarget) {
  LatencyPolicy p;
  using Action = LatencyPolicy::Action;
  p.update(2e6, 1000000, 0.2, 1);
  EXPECT_DOUBLE_EQ(p.averageNs(), 2e6) << "the first window seeds it";
  p.recordLowered(3, AGN_LEVEL_F16);
  // 0.9 ms: under the target but inside the margin (0.8 ms): hold.
  for (int i = 0; i < 30; ++i)
    p.update(0.9e6, 1000000, 0.2, 1);
  EXPECT_NEAR(p.averageNs(), 0.9e6, 1e3);
  EXPECT_TRUE(p.anyLowered());
  // 0.5 ms pulls the average to 0.78 ms, under the margin: a raise once
  // that has held for two ticks.
  EXPECT_EQ(p.update(0.5e6, 1000000, 0.2, 2), Action::Hold);
  EXPECT_EQ(p.update(0.5e6, 1000000, 0.2, 2), Action::Raise);
  int64_t unit;
  int previous;
  ASSERT_TRUE(p.takeLastLowered(unit, previous));
  EXPECT_EQ(unit, 3);
  EXPECT_EQ(previous, AGN_LEVEL_F16);
  EXPECT_NE(p.update(0.1e6, 1000000, 0.2, 1), Action::Raise)
      << "nothing left to raise";
}

TEST(LatencyPolicyTest, TicksWithoutInferencesHold) {
  LatencyPolicy p;
  using Action = LatencyPolicy::Action;
  EXPECT_EQ(p.update(2e6, 1000000, 0.2, 2), Action::Hold);
  EXPECT_EQ(p.update(-1, 1000000, 0.2, 2), Action::Hold);
  EXPECT_EQ(p.update(2e6, 1000000, 0.2, 2), Action::Lower);
}

TEST(LatencyPolicyTest, TargetOffForgetsEverything) {
  LatencyPolicy p;
  p.update(2e6, 1000000, 0.2, 1);
  p.recordLowered(1, AGN_LEVEL_F32);
  EXPECT_EQ(p.update(2e6, 0, 0.2, 1), LatencyPolicy::Action::Hold);
  EXPECT_FALSE(p.anyLowered());
  EXPECT_LT(p.averageNs(), 0);
}

TEST(PickLatencyCandidateTest, MostTimeSavedPerSensitivity) {
  EXPECT_EQ(pickLatencyCandidate({}), -1);
  std::vector<LatencyCandidate> c = {
      {0, 3, 1000, 2.0}, // 500 per sensitivity
      {1, 3, 300, 0.5},  // 600
      {2, 1, 100, 1.0},  // 100
  };
  EXPECT_EQ(pickLatencyCandidate(c), 1);
  c.push_back({3, 1, 1, 0.0}); // insensitive: first to go
  EXPECT_EQ(pickLatencyCandidate(c), 3);
}

TEST(PickLatencyCandidateTest, TiesGoToTheLessSensitiveThenTheLowerId) {
  std::vector<LatencyCandidate> c = {
      {5, 3, 200, 2.0}, {4, 3, 100, 1.0}, {2, 3, 100, 1.0}};
  EXPECT_EQ(pickLatencyCandidate(c), 2);
}

} // namespace
