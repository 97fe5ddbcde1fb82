//===- GpuMonitor.h - GPU memory and utilisation through NVML ---*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// NVML ships with the NVIDIA driver, not with agn, so it is opened at run time
// with dlopen and its entry points are resolved by name. On a machine without
// the driver the library is absent and every GPU field reports "unavailable";
// nothing links against NVML. The loader is an interface so that tests can
// serve a fake NVML on machines without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_GPUMONITOR_H
#define AGN_LIB_RUNTIME_GPUMONITOR_H

#include "agn-c/Runtime.h"

#include <cstdint>
#include <string>

/// The subset of NVML's C ABI (nvml.h) the monitor calls, under the names
/// nvml.h gives its types, at global scope: each entry point is then called
/// through a pointer of exactly its own type (calling through another is
/// undefined behaviour, which UBSan's -fsanitize=function reported when the
/// types were agn's own). Layouts match nvmlMemory_t and nvmlUtilization_t.
extern "C" {
/// nvmlReturn_t: 0 is success, errors go up to NVML_ERROR_UNKNOWN (999).
enum nvmlReturn_enum { NVML_SUCCESS = 0, NVML_ERROR_UNKNOWN = 999 };
struct nvmlDevice_st;
struct nvmlMemory_st {
  unsigned long long Total;
  unsigned long long Free;
  unsigned long long Used;
};
struct nvmlUtilization_st {
  unsigned int Gpu;
  unsigned int Memory;
};
}

namespace agn::rt {

/// Opens shared libraries and resolves their symbols.
class LibraryLoader {
public:
  virtual ~LibraryLoader();
  /// Opens \p name; on failure returns null and sets \p error.
  virtual void *open(const std::string &name, std::string &error) = 0;
  /// Resolves \p symbol in \p handle, or null.
  virtual void *symbol(void *handle, const char *symbol) = 0;
  virtual void close(void *handle) = 0;
};

/// dlopen(3) with RTLD_NOW | RTLD_LOCAL.
class DlopenLoader final : public LibraryLoader {
public:
  void *open(const std::string &name, std::string &error) override;
  void *symbol(void *handle, const char *symbol) override;
  void close(void *handle) override;
};

/// NVML's types as the monitor names them (see above).
namespace nvml {
using Return = nvmlReturn_enum;
constexpr Return kSuccess = NVML_SUCCESS;
using Device = nvmlDevice_st *;
using Memory = nvmlMemory_st;
using Utilization = nvmlUtilization_st;
using InitFn = Return (*)();
using ShutdownFn = Return (*)();
using GetHandleByIndexFn = Return (*)(unsigned int, Device *);
using GetMemoryInfoFn = Return (*)(Device, Memory *);
using GetUtilizationRatesFn = Return (*)(Device, Utilization *);
using ErrorStringFn = const char *(*)(Return);
} // namespace nvml

/// One GPU sample. Unknown values are -1 or AGN_RT_UNLIMITED.
struct GpuSample {
  /// True when NVML answered for the device on this sample.
  bool Available = false;
  unsigned Device = 0;
  /// Busy fraction over NVML's last sample period, [0, 1].
  double Utilization = -1;
  uint64_t MemoryTotalBytes = AGN_RT_UNLIMITED;
  uint64_t MemoryUsedBytes = AGN_RT_UNLIMITED;
  /// Why the GPU is unavailable.
  std::string Note;
};

/// Samples one GPU through NVML. Not thread-safe: one sampler owns it.
class GpuMonitor {
public:
  explicit GpuMonitor(LibraryLoader &loader) : Loader(loader) {}
  ~GpuMonitor();
  GpuMonitor(const GpuMonitor &) = delete;
  GpuMonitor &operator=(const GpuMonitor &) = delete;

  /// Samples device \p device (an NVML index) through \p library. The
  /// library is opened on first use; a failure to open or initialise it is
  /// remembered and not retried until \p library changes, since dlopen is
  /// far too slow to repeat on every tick.
  GpuSample sample(const std::string &library, unsigned device);

  /// Calls nvmlShutdown and closes the library.
  void shutdown();

private:
  bool load(const std::string &library);
  std::string describe(nvml::Return code) const;

  LibraryLoader &Loader;
  std::string Library;
  bool Attempted = false;
  std::string LoadError;
  void *Handle = nullptr;
  nvml::ShutdownFn Shutdown = nullptr;
  nvml::GetHandleByIndexFn GetHandleByIndex = nullptr;
  nvml::GetMemoryInfoFn GetMemoryInfo = nullptr;
  nvml::GetUtilizationRatesFn GetUtilizationRates = nullptr;
  nvml::ErrorStringFn ErrorString = nullptr;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_GPUMONITOR_H
