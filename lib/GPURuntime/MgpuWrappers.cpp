//===- MgpuWrappers.cpp - The mgpu* ABI of MLIR's GPU lowering ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The functions that MLIR 22's gpu-to-llvm lowering and #gpu.select_object
// translation call (upstream implements them in CudaRuntimeWrappers.cpp,
// which Debian does not ship), on the driver of Driver.h. They differ from
// upstream's in three ways:
//   - mgpuModuleLoad(JIT) only records the image, and the first
//     mgpuModuleGetFunction loads it: the load runs in a global constructor
//     of every binary with embedded kernels, and a machine without a GPU
//     must start such a binary silently;
//   - errors are sticky (Errors.h): after the first, work is skipped;
//   - nothing aborts or crashes on bad input; it is reported.
//
//===----------------------------------------------------------------------===//

#include "agn-c/GpuRuntime.h"

#include "Driver.h"
#include "Errors.h"

#include <climits>
#include <cstring>
#include <mutex>
#include <new>

using namespace agn::gpu;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

void invalidArgument(const std::string &message) {
  setError(AGN_GPU_ERR_INVALID_ARGUMENT, ("agn-gpu: " + message).c_str());
}

CUdeviceptr devicePointer(const void *ptr) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(ptr));
}

/// "(N bytes)", the detail of a failed memory operation.
std::string bytesDetail(uint64_t bytes) {
  return "(" + std::to_string(bytes) + " bytes)";
}

/// Runs the driver call \p release (with the context current) for a function
/// that frees what an earlier call created. It runs even after a sticky
/// error, so that a host that clears the error does not leak; it never loads
/// the driver (nothing it could free exists without one).
template <typename Release>
void releaseWith(const char *what, Release &&release) {
  const Driver *driver = Driver::ifUsable();
  if (!driver)
    return;
  ScopedContext context(*driver, /*releasing=*/true);
  if (!context)
    return;
  CUresult result = release(driver->api());
  if (reportableRelease(result))
    check(*driver, result, what);
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

/// An image recorded by mgpuModuleLoad(JIT), loaded on first use.
struct LazyModule {
  /// Identifies live records, to report a handle from elsewhere.
  static constexpr uint64_t kMagic = 0x61676e2d6d6f64ULL; // "agn-mod"
  uint64_t Magic = kMagic;
  const void *Data = nullptr;
  size_t Bytes = 0;
  bool Jit = false;
  int OptLevel = 0;
  std::mutex Mutex;
  /// The loaded module, or null until the first use.
  CUmodule Module = nullptr;
};

void *recordModule(const void *data, size_t bytes, bool jit, int optLevel,
                   const char *caller) {
  if (!data) {
    invalidArgument(std::string(caller) + ": null image");
    return nullptr;
  }
  auto *module = new (std::nothrow) LazyModule();
  if (!module) {
    setError(AGN_GPU_ERR_INTERNAL, "agn-gpu: out of host memory");
    return nullptr;
  }
  module->Data = data;
  module->Bytes = bytes;
  module->Jit = jit;
  module->OptLevel = optLevel;
  return module;
}

LazyModule *asModule(void *handle, const char *caller) {
  auto *module = static_cast<LazyModule *>(handle);
  if (!module || module->Magic != LazyModule::kMagic) {
    invalidArgument(std::string(caller) +
                    ": not a module from mgpuModuleLoad (null, unloaded or "
                    "from another runtime)");
    return nullptr;
  }
  return module;
}

/// Loads \p module into the driver's context unless it is loaded already.
/// Called with the context current and the module's mutex held.
bool load(const Driver &driver, LazyModule &module) {
  if (module.Module)
    return true;
  const DriverApi &api = driver.api();
  if (!module.Jit) {
    CUresult result = api.ModuleLoadData(&module.Module, module.Data);
    if (result != CUDA_SUCCESS)
      module.Module = nullptr;
    return check(driver, result, "cuModuleLoadData",
                 "(a cubin or fatbin image of " + std::to_string(module.Bytes) +
                     " bytes)");
  }

  // PTX: the driver compiles it for the device, as upstream does, with its
  // error log in the message.
  char log[4096] = {};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log))),
                    reinterpret_cast<void *>(uintptr_t(module.OptLevel))};
  CUresult result =
      api.ModuleLoadDataEx(&module.Module, module.Data, 3, options, values);
  log[sizeof(log) - 1] = '\0';
  if (result != CUDA_SUCCESS)
    module.Module = nullptr;
  return check(driver, result, "cuModuleLoadDataEx (PTX JIT)",
               log[0] ? std::string("(JIT log: ") + log + ")" : std::string());
}

