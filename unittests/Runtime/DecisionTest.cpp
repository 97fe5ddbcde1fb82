//===- DecisionTest.cpp - The arbitration rule, exhaustively --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Checks the precomputed decision word against a direct transcription of
// the contract, for every allowed set (31), ceiling (5) and request (5).
//
//===----------------------------------------------------------------------===//

#include "Decision.h"

#include "gtest/gtest.h"

#include <vector>

using namespace agn::rt;

namespace {

/// The contract, spelled out over a list of allowed levels.
int contractGrant(const std::vector<int> &allowed, int request, int ceiling) {
  // Not above the request: the highest allowed level below it, else the
  // lowest allowed level.
  int unconstrained = -1;
  for (int level : allowed)
    if (level <= request && level > unconstrained)
      unconstrained = level;
  if (unconstrained < 0)
    unconstrained = allowed.front();
  // Lowered to the ceiling: the highest allowed level at or below it, else
  // the lowest allowed level.
  if (unconstrained <= ceiling)
    return unconstrained;
  int capped = -1;
  for (int level : allowed)
    if (level <= ceiling && level > capped)
      capped = level;
  return capped >= 0 ? capped : allowed.front();
}

TEST(DecisionTest, MatchesTheContractEverywhere) {
  for (unsigned mask = 1; mask <= kAllLevels; ++mask) {
    std::vector<int> allowed;
    for (int l = 0; l < kNumLevels; ++l)
      if (mask & (1u << l))
        allowed.push_back(l);
    for (int ceiling = 0; ceiling < kNumLevels; ++ceiling) {
      for (int reason = 0; reason < kNumReasons; ++reason) {
        DecisionWord word =
            encodeDecision(static_cast<LevelMask>(mask), ceiling, reason);
        EXPECT_EQ(decisionReason(word), reason);
        EXPECT_EQ(decisionCeiling(word), ceiling);
        for (int request = 0; request < kNumLevels; ++request) {
          SCOPED_TRACE(::testing::Message()
                       << "mask " << mask << " ceiling " << ceiling
                       << " request " << request);
          int granted = decisionGrant(word, request);
          // A pin answers every request with the pinned level.
          bool pinned = reason == AGN_RT_REASON_PIN;
          int expected =
              contractGrant(allowed, pinned ? kTopLevel : request, ceiling);
          int free = contractGrant(allowed, request, kTopLevel);
          EXPECT_EQ(granted, expected);
          EXPECT_TRUE(contains(static_cast<LevelMask>(mask), granted));
          if (!pinned)
            EXPECT_LE(granted, free) << "a ceiling never raises a grant";
          EXPECT_EQ(decisionOverrides(word, request), granted != free);
        }
      }
    }
  }
}

TEST(DecisionTest, ContractExamples) {
  LevelMask i8f32 = (1u << AGN_LEVEL_I8) | (1u << AGN_LEVEL_F32);
  DecisionWord open = encodeDecision(i8f32, AGN_LEVEL_F32, AGN_RT_REASON_NONE);
  EXPECT_EQ(decisionGrant(open, AGN_LEVEL_F32), AGN_LEVEL_F32);
  EXPECT_EQ(decisionGrant(open, AGN_LEVEL_F16), AGN_LEVEL_I8)
      << "a request that is not allowed takes the highest allowed below it";
  EXPECT_EQ(decisionGrant(open, AGN_LEVEL_I4), AGN_LEVEL_I8)
      << "nothing below: the lowest allowed level";
  EXPECT_FALSE(decisionOverrides(open, AGN_LEVEL_F32));

  DecisionWord capped =
      encodeDecision(i8f32, AGN_LEVEL_BF16, AGN_RT_REASON_MEMORY);
  EXPECT_EQ(decisionGrant(capped, AGN_LEVEL_F32), AGN_LEVEL_I8);
  EXPECT_TRUE(decisionOverrides(capped, AGN_LEVEL_F32));
  EXPECT_EQ(decisionReason(capped), AGN_RT_REASON_MEMORY);

  DecisionWord pinned = encodeDecision(i8f32, AGN_LEVEL_F32, AGN_RT_REASON_PIN);
  EXPECT_EQ(decisionGrant(pinned, AGN_LEVEL_I8), AGN_LEVEL_F32)
      << "a pin at f32 runs f32 even when the controller asks for i8";
  EXPECT_TRUE(decisionOverrides(pinned, AGN_LEVEL_I8));
  EXPECT_FALSE(decisionOverrides(pinned, AGN_LEVEL_F32));

  DecisionWord floor = encodeDecision(i8f32, AGN_LEVEL_I4, AGN_RT_REASON_CPU);
  EXPECT_EQ(decisionGrant(floor, AGN_LEVEL_F32), AGN_LEVEL_I8)
      << "a ceiling below every allowed level still answers";
  EXPECT_FALSE(decisionOverrides(floor, AGN_LEVEL_I8));
}

TEST(LevelsTest, StepsByBitWidth) {
  EXPECT_EQ(stepDownByBits(kAllLevels, AGN_LEVEL_F32), AGN_LEVEL_F16);
  EXPECT_EQ(stepDownByBits(kAllLevels, AGN_LEVEL_F16), AGN_LEVEL_I8)
      << "f16 -> bf16 saves nothing and is skipped";
  EXPECT_EQ(stepDownByBits(kAllLevels, AGN_LEVEL_BF16), AGN_LEVEL_I8);
  EXPECT_EQ(stepDownByBits(kAllLevels, AGN_LEVEL_I8), AGN_LEVEL_I4);
  EXPECT_EQ(stepDownByBits(kAllLevels, AGN_LEVEL_I4), -1);
  LevelMask bf16f32 = (1u << AGN_LEVEL_BF16) | (1u << AGN_LEVEL_F32);
  EXPECT_EQ(stepDownByBits(bf16f32, AGN_LEVEL_F32), AGN_LEVEL_BF16);
  EXPECT_EQ(stepUpByBits(AGN_LEVEL_I4), AGN_LEVEL_I8);
  EXPECT_EQ(stepUpByBits(AGN_LEVEL_I8), AGN_LEVEL_F16);
  EXPECT_EQ(stepUpByBits(AGN_LEVEL_BF16), AGN_LEVEL_F32);
  EXPECT_EQ(stepUpByBits(AGN_LEVEL_F16), AGN_LEVEL_F32);
  EXPECT_EQ(stepUpByBits(AGN_LEVEL_F32), -1);
}

TEST(LevelsTest, Clamp) {
  EXPECT_EQ(clampLevel(-7), 0);
  EXPECT_EQ(clampLevel(9), 4);
  EXPECT_EQ(clampLevel(2), 2);
  EXPECT_EQ(clampLevel(INT64_MIN), 0);
  EXPECT_EQ(clampLevel(INT64_MAX), 4);
}

} // namespace
