/*===- agn-c/GpuRuntime.h - agn GPU runtime C API -----------------*- C -*-===*\
|*                                                                            *|
|* libagn_gpu_runtime.so: the host side of code that agn compiles for NVIDIA  *|
|* GPUs. It implements the mgpu* functions that MLIR 22's gpu-to-llvm         *|
|* lowering and its #gpu.select_object translation call, on top of the CUDA   *|
|* driver API, plus agn's own agn_gpu_* functions: error status, device       *|
|* queries and a cache of constant (weight) buffers on the device.            *|
|*                                                                            *|
|* The library does not link against the driver. It opens libcuda.so.1 with   *|
|* dlopen on first use (AGN_LIBCUDA=<path> picks another file), so a binary   *|
|* with embedded kernels starts on a machine without a GPU; only its first    *|
|* GPU operation fails, and that failure is reported, never a crash.          *|
|*                                                                            *|
|* Errors are sticky. The first failing call records a status code and a     *|
|* message (printed once to stderr, prefixed "agn-gpu: "), and from then on   *|
|* every mgpu* function that would use the GPU does nothing and returns null: *|
|* no launch, no copy. The host checks agn_gpu_status() after a computation.  *|
|* Functions that release resources (mgpuMemFree, mgpu*Destroy,               *|
|* mgpuModuleUnload, ...) still release them while the driver is loaded.      *|
|*                                                                            *|
|* Environment, read once, when the driver is first needed:                   *|
|*   AGN_LIBCUDA     path of the driver library (default: libcuda.so.1)       *|
|*   AGN_GPU_DEVICE  index of the CUDA device to use (default: 0)             *|
|*                                                                            *|
|* Every function is thread-safe.                                             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef AGN_C_GPURUNTIME_H
#define AGN_C_GPURUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifndef __cplusplus
#include <stdbool.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define AGN_GPU_API __attribute__((visibility("default")))
#else
#define AGN_GPU_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*===----------------------------------------------------------------------===*\
|* Status                                                                     *|
\*===----------------------------------------------------------------------===*/

/// No error. A positive status is the CUresult of the driver call that failed
/// first (e.g. 2 = CUDA_ERROR_OUT_OF_MEMORY, 34 = CUDA_ERROR_STUB_LIBRARY).
#define AGN_GPU_OK 0
/// The driver library could not be opened or lacks an entry point the
/// runtime needs. Permanent for the process.
#define AGN_GPU_ERR_NO_DRIVER (-1)
/// An argument was out of range: a device index, a launch dimension, a null
/// handle where one is required, a size that overflows.
#define AGN_GPU_ERR_INVALID_ARGUMENT (-2)
/// Host memory ran out inside the runtime.
#define AGN_GPU_ERR_INTERNAL (-3)

/// The sticky status: AGN_GPU_OK, an AGN_GPU_ERR_* code or a CUresult.
AGN_GPU_API int agn_gpu_status(void);

/// The message of the sticky error ("agn-gpu: ..."), or "" when there is
/// none. The string belongs to the calling thread and stays valid until its
/// next call of this function.
AGN_GPU_API const char *agn_gpu_last_error(void);

/// Clears the sticky error so that GPU work runs again, e.g. after an
/// allocation that did not fit. A driver that could not be loaded or
/// initialised stays an error: clearing it has no effect.
AGN_GPU_API void agn_gpu_clear_error(void);

/// Whether the first error is also printed to stderr (nonzero, the default:
/// programs that never check the status still show the failure). Hosts that
/// report agn_gpu_last_error() themselves turn it off.
AGN_GPU_API void agn_gpu_set_error_printing(int enabled);

/*===----------------------------------------------------------------------===*\
|* Devices                                                                    *|
\*===----------------------------------------------------------------------===*/

/// Loads and initialises the driver if that has not happened yet. Returns 1
/// when a device is usable, else 0 with the reason in
/// agn_gpu_unavailable_reason(). This query never sets the sticky status and
/// prints nothing, so hosts may call it to choose between GPU and CPU code.
AGN_GPU_API int agn_gpu_available(void);

/// Why no device is usable ("agn-gpu: ..."), or "" when one is. Initialises
/// the driver like agn_gpu_available(). The string lives as long as the
/// process.
AGN_GPU_API const char *agn_gpu_unavailable_reason(void);

/// The number of CUDA devices, 0 when the driver is unavailable. Initialises
/// the driver like agn_gpu_available().
AGN_GPU_API int agn_gpu_device_count(void);

/*===----------------------------------------------------------------------===*\
|* Constant buffers                                                           *|
\*===----------------------------------------------------------------------===*/

/// Returns a device copy of the \p bytes read-only bytes at \p host. The copy
/// is made on the first call for this (host, bytes) pair and returned by every
/// later one, so a level's weights move to the device once and stay there.
/// The host data must not change while its copy is cached. Returns null on an
/// error (sticky, see above) and for \p bytes == 0.
AGN_GPU_API void *agn_gpu_constant(const void *host, int64_t bytes);

