//===- Sampler.h - One resource sample from every monitor -------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Combines the per-source monitors into one ResourceSample per tick. It runs
// outside the manager's lock (reading /proc and calling NVML takes tens of
// microseconds) and owns the state that makes rates out of counters.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_SAMPLER_H
#define AGN_LIB_RUNTIME_SAMPLER_H

#include "CpuMonitor.h"
#include "FileReader.h"
#include "GpuMonitor.h"
#include "MemoryMonitor.h"
#include "ProcessMonitor.h"

#include <cstdint>
#include <string>

namespace agn::rt {

/// What to sample, from the configuration.
struct SamplerConfig {
  /// Prefix for /proc and /sys paths (the `fs_root` key).
  std::string Root = "/";
  /// The NVML library to dlopen; empty disables GPU sampling.
  std::string NvmlLibrary = "libnvidia-ml.so.1";
  unsigned GpuDevice = 0;
};

/// Everything one tick observed.
struct ResourceSample {
  /// Monotonic time of the sample.
  uint64_t TimeNs = 0;
  /// The process's cgroup v2 path, or empty (with CgroupNote) if unknown.
  std::string CgroupPath;
  std::string CgroupNote;
  CpuSample Cpu;
  MemorySample Memory;
  ProcessSample Process;
  GpuSample Gpu;
};

/// Samples all sources. Not thread-safe: the manager serialises ticks.
class Sampler {
public:
  Sampler(FileReader &files, LibraryLoader &libraries)
      : Files(files), Gpu(libraries) {}

  ResourceSample sample(const SamplerConfig &config, uint64_t nowNs);

  /// Releases NVML.
  void shutdown() { Gpu.shutdown(); }

private:
  FileReader &Files;
  CpuMonitor Cpu;
  GpuMonitor Gpu;
  std::string LastRoot;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_SAMPLER_H
