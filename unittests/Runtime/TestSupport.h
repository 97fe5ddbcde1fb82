//===- TestSupport.h - Shared helpers of the runtime tests ------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// Fakes for what the runtime reads the world through (files, a clock, a
// library loader), fixture paths, and a strict JSON syntax checker for the
// telemetry tests.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_UNITTESTS_RUNTIME_TESTSUPPORT_H
#define AGN_UNITTESTS_RUNTIME_TESTSUPPORT_H

#include "Clock.h"
#include "FileReader.h"
#include "GpuMonitor.h"
#include "ResourceManager.h"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace agn::rt::test {

/// Absolute path of a file under unittests/Runtime/Inputs.
std::string inputPath(const std::string &relative);

/// Contents of a fixture; fails the test if it cannot be read.
std::string readInput(const std::string &relative);

/// Files served from memory, each either text or a read failure. Thread-safe
/// so that tests can change files while a monitor thread reads them.
class MapFileReader final : public FileReader {
public:
  void set(const std::string &path, std::string text);
  void fail(const std::string &path, ReadResult::Kind kind,
            const std::string &reason);
  void remove(const std::string &path);
  ReadResult read(const std::string &path) override;

private:
  std::mutex Mu;
  std::map<std::string, ReadResult> Files;
};

/// A clock the test advances by hand.
class ManualClock final : public Clock {
public:
  uint64_t nowNs() override { return Now.load(std::memory_order_relaxed); }
  void advance(uint64_t ns) { Now.fetch_add(ns, std::memory_order_relaxed); }

private:
  std::atomic<uint64_t> Now{1000000000};
};

/// A loader that finds no library: a machine without a GPU driver.
class AbsentLoader final : public LibraryLoader {
public:
  void *open(const std::string &name, std::string &error) override {
    error = name + ": cannot open shared object file: No such file or "
                   "directory";
    return nullptr;
  }
  void *symbol(void *, const char *) override { return nullptr; }
  void close(void *) override {}
};

/// A manager wired to in-memory files, a manual clock and no GPU, with the
/// monitor thread off: tests drive ticks themselves.
struct TestManager {
  MapFileReader Files;
  AbsentLoader Libraries;
  ManualClock Time;
  ResourceManager Manager{
      ResourceManager::Dependencies{&Files, &Libraries, &Time}};

  TestManager();
  ResourceManager *operator->() { return &Manager; }

  /// Registers \p name with weights of \p bytesPerBit * bit width at every
  /// level of \p levels, MACs 1000; fails the test on error.
  int64_t addUnit(const std::string &name, std::vector<int> levels,
                  double sensitivity, uint64_t bytesPerBit = 1000);
  /// Sets an option; fails the test on error.
  void set(const char *key, const char *value);
};

/// A sample in which every source is unknown except what the caller sets.
ResourceSample emptySample();

/// True if \p text is one syntactically valid JSON value (RFC 8259);
/// otherwise false with a reason and offset in \p error.
bool isValidJson(std::string_view text, std::string *error = nullptr);

/// The cost table {level, bytesPerBit * bits, macs} for \p levels.
std::vector<agn_level_cost> costTable(const std::vector<int> &levels,
                                      uint64_t bytesPerBit = 1000,
                                      uint64_t macs = 1000);

} // namespace agn::rt::test

#endif // AGN_UNITTESTS_RUNTIME_TESTSUPPORT_H
