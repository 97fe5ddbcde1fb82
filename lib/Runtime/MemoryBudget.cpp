//===- MemoryBudget.cpp - Fitting resident weights into a budget ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "MemoryBudget.h"

#include <algorithm>
#include <queue>

namespace agn::rt {

static constexpr double kMinSensitivity = 1e-9;

/// The next allowed level below \p level that needs strictly fewer bytes:
/// a step between levels of equal size (f16 -> bf16) frees nothing, so the
/// allocator jumps over it.
static int nextCheaperLevel(const BudgetUnit &unit, int level) {
  for (int l = level - 1; l >= 0; --l)
    if (contains(unit.Allowed, l) && unit.Bytes[l] < unit.Bytes[level])
      return l;
  return -1;
}

namespace {
struct Candidate {
  double Score;
  uint64_t Saved;
  size_t Unit;
  int Next;
};

/// Max-heap order: best score, then most bytes saved, then lowest index (a
/// deterministic answer for equal units).
struct WorseCandidate {
  bool operator()(const Candidate &a, const Candidate &b) const {
    if (a.Score != b.Score)
      return a.Score < b.Score;
    if (a.Saved != b.Saved)
      return a.Saved < b.Saved;
    return a.Unit > b.Unit;
  }
};
} // namespace

// Totals are summed in 128 bits: a table near 2^64 bytes is absurd, but a
// wrapped or saturated sum would make an oversized model look as if it fit.
__extension__ typedef unsigned __int128 WideBytes;

BudgetAllocation allocateWeightBudget(const std::vector<BudgetUnit> &units,
                                      uint64_t budget) {
  BudgetAllocation result;
  result.Levels.resize(units.size());
  WideBytes total = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    result.Levels[i] = units[i].Start;
    total += units[i].Bytes[units[i].Start];
  }

  if (total > budget) {
    std::priority_queue<Candidate, std::vector<Candidate>, WorseCandidate> heap;
    auto pushNext = [&](size_t i) {
      const BudgetUnit &unit = units[i];
      if (unit.Fixed)
        return;
      int current = result.Levels[i];
      int next = nextCheaperLevel(unit, current);
      if (next < 0)
        return;
      uint64_t saved = unit.Bytes[current] - unit.Bytes[next];
      double score = static_cast<double>(saved) /
                     std::max(unit.Sensitivity, kMinSensitivity);
      heap.push({score, saved, i, next});
    };
    for (size_t i = 0; i < units.size(); ++i)
      pushNext(i);

    while (total > budget && !heap.empty()) {
      Candidate best = heap.top();
      heap.pop();
      total -= best.Saved;
      result.Levels[best.Unit] = best.Next;
      pushNext(best.Unit);
    }
  }
  result.OverBudget = total > budget;
  result.TotalBytes =
      total > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(total);
  return result;
}

bool MemoryPressure::update(uint64_t availableBytes, uint64_t reserveBytes,
                            double margin, unsigned requiredTicks,
                            uint64_t grantedBytes, uint64_t maxBytes) {
  if (reserveBytes == UINT64_MAX)
    return reset();
  uint64_t previous = Budget;
  bool known = availableBytes != UINT64_MAX;

  if (known && availableBytes < reserveBytes) {
    Grow.reset();
    // Shed at once when pressure starts, then once per required ticks.
    bool shed = !InPressure || Shed.update(true, requiredTicks);
    InPressure = true;
    if (shed) {
      uint64_t shortfall = reserveBytes - availableBytes;
      uint64_t base = std::min(Budget, grantedBytes);
      Budget = base > shortfall ? base - shortfall : 0;
    }
    return Budget != previous;
  }

  InPressure = false;
  Shed.reset();
  double growAbove = static_cast<double>(reserveBytes) * (1 + margin);
  bool plenty = !known || static_cast<double>(availableBytes) > growAbove;
  if (Budget != UINT64_MAX && Grow.update(plenty, requiredTicks)) {
    if (!known) {
      // A source that vanished releases its limit.
      Budget = UINT64_MAX;
    } else {
      uint64_t headroom =
          availableBytes - static_cast<uint64_t>(std::min(
                               growAbove, static_cast<double>(availableBytes)));
      Budget = saturatingAdd(Budget, headroom);
      if (Budget >= maxBytes)
        Budget = UINT64_MAX;
    }
  }
  return Budget != previous;
}

bool MemoryPressure::reset() {
  bool changed = Budget != UINT64_MAX;
  Budget = UINT64_MAX;
  InPressure = false;
  Shed.reset();
  Grow.reset();
  return changed;
}

} // namespace agn::rt
