//===- GpuMonitor.cpp - GPU memory and utilisation through NVML -----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "GpuMonitor.h"

#include <dlfcn.h>

namespace agn::rt {

LibraryLoader::~LibraryLoader() = default;

void *DlopenLoader::open(const std::string &name, std::string &error) {
  void *handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *message = ::dlerror();
    error = message ? message : name + ": cannot be opened";
  }
  return handle;
}

void *DlopenLoader::symbol(void *handle, const char *symbol) {
  return ::dlsym(handle, symbol);
}

void DlopenLoader::close(void *handle) { ::dlclose(handle); }

GpuMonitor::~GpuMonitor() { shutdown(); }

template <typename Fn>
static Fn resolve(LibraryLoader &loader, void *handle, const char *name) {
  // POSIX guarantees that a data pointer from dlsym converts to a function
  // pointer; reinterpret_cast is the only spelling C++ allows.
  return reinterpret_cast<Fn>(loader.symbol(handle, name));
}

bool GpuMonitor::load(const std::string &library) {
  Attempted = true;
  Library = library;
  std::string error;
  void *handle = Loader.open(library, error);
  if (!handle) {
    LoadError = "NVML not loaded: " + error;
    return false;
  }
  auto init = resolve<nvml::InitFn>(Loader, handle, "nvmlInit_v2");
  auto shutdownFn = resolve<nvml::ShutdownFn>(Loader, handle, "nvmlShutdown");
  auto getHandle = resolve<nvml::GetHandleByIndexFn>(
      Loader, handle, "nvmlDeviceGetHandleByIndex_v2");
  auto getMemory =
      resolve<nvml::GetMemoryInfoFn>(Loader, handle, "nvmlDeviceGetMemoryInfo");
  auto getUtil = resolve<nvml::GetUtilizationRatesFn>(
      Loader, handle, "nvmlDeviceGetUtilizationRates");
  if (!init || !shutdownFn || !getHandle || !getMemory || !getUtil) {
    LoadError = "NVML not usable: " + library +
                " lacks one of nvmlInit_v2, nvmlShutdown, "
                "nvmlDeviceGetHandleByIndex_v2, nvmlDeviceGetMemoryInfo, "
                "nvmlDeviceGetUtilizationRates";
    Loader.close(handle);
    return false;
  }
  ErrorString = resolve<nvml::ErrorStringFn>(Loader, handle, "nvmlErrorString");
  if (nvml::Return rc = init(); rc != nvml::kSuccess) {
    LoadError = "nvmlInit_v2 failed: " + describe(rc);
    ErrorString = nullptr;
    Loader.close(handle);
    return false;
  }
  Handle = handle;
  Shutdown = shutdownFn;
  GetHandleByIndex = getHandle;
  GetMemoryInfo = getMemory;
  GetUtilizationRates = getUtil;
  LoadError.clear();
  return true;
}

std::string GpuMonitor::describe(nvml::Return code) const {
  std::string text = "NVML error " + std::to_string(code);
  if (ErrorString)
    if (const char *message = ErrorString(code))
      text += std::string(" (") + message + ")";
  return text;
}

GpuSample GpuMonitor::sample(const std::string &library, unsigned device) {
  GpuSample sample;
  sample.Device = device;
  if (Attempted && library != Library)
    shutdown();
  if (!Attempted)
    load(library);
  if (!Handle) {
    sample.Note = LoadError;
    return sample;
  }

  nvml::Device handle = nullptr;
  if (nvml::Return rc = GetHandleByIndex(device, &handle);
      rc != nvml::kSuccess) {
    sample.Note = "nvmlDeviceGetHandleByIndex_v2(" + std::to_string(device) +
                  ") failed: " + describe(rc);
    return sample;
  }
  nvml::Memory memory{};
  if (nvml::Return rc = GetMemoryInfo(handle, &memory); rc != nvml::kSuccess) {
    sample.Note = "nvmlDeviceGetMemoryInfo failed: " + describe(rc);
    return sample;
  }
  sample.Available = true;
  sample.MemoryTotalBytes = memory.Total;
  sample.MemoryUsedBytes = memory.Used;
  // Some devices (MIG instances, older boards) cannot report utilisation;
  // memory alone still counts as an answer.
  nvml::Utilization util{};
  if (nvml::Return rc = GetUtilizationRates(handle, &util);
      rc != nvml::kSuccess)
    sample.Note = "nvmlDeviceGetUtilizationRates failed: " + describe(rc);
  else
    sample.Utilization = util.Gpu > 100 ? 1.0 : util.Gpu / 100.0;
  return sample;
}

void GpuMonitor::shutdown() {
  if (Handle) {
    Shutdown();
    Loader.close(Handle);
  }
  Handle = nullptr;
  Shutdown = nullptr;
  GetHandleByIndex = nullptr;
  GetMemoryInfo = nullptr;
  GetUtilizationRates = nullptr;
  ErrorString = nullptr;
  Attempted = false;
  Library.clear();
  LoadError.clear();
}

} // namespace agn::rt
