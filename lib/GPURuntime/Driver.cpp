//===- Driver.cpp - The CUDA driver, opened at run time -------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "Errors.h"
#include "agn-c/GpuRuntime.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <new>

namespace agn::gpu {

namespace {

/// The error code of a missing device, as cuda.h numbers it.
constexpr int kNoDevice = 100;
/// The error code of the toolkit's stub library, as cuda.h numbers it.
constexpr int kStubLibrary = 34;

std::once_flag Once;
/// Set, with release order, once the first get() has finished.
std::atomic<bool> Initialized{false};
/// The device mgpuSetDefaultDevice asked for before initialisation, or -1.
std::atomic<int> RequestedDevice{-1};
/// The driver lives in static storage and is never destroyed: generated code
/// unloads its modules from global destructors, which may run after this
/// library's own.
alignas(Driver) unsigned char Storage[sizeof(Driver)];
Driver *Instance = nullptr;

/// Resolves \p name into \p slot, or appends it to \p missing.
template <typename Fn>
void resolve(void *handle, const char *name, Fn &slot, std::string &missing) {
  // POSIX guarantees that a data pointer from dlsym converts to a function
  // pointer; reinterpret_cast is the only spelling C++ allows.
  slot = reinterpret_cast<Fn>(::dlsym(handle, name));
  if (!slot)
    missing += missing.empty() ? name : std::string(", ") + name;
}

/// Parses a device index (decimal, >= 0) from \p text.
bool parseOrdinal(const char *text, int &ordinal) {
  if (!text || !*text)
    return false;
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < 0 || value > 1 << 20)
    return false;
  ordinal = static_cast<int>(value);
  return true;
}

} // namespace

const Driver &Driver::get() {
  std::call_once(Once, [] {
    Driver *driver = ::new (Storage) Driver();
    try {
      driver->load();
    } catch (...) {
      driver->Code = AGN_GPU_ERR_INTERNAL;
      driver->Reason.clear();
    }
    Instance = driver;
    Initialized.store(true, std::memory_order_release);
  });
  return *Instance;
}

const Driver *Driver::ifUsable() {
  if (!Initialized.load(std::memory_order_acquire) || !Instance->usable())
    return nullptr;
  return Instance;
}

bool Driver::failed() {
  return Initialized.load(std::memory_order_acquire) && !Instance->usable();
}

bool Driver::requestDevice(int32_t ordinal) {
  if (!Initialized.load(std::memory_order_acquire)) {
    RequestedDevice.store(ordinal, std::memory_order_relaxed);
    return true;
  }
  return !Instance->usable() || Instance->Ordinal == ordinal;
}

void Driver::fail(int code, std::string reason) {
  Code = code;
  Reason = std::move(reason);
}

