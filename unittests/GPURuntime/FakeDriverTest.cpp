//===- FakeDriverTest.cpp - The GPU runtime against a fake driver ---------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// No GPU exists on the build machines, so the working path runs against
// FakeCuda.c, loaded through the real dlopen path (AGN_LIBCUDA): modules load
// on first use and once, kernels launch with their arguments, memory moves,
// every driver call has the context current, constants are copied once, and
// errors are sticky until cleared.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "agn-c/GpuRuntime.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <thread>
#include <vector>

using namespace agn::gpu::test;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Truly;

namespace {

char kImage[] = "FAKECUBIN image";
char kPtx[] = "// FAKEPTX\n.version 8.0\n.target sm_90\n";
char kBadPtx[] = ".version 8.0\n.target sm_90\nnot ptx\n";

/// Registered before main, as the global constructor of generated code does;
/// the gtest process and every child start with it.
void *const CtorModule = mgpuModuleLoad(kImage, sizeof(kImage));

::testing::Matcher<const std::string &> printedOnce(const std::string &part) {
  return Truly(
      [part](const std::string &text) { return occurrences(text, part) == 1; });
}

/// Every driver call of the runtime ran with its context pushed, and popped.
void expectBalancedContexts(const FakeCuda &fake) {
  CHILD_EXPECT(fake.contextDepth() == 0);
  CHILD_EXPECT(fake.counter("pushes") > 0);
  CHILD_EXPECT(fake.counter("pushes") == fake.counter("pops"));
}

//===----------------------------------------------------------------------===//
// The working path
//===----------------------------------------------------------------------===//

void runsAKernel() {
  FakeCuda fake;
  void *module = mgpuModuleLoad(kImage, sizeof(kImage));
  CHILD_EXPECT(module != nullptr);
  CHILD_EXPECT(fake.counter("init_calls") == 0);

  CHILD_EXPECT(agn_gpu_available() == 1);
  CHILD_EXPECT(agn_gpu_device_count() == 1);
  CHILD_EXPECT(std::strcmp(agn_gpu_unavailable_reason(), "") == 0);
  CHILD_EXPECT(fake.counter("init_calls") == 1);
  CHILD_EXPECT(fake.counter("module_loads") == 0);

  void *stream = mgpuStreamCreate();
  CHILD_EXPECT(stream != nullptr);
  CHILD_EXPECT(fake.counter("last_stream_flags") == 1); // non-blocking
  void *function = mgpuModuleGetFunction(module, "add_one");
  CHILD_EXPECT(function != nullptr);
  CHILD_EXPECT(fake.counter("module_loads") == 1);
  CHILD_EXPECT(mgpuModuleGetFunction(module, "add_one") == function);
  CHILD_EXPECT(fake.counter("module_loads") == 1);

  constexpr int64_t n = 64;
  float host[n];
  for (int64_t i = 0; i < n; ++i)
    host[i] = float(i);
  void *device = mgpuMemAlloc(sizeof(host), stream, false);
  CHILD_EXPECT(device != nullptr);
  mgpuMemcpy(device, host, sizeof(host), stream);
  int64_t count = n;
  void *params[] = {&device, &count};
  mgpuLaunchKernel(function, 2, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  CHILD_EXPECT(fake.counter("launches") == 1);
  CHILD_EXPECT(fake.counter("last_grid_x") == 2);
  CHILD_EXPECT(fake.counter("last_block_x") == 32);
  mgpuStreamSynchronize(stream);
  float result[n] = {};
  mgpuMemcpy(result, device, sizeof(result), stream);
  bool added = true;
  for (int64_t i = 0; i < n; ++i)
    added = added && result[i] == float(i) + 1;
  CHILD_EXPECT(added);

  void *event = mgpuEventCreate();
  CHILD_EXPECT(event != nullptr);
  CHILD_EXPECT(fake.counter("last_event_flags") == 2); // no timing
  mgpuEventRecord(event, stream);
  mgpuStreamWaitEvent(stream, event);
  mgpuEventSynchronize(event);
  CHILD_EXPECT(fake.counter("records") == 1);
  CHILD_EXPECT(fake.counter("waits") == 1);
  mgpuEventDestroy(event);

  mgpuMemset32(device, 0x3f800000u, n, stream); // 1.0f
  mgpuMemcpy(result, device, sizeof(result), stream);
  CHILD_EXPECT(result[0] == 1.0f && result[n - 1] == 1.0f);
  mgpuMemset16(device, 0xabcdu, 2 * n, stream);
  uint16_t halves[2 * n] = {};
  mgpuMemcpy(halves, device, sizeof(halves), stream);
  CHILD_EXPECT(halves[0] == 0xabcd && halves[2 * n - 1] == 0xabcd);

  void *shared = mgpuMemAlloc(16, stream, true);
  CHILD_EXPECT(shared != nullptr);
  CHILD_EXPECT(fake.counter("managed_allocations") == 1);
  CHILD_EXPECT(mgpuMemAlloc(0, stream, false) == nullptr);

  mgpuMemFree(shared, stream);
  mgpuMemFree(device, stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
  CHILD_EXPECT(fake.counter("module_unloads") == 1);
  CHILD_EXPECT(fake.counter("live_allocations") == 0);
  CHILD_EXPECT(fake.counter("live_streams") == 0);
  CHILD_EXPECT(fake.counter("live_events") == 0);
  expectBalancedContexts(fake);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  CHILD_EXPECT(std::strcmp(agn_gpu_last_error(), "") == 0);
}

TEST(GpuRuntimeFakeDriverTest, RunsAKernel) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, IsEmpty(), runsAKernel);
}

void constructorModuleLoadsOnFirstUse() {
  FakeCuda fake;
  CHILD_EXPECT(CtorModule != nullptr);
  CHILD_EXPECT(fake.counter("init_calls") == 0);
  CHILD_EXPECT(mgpuModuleGetFunction(CtorModule, "add_one") != nullptr);
  CHILD_EXPECT(fake.counter("module_loads") == 1);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
}

TEST(GpuRuntimeFakeDriverTest, ConstructorModuleLoadsOnFirstUse) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, IsEmpty(), constructorModuleLoadsOnFirstUse);
}

