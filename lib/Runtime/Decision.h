//===- Decision.h - The precomputed arbitration word of a unit --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn_rt_arbitrate must answer in a few nanoseconds without locks, so the
// whole arbitration rule is evaluated ahead of time, whenever a ceiling
// changes, for all five possible requests at once. The answers are packed
// into one 32-bit word that is published with a single atomic store; the hot
// path is then one atomic load and a shift. One word also means a reader can
// never see a grant from one ceiling with the reason of another.
//
// A ceiling with reason `pin` fixes the level: every request gets the pinned
// level (the unit's most precise level not above it), so that a unit pinned
// at f32 runs at f32 even when its controller asks for less.
//
// Layout, for request r in 0-4, nibble r (bits 4r .. 4r+3):
//   bits 0-2: the granted level,
//   bit  3:   set if the grant differs from what the unit would get with no
//             ceiling (an override: lowered by a ceiling, or moved by a
//             pin);
// bits 24-27: the agn_rt_reason of the ceiling;
// bits 28-30: the ceiling itself.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_DECISION_H
#define AGN_LIB_RUNTIME_DECISION_H

#include "Levels.h"

#include <cstdint>

namespace agn::rt {

using DecisionWord = uint32_t;

/// Evaluates the arbitration rule for every request under \p ceiling (the
/// level itself when \p reason is AGN_RT_REASON_PIN).
constexpr DecisionWord encodeDecision(LevelMask allowed, int ceiling,
                                      int reason) {
  bool pinned = reason == AGN_RT_REASON_PIN;
  DecisionWord word = 0;
  for (int request = 0; request < kNumLevels; ++request) {
    int unconstrained = grantedLevel(allowed, request, kTopLevel);
    int granted = grantedLevel(allowed, pinned ? kTopLevel : request, ceiling);
    DecisionWord nibble = static_cast<DecisionWord>(granted) |
                          (granted != unconstrained ? 8u : 0u);
    word |= nibble << (4 * request);
  }
  word |= static_cast<DecisionWord>(reason & 0xF) << 24;
  word |= static_cast<DecisionWord>(ceiling & 0x7) << 28;
  return word;
}

/// The level granted for \p request (0-4).
constexpr int decisionGrant(DecisionWord word, int request) {
  return static_cast<int>((word >> (4 * request)) & 0x7);
}

/// Whether the grant for \p request is an override.
constexpr bool decisionOverrides(DecisionWord word, int request) {
  return (word >> (4 * request + 3)) & 1u;
}

/// The agn_rt_reason recorded with the ceiling.
constexpr int decisionReason(DecisionWord word) {
  return static_cast<int>((word >> 24) & 0xF);
}

/// The ceiling the word was computed for.
constexpr int decisionCeiling(DecisionWord word) {
  return static_cast<int>((word >> 28) & 0x7);
}

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_DECISION_H