void Driver::load() {
  const char *override = std::getenv("AGN_LIBCUDA");
  bool overridden = override && *override;
  Path = overridden ? override : "libcuda.so.1";

  void *handle = ::dlopen(Path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *error = ::dlerror();
    std::string reason = "agn-gpu: CUDA driver not available: ";
    reason += error ? error : Path + ": cannot be opened";
    reason += overridden
                  ? " (AGN_LIBCUDA names a file that cannot be loaded: point "
                    "it to the NVIDIA driver's libcuda.so.1, or unset it)"
                  : " (set AGN_LIBCUDA to the driver's path, or run on a "
                    "machine with an NVIDIA driver)";
    fail(AGN_GPU_ERR_NO_DRIVER, std::move(reason));
    return;
  }

  // The versioned names are the current ABI of the functions that cuda.h
  // renames with #define; the others have one name only.
  std::string missing;
  resolve(handle, "cuInit", Api.Init, missing);
  resolve(handle, "cuDeviceGetCount", Api.DeviceGetCount, missing);
  resolve(handle, "cuDeviceGet", Api.DeviceGet, missing);
  resolve(handle, "cuDeviceGetAttribute", Api.DeviceGetAttribute, missing);
  resolve(handle, "cuDevicePrimaryCtxRetain", Api.DevicePrimaryCtxRetain,
          missing);
  resolve(handle, "cuCtxPushCurrent_v2", Api.CtxPushCurrent, missing);
  resolve(handle, "cuCtxPopCurrent_v2", Api.CtxPopCurrent, missing);
  resolve(handle, "cuModuleLoadData", Api.ModuleLoadData, missing);
  resolve(handle, "cuModuleLoadDataEx", Api.ModuleLoadDataEx, missing);
  resolve(handle, "cuModuleUnload", Api.ModuleUnload, missing);
  resolve(handle, "cuModuleGetFunction", Api.ModuleGetFunction, missing);
  resolve(handle, "cuFuncSetAttribute", Api.FuncSetAttribute, missing);
  resolve(handle, "cuLaunchKernel", Api.LaunchKernel, missing);
  resolve(handle, "cuStreamCreate", Api.StreamCreate, missing);
  resolve(handle, "cuStreamDestroy_v2", Api.StreamDestroy, missing);
  resolve(handle, "cuStreamSynchronize", Api.StreamSynchronize, missing);
  resolve(handle, "cuStreamWaitEvent", Api.StreamWaitEvent, missing);
  resolve(handle, "cuEventCreate", Api.EventCreate, missing);
  resolve(handle, "cuEventDestroy_v2", Api.EventDestroy, missing);
  resolve(handle, "cuEventSynchronize", Api.EventSynchronize, missing);
  resolve(handle, "cuEventRecord", Api.EventRecord, missing);
  resolve(handle, "cuMemAlloc_v2", Api.MemAlloc, missing);
  resolve(handle, "cuMemAllocManaged", Api.MemAllocManaged, missing);
  resolve(handle, "cuMemFree_v2", Api.MemFree, missing);
  resolve(handle, "cuMemcpyAsync", Api.MemcpyAsync, missing);
  resolve(handle, "cuMemcpyHtoD_v2", Api.MemcpyHtoD, missing);
  resolve(handle, "cuMemsetD32Async", Api.MemsetD32Async, missing);
  resolve(handle, "cuMemsetD16Async", Api.MemsetD16Async, missing);
  resolve(handle, "cuMemHostRegister_v2", Api.MemHostRegister, missing);
  resolve(handle, "cuMemHostUnregister", Api.MemHostUnregister, missing);
  if (!missing.empty()) {
    fail(AGN_GPU_ERR_NO_DRIVER,
         "agn-gpu: CUDA driver not usable: " + Path + " lacks " + missing +
             " (not the CUDA driver library, or a broken installation)");
    Api = DriverApi();
    ::dlclose(handle);
    return;
  }
  std::string optional;
  resolve(handle, "cuGetErrorString", Api.GetErrorString, optional);
  resolve(handle, "cuGetErrorName", Api.GetErrorName, optional);
  // The library stays open for the life of the process.

  if (CUresult result = Api.Init(0); result != CUDA_SUCCESS) {
    std::string reason = "agn-gpu: cuInit failed: " + describe(result);
    if (static_cast<int>(result) == kStubLibrary)
      reason += " (" + Path +
                " is the CUDA toolkit's stub, which serves linking only: run "
                "on a machine with an NVIDIA driver, or set AGN_LIBCUDA to "
                "the driver's libcuda.so.1)";
    else if (static_cast<int>(result) == kNoDevice)
      reason += " (no NVIDIA GPU is visible to this process; see nvidia-smi "
                "and CUDA_VISIBLE_DEVICES)";
    fail(static_cast<int>(result), std::move(reason));
    return;
  }
  if (CUresult result = Api.DeviceGetCount(&DeviceCount);
      result != CUDA_SUCCESS) {
    DeviceCount = 0;
    fail(static_cast<int>(result),
         "agn-gpu: cuDeviceGetCount failed: " + describe(result));
    return;
  }
  if (DeviceCount <= 0) {
    DeviceCount = 0;
    fail(kNoDevice, "agn-gpu: the CUDA driver reports no device");
    return;
  }

  const char *source = "mgpuSetDefaultDevice";
  Ordinal = RequestedDevice.load(std::memory_order_relaxed);
  if (Ordinal < 0) {
    Ordinal = 0;
    source = "AGN_GPU_DEVICE";
    const char *text = std::getenv("AGN_GPU_DEVICE");
    if (text && *text && !parseOrdinal(text, Ordinal)) {
      fail(AGN_GPU_ERR_INVALID_ARGUMENT,
           std::string("agn-gpu: AGN_GPU_DEVICE='") + text +
               "' is not a device index (0 to " +
               std::to_string(DeviceCount - 1) + ")");
      return;
    }
  }
  if (Ordinal >= DeviceCount) {
    fail(AGN_GPU_ERR_INVALID_ARGUMENT,
         "agn-gpu: device " + std::to_string(Ordinal) + " requested (" +
             source + ") but the CUDA driver reports " +
             std::to_string(DeviceCount) + " device(s)");
    return;
  }

  if (CUresult result = Api.DeviceGet(&Device, Ordinal);
      result != CUDA_SUCCESS) {
    fail(static_cast<int>(result), "agn-gpu: cuDeviceGet(" +
                                       std::to_string(Ordinal) +
                                       ") failed: " + describe(result));
    return;
  }
  if (CUresult result = Api.DeviceGetAttribute(
          &MaxSharedMemory,
          CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, Device);
      result != CUDA_SUCCESS) {
    fail(static_cast<int>(result),
         "agn-gpu: cuDeviceGetAttribute(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN) "
         "failed: " +
             describe(result));
    return;
  }
  // The primary context is the one the CUDA runtime and other libraries
  // share. It is retained for the life of the process and never released:
  // modules and constant buffers live in it until exit.
  if (CUresult result = Api.DevicePrimaryCtxRetain(&Context, Device);
      result != CUDA_SUCCESS) {
    Context = nullptr;
    fail(static_cast<int>(result),
         "agn-gpu: cuDevicePrimaryCtxRetain failed: " + describe(result));
    return;
  }
}

