//===- GpuMonitorTest.cpp - NVML loaded at run time -----------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// No GPU exists on the build machines, so the GPU path is tested three ways:
// the real dlopen of a library that is not there, the real dlopen of a fake
// NVML built with the tests (AGNFakeNvml), and injected loaders that fail the
// way a broken installation can.
//
//===----------------------------------------------------------------------===//

#include "GpuMonitor.h"
#include "TestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <dlfcn.h>

using namespace agn::rt;
using namespace agn::rt::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

TEST(GpuMonitorTest, AbsentLibraryMeansUnavailable) {
  DlopenLoader loader;
  GpuMonitor monitor(loader);
  GpuSample sample = monitor.sample("libagn-no-such-nvml.so.1", 0);
  EXPECT_FALSE(sample.Available);
  EXPECT_LT(sample.Utilization, 0);
  EXPECT_EQ(sample.MemoryTotalBytes, AGN_RT_UNLIMITED);
  EXPECT_THAT(sample.Note, StartsWith("NVML not loaded: "));
  EXPECT_THAT(sample.Note, HasSubstr("libagn-no-such-nvml.so.1"));
}

/// Opens the fake NVML a second time to steer it; dlopen returns the same
/// instance the monitor uses.
class FakeNvmlTest : public ::testing::Test {
protected:
  void SetUp() override {
    Handle = dlopen(AGN_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(Handle, nullptr) << dlerror();
    SetInitResult = reinterpret_cast<void (*)(int)>(
        dlsym(Handle, "fake_nvml_set_init_result"));
    ShutdownCalls =
        reinterpret_cast<int (*)()>(dlsym(Handle, "fake_nvml_shutdown_calls"));
    ASSERT_NE(SetInitResult, nullptr);
    ASSERT_NE(ShutdownCalls, nullptr);
    SetInitResult(0);
  }
  void TearDown() override {
    if (SetInitResult)
      SetInitResult(0);
    if (Handle)
      dlclose(Handle);
  }

  void *Handle = nullptr;
  void (*SetInitResult)(int) = nullptr;
  int (*ShutdownCalls)() = nullptr;
};

TEST_F(FakeNvmlTest, ReadsMemoryAndUtilisation) {
  DlopenLoader loader;
  GpuMonitor monitor(loader);
  GpuSample sample = monitor.sample(AGN_FAKE_NVML, 0);
  ASSERT_TRUE(sample.Available) << sample.Note;
  EXPECT_DOUBLE_EQ(sample.Utilization, 0.37);
  EXPECT_EQ(sample.MemoryTotalBytes, 80ull << 30);
  EXPECT_EQ(sample.MemoryUsedBytes, 10ull << 30);
  EXPECT_TRUE(sample.Note.empty());

  int before = ShutdownCalls();
  monitor.shutdown();
  EXPECT_EQ(ShutdownCalls(), before + 1);
}

TEST_F(FakeNvmlTest, UnknownDeviceIsUnavailableWithNvmlsMessage) {
  DlopenLoader loader;
  GpuMonitor monitor(loader);
  GpuSample sample = monitor.sample(AGN_FAKE_NVML, 3);
  EXPECT_FALSE(sample.Available);
  EXPECT_EQ(sample.Device, 3u);
  EXPECT_THAT(sample.Note, HasSubstr("nvmlDeviceGetHandleByIndex_v2(3)"));
  EXPECT_THAT(sample.Note, HasSubstr("NVML error 2 (Invalid Argument)"));
}

TEST_F(FakeNvmlTest, InitFailureIsRememberedUntilTheLibraryChanges) {
  SetInitResult(9);
  DlopenLoader loader;
  GpuMonitor monitor(loader);
  GpuSample first = monitor.sample(AGN_FAKE_NVML, 0);
  EXPECT_FALSE(first.Available);
  EXPECT_THAT(
      first.Note,
      HasSubstr("nvmlInit_v2 failed: NVML error 9 (Driver Not Loaded)"));
  // The driver comes up; the monitor does not retry on every tick.
  SetInitResult(0);
  EXPECT_FALSE(monitor.sample(AGN_FAKE_NVML, 0).Available);
  // A different library (here: none) and back starts over.
  monitor.sample("libagn-no-such-nvml.so.1", 0);
  EXPECT_TRUE(monitor.sample(AGN_FAKE_NVML, 0).Available);
}

//===----------------------------------------------------------------------===//
// Injected loaders
//===----------------------------------------------------------------------===//

int Opens = 0;
int Closes = 0;
int UtilizationResult = 0;

nvml::Return fakeInit() { return nvml::kSuccess; }
nvml::Return fakeShutdown() { return nvml::kSuccess; }
nvml::Return fakeHandle(unsigned, nvml::Device *device) {
  *device = reinterpret_cast<nvml::Device>(0x1);
  return nvml::kSuccess;
}
nvml::Return fakeMemory(nvml::Device, nvml::Memory *memory) {
  *memory = {1000, 400, 600};
  return nvml::kSuccess;
}
nvml::Return fakeUtilization(nvml::Device, nvml::Utilization *util) {
  *util = {55, 5};
  return static_cast<nvml::Return>(UtilizationResult);
}

/// Serves the functions above; \p Missing names one symbol to leave out.
class TableLoader final : public LibraryLoader {
public:
  explicit TableLoader(std::string missing = "")
      : Missing(std::move(missing)) {}
  void *open(const std::string &, std::string &) override {
    ++Opens;
    return this;
  }
  void *symbol(void *, const char *name) override {
    std::string symbol = name;
    if (symbol == Missing)
      return nullptr;
    if (symbol == "nvmlInit_v2")
      return reinterpret_cast<void *>(&fakeInit);
    if (symbol == "nvmlShutdown")
      return reinterpret_cast<void *>(&fakeShutdown);
    if (symbol == "nvmlDeviceGetHandleByIndex_v2")
      return reinterpret_cast<void *>(&fakeHandle);
    if (symbol == "nvmlDeviceGetMemoryInfo")
      return reinterpret_cast<void *>(&fakeMemory);
    if (symbol == "nvmlDeviceGetUtilizationRates")
      return reinterpret_cast<void *>(&fakeUtilization);
    return nullptr; // No nvmlErrorString: messages carry the code only.
  }
  void close(void *) override { ++Closes; }

private:
  std::string Missing;
};

TEST(GpuMonitorTest, MissingEntryPointMeansUnavailable) {
  Opens = Closes = 0;
  TableLoader loader("nvmlDeviceGetUtilizationRates");
  GpuMonitor monitor(loader);
  GpuSample sample = monitor.sample("libnvidia-ml.so.1", 0);
  EXPECT_FALSE(sample.Available);
  EXPECT_THAT(sample.Note, HasSubstr("lacks one of"));
  EXPECT_EQ(Closes, 1) << "a library that cannot be used is closed";
}

TEST(GpuMonitorTest, UtilisationNotSupportedStillReportsMemory) {
  Opens = Closes = 0;
  UtilizationResult = 3; // NVML_ERROR_NOT_SUPPORTED
  TableLoader loader;
  GpuMonitor monitor(loader);
  GpuSample sample = monitor.sample("libnvidia-ml.so.1", 0);
  UtilizationResult = 0;
  EXPECT_TRUE(sample.Available);
  EXPECT_LT(sample.Utilization, 0);
  EXPECT_EQ(sample.MemoryUsedBytes, 600u);
  EXPECT_THAT(sample.Note,
              HasSubstr("nvmlDeviceGetUtilizationRates failed: NVML error 3"));
}

TEST(GpuMonitorTest, OpensOnceAndClosesOnShutdown) {
  Opens = Closes = 0;
  TableLoader loader;
  {
    GpuMonitor monitor(loader);
    for (int i = 0; i < 5; ++i)
      EXPECT_DOUBLE_EQ(monitor.sample("libnvidia-ml.so.1", 0).Utilization,
                       0.55);
    EXPECT_EQ(Opens, 1);
    EXPECT_EQ(Closes, 0);
  }
  EXPECT_EQ(Closes, 1) << "the destructor shuts NVML down";
}

} // namespace
