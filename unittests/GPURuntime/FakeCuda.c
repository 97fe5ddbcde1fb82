/*===- FakeCuda.c - A stand-in for libcuda.so.1 ---------------------------===*\
|*                                                                            *|
|* Part of the agn project.                                                   *|
|*                                                                            *|
|* Implements the driver entry points the GPU runtime resolves, with the      *|
|* real names and signatures, on the host: device memory is host memory, and  *|
|* the one kernel, add_one, runs on the CPU. Like the real driver it refuses  *|
|* work while no context is current, so a runtime call that forgets its       *|
|* ScopedContext fails. Tests load it through the real dlopen path            *|
|* (AGN_LIBCUDA) and steer and read it with fake_cuda_set, fake_cuda_counter  *|
|* and fake_cuda_context_depth.                                               *|
|*                                                                            *|
|* Built twice: AGNFakeCudaNoLaunch defines FAKE_CUDA_WITHOUT_LAUNCH and      *|
|* lacks cuLaunchKernel, as a broken driver would.                            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* The types as cuda.h names them: the runtime calls these functions through
   pointers of exactly these types (UBSan checks it). */
typedef enum cudaError_enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED = 713,
  CUDA_ERROR_UNKNOWN = 999
} CUresult;
typedef enum CUjit_option_enum {
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_OPTIMIZATION_LEVEL = 7
} CUjit_option;
typedef enum CUdevice_attribute_enum {
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97
} CUdevice_attribute;
typedef enum CUfunction_attribute_enum {
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8
} CUfunction_attribute;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st {
  int Device;
} *CUcontext;
typedef struct CUmod_st {
  int Jit;
} *CUmodule;
typedef struct CUfunc_st {
  int Kind;
} *CUfunction;
typedef struct CUstream_st {
  unsigned Flags;
} *CUstream;
typedef struct CUevent_st {
  int Recorded;
} *CUevent;

/* The opt-in shared memory limit of an H100 (227 KiB). */
#define FAKE_MAX_SHARED_MEMORY 232448

/*===----------------------------------------------------------------------===*\
|* State and counters                                                         *|
\*===----------------------------------------------------------------------===*/

enum {
  InitCalls,
  InitResult,
  Devices,
  AllocLimit,
  DeviceGetOrdinal,
  RetainedDevice,
  Pushes,
  Pops,
  ModuleLoads,
  JitLoads,
  LastOptLevel,
  ModuleUnloads,
  Launches,
  LastGridX,
  LastBlockX,
  LastSmem,
  SmemAttribute,
  LiveStreams,
  LastStreamFlags,
  Synchronizes,
  LiveEvents,
  LastEventFlags,
  Records,
  Waits,
  LiveAllocations,
  ManagedAllocations,
  Copies,
  HtoDCopies,
  Memsets,
  Registrations,
  Unregistrations,
  RegisteredBytes,
  NumCounters
};

static const char *const CounterNames[NumCounters] = {"init_calls",
                                                      "init_result",
                                                      "devices",
                                                      "alloc_limit",
                                                      "device_get_ordinal",
                                                      "retained_device",
                                                      "pushes",
                                                      "pops",
                                                      "module_loads",
                                                      "jit_loads",
                                                      "last_opt_level",
                                                      "module_unloads",
                                                      "launches",
                                                      "last_grid_x",
                                                      "last_block_x",
                                                      "last_smem",
                                                      "smem_attribute",
                                                      "live_streams",
                                                      "last_stream_flags",
                                                      "synchronizes",
                                                      "live_events",
                                                      "last_event_flags",
                                                      "records",
                                                      "waits",
                                                      "live_allocations",
                                                      "managed_allocations",
                                                      "copies",
                                                      "htod_copies",
                                                      "memsets",
                                                      "registrations",
                                                      "unregistrations",
                                                      "registered_bytes"};

static long Counters[NumCounters] = {[Devices] = 1,
                                     [AllocLimit] = 1L << 40,
                                     [DeviceGetOrdinal] = -1,
                                     [RetainedDevice] = -1};
