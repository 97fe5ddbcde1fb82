//===- CApi.cpp - Status and device queries of the GPU runtime ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The agn_gpu_* queries of agn-c/GpuRuntime.h. The device queries initialise
// the driver but leave the sticky status alone: a host asks them to choose
// between GPU and CPU code, and an absent GPU is an answer, not an error.
//
//===----------------------------------------------------------------------===//

#include "agn-c/GpuRuntime.h"

#include "Driver.h"
#include "Errors.h"

using namespace agn::gpu;

extern "C" {

int agn_gpu_status(void) { return errorCode(); }

const char *agn_gpu_last_error(void) {
  // A copy per thread: another thread may clear or set the error meanwhile.
  // A fixed buffer needs no TLS destructor.
  thread_local char message[4096];
  copyErrorMessage(message, sizeof(message));
  return message;
}

void agn_gpu_clear_error(void) {
  // Clearing cannot bring back a driver that failed to load: the next GPU
  // operation would record the same error again.
  if (!Driver::failed())
    clearError();
}

void agn_gpu_set_error_printing(int enabled) { setErrorPrinting(enabled != 0); }

int agn_gpu_available(void) {
  return guarded([] { return Driver::get().usable() ? 1 : 0; });
}

const char *agn_gpu_unavailable_reason(void) {
  const char *reason = guarded([] { return Driver::get().reason().c_str(); });
  return reason ? reason : "";
}

int agn_gpu_device_count(void) {
  return guarded([] { return Driver::get().deviceCount(); });
}

} // extern "C"
