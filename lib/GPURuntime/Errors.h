//===- Errors.h - The sticky error of the GPU runtime -----------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Generated host code calls the mgpu* functions without looking at a result,
// so a failure cannot be returned: the first one is kept, process-wide, as a
// status code and a message that agn_gpu_status() and agn_gpu_last_error()
// report, and it turns the GPU work that follows into no-ops (see
// agn-c/GpuRuntime.h). It is also printed to stderr once, for programs that
// never ask (mlir-runner, a plain AOT binary).
//
// Also the table of CUresult names: the driver's own cuGetErrorName does not
// answer in every library (the toolkit's stub returns nothing), and a message
// should name the error either way.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_GPURUNTIME_ERRORS_H
#define AGN_LIB_GPURUNTIME_ERRORS_H

#include "CudaApi.h"
#include "agn-c/GpuRuntime.h"

#include <string>
#include <type_traits>

namespace agn::gpu {

class Driver;

/// Records \p code and \p message as the sticky error unless one is recorded
/// already (the first error is the cause, later ones are consequences), and
/// prints it to stderr when it is the first. \p message starts with
/// "agn-gpu: ". Allocates nothing, so it may report a failed allocation.
void setError(int code, const char *message);

/// The sticky status code (0 when none).
int errorCode();

/// Sets whether setError() prints the first error to stderr (default: on).
void setErrorPrinting(bool enabled);

/// Copies the sticky message into \p buffer of \p size bytes ("" when none).
void copyErrorMessage(char *buffer, std::size_t size);

/// Clears the sticky error, whatever it is; the caller decides whether it
/// may (agn_gpu_clear_error keeps a missing driver).
void clearError();

/// Records a failed driver call: "agn-gpu: <what> failed: NAME (code): text",
/// followed by \p detail when not empty. Returns whether \p result is
/// CUDA_SUCCESS, so that calls read `if (!check(...)) return nullptr;`.
bool check(const Driver &driver, CUresult result, const char *what,
           const std::string &detail = {});

/// cuda.h's name of \p code ("CUDA_ERROR_OUT_OF_MEMORY"), or null when the
/// runtime's table does not know it.
const char *cudaErrorName(int code);

/// A short description of \p code, or null when the table does not know it.
const char *cudaErrorText(int code);

/// Runs \p body, the whole of an exported function: no C++ exception may
/// reach generated code or a C host. The only one the runtime can meet is
/// std::bad_alloc, recorded as AGN_GPU_ERR_INTERNAL; a function with a result
/// then returns its zero value (null).
template <typename Body>
auto guarded(Body &&body) noexcept -> decltype(body()) {
  try {
    return body();
  } catch (...) {
    setError(AGN_GPU_ERR_INTERNAL, "agn-gpu: out of host memory");
    if constexpr (!std::is_void_v<decltype(body())>)
      return {};
  }
}

} // namespace agn::gpu

#endif // AGN_LIB_GPURUNTIME_ERRORS_H
