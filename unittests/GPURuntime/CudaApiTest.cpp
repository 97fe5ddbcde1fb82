//===- CudaApiTest.cpp - The runtime's driver types match cuda.h ----------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The runtime declares the driver's types itself (lib/GPURuntime/CudaApi.h)
// so that it builds without the toolkit. Where the toolkit is installed, this
// file is compiled against the real cuda.h and checks at compile time that
// every entry point the runtime resolves has exactly the type it is called
// through, and that the constants it passes have cuda.h's values.
//
//===----------------------------------------------------------------------===//

#define AGN_GPU_USE_CUDA_H 1
#include "CudaApi.h"

#include "gtest/gtest.h"

#include <iterator>
#include <type_traits>

namespace cu = agn::gpu::cu;

#define AGN_EXPECT_TYPE(Fn, symbol)                                            \
  static_assert(std::is_same_v<cu::Fn, decltype(&symbol)>,                     \
                #symbol " does not have the type of cu::" #Fn)

// The symbols the runtime resolves (Driver.cpp), by their versioned names.
AGN_EXPECT_TYPE(InitFn, cuInit);
AGN_EXPECT_TYPE(DeviceGetCountFn, cuDeviceGetCount);
AGN_EXPECT_TYPE(DeviceGetFn, cuDeviceGet);
AGN_EXPECT_TYPE(DeviceGetAttributeFn, cuDeviceGetAttribute);
AGN_EXPECT_TYPE(DevicePrimaryCtxRetainFn, cuDevicePrimaryCtxRetain);
AGN_EXPECT_TYPE(CtxPushCurrentFn, cuCtxPushCurrent_v2);
AGN_EXPECT_TYPE(CtxPopCurrentFn, cuCtxPopCurrent_v2);
AGN_EXPECT_TYPE(ModuleLoadDataFn, cuModuleLoadData);
AGN_EXPECT_TYPE(ModuleLoadDataExFn, cuModuleLoadDataEx);
AGN_EXPECT_TYPE(ModuleUnloadFn, cuModuleUnload);
AGN_EXPECT_TYPE(ModuleGetFunctionFn, cuModuleGetFunction);
AGN_EXPECT_TYPE(FuncSetAttributeFn, cuFuncSetAttribute);
AGN_EXPECT_TYPE(LaunchKernelFn, cuLaunchKernel);
AGN_EXPECT_TYPE(StreamCreateFn, cuStreamCreate);
AGN_EXPECT_TYPE(StreamDestroyFn, cuStreamDestroy_v2);
AGN_EXPECT_TYPE(StreamSynchronizeFn, cuStreamSynchronize);
AGN_EXPECT_TYPE(StreamWaitEventFn, cuStreamWaitEvent);
AGN_EXPECT_TYPE(EventCreateFn, cuEventCreate);
AGN_EXPECT_TYPE(EventDestroyFn, cuEventDestroy_v2);
AGN_EXPECT_TYPE(EventSynchronizeFn, cuEventSynchronize);
AGN_EXPECT_TYPE(EventRecordFn, cuEventRecord);
AGN_EXPECT_TYPE(MemAllocFn, cuMemAlloc_v2);
AGN_EXPECT_TYPE(MemAllocManagedFn, cuMemAllocManaged);
AGN_EXPECT_TYPE(MemFreeFn, cuMemFree_v2);
AGN_EXPECT_TYPE(MemcpyAsyncFn, cuMemcpyAsync);
AGN_EXPECT_TYPE(MemcpyHtoDFn, cuMemcpyHtoD_v2);
AGN_EXPECT_TYPE(MemsetD32AsyncFn, cuMemsetD32Async);
AGN_EXPECT_TYPE(MemsetD16AsyncFn, cuMemsetD16Async);
AGN_EXPECT_TYPE(MemHostRegisterFn, cuMemHostRegister_v2);
AGN_EXPECT_TYPE(MemHostUnregisterFn, cuMemHostUnregister);
AGN_EXPECT_TYPE(GetErrorStringFn, cuGetErrorString);
AGN_EXPECT_TYPE(GetErrorStringFn, cuGetErrorName);

#undef AGN_EXPECT_TYPE

// CudaApiValues.cpp, compiled with the runtime's own declarations.
extern const long long AgnOwnCudaValues[];
extern const int AgnOwnCudaValueCount;

namespace {

/// The same list from cuda.h.
const long long CudaHValues[] = {
    CUDA_SUCCESS,
    CUDA_ERROR_DEINITIALIZED,
    CUDA_ERROR_UNKNOWN,
    CU_JIT_ERROR_LOG_BUFFER,
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
    CU_JIT_OPTIMIZATION_LEVEL,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
    CU_STREAM_NON_BLOCKING,
    CU_EVENT_DISABLE_TIMING,
    CU_MEM_ATTACH_GLOBAL,
    sizeof(CUresult),
    sizeof(CUdevice),
    sizeof(CUdeviceptr),
};

TEST(GpuRuntimeCudaApiTest, EntryPointTypesMatchCudaH) {
  SUCCEED() << "checked at compile time against " AGN_CUDA_INCLUDE_DIR
               "/cuda.h";
}

TEST(GpuRuntimeCudaApiTest, ConstantsMatchCudaH) {
  ASSERT_EQ(AgnOwnCudaValueCount, int(std::size(CudaHValues)));
  for (int i = 0; i < AgnOwnCudaValueCount; ++i)
    EXPECT_EQ(AgnOwnCudaValues[i], CudaHValues[i]) << "entry " << i;
}

} // namespace