void unusedModuleLeavesTheDriverAlone() {
  void *module = mgpuModuleLoad(kImage, sizeof(kImage));
  mgpuModuleUnload(module);
  mgpuModuleUnload(nullptr);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  // The driver library was never opened.
  CHILD_EXPECT(::dlopen(AGN_FAKE_CUDA, RTLD_NOW | RTLD_NOLOAD) == nullptr);
}

TEST(GpuRuntimeFakeDriverTest, UnusedModuleLeavesTheDriverAlone) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, IsEmpty(), unusedModuleLeavesTheDriverAlone);
}

void compilesPtx() {
  FakeCuda fake;
  void *module = mgpuModuleLoadJIT(kPtx, 3);
  CHILD_EXPECT(mgpuModuleGetFunction(module, "add_one") != nullptr);
  CHILD_EXPECT(fake.counter("jit_loads") == 1);
  CHILD_EXPECT(fake.counter("last_opt_level") == 3);
  mgpuModuleUnload(module);
  // The driver takes levels 0 to 4.
  module = mgpuModuleLoadJIT(kPtx, 9);
  CHILD_EXPECT(mgpuModuleGetFunction(module, "add_one") != nullptr);
  CHILD_EXPECT(fake.counter("last_opt_level") == 4);
  CHILD_EXPECT(mgpuModuleGetFunction(module, "no_such_kernel") == nullptr);
  CHILD_EXPECT(agn_gpu_status() == 500);
  CHILD_EXPECT(contains(agn_gpu_last_error(),
                        "cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND "
                        "(500)"));
  CHILD_EXPECT(contains(agn_gpu_last_error(), "(kernel 'no_such_kernel')"));
  agn_gpu_clear_error();
  mgpuModuleUnload(module);

  // A failed compilation brings the JIT's log.
  void *bad = mgpuModuleLoadJIT(kBadPtx, 2);
  CHILD_EXPECT(mgpuModuleGetFunction(bad, "add_one") == nullptr);
  CHILD_EXPECT(agn_gpu_status() == 218);
  std::string message = agn_gpu_last_error();
  CHILD_EXPECT(contains(message, "cuModuleLoadDataEx (PTX JIT) failed: "
                                 "CUDA_ERROR_INVALID_PTX (218)"));
  CHILD_EXPECT(contains(message, "JIT log: ptxas fatal: fake syntax error"));
  mgpuModuleUnload(bad);
  expectBalancedContexts(fake);
}

TEST(GpuRuntimeFakeDriverTest, CompilesPtxOnFirstUse) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, HasSubstr("CUDA_ERROR_INVALID_PTX"),
                  compilesPtx);
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

