//===- Errors.cpp - The sticky error of the GPU runtime -------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Errors.h"

#include "Driver.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace agn::gpu {

namespace {

//===----------------------------------------------------------------------===//
// The sticky error
//===----------------------------------------------------------------------===//

// Constant-initialised and trivially destructible: generated code calls the
// runtime from global constructors and destructors, before and after any
// dynamic initialisation of this library.
std::atomic<int> Code{0};
std::mutex Mutex;
char Message[4096];

//===----------------------------------------------------------------------===//
// CUresult names
//===----------------------------------------------------------------------===//

struct ErrorEntry {
  int Code;
  const char *Name;
  const char *Text;
};

/// The codes a runtime meets in practice, with cuda.h's names (CUDA 13).
constexpr ErrorEntry ErrorTable[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {34, "CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"},
    {36, "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER",
     "the API call requires a newer CUDA driver"},
    {46, "CUDA_ERROR_DEVICE_UNAVAILABLE",
     "CUDA-capable device(s) busy or unavailable"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU",
     "no kernel image is available for execution on the device"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {221, "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
     "PTX JIT compiler library not found"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
     "the provided PTX was compiled with an unsupported toolchain"},
    {223, "CUDA_ERROR_JIT_COMPILATION_DISABLED",
     "PTX JIT compilation disabled"},
    {300, "CUDA_ERROR_INVALID_SOURCE", "device kernel image is invalid"},
    {301, "CUDA_ERROR_FILE_NOT_FOUND", "file not found"},
    {304, "CUDA_ERROR_OPERATING_SYSTEM", "OS call failed"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {401, "CUDA_ERROR_ILLEGAL_STATE", "the operation is not permitted"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS",
     "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
     "too many resources requested for launch"},
    {702, "CUDA_ERROR_LAUNCH_TIMEOUT",
     "the launch timed out and was terminated"},
    {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"},
    {710, "CUDA_ERROR_ASSERT", "device-side assert triggered"},
    {712, "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED",
     "part or all of the requested memory range is already mapped"},
    {713, "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED",
     "pointer does not correspond to a registered memory region"},
    {714, "CUDA_ERROR_HARDWARE_STACK_ERROR", "hardware stack error"},
    {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION",
     "an illegal instruction was encountered"},
    {716, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {717, "CUDA_ERROR_INVALID_ADDRESS_SPACE",
     "operation not supported on global/shared address space"},
    {718, "CUDA_ERROR_INVALID_PC", "invalid program counter"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {800, "CUDA_ERROR_NOT_PERMITTED", "operation not permitted"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {802, "CUDA_ERROR_SYSTEM_NOT_READY", "system not yet initialized"},
    {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
     "system has unsupported display driver / cuda driver combination"},
    {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
     "forward compatibility was attempted on non supported HW"},
    {909, "CUDA_ERROR_TIMEOUT", "wait operation timed out"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ErrorEntry *findError(int code) {
  for (const ErrorEntry &entry : ErrorTable)
    if (entry.Code == code)
      return &entry;
  return nullptr;
}

} // namespace

/// Whether the first error is also printed (hosts that report the status
/// themselves turn it off).
static std::atomic<bool> PrintErrors{true};

void setError(int code, const char *message) {
  std::lock_guard<std::mutex> lock(Mutex);
  if (Code.load(std::memory_order_relaxed) != 0)
    return;
  std::snprintf(Message, sizeof(Message), "%s", message);
  Code.store(code, std::memory_order_release);
  if (PrintErrors.load(std::memory_order_relaxed))
    std::fprintf(stderr, "%s\n", Message);
}

void setErrorPrinting(bool enabled) {
  PrintErrors.store(enabled, std::memory_order_relaxed);
}

int errorCode() { return Code.load(std::memory_order_acquire); }

void copyErrorMessage(char *buffer, std::size_t size) {
  std::lock_guard<std::mutex> lock(Mutex);
  std::snprintf(buffer, size, "%s",
                Code.load(std::memory_order_relaxed) ? Message : "");
}

void clearError() {
  std::lock_guard<std::mutex> lock(Mutex);
  Message[0] = '\0';
  Code.store(0, std::memory_order_release);
}

bool check(const Driver &driver, CUresult result, const char *what,
           const std::string &detail) {
  if (result == CUDA_SUCCESS)
    return true;
  std::string message =
      std::string("agn-gpu: ") + what + " failed: " + driver.describe(result);
  if (!detail.empty())
    message += " " + detail;
  setError(static_cast<int>(result), message.c_str());
  return false;
}

const char *cudaErrorName(int code) {
  const ErrorEntry *entry = findError(code);
  return entry ? entry->Name : nullptr;
}

const char *cudaErrorText(int code) {
  const ErrorEntry *entry = findError(code);
  return entry ? entry->Text : nullptr;
}

} // namespace agn::gpu