static void *RegisteredPointer;
static int Initialized;
static struct CUctx_st Contexts[8];
static struct CUfunc_st AddOne = {1};

/* The context stack of each thread, as the driver keeps it. */
static _Thread_local CUcontext Stack[16];
static _Thread_local int Depth;

static void add(int counter, long delta) {
  __atomic_fetch_add(&Counters[counter], delta, __ATOMIC_SEQ_CST);
}

static void set(int counter, long value) {
  __atomic_store_n(&Counters[counter], value, __ATOMIC_SEQ_CST);
}

static long get(int counter) {
  return __atomic_load_n(&Counters[counter], __ATOMIC_SEQ_CST);
}

static int findCounter(const char *name) {
  for (int i = 0; i < NumCounters; ++i)
    if (strcmp(CounterNames[i], name) == 0)
      return i;
  return -1;
}

EXPORT long fake_cuda_counter(const char *name) {
  int counter = findCounter(name);
  return counter < 0 ? -999 : get(counter);
}

EXPORT void fake_cuda_set(const char *name, long value) {
  int counter = findCounter(name);
  if (counter >= 0)
    set(counter, value);
}

EXPORT int fake_cuda_context_depth(void) { return Depth; }

EXPORT void *fake_cuda_registered_pointer(void) { return RegisteredPointer; }

