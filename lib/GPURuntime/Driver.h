//===- Driver.h - The CUDA driver, opened at run time -----------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The driver ships with the NVIDIA kernel module, not with agn, so the runtime
// never links against it: the first GPU operation of a process opens it with
// dlopen (libcuda.so.1, or the file named by AGN_LIBCUDA), resolves every
// entry point it calls, initialises it and retains the primary context of one
// device. That happens once per process; its outcome, a usable driver or the
// reason there is none, is fixed from then on.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_GPURUNTIME_DRIVER_H
#define AGN_LIB_GPURUNTIME_DRIVER_H

#include "CudaApi.h"

#include <cstdint>
#include <string>

namespace agn::gpu {

/// The driver's entry points. Every one is required.
struct DriverApi {
  cu::InitFn Init = nullptr;
  cu::DeviceGetCountFn DeviceGetCount = nullptr;
  cu::DeviceGetFn DeviceGet = nullptr;
  cu::DeviceGetAttributeFn DeviceGetAttribute = nullptr;
  cu::DevicePrimaryCtxRetainFn DevicePrimaryCtxRetain = nullptr;
  cu::CtxPushCurrentFn CtxPushCurrent = nullptr;
  cu::CtxPopCurrentFn CtxPopCurrent = nullptr;
  cu::ModuleLoadDataFn ModuleLoadData = nullptr;
  cu::ModuleLoadDataExFn ModuleLoadDataEx = nullptr;
  cu::ModuleUnloadFn ModuleUnload = nullptr;
  cu::ModuleGetFunctionFn ModuleGetFunction = nullptr;
  cu::FuncSetAttributeFn FuncSetAttribute = nullptr;
  cu::LaunchKernelFn LaunchKernel = nullptr;
  cu::StreamCreateFn StreamCreate = nullptr;
  cu::StreamDestroyFn StreamDestroy = nullptr;
  cu::StreamSynchronizeFn StreamSynchronize = nullptr;
  cu::StreamWaitEventFn StreamWaitEvent = nullptr;
  cu::EventCreateFn EventCreate = nullptr;
  cu::EventDestroyFn EventDestroy = nullptr;
  cu::EventSynchronizeFn EventSynchronize = nullptr;
  cu::EventRecordFn EventRecord = nullptr;
  cu::MemAllocFn MemAlloc = nullptr;
  cu::MemAllocManagedFn MemAllocManaged = nullptr;
  cu::MemFreeFn MemFree = nullptr;
  cu::MemcpyAsyncFn MemcpyAsync = nullptr;
  cu::MemcpyHtoDFn MemcpyHtoD = nullptr;
  cu::MemsetD32AsyncFn MemsetD32Async = nullptr;
  cu::MemsetD16AsyncFn MemsetD16Async = nullptr;
  cu::MemHostRegisterFn MemHostRegister = nullptr;
  cu::MemHostUnregisterFn MemHostUnregister = nullptr;
  /// Optional: the stub library and old drivers answer without a string.
  cu::GetErrorStringFn GetErrorString = nullptr;
  cu::GetErrorStringFn GetErrorName = nullptr;
};

/// The process's driver: loaded and initialised by the first get().
class Driver {
public:
  /// Loads and initialises the driver on the first call (from any thread;
  /// the others wait), then returns it. Never fails: an unusable driver is
  /// returned with the reason.
  static const Driver &get();

  /// The driver if get() has initialised it successfully, else null. Never
  /// loads it: for functions that release what earlier calls created.
  static const Driver *ifUsable();

  /// True when get() has run and failed: the driver is missing or broken.
  static bool failed();

  /// Asks for device \p ordinal (mgpuSetDefaultDevice). Before get() it
  /// overrides AGN_GPU_DEVICE and returns true; afterwards it returns whether
  /// the driver already runs on that device.
  static bool requestDevice(int32_t ordinal);

  bool usable() const { return Code == 0; }
  /// 0, AGN_GPU_ERR_NO_DRIVER, AGN_GPU_ERR_INVALID_ARGUMENT or the CUresult
  /// that initialisation failed with.
  int code() const { return Code; }
  /// "agn-gpu: ..." when unusable, else "".
  const std::string &reason() const { return Reason; }

  const DriverApi &api() const { return Api; }
  CUcontext context() const { return Context; }
  int ordinal() const { return Ordinal; }
  int deviceCount() const { return DeviceCount; }
  /// The most dynamic shared memory a kernel may request on the device.
  int maxSharedMemory() const { return MaxSharedMemory; }
  /// The file the driver was opened from.
  const std::string &path() const { return Path; }

  /// "NAME (code): text" for \p result, with the driver's text if it has one.
  std::string describe(CUresult result) const;

private:
  Driver() = default;
  void load();
  void fail(int code, std::string reason);

  int Code = 0;
  std::string Reason;
  std::string Path;
  DriverApi Api;
  CUcontext Context = nullptr;
  CUdevice Device = 0;
  int Ordinal = 0;
  int DeviceCount = 0;
  int MaxSharedMemory = 48 * 1024;
};

/// The driver, when GPU work may run: no sticky error and a usable driver.
/// Otherwise null; the reason a driver is unusable becomes the sticky error
/// here, at the first GPU operation, not when a module is registered.
const Driver *beginWork();

/// Whether a release call's \p result is worth reporting: at process exit the
/// driver may shut down before the global destructors of generated code
/// unload their modules, and CUDA_ERROR_DEINITIALIZED then says only that.
inline bool reportableRelease(CUresult result) {
  return result != CUDA_ERROR_DEINITIALIZED;
}

/// Makes the driver's primary context current on this thread for one scope,
/// as every driver call needs, and restores the previous one afterwards, so
/// that a host thread using its own CUDA context keeps it.
class ScopedContext {
public:
  /// Pushes the context; a failure is recorded as the sticky error, unless
  /// \p releasing and the driver has shut down (see reportableRelease).
  explicit ScopedContext(const Driver &driver, bool releasing = false);
  ~ScopedContext();
  ScopedContext(const ScopedContext &) = delete;
  ScopedContext &operator=(const ScopedContext &) = delete;

  /// Whether the context was made current.
  explicit operator bool() const { return Pushed; }

private:
  const Driver &TheDriver;
  bool Releasing;
  bool Pushed = false;
};

} // namespace agn::gpu

#endif // AGN_LIB_GPURUNTIME_DRIVER_H
