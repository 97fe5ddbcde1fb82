//===- LoadPolicy.h - Ceilings from CPU or GPU load thresholds --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A coarse, global cap: while the load stays above `high` the cap steps down
// one bit width (f32 -> f16 -> i8 -> i4, not below `min_level`), while it
// stays below `low` it steps back up. Lower precision means less arithmetic
// and less memory traffic, which is what an overloaded device needs; the
// per-unit, sensitivity-aware mechanism is the latency target. A load that
// cannot be measured counts as low, so that a vanished source releases its
// cap instead of holding it forever.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_LOADPOLICY_H
#define AGN_LIB_RUNTIME_LOADPOLICY_H

#include "Hysteresis.h"
#include "Levels.h"

namespace agn::rt {

/// The thresholds of one load policy; High < 0 turns it off.
struct LoadThresholds {
  double High = -1;
  double Low = 0;
};

/// Keeps the cap of one load source (CPU or GPU).
class LoadPolicy {
public:
  /// Feeds one tick: \p load in [0, 1] or < 0 if unknown. Returns true if
  /// the ceiling changed.
  bool update(double load, const LoadThresholds &thresholds, int minLevel,
              unsigned requiredTicks);

  int ceiling() const { return Ceiling; }

  /// Lifts the cap at once (policy turned off, monitor stopped).
  bool reset();

private:
  int Ceiling = kTopLevel;
  Persistence Above;
  Persistence Below;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_LOADPOLICY_H
