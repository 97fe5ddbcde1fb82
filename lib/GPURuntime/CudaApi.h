//===- CudaApi.h - The subset of the CUDA driver API agn calls --*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// agn builds without the CUDA toolkit, so the driver types it needs are
// declared here rather than taken from cuda.h. They carry cuda.h's own names
// (struct CUctx_st, enum cudaError_enum, ...) at global scope: each entry
// point is then called through a pointer of exactly its own type, which
// UBSan's -fsanitize=function checks against instrumented fakes. The values
// are cuda.h's (CUDA 13). When a toolkit is found, a unit test includes
// cuda.h instead (AGN_GPU_USE_CUDA_H) and checks every pointer type below
// against the real prototype.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_GPURUNTIME_CUDAAPI_H
#define AGN_LIB_GPURUNTIME_CUDAAPI_H

#include <cstddef>

#ifdef AGN_GPU_USE_CUDA_H
#include <cuda.h>
#else
extern "C" {
/// CUresult; the error codes the runtime handles specially.
typedef enum cudaError_enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_DEINITIALIZED = 4,
  CUDA_ERROR_UNKNOWN = 999
} CUresult;
/// CUjit_option; the options mgpuModuleLoadJIT passes.
typedef enum CUjit_option_enum {
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_OPTIMIZATION_LEVEL = 7
} CUjit_option;
/// CUdevice_attribute; the attribute the launch checks.
typedef enum CUdevice_attribute_enum {
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97
} CUdevice_attribute;
/// CUfunction_attribute; the attribute the launch sets.
typedef enum CUfunction_attribute_enum {
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8
} CUfunction_attribute;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
}
#define CU_STREAM_NON_BLOCKING 0x1
#define CU_EVENT_DISABLE_TIMING 0x2
#define CU_MEM_ATTACH_GLOBAL 0x1
#endif // AGN_GPU_USE_CUDA_H

namespace agn::gpu::cu {

/// Types of the driver's entry points, named after the functions without
/// their "cu" prefix and version suffix. The symbol each is resolved from is
/// in Driver.cpp.
using InitFn = CUresult (*)(unsigned int);
using DeviceGetCountFn = CUresult (*)(int *);
using DeviceGetFn = CUresult (*)(CUdevice *, int);
using DeviceGetAttributeFn = CUresult (*)(int *, CUdevice_attribute, CUdevice);
using DevicePrimaryCtxRetainFn = CUresult (*)(CUcontext *, CUdevice);
using CtxPushCurrentFn = CUresult (*)(CUcontext);
using CtxPopCurrentFn = CUresult (*)(CUcontext *);
using ModuleLoadDataFn = CUresult (*)(CUmodule *, const void *);
using ModuleLoadDataExFn = CUresult (*)(CUmodule *, const void *, unsigned int,
                                        CUjit_option *, void **);
using ModuleUnloadFn = CUresult (*)(CUmodule);
using ModuleGetFunctionFn = CUresult (*)(CUfunction *, CUmodule, const char *);
using FuncSetAttributeFn = CUresult (*)(CUfunction, CUfunction_attribute, int);
using LaunchKernelFn = CUresult (*)(CUfunction, unsigned int, unsigned int,
                                    unsigned int, unsigned int, unsigned int,
                                    unsigned int, unsigned int, CUstream,
                                    void **, void **);
using StreamCreateFn = CUresult (*)(CUstream *, unsigned int);
using StreamDestroyFn = CUresult (*)(CUstream);
using StreamSynchronizeFn = CUresult (*)(CUstream);
using StreamWaitEventFn = CUresult (*)(CUstream, CUevent, unsigned int);
using EventCreateFn = CUresult (*)(CUevent *, unsigned int);
using EventDestroyFn = CUresult (*)(CUevent);
using EventSynchronizeFn = CUresult (*)(CUevent);
using EventRecordFn = CUresult (*)(CUevent, CUstream);
using MemAllocFn = CUresult (*)(CUdeviceptr *, size_t);
using MemAllocManagedFn = CUresult (*)(CUdeviceptr *, size_t, unsigned int);
using MemFreeFn = CUresult (*)(CUdeviceptr);
using MemcpyAsyncFn = CUresult (*)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
using MemcpyHtoDFn = CUresult (*)(CUdeviceptr, const void *, size_t);
using MemsetD32AsyncFn = CUresult (*)(CUdeviceptr, unsigned int, size_t,
                                      CUstream);
using MemsetD16AsyncFn = CUresult (*)(CUdeviceptr, unsigned short, size_t,
                                      CUstream);
using MemHostRegisterFn = CUresult (*)(void *, size_t, unsigned int);
using MemHostUnregisterFn = CUresult (*)(void *);
using GetErrorStringFn = CUresult (*)(CUresult, const char **);

} // namespace agn::gpu::cu

#endif // AGN_LIB_GPURUNTIME_CUDAAPI_H
