//===- Clock.h - Injectable monotonic clock ---------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Inference timing and rate computations read time through this interface so
// that tests can run the latency policy on a clock they advance by hand
// instead of sleeping.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_CLOCK_H
#define AGN_LIB_RUNTIME_CLOCK_H

#include <chrono>
#include <cstdint>

namespace agn::rt {

/// A monotonic clock in nanoseconds. Implementations must be thread-safe.
class Clock {
public:
  virtual ~Clock() = default;
  virtual uint64_t nowNs() = 0;
};

/// std::chrono::steady_clock (CLOCK_MONOTONIC, read through the vDSO).
class SteadyClock final : public Clock {
public:
  uint64_t nowNs() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_CLOCK_H