//===----------------------------------------------------------------------===//
// Memref descriptors
//===----------------------------------------------------------------------===//

/// The body of an mgpu* function that only acts on the device: once the
/// driver is up and no error is set, and unless `nothingToDo` (an empty
/// copy), runs `call` on the driver's API in the primary context and reports
/// its failure as `name` (with `detail`). `badArgument`, when not null, is
/// reported instead, as an invalid argument.
template <typename Call>
void act(bool nothingToDo, const char *badArgument, const char *name,
         const std::string &detail, Call &&call) {
  const Driver *driver = beginWork();
  if (!driver || nothingToDo)
    return;
  if (badArgument) {
    invalidArgument(badArgument);
    return;
  }
  ScopedContext context(*driver);
  if (context)
    check(*driver, call(driver->api()), name, detail);
}

/// The fixed head of a strided memref descriptor; sizes[rank] and
/// strides[rank] (int64_t each) follow it.
struct MemRefHead {
  void *Allocated;
  char *Aligned;
  int64_t Offset;
};

/// The memory that the memref \p descriptor of rank \p rank spans: \p begin
/// is its first element, \p bytes reaches past its last (0 when it has no
/// elements). False for a malformed descriptor.
bool memrefRange(int64_t rank, const void *descriptor, int64_t elementBytes,
                 char *&begin, uint64_t &bytes) {
  if (rank < 0 || !descriptor || elementBytes <= 0)
    return false;
  MemRefHead head;
  std::memcpy(&head, descriptor, sizeof(head));
  const char *shape = static_cast<const char *>(descriptor) + sizeof(head);
  // The offset of the last element from the first, in elements.
  uint64_t last = 0;
  bool empty = false;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t size, stride;
    std::memcpy(&size, shape + i * sizeof(int64_t), sizeof(size));
    std::memcpy(&stride, shape + (rank + i) * sizeof(int64_t), sizeof(stride));
    if (size < 0 || stride < 0)
      return false;
    if (size == 0) {
      empty = true;
      continue;
    }
    uint64_t step;
    if (__builtin_mul_overflow(uint64_t(size - 1), uint64_t(stride), &step) ||
        __builtin_add_overflow(last, step, &last))
      return false;
  }
  if (head.Offset < 0)
    return false;
  begin = head.Aligned + head.Offset * elementBytes;
  if (empty) {
    bytes = 0;
    return true;
  }
  return !__builtin_mul_overflow(last + 1, uint64_t(elementBytes), &bytes);
}

} // namespace

//===----------------------------------------------------------------------===//
// The C ABI
//===----------------------------------------------------------------------===//

