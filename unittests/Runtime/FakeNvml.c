/*===- FakeNvml.c - A stand-in for libnvidia-ml.so ------------------------===*\
|*                                                                            *|
|* Part of the agn project.                                                   *|
|*                                                                            *|
|* Implements the NVML entry points the runtime resolves, with the real       *|
|* signatures, for one 80 GiB device at 37 % utilisation. Tests load it       *|
|* through the real dlopen path and steer it with fake_nvml_set_*.            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <stddef.h>

/* The types as nvml.h names them: the runtime calls these functions
   through pointers of exactly these types (UBSan checks it). */
typedef enum nvmlReturn_enum {
  NVML_SUCCESS = 0,
  NVML_ERROR_UNINITIALIZED = 1,
  NVML_ERROR_INVALID_ARGUMENT = 2,
  NVML_ERROR_NOT_SUPPORTED = 3,
  NVML_ERROR_DRIVER_NOT_LOADED = 9,
  NVML_ERROR_UNKNOWN = 999
} nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct nvmlMemory_st {
  unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct nvmlUtilization_st {
  unsigned int gpu, memory;
} nvmlUtilization_t;

static int InitResult = NVML_SUCCESS;
static int Initialized = 0;
static int InitCalls = 0;
static int ShutdownCalls = 0;
static struct nvmlDevice_st {
  int index;
} Device0 = {0};

__attribute__((visibility("default"))) void fake_nvml_set_init_result(int rc) {
  InitResult = rc;
}
__attribute__((visibility("default"))) int fake_nvml_init_calls(void) {
  return InitCalls;
}
__attribute__((visibility("default"))) int fake_nvml_shutdown_calls(void) {
  return ShutdownCalls;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlInit_v2(void) {
  ++InitCalls;
  if (InitResult != NVML_SUCCESS)
    return InitResult;
  Initialized = 1;
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t nvmlShutdown(void) {
  ++ShutdownCalls;
  Initialized = 0;
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) const char *
nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
  case NVML_SUCCESS:
    return "Success";
  case NVML_ERROR_UNINITIALIZED:
    return "Uninitialized";
  case NVML_ERROR_INVALID_ARGUMENT:
    return "Invalid Argument";
  case NVML_ERROR_NOT_SUPPORTED:
    return "Not Supported";
  case NVML_ERROR_DRIVER_NOT_LOADED:
    return "Driver Not Loaded";
  default:
    return "Unknown Error";
  }
}

__attribute__((visibility("default"))) nvmlReturn_t
nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  if (!Initialized)
    return NVML_ERROR_UNINITIALIZED;
  if (index != 0 || !device)
    return NVML_ERROR_INVALID_ARGUMENT;
  *device = &Device0;
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t
nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
  if (!Initialized)
    return NVML_ERROR_UNINITIALIZED;
  if (device != &Device0 || !memory)
    return NVML_ERROR_INVALID_ARGUMENT;
  memory->total = 80ull << 30;
  memory->used = 10ull << 30;
  memory->free = memory->total - memory->used;
  return NVML_SUCCESS;
}

__attribute__((visibility("default"))) nvmlReturn_t
nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                              nvmlUtilization_t *utilization) {
  if (!Initialized)
    return NVML_ERROR_UNINITIALIZED;
  if (device != &Device0 || !utilization)
    return NVML_ERROR_INVALID_ARGUMENT;
  utilization->gpu = 37;
  utilization->memory = 12;
  return NVML_SUCCESS;
}
