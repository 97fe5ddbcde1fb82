//===- LibraryTest.cpp - What libagn_gpu_runtime.so exports and needs -----===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The library must load where no driver is installed, so it may not need
// libcuda (readelf -d), and it must export the C API only, so that its C++
// internals cannot clash with a host's (nm -D). Both read the built library
// with the binutils CMake found.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "agn-c/GpuRuntime.h"

#include <cstdio>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace agn::gpu::test;

extern "C" int agn_gpu_c_header_check(void);

namespace {

/// The lines that \p command prints; fails the test if it cannot run.
std::vector<std::string> linesOf(const std::string &command) {
  std::vector<std::string> lines;
  FILE *pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    ADD_FAILURE() << "cannot run " << command;
    return lines;
  }
  char buffer[1024];
  while (std::fgets(buffer, sizeof(buffer), pipe)) {
    std::string line = buffer;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.pop_back();
    lines.push_back(line);
  }
  EXPECT_EQ(::pclose(pipe), 0) << command;
  return lines;
}

TEST(GpuRuntimeLibraryTest, DoesNotNeedTheDriver) {
  std::vector<std::string> needed;
  for (const std::string &line :
       linesOf(std::string(AGN_READELF) + " -d " + AGN_GPU_RUNTIME_LIBRARY))
    if (line.find("(NEEDED)") != std::string::npos)
      needed.push_back(line);
  ASSERT_FALSE(needed.empty()) << "no NEEDED entries read";
  for (const std::string &line : needed)
    EXPECT_EQ(line.find("libcuda"), std::string::npos) << line;
}

TEST(GpuRuntimeLibraryTest, ExportsTheCApiOnly) {
  std::set<std::string> exported;
  for (const std::string &line :
       linesOf(std::string(AGN_NM) + " -D --defined-only " +
               AGN_GPU_RUNTIME_LIBRARY)) {
    std::string name = line.substr(line.rfind(' ') + 1);
    static const std::regex linker("_init|_fini|_edata|_end|__bss_start");
    if (std::regex_match(name, linker))
      continue;
    EXPECT_TRUE(name.rfind("mgpu", 0) == 0 || name.rfind("agn_gpu_", 0) == 0)
        << "unexpected exported symbol: " << name;
    exported.insert(name);
  }
  const char *const api[] = {
      "agn_gpu_status",
      "agn_gpu_last_error",
      "agn_gpu_clear_error",
      "agn_gpu_set_error_printing",
      "agn_gpu_available",
      "agn_gpu_unavailable_reason",
      "agn_gpu_device_count",
      "agn_gpu_constant",
      "agn_gpu_release_constants",
      "agn_gpu_forget_constants",
      "mgpuModuleLoad",
      "mgpuModuleLoadJIT",
      "mgpuModuleUnload",
      "mgpuModuleGetFunction",
      "mgpuLaunchKernel",
      "mgpuStreamCreate",
      "mgpuStreamDestroy",
      "mgpuStreamSynchronize",
      "mgpuStreamWaitEvent",
      "mgpuEventCreate",
      "mgpuEventDestroy",
      "mgpuEventSynchronize",
      "mgpuEventRecord",
      "mgpuMemAlloc",
      "mgpuMemFree",
      "mgpuMemcpy",
      "mgpuMemset32",
      "mgpuMemset16",
      "mgpuMemHostRegister",
      "mgpuMemHostUnregister",
      "mgpuMemHostRegisterMemRef",
      "mgpuMemHostUnregisterMemRef",
      "mgpuSetDefaultDevice",
  };
  for (const char *name : api)
    EXPECT_EQ(exported.count(name), 1u) << "not exported: " << name;
  EXPECT_EQ(exported.size(), std::size(api));
}

void cHeaderWorksFromC() { CHILD_EXPECT(agn_gpu_c_header_check() == 0); }

TEST(GpuRuntimeLibraryTest, HeaderWorksFromC) {
  EXPECT_SCENARIO(kMissingDriver, ::testing::HasSubstr("CUDA driver"),
                  cHeaderWorksFromC);
}

} // namespace
