//===- CApiTest.cpp - The C interface and the process-wide runtime --------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// These tests share the process-wide runtime (TestSupport.cpp points it at
// fixtures before the first test), so each uses its own unit names.
//
//===----------------------------------------------------------------------===//

#include "agn-c/Runtime.h"

#include "TestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>
#include <dlfcn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace agn::rt::test;
using ::testing::HasSubstr;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
/// LeakSanitizer's suppressions for this binary (scripts/sanitize.sh). One:
/// AFreshSharedLibraryInitialisesOnFirstArbitrate dlcloses a second copy of
/// the runtime after initialising it. The runtime's process-wide state (the
/// resource manager, the buffer cache) is immortal by design, because
/// generated code may call into it during exit after static destructors ran;
/// once its library is unmapped, what it pointed to is unreachable. agn's
/// hosts (the JIT, Python, AOT binaries) never unload the runtime, so only
/// this test sees it.
extern "C" const char *__lsan_default_suppressions() {
  return "leak:CApiTest_AFreshSharedLibraryInitialisesOnFirstArbitrate_Test\n";
}
#endif
#endif

namespace {

int64_t registerUnit(const std::string &name, const std::vector<int> &levels,
                     double sensitivity = 1.0) {
  std::vector<agn_level_cost> table = costTable(levels);
  return agn_rt_register_unit(name.c_str(), table.data(),
                              static_cast<int64_t>(table.size()), sensitivity);
}

TEST(CApiTest, Names) {
  EXPECT_STREQ(agn_rt_level_name(AGN_LEVEL_I4), "i4");
  EXPECT_STREQ(agn_rt_level_name(AGN_LEVEL_BF16), "bf16");
  EXPECT_STREQ(agn_rt_level_name(AGN_LEVEL_F32), "f32");
  EXPECT_STREQ(agn_rt_level_name(5), "invalid");
  EXPECT_STREQ(agn_rt_reason_name(AGN_RT_REASON_MEMORY), "memory");
  EXPECT_STREQ(agn_rt_reason_name(AGN_RT_NUM_REASONS), "invalid");
}

TEST(CApiTest, RegisterArbitrateAndErrors) {
  int64_t id = registerUnit("capi/basic", {AGN_LEVEL_I8, AGN_LEVEL_F32});
  ASSERT_GE(id, 0) << agn_rt_last_error();
  EXPECT_EQ(registerUnit("capi/basic", {AGN_LEVEL_I8, AGN_LEVEL_F32}), id);
  EXPECT_EQ(agn_rt_find_unit("capi/basic"), id);
  EXPECT_EQ(agn_rt_arbitrate(id, AGN_LEVEL_F32, 0.5f), AGN_LEVEL_F32);
  EXPECT_EQ(agn_rt_arbitrate(id, AGN_LEVEL_F16, 0.5f), AGN_LEVEL_I8);

  EXPECT_EQ(registerUnit("capi/basic", {AGN_LEVEL_F32}), AGN_RT_ERR_CONFLICT);
  EXPECT_THAT(agn_rt_last_error(), HasSubstr("'capi/basic'"));
  EXPECT_EQ(agn_rt_register_unit(nullptr, nullptr, 0, 1),
            AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(agn_rt_last_error(), HasSubstr("null or empty"));
  EXPECT_EQ(agn_rt_find_unit("capi/nope"), AGN_RT_ERR_UNKNOWN_UNIT);
  EXPECT_EQ(agn_rt_arbitrate(-5, 9, 0), AGN_LEVEL_F32);
  EXPECT_EQ(agn_rt_arbitrate(1 << 30, -1, 0), AGN_LEVEL_I4);
}

TEST(CApiTest, LastErrorIsPerThread) {
  EXPECT_EQ(agn_rt_set_option("no_such_key", "1"), AGN_RT_ERR_CONFIG);
  std::string mine = agn_rt_last_error();
  std::string theirs = "unset";
  std::thread([&] { theirs = agn_rt_last_error(); }).join();
  EXPECT_THAT(mine, HasSubstr("unknown key 'no_such_key'"));
  EXPECT_EQ(theirs, "");
}

TEST(CApiTest, TypedSetters) {
  int64_t id = registerUnit("capi/setters", {0, 1, 2, 3, 4});
  EXPECT_EQ(agn_rt_set_max_level(7), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(agn_rt_last_error(), HasSubstr("invalid max level 7"));
  ASSERT_EQ(agn_rt_set_max_level(AGN_LEVEL_I8), AGN_RT_OK);
  EXPECT_EQ(agn_rt_arbitrate(id, AGN_LEVEL_F32, 0), AGN_LEVEL_I8);
  // A null value drops the API setting: the default (f32) applies again.
  ASSERT_EQ(agn_rt_set_option("max_level", nullptr), AGN_RT_OK);
  EXPECT_EQ(agn_rt_arbitrate(id, AGN_LEVEL_F32, 0), AGN_LEVEL_F32);
  ASSERT_EQ(agn_rt_set_max_level(AGN_LEVEL_F32), AGN_RT_OK);
  char value[16];
  EXPECT_EQ(agn_rt_get_option("max_level", value, sizeof(value)), 3);
  EXPECT_STREQ(value, "f32");

  EXPECT_EQ(agn_rt_set_cpu_thresholds(0.5, 0.7), AGN_RT_ERR_CONFIG);
  EXPECT_THAT(agn_rt_last_error(), HasSubstr("must be below cpu_high"));
  EXPECT_EQ(agn_rt_set_cpu_thresholds(0.9, -1), AGN_RT_OK);
  EXPECT_EQ(agn_rt_get_option("cpu_high", value, sizeof(value)), 3);
  EXPECT_STREQ(value, "0.9");
  EXPECT_EQ(agn_rt_set_cpu_thresholds(-1, -1), AGN_RT_OK);

  EXPECT_EQ(agn_rt_set_latency_target_ns(-1), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(agn_rt_set_latency_target_ns(2500000), AGN_RT_OK);
  EXPECT_EQ(agn_rt_get_option("latency_target", value, sizeof(value)), 9);
  EXPECT_STREQ(value, "2500000ns");
  EXPECT_EQ(agn_rt_set_latency_target_ns(0), AGN_RT_OK);

  EXPECT_EQ(agn_rt_set_memory_budget(1000), AGN_RT_OK);
  EXPECT_EQ(agn_rt_set_memory_budget(AGN_RT_UNLIMITED), AGN_RT_OK);
  EXPECT_EQ(agn_rt_get_option("memory_budget", value, sizeof(value)), 3);
  EXPECT_STREQ(value, "off");

  EXPECT_EQ(agn_rt_pin_unit(id, AGN_LEVEL_BF16), AGN_RT_OK);
  EXPECT_EQ(agn_rt_arbitrate(id, AGN_LEVEL_F32, 0), AGN_LEVEL_BF16);
  EXPECT_EQ(agn_rt_pin_unit(id, AGN_RT_UNPINNED), AGN_RT_OK);
  EXPECT_EQ(agn_rt_pin_unit(1 << 20, 1), AGN_RT_ERR_UNKNOWN_UNIT);
}

TEST(CApiTest, GetOptionBuffers) {
  EXPECT_EQ(agn_rt_get_option("nvml_library", nullptr, 0), 17);
  char small[4] = {'x', 'x', 'x', 'x'};
  EXPECT_EQ(agn_rt_get_option("nvml_library", small, sizeof(small)), 17);
  EXPECT_STREQ(small, "lib");
  EXPECT_EQ(agn_rt_get_option("bogus", small, sizeof(small)),
            AGN_RT_ERR_CONFIG);
  EXPECT_EQ(agn_rt_get_option(nullptr, small, sizeof(small)),
            AGN_RT_ERR_INVALID_ARGUMENT);
}

TEST(CApiTest, Stats) {
  int64_t id = registerUnit("capi/stats", {AGN_LEVEL_I4, AGN_LEVEL_F16});
  // Counters are cumulative over the process (--gtest_repeat): compare
  // against what was there before.
  agn_rt_unit_stats before;
  before.struct_size = sizeof(before);
  ASSERT_EQ(agn_rt_get_unit_stats(id, &before), AGN_RT_OK);
  agn_rt_arbitrate(id, AGN_LEVEL_F32, 1.0f);
  agn_rt_arbitrate(id, AGN_LEVEL_F16, 3.0f);
  agn_rt_report_unit_time(id, AGN_LEVEL_F16, 777);
  ASSERT_EQ(agn_rt_tick(), AGN_RT_OK);

  agn_rt_stats stats;
  stats.struct_size = 8;
  EXPECT_EQ(agn_rt_get_stats(&stats), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(agn_rt_last_error(), HasSubstr("struct_size is 8"));
  EXPECT_EQ(agn_rt_get_stats(nullptr), AGN_RT_ERR_INVALID_ARGUMENT);
  std::memset(&stats, 0, sizeof(stats));
  stats.struct_size = sizeof(stats);
  ASSERT_EQ(agn_rt_get_stats(&stats), AGN_RT_OK);
  EXPECT_EQ(stats.struct_size, sizeof(stats));
  EXPECT_GT(stats.num_units, id);
  EXPECT_GE(stats.arbitrations, 2u);
  EXPECT_GE(stats.ticks, 1u);
  // The fixture root (roots/host) answers for memory.
  EXPECT_EQ(stats.mem_total_bytes, 24684092ull * 1024);
  EXPECT_EQ(stats.rss_bytes, 1684ull * 1024);
  EXPECT_EQ(stats.cgroup_memory_max, AGN_RT_UNLIMITED);
  EXPECT_EQ(stats.max_level, AGN_LEVEL_F32);

  agn_rt_unit_stats unit;
  unit.struct_size = sizeof(unit);
  ASSERT_EQ(agn_rt_get_unit_stats(id, &unit), AGN_RT_OK);
  EXPECT_STREQ(unit.name, "capi/stats");
  EXPECT_EQ(unit.allowed_mask, (1u << AGN_LEVEL_I4) | (1u << AGN_LEVEL_F16));
  EXPECT_EQ(unit.granted[AGN_LEVEL_F16] - before.granted[AGN_LEVEL_F16], 2u);
  EXPECT_EQ(unit.time_ns[AGN_LEVEL_F16] - before.time_ns[AGN_LEVEL_F16], 777u);
  EXPECT_EQ(unit.time_count[AGN_LEVEL_F16] - before.time_count[AGN_LEVEL_F16],
            1u);
  EXPECT_EQ(unit.weight_bytes[AGN_LEVEL_F16], 16000u);
  EXPECT_EQ(unit.pinned_level, -1);
  EXPECT_DOUBLE_EQ(unit.statistic_mean, 2.0) << "the mean of 1 and 3, always";
  EXPECT_EQ(agn_rt_get_unit_stats(-1, &unit), AGN_RT_ERR_UNKNOWN_UNIT);
}

TEST(CApiTest, Telemetry) {
  registerUnit("capi/telemetry \"quoted\"", {AGN_LEVEL_F32});
  int64_t length = agn_rt_telemetry_json(nullptr, 0);
  ASSERT_GT(length, 0);
  // The monitor thread may change a number between the two calls (and with
  // it the length), so leave room rather than expect the same length.
  std::string json(static_cast<size_t>(length) + 4096, '\0');
  int64_t written = agn_rt_telemetry_json(json.data(), json.size());
  ASSERT_GT(written, 0);
  ASSERT_LT(static_cast<size_t>(written), json.size());
  json.resize(static_cast<size_t>(written));
  std::string error;
  EXPECT_TRUE(isValidJson(json, &error)) << error;
  EXPECT_THAT(json, HasSubstr("capi/telemetry \\\"quoted\\\""));

  std::string path = "/tmp/agn-capi-telemetry-" + std::to_string(getpid());
  EXPECT_EQ(agn_rt_dump_telemetry(path.c_str()), AGN_RT_OK);
  EXPECT_EQ(access(path.c_str(), R_OK), 0);
  std::remove(path.c_str());
  EXPECT_EQ(agn_rt_dump_telemetry(nullptr), AGN_RT_ERR_INVALID_ARGUMENT);
}

TEST(CApiTest, InitReportsConfigErrorsAndKeepsWorking) {
  int64_t id = registerUnit("capi/init", {AGN_LEVEL_I8, AGN_LEVEL_F32});
  std::string bad = inputPath("config/invalid.conf");
  EXPECT_EQ(agn_rt_init(bad.c_str()), AGN_RT_ERR_CONFIG);
  EXPECT_THAT(agn_rt_last_error(), HasSubstr("'max_level'"));
  EXPECT_THAT(agn_rt_last_error(), HasSubstr("accepted values"));
  EXPECT_EQ(agn_rt_arbitrate(id, AGN_LEVEL_F32, 0), AGN_LEVEL_F32);
  EXPECT_EQ(agn_rt_init(inputPath("config/missing.conf").c_str()),
            AGN_RT_ERR_IO);
  // Back to no file; the tests' API settings were never touched.
  EXPECT_EQ(agn_rt_init(""), AGN_RT_OK) << agn_rt_last_error();
}

TEST(CApiTest, ShutdownKeepsIdsAndInitRestartsTheMonitor) {
  int64_t id = registerUnit("capi/lifetime", {AGN_LEVEL_I8, AGN_LEVEL_F32});
  ASSERT_EQ(agn_rt_init(""), AGN_RT_OK);
  agn_rt_stats stats;
  stats.struct_size = sizeof(stats);
  agn_rt_get_stats(&stats);
  EXPECT_EQ(stats.monitor_running, 1);
  agn_rt_shutdown();
  agn_rt_get_stats(&stats);
  EXPECT_EQ(stats.monitor_running, 0);
  EXPECT_EQ(agn_rt_arbitrate(id, AGN_LEVEL_F32, 0), AGN_LEVEL_F32);
  EXPECT_EQ(registerUnit("capi/lifetime", {AGN_LEVEL_I8, AGN_LEVEL_F32}), id);
  ASSERT_EQ(agn_rt_init(nullptr), AGN_RT_OK);
  agn_rt_get_stats(&stats);
  EXPECT_EQ(stats.monitor_running, 1);
}

TEST(CApiTest, ForkedChildKeepsWorking) {
  int64_t id = registerUnit("capi/fork", {AGN_LEVEL_I8, AGN_LEVEL_F32});
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No gtest assertions in the child: report through the exit status.
    int64_t again = registerUnit("capi/fork", {AGN_LEVEL_I8, AGN_LEVEL_F32});
    int64_t other = registerUnit("capi/fork-child", {AGN_LEVEL_F32});
    agn_rt_stats stats;
    stats.struct_size = sizeof(stats);
    bool ok = again == id && other >= 0 &&
              agn_rt_arbitrate(id, AGN_LEVEL_F32, 0) == AGN_LEVEL_F32 &&
              agn_rt_tick() == AGN_RT_OK && agn_rt_get_stats(&stats) == 0 &&
              stats.monitor_running == 0;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(CApiTest, AFreshSharedLibraryInitialisesOnFirstArbitrate) {
  // A second copy of the runtime, as a process that only loaded the model
  // would see it: nothing is initialised until the first call.
  void *library = dlopen(AGN_RUNTIME_SHARED_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  using ArbitrateFn = int64_t (*)(int64_t, int64_t, float);
  using RegisterFn =
      int64_t (*)(const char *, const agn_level_cost *, int64_t, double);
  using StatsFn = int64_t (*)(agn_rt_stats *);
  auto arbitrate =
      reinterpret_cast<ArbitrateFn>(dlsym(library, "agn_rt_arbitrate"));
  auto registerFn =
      reinterpret_cast<RegisterFn>(dlsym(library, "agn_rt_register_unit"));
  auto stats = reinterpret_cast<StatsFn>(dlsym(library, "agn_rt_get_stats"));
  ASSERT_TRUE(arbitrate && registerFn && stats);
  EXPECT_EQ(dlsym(library, "_ZN3agn2rt15ResourceManager4tickEv"), nullptr)
      << "C++ internals are not exported";

  EXPECT_EQ(arbitrate(0, AGN_LEVEL_F16, 0), AGN_LEVEL_F16)
      << "no unit yet: the request comes back";
  std::vector<agn_level_cost> table = costTable({AGN_LEVEL_I8});
  EXPECT_EQ(registerFn("fresh", table.data(), 1, 1.0), 0);
  EXPECT_EQ(arbitrate(0, AGN_LEVEL_F32, 0), AGN_LEVEL_I8);
  agn_rt_stats s;
  s.struct_size = sizeof(s);
  ASSERT_EQ(stats(&s), AGN_RT_OK);
  EXPECT_EQ(s.num_units, 1);
  EXPECT_EQ(s.errors, 1u) << "the arbitration of unit 0 before it existed";
  // Unloading stops the copy's monitor thread (its exit hook runs).
  EXPECT_EQ(dlclose(library), 0);
}

} // namespace