extern "C" {

void *mgpuModuleLoad(void *data, size_t bytes) {
  return guarded([&] {
    return recordModule(data, bytes, /*jit=*/false, 0, "mgpuModuleLoad");
  });
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  return guarded([&] {
    // CU_JIT_OPTIMIZATION_LEVEL takes 0 to 4.
    int level = optLevel < 0 ? 0 : optLevel > 4 ? 4 : optLevel;
    return recordModule(data, data ? std::strlen(static_cast<char *>(data)) : 0,
                        /*jit=*/true, level, "mgpuModuleLoadJIT");
  });
}

void mgpuModuleUnload(void *handle) {
  guarded([&] {
    if (!handle)
      return;
    LazyModule *module = asModule(handle, "mgpuModuleUnload");
    if (!module)
      return;
    {
      std::lock_guard<std::mutex> lock(module->Mutex);
      if (module->Module) {
        CUmodule loaded = module->Module;
        releaseWith("cuModuleUnload", [&](const DriverApi &api) {
          return api.ModuleUnload(loaded);
        });
      }
      module->Magic = 0;
    }
    delete module;
  });
}

void *mgpuModuleGetFunction(void *handle, const char *name) {
  return guarded([&]() -> void * {
    const Driver *driver = beginWork();
    if (!driver)
      return nullptr;
    LazyModule *module = asModule(handle, "mgpuModuleGetFunction");
    if (!module)
      return nullptr;
    if (!name) {
      invalidArgument("mgpuModuleGetFunction: null kernel name");
      return nullptr;
    }
    ScopedContext context(*driver);
    if (!context)
      return nullptr;
    CUmodule loaded;
    {
      std::lock_guard<std::mutex> lock(module->Mutex);
      if (!load(*driver, *module))
        return nullptr;
      loaded = module->Module;
    }
    CUfunction function = nullptr;
    if (!check(*driver,
               driver->api().ModuleGetFunction(&function, loaded, name),
               "cuModuleGetFunction", std::string("(kernel '") + name + "')"))
      return nullptr;
    return function;
  });
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  guarded([&] {
    const Driver *driver = beginWork();
    if (!driver)
      return;
    if (!function) {
      invalidArgument("mgpuLaunchKernel: null kernel");
      return;
    }
    const intptr_t dims[] = {gridX, gridY, gridZ, blockX, blockY, blockZ};
    for (intptr_t dim : dims)
      if (dim < 0 || static_cast<uintptr_t>(dim) > UINT_MAX) {
        invalidArgument("mgpuLaunchKernel: launch dimension " +
                        std::to_string(dim) + " out of range");
        return;
      }
    if (smem < 0 || smem > driver->maxSharedMemory()) {
      invalidArgument("mgpuLaunchKernel: " + std::to_string(smem) +
                      " bytes of dynamic shared memory requested; device " +
                      std::to_string(driver->ordinal()) + " allows 0 to " +
                      std::to_string(driver->maxSharedMemory()));
      return;
    }
    ScopedContext context(*driver);
    if (!context)
      return;
    const DriverApi &api = driver->api();
    auto *kernel = static_cast<CUfunction>(function);
    // Beyond 48 KiB a kernel must opt in; upstream sets the limit for every
    // launch with dynamic shared memory, since static shared memory counts
    // against the same 48 KiB.
    if (smem > 0 &&
        !check(
            *driver,
            api.FuncSetAttribute(
                kernel, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
            "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"))
      return;
    check(*driver,
          api.LaunchKernel(kernel, unsigned(gridX), unsigned(gridY),
                           unsigned(gridZ), unsigned(blockX), unsigned(blockY),
                           unsigned(blockZ), unsigned(smem),
                           static_cast<CUstream>(stream), params, extra),
          "cuLaunchKernel",
          "(grid " + std::to_string(gridX) + "x" + std::to_string(gridY) + "x" +
              std::to_string(gridZ) + ", block " + std::to_string(blockX) +
              "x" + std::to_string(blockY) + "x" + std::to_string(blockZ) +
              ", " + std::to_string(smem) + " bytes of shared memory)");
  });
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

void *mgpuStreamCreate(void) {
  return guarded([]() -> void * {
    const Driver *driver = beginWork();
    if (!driver)
      return nullptr;
    ScopedContext context(*driver);
    if (!context)
      return nullptr;
    CUstream stream = nullptr;
    if (!check(*driver,
               driver->api().StreamCreate(&stream, CU_STREAM_NON_BLOCKING),
               "cuStreamCreate"))
      return nullptr;
    return stream;
  });
}

void mgpuStreamDestroy(void *stream) {
  guarded([&] {
    if (stream)
      releaseWith("cuStreamDestroy_v2", [&](const DriverApi &api) {
        return api.StreamDestroy(static_cast<CUstream>(stream));
      });
  });
}

void mgpuStreamSynchronize(void *stream) {
  guarded([&] {
    act(false, nullptr, "cuStreamSynchronize", "", [&](const DriverApi &api) {
      return api.StreamSynchronize(static_cast<CUstream>(stream));
    });
  });
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  guarded([&] {
    act(false, event ? nullptr : "mgpuStreamWaitEvent: null event",
        "cuStreamWaitEvent", "", [&](const DriverApi &api) {
          return api.StreamWaitEvent(static_cast<CUstream>(stream),
                                     static_cast<CUevent>(event), 0);
        });
  });
}

void *mgpuEventCreate(void) {
  return guarded([]() -> void * {
    const Driver *driver = beginWork();
    if (!driver)
      return nullptr;
    ScopedContext context(*driver);
    if (!context)
      return nullptr;
    CUevent event = nullptr;
    if (!check(*driver,
               driver->api().EventCreate(&event, CU_EVENT_DISABLE_TIMING),
               "cuEventCreate"))
      return nullptr;
    return event;
  });
}

void mgpuEventDestroy(void *event) {
  guarded([&] {
    if (event)
      releaseWith("cuEventDestroy_v2", [&](const DriverApi &api) {
        return api.EventDestroy(static_cast<CUevent>(event));
      });
  });
}

void mgpuEventSynchronize(void *event) {
  guarded([&] {
    act(false, event ? nullptr : "mgpuEventSynchronize: null event",
        "cuEventSynchronize", "", [&](const DriverApi &api) {
          return api.EventSynchronize(static_cast<CUevent>(event));
        });
  });
}

void mgpuEventRecord(void *event, void *stream) {
  guarded([&] {
    act(false, event ? nullptr : "mgpuEventRecord: null event", "cuEventRecord",
        "", [&](const DriverApi &api) {
          return api.EventRecord(static_cast<CUevent>(event),
                                 static_cast<CUstream>(stream));
        });
  });
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/, bool isHostShared) {
  return guarded([&]() -> void * {
    const Driver *driver = beginWork();
    if (!driver || bytes == 0)
      return nullptr;
    ScopedContext context(*driver);
    if (!context)
      return nullptr;
    CUdeviceptr ptr = 0;
    bool ok = isHostShared ? check(*driver,
                                   driver->api().MemAllocManaged(
                                       &ptr, bytes, CU_MEM_ATTACH_GLOBAL),
                                   "cuMemAllocManaged", bytesDetail(bytes))
                           : check(*driver, driver->api().MemAlloc(&ptr, bytes),
                                   "cuMemAlloc_v2", bytesDetail(bytes));
    return ok ? reinterpret_cast<void *>(static_cast<uintptr_t>(ptr)) : nullptr;
  });
}

void mgpuMemFree(void *ptr, void * /*stream*/) {
  guarded([&] {
    if (ptr)
      releaseWith("cuMemFree_v2", [&](const DriverApi &api) {
        return api.MemFree(devicePointer(ptr));
      });
  });
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  guarded([&] {
    act(bytes == 0, dst && src ? nullptr : "mgpuMemcpy: null pointer",
        "cuMemcpyAsync", bytesDetail(bytes), [&](const DriverApi &api) {
          return api.MemcpyAsync(devicePointer(dst), devicePointer(src), bytes,
                                 static_cast<CUstream>(stream));
        });
  });
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  guarded([&] {
    act(count == 0, dst ? nullptr : "mgpuMemset32: null pointer",
        "cuMemsetD32Async", bytesDetail(uint64_t(count) * 4),
        [&](const DriverApi &api) {
          return api.MemsetD32Async(devicePointer(dst), value, count,
                                    static_cast<CUstream>(stream));
        });
  });
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  guarded([&] {
    act(count == 0, dst ? nullptr : "mgpuMemset16: null pointer",
        "cuMemsetD16Async", bytesDetail(uint64_t(count) * 2),
        [&](const DriverApi &api) {
          return api.MemsetD16Async(devicePointer(dst), value, count,
                                    static_cast<CUstream>(stream));
        });
  });
}

void mgpuMemHostRegister(void *ptr, uint64_t bytes) {
  guarded([&] {
    act(bytes == 0, ptr ? nullptr : "mgpuMemHostRegister: null pointer",
        "cuMemHostRegister_v2", bytesDetail(bytes), [&](const DriverApi &api) {
          return api.MemHostRegister(ptr, bytes, 0);
        });
  });
}

void mgpuMemHostUnregister(void *ptr) {
  guarded([&] {
    if (ptr)
      releaseWith("cuMemHostUnregister", [&](const DriverApi &api) {
        return api.MemHostUnregister(ptr);
      });
  });
}

void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementBytes) {
  guarded([&] {
    if (errorCode() != AGN_GPU_OK)
      return;
    char *begin = nullptr;
    uint64_t bytes = 0;
    if (!memrefRange(rank, descriptor, elementBytes, begin, bytes)) {
      invalidArgument("mgpuMemHostRegisterMemRef: malformed memref "
                      "descriptor");
      return;
    }
    mgpuMemHostRegister(begin, bytes);
  });
}

void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementBytes) {
  guarded([&] {
    char *begin = nullptr;
    uint64_t bytes = 0;
    if (!memrefRange(rank, descriptor, elementBytes, begin, bytes)) {
      invalidArgument("mgpuMemHostUnregisterMemRef: malformed memref "
                      "descriptor");
      return;
    }
    if (bytes != 0)
      mgpuMemHostUnregister(begin);
  });
}

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

void mgpuSetDefaultDevice(int32_t device) {
  guarded([&] {
    if (errorCode() != AGN_GPU_OK)
      return;
    if (device < 0) {
      invalidArgument("mgpuSetDefaultDevice(" + std::to_string(device) +
                      "): not a device index");
      return;
    }
    if (!Driver::requestDevice(device))
      invalidArgument("mgpuSetDefaultDevice(" + std::to_string(device) +
                      "): the runtime already runs on device " +
                      std::to_string(Driver::get().ordinal()) +
                      "; choose the device before the first GPU operation, "
                      "or with AGN_GPU_DEVICE");
  });
}

} // extern "C"
