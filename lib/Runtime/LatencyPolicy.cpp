//===- LatencyPolicy.cpp - Per-unit ceilings from a latency target --------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "LatencyPolicy.h"

#include <algorithm>

namespace agn::rt {

/// Sensitivity 0 means "drop first"; dividing by a tiny floor keeps the
/// ordering total instead of producing infinities.
static constexpr double kMinSensitivity = 1e-9;

int pickLatencyCandidate(const std::vector<LatencyCandidate> &candidates) {
  int best = -1;
  double bestScore = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const LatencyCandidate &c = candidates[i];
    double score = c.SavedNs / std::max(c.Sensitivity, kMinSensitivity);
    if (best < 0) {
      best = static_cast<int>(i);
      bestScore = score;
      continue;
    }
    const LatencyCandidate &b = candidates[best];
    bool better = score > bestScore ||
                  (score == bestScore &&
                   (c.Sensitivity < b.Sensitivity ||
                    (c.Sensitivity == b.Sensitivity && c.Unit < b.Unit)));
    if (better) {
      best = static_cast<int>(i);
      bestScore = score;
    }
  }
  return best;
}

LatencyPolicy::Action LatencyPolicy::update(double windowMeanNs,
                                            uint64_t targetNs, double margin,
                                            unsigned requiredTicks) {
  if (targetNs == 0) {
    reset();
    return Action::Hold;
  }
  if (windowMeanNs < 0)
    return Action::Hold;
  Average = Average < 0
                ? windowMeanNs
                : kSmoothing * windowMeanNs + (1 - kSmoothing) * Average;
  double target = static_cast<double>(targetNs);
  bool over = Average > target;
  bool under = Average < target * (1 - margin);
  if (Over.update(over, requiredTicks))
    return Action::Lower;
  if (Under.update(under && anyLowered(), requiredTicks))
    return Action::Raise;
  return Action::Hold;
}

bool LatencyPolicy::takeLastLowered(int64_t &unit, int &previousCeiling) {
  if (Lowered.empty())
    return false;
  unit = Lowered.back().Unit;
  previousCeiling = Lowered.back().PreviousCeiling;
  Lowered.pop_back();
  return true;
}

void LatencyPolicy::reset() {
  Average = -1;
  Over.reset();
  Under.reset();
  Lowered.clear();
}

} // namespace agn::rt