/// Frees every device copy made by agn_gpu_constant(). Pointers it returned
/// become invalid; later calls copy again.
/// Frees the device copies agn_gpu_constant() made of host data in [base,
/// base + bytes): the host memory is going away (a JIT-compiled model is
/// destroyed), and new data at the same address must not find the old copy.
AGN_GPU_API void agn_gpu_forget_constants(const void *base, size_t bytes);

AGN_GPU_API void agn_gpu_release_constants(void);

/*===----------------------------------------------------------------------===*\
|* The mgpu* ABI of MLIR 22's GPU lowering                                    *|
\*===----------------------------------------------------------------------===*/
/* Generated code calls these; C hosts and tests may too. Handles are opaque:
 * modules are the runtime's own records, functions, streams and events are
 * the driver's CUfunction, CUstream and CUevent, and memory pointers are
 * device addresses (CUdeviceptr). A null stream is the driver's default
 * stream. Not provided: mgpuLaunchClusterKernel, mgpuTensorMapEncodeTiled-
 * Memref and the sparse (cuSPARSE) entry points. */

/// Records a cubin or fatbin image of \p bytes bytes for loading on first use
/// (mgpuModuleGetFunction). Does not touch the driver: it runs in a global
/// constructor of every binary with embedded kernels. \p data must stay
/// valid until the module is first used or unloaded; generated code passes
/// a constant global, which does.
AGN_GPU_API void *mgpuModuleLoad(void *data, size_t bytes);
/// Same for NUL-terminated PTX, compiled by the driver's JIT at \p optLevel
/// (0 to 4) on first use.
AGN_GPU_API void *mgpuModuleLoadJIT(void *data, int optLevel);
/// Unloads the module if it was loaded and frees the record.
AGN_GPU_API void mgpuModuleUnload(void *module);
/// Loads the module if needed and returns the kernel \p name.
AGN_GPU_API void *mgpuModuleGetFunction(void *module, const char *name);

/// Launches \p function on \p stream. \p params points to one pointer per
/// kernel argument; \p extra must be null. \p paramsCount is not used.
AGN_GPU_API void mgpuLaunchKernel(void *function, intptr_t gridX,
                                  intptr_t gridY, intptr_t gridZ,
                                  intptr_t blockX, intptr_t blockY,
                                  intptr_t blockZ, int32_t smem, void *stream,
                                  void **params, void **extra,
                                  size_t paramsCount);

AGN_GPU_API void *mgpuStreamCreate(void);
AGN_GPU_API void mgpuStreamDestroy(void *stream);
AGN_GPU_API void mgpuStreamSynchronize(void *stream);
AGN_GPU_API void mgpuStreamWaitEvent(void *stream, void *event);

AGN_GPU_API void *mgpuEventCreate(void);
AGN_GPU_API void mgpuEventDestroy(void *event);
AGN_GPU_API void mgpuEventSynchronize(void *event);
AGN_GPU_API void mgpuEventRecord(void *event, void *stream);

/// Allocates \p bytes of device memory, or of managed memory (accessible
/// from host and device) when \p isHostShared. Returns null for 0 bytes.
AGN_GPU_API void *mgpuMemAlloc(uint64_t bytes, void *stream, bool isHostShared);
AGN_GPU_API void mgpuMemFree(void *ptr, void *stream);
/// Copies \p bytes between any two addresses (host or device) on \p stream.
AGN_GPU_API void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream);
/// Sets \p count 32-bit (16-bit) words at \p dst to \p value on \p stream.
AGN_GPU_API void mgpuMemset32(void *dst, unsigned int value, size_t count,
                              void *stream);
AGN_GPU_API void mgpuMemset16(void *dst, unsigned short value, size_t count,
                              void *stream);

/// Page-locks host memory and maps it for the device (gpu.host_register).
AGN_GPU_API void mgpuMemHostRegister(void *ptr, uint64_t bytes);
AGN_GPU_API void mgpuMemHostUnregister(void *ptr);
/// The same for the memory of a strided memref descriptor of rank \p rank
/// ({allocated, aligned, offset, sizes[rank], strides[rank]}) whose elements
/// take \p elementBytes bytes.
AGN_GPU_API void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                                           int64_t elementBytes);
AGN_GPU_API void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                             int64_t elementBytes);

/// Chooses the device for this process. It takes effect when called before
/// the first GPU operation (and then overrides AGN_GPU_DEVICE); afterwards,
/// naming another device is an error.
AGN_GPU_API void mgpuSetDefaultDevice(int32_t device);

#ifdef __cplusplus
}
#endif

#endif /* AGN_C_GPURUNTIME_H */