void copiesConstantsOnce() {
  FakeCuda fake;
  static float weights[256];
  for (int i = 0; i < 256; ++i)
    weights[i] = float(i) / 8;
  void *first = agn_gpu_constant(weights, sizeof(weights));
  CHILD_EXPECT(first != nullptr);
  CHILD_EXPECT(std::memcmp(first, weights, sizeof(weights)) == 0);
  CHILD_EXPECT(agn_gpu_constant(weights, sizeof(weights)) == first);
  CHILD_EXPECT(fake.counter("htod_copies") == 1);
  // The size is part of the key.
  void *half = agn_gpu_constant(weights, sizeof(weights) / 2);
  CHILD_EXPECT(half != nullptr && half != first);
  CHILD_EXPECT(fake.counter("htod_copies") == 2);

  // Threads asking for the same weights share one copy.
  static float shared[64];
  std::vector<void *> seen(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&seen, t] {
      for (int i = 0; i < 100; ++i)
        seen[t] = agn_gpu_constant(shared, sizeof(shared));
    });
  for (std::thread &thread : threads)
    thread.join();
  for (void *copy : seen)
    CHILD_EXPECT(copy != nullptr && copy == seen[0]);
  CHILD_EXPECT(fake.counter("htod_copies") == 3);
  CHILD_EXPECT(fake.counter("live_allocations") == 3);

  agn_gpu_release_constants();
  CHILD_EXPECT(fake.counter("live_allocations") == 0);
  CHILD_EXPECT(agn_gpu_constant(weights, sizeof(weights)) != nullptr);
  CHILD_EXPECT(fake.counter("htod_copies") == 4);
  agn_gpu_release_constants();

  CHILD_EXPECT(agn_gpu_constant(weights, 0) == nullptr);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  CHILD_EXPECT(agn_gpu_constant(weights, -1) == nullptr);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_INVALID_ARGUMENT);
  expectBalancedContexts(fake);
}

TEST(GpuRuntimeFakeDriverTest, CopiesConstantsOnce) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, printedOnce("agn_gpu_constant: invalid"),
                  copiesConstantsOnce);
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

void errorsAreSticky() {
  FakeCuda fake;
  void *module = mgpuModuleLoad(kImage, sizeof(kImage));
  void *function = mgpuModuleGetFunction(module, "add_one");
  CHILD_EXPECT(function != nullptr);
  float data[4] = {0, 0, 0, 0};
  void *device = mgpuMemAlloc(sizeof(data), nullptr, false);
  int64_t count = 4;
  void *params[] = {&device, &count};

  fake.set("alloc_limit", 1 << 20);
  CHILD_EXPECT(mgpuMemAlloc(2 << 20, nullptr, false) == nullptr);
  CHILD_EXPECT(agn_gpu_status() == 2);
  std::string message = agn_gpu_last_error();
  CHILD_EXPECT(contains(message, "agn-gpu: cuMemAlloc_v2 failed: "
                                 "CUDA_ERROR_OUT_OF_MEMORY (2)"));
  // The driver's own description, when it gives one.
  CHILD_EXPECT(contains(message, "fake description of error 2"));
  CHILD_EXPECT(contains(message, "(2097152 bytes)"));

  // From now on no work happens, and the first error stays.
  mgpuLaunchKernel(function, 1, 1, 1, 4, 1, 1, 0, nullptr, params, nullptr, 2);
  mgpuMemcpy(device, data, sizeof(data), nullptr);
  mgpuLaunchKernel(nullptr, -1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  CHILD_EXPECT(mgpuStreamCreate() == nullptr);
  CHILD_EXPECT(mgpuModuleGetFunction(module, "add_one") == nullptr);
  CHILD_EXPECT(fake.counter("launches") == 0);
  CHILD_EXPECT(fake.counter("copies") == 0);
  CHILD_EXPECT(agn_gpu_status() == 2);
  CHILD_EXPECT(message == agn_gpu_last_error());
  // Releasing still works: a host that recovers does not leak.
  mgpuMemFree(device, nullptr);
  CHILD_EXPECT(fake.counter("live_allocations") == 0);

  // The host recovers, and work runs again.
  agn_gpu_clear_error();
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  CHILD_EXPECT(std::strcmp(agn_gpu_last_error(), "") == 0);
  device = mgpuMemAlloc(sizeof(data), nullptr, false);
  mgpuMemcpy(device, data, sizeof(data), nullptr);
  mgpuLaunchKernel(function, 1, 1, 1, 4, 1, 1, 0, nullptr, params, nullptr, 2);
  mgpuMemcpy(data, device, sizeof(data), nullptr);
  CHILD_EXPECT(fake.counter("launches") == 1);
  CHILD_EXPECT(data[0] == 1.0f && data[3] == 1.0f);
  mgpuMemFree(device, nullptr);
  mgpuModuleUnload(module);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  expectBalancedContexts(fake);
}

TEST(GpuRuntimeFakeDriverTest, ErrorsAreStickyUntilCleared) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, printedOnce("agn-gpu:"), errorsAreSticky);
}

