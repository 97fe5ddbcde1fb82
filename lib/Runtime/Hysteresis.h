//===- Hysteresis.h - Persistence counters against flapping -----*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Measured signals are noisy: a CPU load of 0.79, 0.81, 0.79 around a
// threshold of 0.8 must not move a ceiling back and forth on every tick. Each
// policy therefore combines a band (separate thresholds to step down and to
// step up) with persistence: a step happens only after its condition held on
// `hysteresis_ticks` consecutive ticks, and the count starts over after each
// step so that the next one waits for fresh evidence.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_HYSTERESIS_H
#define AGN_LIB_RUNTIME_HYSTERESIS_H

namespace agn::rt {

/// Counts consecutive ticks on which a condition held.
class Persistence {
public:
  /// Feeds one tick; returns true when the condition has now held on
  /// \p required consecutive ticks, and starts counting again.
  bool update(bool condition, unsigned required) {
    if (!condition) {
      Count = 0;
      return false;
    }
    if (++Count < required)
      return false;
    Count = 0;
    return true;
  }

  void reset() { Count = 0; }
  unsigned count() const { return Count; }

private:
  unsigned Count = 0;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_HYSTERESIS_H
