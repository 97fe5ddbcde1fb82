//===- Levels.h - Precision levels and allowed-level sets -------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Helpers over the ordered precision levels of agn-c/Runtime.h and over a
// unit's set of allowed levels, kept as a bit mask. Every policy steps through
// these sets, so the stepping rules live here in one place.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_LEVELS_H
#define AGN_LIB_RUNTIME_LEVELS_H

#include "agn-c/Runtime.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace agn::rt {

constexpr int kNumLevels = AGN_NUM_LEVELS;
constexpr int kTopLevel = kNumLevels - 1;
constexpr int kNumReasons = AGN_RT_NUM_REASONS;

/// Storage bit width of each level.
constexpr unsigned kLevelBits[kNumLevels] = {
#define AGN_LEVEL_BITS_(NAME, name, ordinal, bits) bits,
    AGN_LEVELS(AGN_LEVEL_BITS_)
#undef AGN_LEVEL_BITS_
};

/// Canonical names, as accepted by the configuration and used in telemetry.
constexpr const char *kLevelNames[kNumLevels] = {
#define AGN_LEVEL_NAME_(NAME, name, ordinal, bits) #name,
    AGN_LEVELS(AGN_LEVEL_NAME_)
#undef AGN_LEVEL_NAME_
};

/// Names of the C enumerators (AGN_LEVEL_I4, ...), for messages to C callers.
constexpr const char *kLevelConstantNames[kNumLevels] = {
#define AGN_LEVEL_CONSTANT_NAME_(NAME, name, ordinal, bits) "AGN_LEVEL_" #NAME,
    AGN_LEVELS(AGN_LEVEL_CONSTANT_NAME_)
#undef AGN_LEVEL_CONSTANT_NAME_
};

/// Compile-time string equality, for the checks below.
constexpr bool equalNames(const char *a, const char *b) {
  while (*a && *a == *b)
    ++a, ++b;
  return *a == *b;
}

// The tables above are indexed by ordinal: AGN_LEVELS must list the levels
// in the order of their ordinals, from 0 without gaps.
#define AGN_LEVEL_CHECK_ORDINAL_(NAME, name, ordinal, bits)                    \
  static_assert(AGN_LEVEL_##NAME == ordinal && ordinal < kNumLevels &&         \
                    equalNames(kLevelNames[ordinal], #name) &&                 \
                    kLevelBits[ordinal] == bits,                               \
                "AGN_LEVELS must list levels by ordinal, from 0");
AGN_LEVELS(AGN_LEVEL_CHECK_ORDINAL_)
#undef AGN_LEVEL_CHECK_ORDINAL_

/// The level names joined for messages: joinLevelNames() is
/// "i4, i8, bf16, f16, f32", joinLevelNames(", ", " or ") is
/// "i4, i8, bf16, f16 or f32".
inline std::string joinLevelNames(std::string_view separator = ", ",
                                  std::string_view lastSeparator = ", ") {
  std::string text;
  for (int level = 0; level < kNumLevels; ++level) {
    if (level > 0)
      text += level == kTopLevel ? lastSeparator : separator;
    text += kLevelNames[level];
  }
  return text;
}

/// The range of level ordinals for messages: "0-4".
inline std::string levelOrdinalRange() {
  return "0-" + std::to_string(kTopLevel);
}

/// Names of agn_rt_reason values.
constexpr const char *kReasonNames[kNumReasons] = {
    "none", "pin", "max_level", "memory", "latency", "cpu", "gpu"};

/// A set of levels: bit i set means level i is in the set.
using LevelMask = uint8_t;
constexpr LevelMask kAllLevels = (1u << kNumLevels) - 1;

/// Clamps any integer to a valid level.
constexpr int clampLevel(int64_t level) {
  return level < 0           ? 0
         : level > kTopLevel ? kTopLevel
                             : static_cast<int>(level);
}

constexpr bool isLevel(int64_t level) {
  return level >= 0 && level <= kTopLevel;
}

constexpr bool contains(LevelMask mask, int level) {
  return (mask >> level) & 1u;
}

/// The highest level of \p mask that is <= \p level, or -1 if there is none.
constexpr int highestAtMost(LevelMask mask, int level) {
  for (int l = level; l >= 0; --l)
    if (contains(mask, l))
      return l;
  return -1;
}

/// The lowest level of \p mask, or -1 for an empty mask.
constexpr int lowestLevel(LevelMask mask) {
  for (int l = 0; l < kNumLevels; ++l)
    if (contains(mask, l))
      return l;
  return -1;
}

/// The highest level of \p mask, or -1 for an empty mask.
constexpr int highestLevel(LevelMask mask) {
  return highestAtMost(mask, kTopLevel);
}

/// The level a unit with allowed set \p mask actually runs at under ceiling
/// \p ceiling when it asks for \p level: the highest allowed level at or below
/// both, or the lowest allowed level when none is (every request is answered).
constexpr int grantedLevel(LevelMask mask, int level, int ceiling) {
  int l = highestAtMost(mask, level < ceiling ? level : ceiling);
  return l >= 0 ? l : lowestLevel(mask);
}

/// One step down by bit width: the highest level of \p mask with fewer bits
/// than \p level, or -1. Load and latency policies step this way because a
/// step between levels of equal width (f16 -> bf16) saves no time.
constexpr int stepDownByBits(LevelMask mask, int level) {
  if (!isLevel(level))
    return -1;
  for (int l = level - 1; l >= 0; --l)
    if (contains(mask, l) && kLevelBits[l] < kLevelBits[level])
      return l;
  return -1;
}

/// The inverse of stepDownByBits over all levels: the highest level with the
/// next larger bit width, or -1 from the top.
constexpr int stepUpByBits(int level) {
  if (!isLevel(level))
    return -1;
  for (int l = level + 1; l < kNumLevels; ++l)
    if (kLevelBits[l] > kLevelBits[level]) {
      // Take the highest level of that width (f16 rather than bf16).
      int best = l;
      while (best + 1 < kNumLevels && kLevelBits[best + 1] == kLevelBits[l])
        ++best;
      return best;
    }
  return -1;
}

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_LEVELS_H
