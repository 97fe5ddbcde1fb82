//===- TestSupport.h - Helpers of the GPU runtime tests ---------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The runtime loads the driver once per process and keeps its first error for
// the life of the process, so every scenario runs in a child process of its
// own: a gtest death test whose child runs the scenario and exits 0 when all
// its checks held. The gtest process itself never calls into the runtime
// beyond mgpuModuleLoad, which does not load the driver.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_UNITTESTS_GPURUNTIME_TESTSUPPORT_H
#define AGN_UNITTESTS_GPURUNTIME_TESTSUPPORT_H

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>

namespace agn::gpu::test {

/// A driver path that does not exist.
inline constexpr const char *kMissingDriver =
    "/nonexistent/agn-gpu-test/libcuda.so.1";

/// Records a failed check of a child scenario on stderr.
void childCheck(bool ok, const char *what, const char *file, int line);

/// Runs \p scenario in this process, the child of a death test, with
/// AGN_LIBCUDA set to \p driver, then exits 0 if every CHILD_EXPECT held and
/// 1 otherwise (the failures are on stderr, which gtest shows).
[[noreturn]] void runChild(const char *driver, void (*scenario)());

/// Whether \p text contains \p part.
inline bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// How often \p part occurs in \p text.
int occurrences(const std::string &text, const std::string &part);

/// The fake driver (FakeCuda.c) at \p path, opened a second time: dlopen
/// returns the instance the runtime uses, or loads it first.
class FakeCuda {
public:
  explicit FakeCuda(const char *path = AGN_FAKE_CUDA);
  long counter(const char *name) const;
  void set(const char *name, long value) const;
  int contextDepth() const;
  void *registeredPointer() const;

private:
  void *Handle = nullptr;
};

} // namespace agn::gpu::test

/// A check inside a child scenario (gtest's EXPECT_* cannot report from
/// there).
#define CHILD_EXPECT(condition)                                                \
  ::agn::gpu::test::childCheck(static_cast<bool>(condition), #condition,       \
                               __FILE__, __LINE__)

/// Runs \p scenario in a child process with AGN_LIBCUDA=\p driver and expects
/// it to pass, with its stderr matching \p stderrMatcher.
#define EXPECT_SCENARIO(driver, stderrMatcher, scenario)                       \
  EXPECT_EXIT(::agn::gpu::test::runChild(driver, scenario),                    \
              ::testing::ExitedWithCode(0),                                    \
              ::testing::Matcher<const std::string &>(stderrMatcher))

#endif // AGN_UNITTESTS_GPURUNTIME_TESTSUPPORT_H
