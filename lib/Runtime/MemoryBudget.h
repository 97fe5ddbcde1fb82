//===- MemoryBudget.h - Fitting resident weights into a budget --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Compiled models store one copy of each unit's weights per level in
// read-only, file-backed pages; only the copy a unit runs at is touched and
// stays resident, so the level decides the unit's memory. Two parts:
//
//  - allocateWeightBudget: a greedy allocator. Every unit starts at the
//    highest level the other policies allow; while the total exceeds the
//    budget it lowers the unit whose next cheaper level saves the most bytes
//    per unit of sensitivity. If even every unit at its lowest level does not
//    fit, every unit stays at its lowest and the result is flagged over
//    budget: every request is still answered.
//
//  - MemoryPressure: turns the memory available to the process into a
//    budget. When availability falls below `memory_reserve` it sheds the
//    shortfall at once (running out of memory ends the process, so there is
//    no waiting here), and again every `hysteresis_ticks` ticks while the
//    pressure lasts. It grows the budget back only after availability stayed
//    above reserve * (1 + hysteresis_margin) for `hysteresis_ticks` ticks.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_MEMORYBUDGET_H
#define AGN_LIB_RUNTIME_MEMORYBUDGET_H

#include "Hysteresis.h"
#include "Levels.h"

#include <cstdint>
#include <vector>

namespace agn::rt {

/// One unit as the allocator sees it.
struct BudgetUnit {
  LevelMask Allowed = 0;
  uint64_t Bytes[kNumLevels] = {};
  double Sensitivity = 1;
  /// The level to start from (an allowed level).
  int Start = kTopLevel;
  /// Pinned: stays at Start and still counts.
  bool Fixed = false;
};

/// The allocator's answer.
struct BudgetAllocation {
  std::vector<int> Levels;
  uint64_t TotalBytes = 0;
  bool OverBudget = false;
};

/// Greedy allocation of \p budget bytes over \p units (see file comment).
BudgetAllocation allocateWeightBudget(const std::vector<BudgetUnit> &units,
                                      uint64_t budget);

/// Adds without wrapping around.
inline uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/// The budget that memory pressure imposes; AGN_RT_UNLIMITED when none.
class MemoryPressure {
public:
  /// Feeds one tick. \p availableBytes is what the process may still
  /// allocate (AGN_RT_UNLIMITED if unknown), \p reserveBytes the `memory_
  /// reserve` (AGN_RT_UNLIMITED when off), \p grantedBytes the weights at the
  /// current ceilings and \p maxBytes the weights at the top levels. Returns
  /// true if the budget changed.
  bool update(uint64_t availableBytes, uint64_t reserveBytes, double margin,
              unsigned requiredTicks, uint64_t grantedBytes, uint64_t maxBytes);

  uint64_t budget() const { return Budget; }

  /// Lifts the budget at once (policy off, monitor stopped).
  bool reset();

private:
  uint64_t Budget = UINT64_MAX;
  bool InPressure = false;
  Persistence Shed;
  Persistence Grow;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_MEMORYBUDGET_H
