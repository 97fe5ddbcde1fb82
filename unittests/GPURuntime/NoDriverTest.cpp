//===- NoDriverTest.cpp - The GPU runtime on a machine without a GPU ------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// What a CPU-only machine sees: no driver at all (AGN_LIBCUDA names a file
// that does not exist), or the CUDA toolkit's stub library, whose cuInit
// fails with CUDA_ERROR_STUB_LIBRARY. Binaries with embedded kernels must
// start silently, every mgpu* call must be a harmless no-op, and the status
// must say what is missing and how to fix it.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "agn-c/GpuRuntime.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>

using namespace agn::gpu::test;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Truly;

namespace {

const unsigned char kImage[] = "FAKECUBIN image";
const char kPtx[] = "// FAKEPTX\n.version 8.0\n";

/// Stderr with the first error printed exactly once.
::testing::Matcher<const std::string &> printedOnce(const std::string &part) {
  return Truly(
      [part](const std::string &text) { return occurrences(text, part) == 1; });
}

//===----------------------------------------------------------------------===//
// No driver
//===----------------------------------------------------------------------===//

// What the global constructor and destructor of a binary with embedded
// kernels do: register the images, set the device, unregister. None of it
// may touch the driver.
void moduleLoadIsLazy() {
  void *module =
      mgpuModuleLoad(const_cast<unsigned char *>(kImage), sizeof(kImage));
  void *jit = mgpuModuleLoadJIT(const_cast<char *>(kPtx), 2);
  CHILD_EXPECT(module != nullptr);
  CHILD_EXPECT(jit != nullptr);
  mgpuSetDefaultDevice(0);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  CHILD_EXPECT(std::strcmp(agn_gpu_last_error(), "") == 0);
  mgpuModuleUnload(module);
  mgpuModuleUnload(jit);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
}

TEST(GpuRuntimeNoDriverTest, ModuleLoadIsLazyAndSilent) {
  EXPECT_SCENARIO(kMissingDriver, IsEmpty(), moduleLoadIsLazy);
}

void availableIsAQuery() {
  CHILD_EXPECT(agn_gpu_available() == 0);
  std::string reason = agn_gpu_unavailable_reason();
  CHILD_EXPECT(contains(reason, "agn-gpu: CUDA driver not available"));
  CHILD_EXPECT(contains(reason, kMissingDriver));
  CHILD_EXPECT(contains(reason, "AGN_LIBCUDA"));
  CHILD_EXPECT(agn_gpu_device_count() == 0);
  // Asking is not failing: the status stays clear, and nothing is printed.
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
  CHILD_EXPECT(std::strcmp(agn_gpu_last_error(), "") == 0);
  // Asking twice gives the same answer.
  CHILD_EXPECT(agn_gpu_available() == 0);
  CHILD_EXPECT(reason == agn_gpu_unavailable_reason());
}

TEST(GpuRuntimeNoDriverTest, AvailableIsAQueryNotAnError) {
  EXPECT_SCENARIO(kMissingDriver, IsEmpty(), availableIsAQuery);
}

/// A handle no driver ever made: a call that reached the driver with it
/// would crash.
void *const kBogus = reinterpret_cast<void *>(uintptr_t(0x10));

void everyEntryPointIsSafe() {
  void *module =
      mgpuModuleLoad(const_cast<unsigned char *>(kImage), sizeof(kImage));
  CHILD_EXPECT(mgpuModuleGetFunction(module, "add_one") == nullptr);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_NO_DRIVER);

  mgpuLaunchKernel(kBogus, 1, 1, 1, 32, 1, 1, 0, kBogus, nullptr, nullptr, 0);
  CHILD_EXPECT(mgpuStreamCreate() == nullptr);
  mgpuStreamSynchronize(kBogus);
  mgpuStreamWaitEvent(kBogus, kBogus);
  mgpuStreamDestroy(kBogus);
  CHILD_EXPECT(mgpuEventCreate() == nullptr);
  mgpuEventRecord(kBogus, kBogus);
  mgpuEventSynchronize(kBogus);
  mgpuEventDestroy(kBogus);
  CHILD_EXPECT(mgpuMemAlloc(1024, nullptr, false) == nullptr);
  CHILD_EXPECT(mgpuMemAlloc(1024, nullptr, true) == nullptr);
  mgpuMemFree(kBogus, nullptr);

  // No copy and no memset happens, even between host buffers.
  float source[4] = {1, 2, 3, 4};
  float target[4] = {0, 0, 0, 0};
  mgpuMemcpy(target, source, sizeof(source), nullptr);
  mgpuMemset32(target, 0x3f800000u, 4, nullptr);
  mgpuMemset16(target, 0x3c00u, 8, nullptr);
  for (float value : target)
    CHILD_EXPECT(value == 0.0f);