/* Work needs an initialised driver and a current context. */
static CUresult ready(void) {
  if (!Initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  return Depth > 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

/*===----------------------------------------------------------------------===*\
|* Initialisation, devices and contexts                                       *|
\*===----------------------------------------------------------------------===*/

EXPORT CUresult cuInit(unsigned int flags) {
  add(InitCalls, 1);
  if (flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  if (get(InitResult) != 0)
    return (CUresult)get(InitResult);
  Initialized = 1;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuGetErrorString(CUresult error, const char **text) {
  static char buffer[64];
  if (!text)
    return CUDA_ERROR_INVALID_VALUE;
  strcpy(buffer, "fake description of error ");
  char digits[16];
  int n = 0;
  unsigned value = (unsigned)error;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  size_t length = strlen(buffer);
  while (n > 0)
    buffer[length++] = digits[--n];
  buffer[length] = '\0';
  *text = buffer;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetCount(int *count) {
  if (!Initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  *count = (int)get(Devices);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  if (!Initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  if (ordinal < 0 || ordinal >= get(Devices) || ordinal >= 8)
    return CUDA_ERROR_INVALID_DEVICE;
  set(DeviceGetOrdinal, ordinal);
  *device = ordinal;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attribute,
                                     CUdevice device) {
  if (!Initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  if (device < 0 || device >= get(Devices))
    return CUDA_ERROR_INVALID_DEVICE;
  if (attribute != CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
    return CUDA_ERROR_INVALID_VALUE;
  *value = FAKE_MAX_SHARED_MEMORY;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device) {
  if (!Initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  if (device < 0 || device >= get(Devices) || device >= 8)
    return CUDA_ERROR_INVALID_DEVICE;
  Contexts[device].Device = device;
  set(RetainedDevice, device);
  *context = &Contexts[device];
  return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxPushCurrent_v2(CUcontext context) {
  if (!Initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  if (!context || Depth == 16)
    return CUDA_ERROR_INVALID_CONTEXT;
  Stack[Depth++] = context;
  add(Pushes, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxPopCurrent_v2(CUcontext *context) {
  if (!Initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  if (Depth == 0)
    return CUDA_ERROR_INVALID_CONTEXT;
  CUcontext top = Stack[--Depth];
  if (context)
    *context = top;
  add(Pops, 1);
  return CUDA_SUCCESS;
}

/*===----------------------------------------------------------------------===*\
|* Modules and launches                                                       *|
\*===----------------------------------------------------------------------===*/

EXPORT CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!image || memcmp(image, "FAKECUBIN", 9) != 0)
    return CUDA_ERROR_INVALID_IMAGE;
  *module = calloc(1, sizeof(struct CUmod_st));
  add(ModuleLoads, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleLoadDataEx(CUmodule *module, const void *image,
                                   unsigned int numOptions,
                                   CUjit_option *options, void **values) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  char *log = NULL;
  size_t logSize = 0;
  for (unsigned i = 0; i < numOptions; ++i) {
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
      log = values[i];
    else if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
      logSize = (size_t)(uintptr_t)values[i];
    else if (options[i] == CU_JIT_OPTIMIZATION_LEVEL)
      set(LastOptLevel, (long)(uintptr_t)values[i]);
  }
  if (!image || strncmp(image, "// FAKEPTX", 10) != 0) {
    static const char message[] = "ptxas fatal: fake syntax error";
    if (log && logSize > 0) {
      strncpy(log, message, logSize - 1);
      log[logSize - 1] = '\0';
    }
    return CUDA_ERROR_INVALID_PTX;
  }
  *module = calloc(1, sizeof(struct CUmod_st));
  (*module)->Jit = 1;
  add(ModuleLoads, 1);
  add(JitLoads, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleUnload(CUmodule module) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!module)
    return CUDA_ERROR_INVALID_HANDLE;
  free(module);
  add(ModuleUnloads, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                                    const char *name) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!module)
    return CUDA_ERROR_INVALID_HANDLE;
  if (strcmp(name, "add_one") != 0)
    return CUDA_ERROR_NOT_FOUND;
  *function = &AddOne;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuFuncSetAttribute(CUfunction function,
                                   CUfunction_attribute attribute, int value) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (function != &AddOne)
    return CUDA_ERROR_INVALID_HANDLE;
  if (attribute != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES ||
      value > FAKE_MAX_SHARED_MEMORY)
    return CUDA_ERROR_INVALID_VALUE;
  set(SmemAttribute, value);
  return CUDA_SUCCESS;
}

#ifndef FAKE_CUDA_WITHOUT_LAUNCH
/* add_one(float *data, int64_t n): data[i] += 1 for every thread i < n. */
EXPORT CUresult cuLaunchKernel(CUfunction function, unsigned int gridX,
                               unsigned int gridY, unsigned int gridZ,
                               unsigned int blockX, unsigned int blockY,
                               unsigned int blockZ, unsigned int smem,
                               CUstream stream, void **params, void **extra) {
  (void)stream;
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (function != &AddOne)
    return CUDA_ERROR_INVALID_HANDLE;
  if (!params || extra || gridX == 0 || gridY == 0 || gridZ == 0 ||
      blockX == 0 || blockY == 0 || blockZ == 0)
    return CUDA_ERROR_INVALID_VALUE;
  if (smem > 48 * 1024 && smem > (unsigned)get(SmemAttribute))
    return CUDA_ERROR_INVALID_VALUE;
  float *data = *(float **)params[0];
  int64_t n = *(int64_t *)params[1];
  uint64_t threads = (uint64_t)gridX * gridY * gridZ * blockX * blockY * blockZ;
  for (uint64_t i = 0; i < threads && (int64_t)i < n; ++i)
    data[i] += 1.0f;
  add(Launches, 1);
  set(LastGridX, gridX);
  set(LastBlockX, blockX);
  set(LastSmem, smem);
  return CUDA_SUCCESS;
}
#endif

/*===----------------------------------------------------------------------===*\
|* Streams and events                                                         *|
\*===----------------------------------------------------------------------===*/

EXPORT CUresult cuStreamCreate(CUstream *stream, unsigned int flags) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  *stream = calloc(1, sizeof(struct CUstream_st));
  (*stream)->Flags = flags;
  set(LastStreamFlags, flags);
  add(LiveStreams, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamDestroy_v2(CUstream stream) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  free(stream);
  add(LiveStreams, -1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamSynchronize(CUstream stream) {
  (void)stream;
  CUresult result = ready();
  if (result == CUDA_SUCCESS)
    add(Synchronizes, 1);
  return result;
}

EXPORT CUresult cuStreamWaitEvent(CUstream stream, CUevent event,
                                  unsigned int flags) {
  (void)stream;
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!event || flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  add(Waits, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuEventCreate(CUevent *event, unsigned int flags) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  *event = calloc(1, sizeof(struct CUevent_st));
  set(LastEventFlags, flags);
  add(LiveEvents, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuEventDestroy_v2(CUevent event) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!event)
    return CUDA_ERROR_INVALID_HANDLE;
  free(event);
  add(LiveEvents, -1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuEventSynchronize(CUevent event) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!event)
    return CUDA_ERROR_INVALID_HANDLE;
  add(Synchronizes, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuEventRecord(CUevent event, CUstream stream) {
  (void)stream;
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!event)
    return CUDA_ERROR_INVALID_HANDLE;
  event->Recorded = 1;
  add(Records, 1);
  return CUDA_SUCCESS;
}

/*===----------------------------------------------------------------------===*\
|* Memory                                                                     *|
\*===----------------------------------------------------------------------===*/

/* Device memory is host memory behind a header that marks it as ours. */
#define FAKE_MAGIC 0x66616b65637564aULL
typedef struct {
  unsigned long long Magic;
  size_t Bytes;
} Header;

static CUresult allocate(CUdeviceptr *ptr, size_t bytes) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!ptr || bytes == 0)
    return CUDA_ERROR_INVALID_VALUE;
  if ((long)bytes > get(AllocLimit))
    return CUDA_ERROR_OUT_OF_MEMORY;
  Header *header = malloc(sizeof(Header) + bytes);
  if (!header)
    return CUDA_ERROR_OUT_OF_MEMORY;
  header->Magic = FAKE_MAGIC;
  header->Bytes = bytes;
  *ptr = (CUdeviceptr)(uintptr_t)(header + 1);
  add(LiveAllocations, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
  return allocate(ptr, bytes);
}

EXPORT CUresult cuMemAllocManaged(CUdeviceptr *ptr, size_t bytes,
                                  unsigned int flags) {
  if (flags != 1 /* CU_MEM_ATTACH_GLOBAL */)
    return CUDA_ERROR_INVALID_VALUE;
  CUresult result = allocate(ptr, bytes);
  if (result == CUDA_SUCCESS)
    add(ManagedAllocations, 1);
  return result;
}

EXPORT CUresult cuMemFree_v2(CUdeviceptr ptr) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!ptr)
    return CUDA_ERROR_INVALID_VALUE;
  Header *header = (Header *)(uintptr_t)ptr - 1;
  if (header->Magic != FAKE_MAGIC)
    return CUDA_ERROR_INVALID_VALUE;
  header->Magic = 0;
  free(header);
  add(LiveAllocations, -1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                              CUstream stream) {
  (void)stream;
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
  add(Copies, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src,
                                size_t bytes) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  memcpy((void *)(uintptr_t)dst, src, bytes);
  add(HtoDCopies, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value,
                                 size_t count, CUstream stream) {
  (void)stream;
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  unsigned int *words = (unsigned int *)(uintptr_t)dst;
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  add(Memsets, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value,
                                 size_t count, CUstream stream) {
  (void)stream;
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  unsigned short *words = (unsigned short *)(uintptr_t)dst;
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  add(Memsets, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemHostRegister_v2(void *ptr, size_t bytes,
                                     unsigned int flags) {
  (void)flags;
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!ptr || bytes == 0)
    return CUDA_ERROR_INVALID_VALUE;
  RegisteredPointer = ptr;
  set(RegisteredBytes, (long)bytes);
  add(Registrations, 1);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemHostUnregister(void *ptr) {
  CUresult result = ready();
  if (result != CUDA_SUCCESS)
    return result;
  if (!ptr || ptr != RegisteredPointer)
    return CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
  RegisteredPointer = NULL;
  add(Unregistrations, 1);
  return CUDA_SUCCESS;
}
