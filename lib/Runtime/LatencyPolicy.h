//===- LatencyPolicy.h - Per-unit ceilings from a latency goal --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Feedback control on the time of one inference (agn_rt_begin_inference to
// agn_rt_end_inference). The policy smooths the mean inference time of each
// tick with an exponential moving average. While the average stays above the
// target it lowers one unit by one bit width per step, choosing the unit that
// saves the most time per unit of sensitivity (the least sensitive first);
// the times units report through agn_rt_report_unit_time say what a step
// saves. While the average stays below target * (1 - hysteresis_margin) it
// undoes the steps, most recent first. Both need `hysteresis_ticks`
// consecutive ticks, and the count restarts after each step so that the next
// decision sees the effect of the previous one.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_LATENCYPOLICY_H
#define AGN_LIB_RUNTIME_LATENCYPOLICY_H

#include "Hysteresis.h"

#include <cstdint>
#include <vector>

namespace agn::rt {

/// A unit the latency policy could lower by one step.
struct LatencyCandidate {
  int64_t Unit = -1;
  /// The level it would be capped at.
  int Next = 0;
  /// Estimated nanoseconds one call saves at Next.
  double SavedNs = 0;
  double Sensitivity = 0;
};

/// The index in \p candidates of the best unit to lower: the largest
/// SavedNs / Sensitivity, then the lower sensitivity, then the lower id; -1
/// if \p candidates is empty.
int pickLatencyCandidate(const std::vector<LatencyCandidate> &candidates);

/// The state of the latency policy.
class LatencyPolicy {
public:
  enum class Action { Hold, Lower, Raise };

  /// Weight of the newest tick in the moving average.
  static constexpr double kSmoothing = 0.3;

  /// Feeds one tick: \p windowMeanNs is the mean time of the inferences that
  /// ended during the tick, or < 0 if none did (which holds everything).
  Action update(double windowMeanNs, uint64_t targetNs, double margin,
                unsigned requiredTicks);

  /// The smoothed inference time, or -1 before the first inference.
  double averageNs() const { return Average; }

  /// Records that \p unit was lowered from \p previousCeiling.
  void recordLowered(int64_t unit, int previousCeiling) {
    Lowered.push_back({unit, previousCeiling});
  }
  /// Takes the most recent step back; false if there is none.
  bool takeLastLowered(int64_t &unit, int &previousCeiling);
  bool anyLowered() const { return !Lowered.empty(); }

  /// Forgets everything (target changed or turned off).
  void reset();

private:
  struct Step {
    int64_t Unit;
    int PreviousCeiling;
  };
  double Average = -1;
  Persistence Over;
  Persistence Under;
  std::vector<Step> Lowered;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_LATENCYPOLICY_H