  mgpuMemHostRegister(source, sizeof(source));
  mgpuMemHostUnregister(source);
  struct {
    float *Allocated, *Aligned;
    int64_t Offset, Size, Stride;
  } memref = {source, source, 0, 4, 1};
  mgpuMemHostRegisterMemRef(1, &memref, sizeof(float));
  mgpuMemHostUnregisterMemRef(1, &memref, sizeof(float));
  mgpuSetDefaultDevice(1);
  CHILD_EXPECT(agn_gpu_constant(source, sizeof(source)) == nullptr);
  agn_gpu_release_constants();
  mgpuModuleUnload(module);

  // The first error is kept, with the library and the fix.
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_NO_DRIVER);
  std::string message = agn_gpu_last_error();
  CHILD_EXPECT(contains(message, "agn-gpu: CUDA driver not available: "));
  CHILD_EXPECT(contains(message, kMissingDriver));
  CHILD_EXPECT(contains(message, "AGN_LIBCUDA"));
  CHILD_EXPECT(message == agn_gpu_unavailable_reason());
  CHILD_EXPECT(agn_gpu_available() == 0);
}

TEST(GpuRuntimeNoDriverTest, EveryEntryPointIsASafeNoOp) {
  EXPECT_SCENARIO(kMissingDriver,
                  AllOf(printedOnce("agn-gpu: CUDA driver not available"),
                        printedOnce("agn-gpu:")),
                  everyEntryPointIsSafe);
}

void clearKeepsAMissingDriver() {
  CHILD_EXPECT(mgpuStreamCreate() == nullptr);
  std::string before = agn_gpu_last_error();
  agn_gpu_clear_error();
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_ERR_NO_DRIVER);
  CHILD_EXPECT(before == agn_gpu_last_error());
  CHILD_EXPECT(mgpuMemAlloc(16, nullptr, false) == nullptr);
}

TEST(GpuRuntimeNoDriverTest, ClearingKeepsAMissingDriver) {
  EXPECT_SCENARIO(kMissingDriver, printedOnce("agn-gpu:"),
                  clearKeepsAMissingDriver);
}

// Without AGN_LIBCUDA the runtime opens libcuda.so.1 from the loader's path.
// On a machine with a driver there is nothing to check.
void defaultLibrary() {
  if (agn_gpu_available())
    return;
  std::string reason = agn_gpu_unavailable_reason();
  if (!contains(reason, "CUDA driver not available"))
    return; // A driver that loads but does not initialise.
  CHILD_EXPECT(contains(reason, "libcuda.so.1"));
  CHILD_EXPECT(contains(reason, "set AGN_LIBCUDA to the driver's path"));
}

TEST(GpuRuntimeNoDriverTest, DefaultLibraryIsLibcudaSo1) {
  EXPECT_SCENARIO(nullptr, IsEmpty(), defaultLibrary);
}

//===----------------------------------------------------------------------===//
// The toolkit's stub library
//===----------------------------------------------------------------------===//

bool stubExists() {
  struct stat info;
  return ::stat(AGN_CUDA_STUB, &info) == 0;
}

void stubIsReported() {
  CHILD_EXPECT(agn_gpu_available() == 0);
  CHILD_EXPECT(contains(agn_gpu_unavailable_reason(),
                        "cuInit failed: CUDA_ERROR_STUB_LIBRARY (34)"));
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);

  CHILD_EXPECT(mgpuStreamCreate() == nullptr);
  CHILD_EXPECT(agn_gpu_status() == 34);
  std::string message = agn_gpu_last_error();
  CHILD_EXPECT(contains(message, "agn-gpu: cuInit failed: "));
  CHILD_EXPECT(contains(message, "CUDA_ERROR_STUB_LIBRARY"));
  CHILD_EXPECT(contains(message, AGN_CUDA_STUB));
  agn_gpu_clear_error();
  CHILD_EXPECT(agn_gpu_status() == 34);
}

TEST(GpuRuntimeStubTest, StubLibraryIsReported) {
  if (!stubExists())
    GTEST_SKIP() << AGN_CUDA_STUB << " not found (no CUDA toolkit)";
  EXPECT_SCENARIO(AGN_CUDA_STUB, printedOnce("CUDA_ERROR_STUB_LIBRARY"),
                  stubIsReported);
}

void stubModuleLoadIsSilent() {
  void *module =
      mgpuModuleLoad(const_cast<unsigned char *>(kImage), sizeof(kImage));
  mgpuModuleUnload(module);
  CHILD_EXPECT(agn_gpu_status() == AGN_GPU_OK);
}

TEST(GpuRuntimeStubTest, ModuleLoadIsSilent) {
  if (!stubExists())
    GTEST_SKIP() << AGN_CUDA_STUB << " not found (no CUDA toolkit)";
  EXPECT_SCENARIO(AGN_CUDA_STUB, IsEmpty(), stubModuleLoadIsSilent);
}

} // namespace