std::string Driver::describe(CUresult result) const {
  int code = static_cast<int>(result);
  const char *name = cudaErrorName(code);
  const char *driverName = nullptr;
  if (!name && Api.GetErrorName &&
      Api.GetErrorName(result, &driverName) == CUDA_SUCCESS && driverName)
    name = driverName;
  std::string text = name ? name : "CUDA error";
  text += " (" + std::to_string(code) + ")";
  const char *message = nullptr;
  if (Api.GetErrorString &&
      Api.GetErrorString(result, &message) != CUDA_SUCCESS)
    message = nullptr;
  if (!message || !*message)
    message = cudaErrorText(code);
  if (message)
    text += std::string(": ") + message;
  return text;
}

const Driver *beginWork() {
  if (errorCode() != AGN_GPU_OK)
    return nullptr;
  const Driver &driver = Driver::get();
  if (!driver.usable()) {
    setError(driver.code(), driver.reason().empty()
                                ? "agn-gpu: out of host memory while loading "
                                  "the CUDA driver"
                                : driver.reason().c_str());
    return nullptr;
  }
  return &driver;
}

ScopedContext::ScopedContext(const Driver &driver, bool releasing)
    : TheDriver(driver), Releasing(releasing) {
  CUresult result = driver.api().CtxPushCurrent(driver.context());
  if (result == CUDA_SUCCESS)
    Pushed = true;
  else if (!Releasing || reportableRelease(result))
    check(driver, result, "cuCtxPushCurrent_v2");
}

ScopedContext::~ScopedContext() {
  if (!Pushed)
    return;
  CUcontext popped = nullptr;
  CUresult result = TheDriver.api().CtxPopCurrent(&popped);
  if (result != CUDA_SUCCESS && (!Releasing || reportableRelease(result)))
    check(TheDriver, result, "cuCtxPopCurrent_v2");
}

} // namespace agn::gpu
