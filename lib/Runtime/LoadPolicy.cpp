//===- LoadPolicy.cpp - Ceilings from CPU or GPU load thresholds ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "LoadPolicy.h"

namespace agn::rt {

bool LoadPolicy::update(double load, const LoadThresholds &thresholds,
                        int minLevel, unsigned requiredTicks) {
  if (thresholds.High < 0)
    return reset();
  bool known = load >= 0;
  bool high = known && load > thresholds.High;
  bool low = !known || load < thresholds.Low;
  int previous = Ceiling;
  if (Above.update(high, requiredTicks)) {
    int next = stepDownByBits(kAllLevels, Ceiling);
    if (next >= 0 && next >= minLevel)
      Ceiling = next;
  }
  if (Below.update(low, requiredTicks)) {
    int next = stepUpByBits(Ceiling);
    if (next >= 0)
      Ceiling = next;
  }
  return Ceiling != previous;
}

bool LoadPolicy::reset() {
  Above.reset();
  Below.reset();
  bool changed = Ceiling != kTopLevel;
  Ceiling = kTopLevel;
  return changed;
}

} // namespace agn::rt