void launchChecksItsArguments() {
  FakeCuda fake;
  void *module = mgpuModuleLoad(kImage, sizeof(kImage));
  void *function = mgpuModuleGetFunction(module, "add_one");
  float data[4] = {};
  void *device = data;
  int64_t count = 4;
  void *params[] = {&device, &count};

  mgpuLaunchKernel(function, -1, 1, 1, 4, 1, 1, 0, nullptr, params, nullptr, 2);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_INVALID_ARGUMENT);
  CHILD_EXPECT(contains(agn_gpu_last_error(), "launch dimension -1"));
  agn_gpu_clear_error();
  mgpuLaunchKernel(function, 1, 1, 1, int64_t(1) << 33, 1, 1, 0, nullptr,
                   params, nullptr, 2);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_INVALID_ARGUMENT);
  agn_gpu_clear_error();
  mgpuLaunchKernel(nullptr, 1, 1, 1, 4, 1, 1, 0, nullptr, params, nullptr, 2);
  CHILD_EXPECT(contains(agn_gpu_last_error(), "null kernel"));
  agn_gpu_clear_error();
  mgpuLaunchKernel(function, 1, 1, 1, 4, 1, 1, 1 << 20, nullptr, params,
                   nullptr, 2);
  CHILD_EXPECT(contains(agn_gpu_last_error(), "allows 0 to 232448"));
  agn_gpu_clear_error();
  CHILD_EXPECT(fake.counter("launches") == 0);

  // Dynamic shared memory raises the kernel's limit first.
  mgpuLaunchKernel(function, 1, 1, 1, 4, 1, 1, 96 * 1024, nullptr, params,
                   nullptr, 2);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  CHILD_EXPECT(fake.counter("smem_attribute") == 96 * 1024);
  CHILD_EXPECT(fake.counter("last_smem") == 96 * 1024);
  CHILD_EXPECT(fake.counter("launches") == 1);
  CHILD_EXPECT(data[0] == 1.0f);

  // A handle that is not a module is reported, not followed.
  int notAModule[8] = {};
  CHILD_EXPECT(mgpuModuleGetFunction(notAModule, "add_one") == nullptr);
  CHILD_EXPECT(contains(agn_gpu_last_error(), "not a module"));
  agn_gpu_clear_error();
  CHILD_EXPECT(mgpuModuleGetFunction(module, nullptr) == nullptr);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_INVALID_ARGUMENT);
  agn_gpu_clear_error();
  mgpuModuleUnload(module);
  expectBalancedContexts(fake);
}

TEST(GpuRuntimeFakeDriverTest, LaunchChecksItsArguments) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, HasSubstr("launch dimension -1"),
                  launchChecksItsArguments);
}

void registersMemrefs() {
  FakeCuda fake;
  static float data[64];
  // memref<3x4xf32, strided<[4, 1], offset: 2>>: 12 contiguous floats.
  struct {
    float *Allocated, *Aligned;
    int64_t Offset, Sizes[2], Strides[2];
  } dense = {data, data, 2, {3, 4}, {4, 1}};
  mgpuMemHostRegisterMemRef(2, &dense, sizeof(float));
  CHILD_EXPECT(fake.registeredPointer() == data + 2);
  CHILD_EXPECT(fake.counter("registered_bytes") == 12 * 4);
  mgpuMemHostUnregisterMemRef(2, &dense, sizeof(float));
  CHILD_EXPECT(fake.counter("unregistrations") == 1);

  // strided<[8, 2]>: the last element is 2 * 8 + 3 * 2 = 22 floats in.
  decltype(dense) strided = {data, data, 0, {3, 4}, {8, 2}};
  mgpuMemHostRegisterMemRef(2, &strided, sizeof(float));
  CHILD_EXPECT(fake.counter("registered_bytes") == 23 * 4);
  mgpuMemHostUnregisterMemRef(2, &strided, sizeof(float));
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);

  decltype(dense) malformed = {data, data, 0, {3, 4}, {-1, 1}};
  mgpuMemHostRegisterMemRef(2, &malformed, sizeof(float));
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_INVALID_ARGUMENT);
  CHILD_EXPECT(fake.counter("registrations") == 2);
  expectBalancedContexts(fake);
}

