//===- CudaApiValues.cpp - The values of the runtime's own declarations ---===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Compiled without cuda.h: CudaApiTest.cpp compares these with cuda.h's.
//
//===----------------------------------------------------------------------===//

#include "CudaApi.h"

/// In the order of CudaApiTest.cpp's list.
extern const long long AgnOwnCudaValues[] = {
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
extern const int AgnOwnCudaValueCount =
    sizeof(AgnOwnCudaValues) / sizeof(AgnOwnCudaValues[0]);
