//===- Constants.cpp - Read-only host data copied to the device once ------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// A unit's weights are constants of the host program, and a level runs them
// on every call: agn_gpu_constant copies them to the device on the first call
// and hands out the same copy afterwards. The cache is keyed by the host
// address and the size, which identify a weight for as long as the host data
// lives and does not change (agn-c/GpuRuntime.h).
//
//===----------------------------------------------------------------------===//

#include "agn-c/GpuRuntime.h"

#include "Driver.h"
#include "Errors.h"

#include <map>
#include <mutex>
#include <optional>
#include <utility>

using namespace agn::gpu;

namespace {

struct ConstantCache {
  std::mutex Mutex;
  std::map<std::pair<const void *, int64_t>, CUdeviceptr> Copies;
};

ConstantCache &cache() {
  // Never destroyed, like the driver whose memory it holds: the device
  // copies live until the process exits.
  static ConstantCache *constants = new ConstantCache;
  return *constants;
}

} // namespace

extern "C" {

void *agn_gpu_constant(const void *host, int64_t bytes) {
  return guarded([&]() -> void * {
    const Driver *driver = beginWork();
    if (!driver)
      return nullptr;
    if (bytes < 0 || (!host && bytes > 0)) {
      setError(AGN_GPU_ERR_INVALID_ARGUMENT,
               ("agn-gpu: agn_gpu_constant: invalid buffer (" +
                std::to_string(bytes) + " bytes)")
                   .c_str());
      return nullptr;
    }
    if (bytes == 0)
      return nullptr;

    ConstantCache &constants = cache();
    // Held across the copy: two threads asking for the same weights must get
    // one copy, and a level switch is rare next to the calls that follow.
    std::lock_guard<std::mutex> lock(constants.Mutex);
    auto key = std::make_pair(host, bytes);
    if (auto it = constants.Copies.find(key); it != constants.Copies.end())
      return reinterpret_cast<void *>(static_cast<uintptr_t>(it->second));

    ScopedContext context(*driver);
    if (!context)
      return nullptr;
    const DriverApi &api = driver->api();
    std::string detail = "(constant of " + std::to_string(bytes) + " bytes)";
    CUdeviceptr copy = 0;
    if (!check(*driver, api.MemAlloc(&copy, size_t(bytes)), "cuMemAlloc_v2",
               detail))
      return nullptr;
    if (!check(*driver, api.MemcpyHtoD(copy, host, size_t(bytes)),
               "cuMemcpyHtoD_v2", detail)) {
      api.MemFree(copy);
      return nullptr;
    }
    try {
      constants.Copies.emplace(key, copy);
    } catch (...) {
      api.MemFree(copy);
      throw;
    }
    return reinterpret_cast<void *>(static_cast<uintptr_t>(copy));
  });
}

void agn_gpu_forget_constants(const void *base, size_t bytes) {
  guarded([&] {
    ConstantCache &constants = cache();
    std::lock_guard<std::mutex> lock(constants.Mutex);
    auto begin = reinterpret_cast<uintptr_t>(base);
    const Driver *driver = Driver::ifUsable();
    std::optional<ScopedContext> context;
    for (auto it = constants.Copies.begin(); it != constants.Copies.end();) {
      auto host = reinterpret_cast<uintptr_t>(it->first.first);
      if (host < begin || host - begin >= bytes) {
        ++it;
        continue;
      }
      if (driver) {
        if (!context)
          context.emplace(*driver, /*releasing=*/true);
        if (*context)
          if (CUresult result = driver->api().MemFree(it->second);
              reportableRelease(result))
            check(*driver, result, "cuMemFree_v2", "(constant)");
      }
      it = constants.Copies.erase(it);
    }
  });
}

void agn_gpu_release_constants(void) {
  guarded([] {
    ConstantCache &constants = cache();
    std::lock_guard<std::mutex> lock(constants.Mutex);
    const Driver *driver = Driver::ifUsable();
    if (driver && !constants.Copies.empty()) {
      ScopedContext context(*driver, /*releasing=*/true);
      if (context)
        for (const auto &entry : constants.Copies)
          if (CUresult result = driver->api().MemFree(entry.second);
              reportableRelease(result))
            check(*driver, result, "cuMemFree_v2", "(constant)");
    }
    constants.Copies.clear();
  });
}

} // extern "C"