TEST(GpuRuntimeFakeDriverTest, RegistersMemrefs) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, printedOnce("malformed memref"),
                  registersMemrefs);
}

void missingEntryPointIsNamed() {
  CHILD_EXPECT(agn_gpu_available() == 0);
  std::string reason = agn_gpu_unavailable_reason();
  CHILD_EXPECT(contains(reason, "agn-gpu: CUDA driver not usable: "));
  CHILD_EXPECT(contains(reason, "lacks cuLaunchKernel"));
  CHILD_EXPECT(mgpuStreamCreate() == nullptr);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_NO_DRIVER);
}

TEST(GpuRuntimeFakeDriverTest, MissingEntryPointIsNamed) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA_NO_LAUNCH, printedOnce("lacks cuLaunchKernel"),
                  missingEntryPointIsNamed);
}

void initFailureIsReported() {
  FakeCuda fake;
  fake.set("init_result", 100);
  CHILD_EXPECT(agn_gpu_available() == 0);
  CHILD_EXPECT(contains(agn_gpu_unavailable_reason(),
                        "cuInit failed: CUDA_ERROR_NO_DEVICE (100)"));
  CHILD_EXPECT(mgpuEventCreate() == nullptr);
  CHILD_EXPECT(agn_gpu_status() == 100);
}

TEST(GpuRuntimeFakeDriverTest, InitFailureIsReported) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, printedOnce("CUDA_ERROR_NO_DEVICE"),
                  initFailureIsReported);
}

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

void environmentChoosesTheDevice() {
  FakeCuda fake;
  fake.set("devices", 2);
  ::setenv("AGN_GPU_DEVICE", "1", 1);
  CHILD_EXPECT(agn_gpu_available() == 1);
  CHILD_EXPECT(agn_gpu_device_count() == 2);
  CHILD_EXPECT(fake.counter("retained_device") == 1);
  // Naming the device in use again is fine; another one is not.
  mgpuSetDefaultDevice(1);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  mgpuSetDefaultDevice(0);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_INVALID_ARGUMENT);
  CHILD_EXPECT(contains(agn_gpu_last_error(), "already runs on device 1"));
}

TEST(GpuRuntimeFakeDriverTest, EnvironmentChoosesTheDevice) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, printedOnce("already runs on device 1"),
                  environmentChoosesTheDevice);
}

void programChoosesTheDevice() {
  FakeCuda fake;
  fake.set("devices", 3);
  ::setenv("AGN_GPU_DEVICE", "1", 1);
  mgpuSetDefaultDevice(2);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  CHILD_EXPECT(fake.counter("init_calls") == 0);
  CHILD_EXPECT(mgpuStreamCreate() != nullptr);
  CHILD_EXPECT(fake.counter("retained_device") == 2);
}

TEST(GpuRuntimeFakeDriverTest, ProgramChoosesTheDevice) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, IsEmpty(), programChoosesTheDevice);
}

void deviceOutOfRange() {
  FakeCuda fake;
  ::setenv("AGN_GPU_DEVICE", "7", 1);
  CHILD_EXPECT(agn_gpu_available() == 0);
  std::string reason = agn_gpu_unavailable_reason();
  CHILD_EXPECT(contains(reason, "device 7 requested (AGN_GPU_DEVICE)"));
  CHILD_EXPECT(contains(reason, "reports 1 device(s)"));
  CHILD_EXPECT(agn_gpu_device_count() == 1);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
}

TEST(GpuRuntimeFakeDriverTest, DeviceOutOfRange) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, IsEmpty(), deviceOutOfRange);
}

void deviceNotANumber() {
  ::setenv("AGN_GPU_DEVICE", "gpu1", 1);
  CHILD_EXPECT(agn_gpu_available() == 0);
  CHILD_EXPECT(contains(agn_gpu_unavailable_reason(),
                        "AGN_GPU_DEVICE='gpu1' is not a device index"));
}

TEST(GpuRuntimeFakeDriverTest, DeviceNotANumber) {
  EXPECT_SCENARIO(AGN_FAKE_CUDA, IsEmpty(), deviceNotANumber);
}

} // namespace
