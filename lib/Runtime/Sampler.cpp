//===- Sampler.cpp - One resource sample from every monitor ---------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Sampler.h"

#include "Cgroup.h"

namespace agn::rt {

ResourceSample Sampler::sample(const SamplerConfig &config, uint64_t nowNs) {
  if (config.Root != LastRoot) {
    // Counters from another tree would make a meaningless rate.
    Cpu.reset();
    LastRoot = config.Root;
  }

  ResourceSample sample;
  sample.TimeNs = nowNs;

  // The cgroup is looked up on every tick: a process can be moved.
  std::vector<std::string> cgroupDirs;
  ReadResult cgroupFile =
      Files.read(joinRoot(config.Root, "/proc/self/cgroup"));
  if (!cgroupFile.ok()) {
    sample.CgroupNote = cgroupFile.Error;
  } else if (Expected<std::string> path = parseProcSelfCgroup(cgroupFile.Text);
             !path.ok()) {
    sample.CgroupNote = "/proc/self/cgroup: " + path.status().message();
  } else {
    sample.CgroupPath = *path;
    cgroupDirs = cgroupDirectories(*path);
  }

  sample.Cpu = Cpu.sample(Files, config.Root, cgroupDirs, nowNs);
  sample.Memory = sampleMemory(Files, config.Root, cgroupDirs);
  sample.Process = sampleProcess(Files, config.Root);
  if (config.NvmlLibrary.empty()) {
    Gpu.shutdown();
    sample.Gpu.Note = "GPU monitoring disabled (nvml_library = off)";
  } else {
    sample.Gpu = Gpu.sample(config.NvmlLibrary, config.GpuDevice);
  }
  return sample;
}

} // namespace agn::rt
