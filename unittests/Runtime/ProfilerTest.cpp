//===- ProfilerTest.cpp - Spans of compiled code's regions ----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Profiler.h"
#include "TestSupport.h"

#include "agn-c/Runtime.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace agn::rt;
using namespace agn::rt::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// Records as agn-instrument-profile emits them.
const char kMain[] = "net\tfunction\t\t\t@main";
const char kPad[] = "net\tpadding\t\t\tpadding 1x3x9x9xf32 #0";
const char kUnitI8[] = "net\tunit\tnet/fc\ti8\tnet/fc @ i8";
const char kMatmul[] = "net\tcontraction\tnet/fc\ti8\tcontraction 4x16xi32 #1";
const char kOther[] = "other\tfunction\t\t\t@main";

const ProfileRegion *find(const std::vector<ProfileRegion> &regions,
                          const std::string &label) {
  for (const ProfileRegion &region : regions)
    if (region.label == label)
      return &region;
  return nullptr;
}

/// One model call: main { pad (2 ms), unit at i8 { matmul (5 ms) } (6 ms) }
/// plus 1 ms of main outside both: 9 ms.
void runCall(Profiler &profiler, ManualClock &clock) {
  profiler.begin(kMain);
  clock.advance(1'000'000);
  profiler.begin(kPad);
  clock.advance(2'000'000);
  profiler.end(kPad);
  profiler.begin(kUnitI8);
  clock.advance(500'000);
  profiler.begin(kMatmul);
  clock.advance(5'000'000);
  profiler.end(kMatmul);
  clock.advance(500'000);
  profiler.end(kUnitI8);
  profiler.end(kMain);
}

TEST(ProfilerTest, NestedSpansGiveTotalAndSelfTimes) {
  ManualClock clock;
  Profiler profiler(clock);
  runCall(profiler, clock);
  runCall(profiler, clock);
  std::vector<ProfileRegion> regions = profiler.regions("");
  ASSERT_EQ(regions.size(), 4u);

  const ProfileRegion *main = find(regions, "@main");
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->model, "net");
  EXPECT_EQ(main->group, "function");
  EXPECT_EQ(main->calls, 2u);
  EXPECT_EQ(main->totalNs, 18'000'000u);
  EXPECT_EQ(main->selfNs, 2'000'000u);
  EXPECT_EQ(main->outerCalls, 2u);
  EXPECT_EQ(main->outerNs, 18'000'000u);

  const ProfileRegion *unit = find(regions, "net/fc @ i8");
  ASSERT_NE(unit, nullptr);
  EXPECT_EQ(unit->unit, "net/fc");
  EXPECT_EQ(unit->level, "i8");
  EXPECT_EQ(unit->totalNs, 12'000'000u);
  EXPECT_EQ(unit->selfNs, 2'000'000u);
  EXPECT_EQ(unit->outerCalls, 0u);

  const ProfileRegion *matmul = find(regions, "contraction 4x16xi32 #1");
  ASSERT_NE(matmul, nullptr);
  EXPECT_EQ(matmul->calls, 2u);
  EXPECT_EQ(matmul->minNs, 5'000'000u);
  EXPECT_EQ(matmul->maxNs, 5'000'000u);
  EXPECT_EQ(matmul->selfNs, 10'000'000u);
}

TEST(ProfilerTest, TableSplitsGroupsInsideAndOutsideUnits) {
  ManualClock clock;
  Profiler profiler(clock);
  runCall(profiler, clock);
  runCall(profiler, clock);
  std::string table = profiler.table("net");
  EXPECT_THAT(table, HasSubstr("model 'net': 2 calls, 9.000 ms per call"));
  // Groups by self time, per call: contraction 5 ms in units, padding 2 ms
  // outside, what no region covers 1 ms.
  EXPECT_THAT(table, HasSubstr("contraction                       5.000        "
                               "0.000        5.000   55.6%"));
  EXPECT_THAT(table, HasSubstr("padding                           0.000        "
                               "2.000        2.000   22.2%"));
  EXPECT_THAT(table, HasSubstr("(outside regions)                 0.000        "
                               "1.000        1.000   11.1%"));
  EXPECT_THAT(table, HasSubstr("net/fc @ i8"));
  EXPECT_THAT(table, HasSubstr("contraction 4x16xi32 #1"));
  EXPECT_EQ(profiler.table("absent"),
            "agn profile of model 'absent': no spans (compile with "
            "profile=true and run it)\n");
}

TEST(ProfilerTest, ModelsStayApart) {
  ManualClock clock;
  Profiler profiler(clock);
  runCall(profiler, clock);
  profiler.begin(kOther);
  clock.advance(3'000'000);
  profiler.end(kOther);
  EXPECT_EQ(profiler.regions("net").size(), 4u);
  ASSERT_EQ(profiler.regions("other").size(), 1u);
  EXPECT_EQ(profiler.regions("").size(), 5u);
  EXPECT_THAT(profiler.table("other"), HasSubstr("1 call, 3.000 ms per call"));
  EXPECT_THAT(profiler.chromeTrace("other"), Not(HasSubstr("padding")));
}

TEST(ProfilerTest, ReusedAddressWithOtherTextIsANewRegion) {
  ManualClock clock;
  Profiler profiler(clock);
  // A model unloaded and another loaded at the same address.
  char record[64];
  std::snprintf(record, sizeof(record), "%s", kPad);
  profiler.begin(record);
  clock.advance(10);
  profiler.end(record);
  std::snprintf(record, sizeof(record), "%s", kMatmul);
  profiler.begin(record);
  clock.advance(20);
  profiler.end(record);
  std::vector<ProfileRegion> regions = profiler.regions("");
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].group, "padding");
  EXPECT_EQ(regions[0].totalNs, 10u);
  EXPECT_EQ(regions[1].group, "contraction");
  EXPECT_EQ(regions[1].totalNs, 20u);
}

TEST(ProfilerTest, UnbalancedCallsAndResetAreHarmless) {
  ManualClock clock;
  Profiler profiler(clock);
  profiler.end(kPad); // never begun
  EXPECT_TRUE(profiler.regions("").empty());
  profiler.begin(kMain);
  profiler.begin(kPad); // never ended: closed with main
  clock.advance(100);
  profiler.end(kMain);
  std::vector<ProfileRegion> regions = profiler.regions("");
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].label, "@main");
  // A span open across a reset is not counted.
  profiler.begin(kMain);
  profiler.reset();
  profiler.end(kMain);
  EXPECT_TRUE(profiler.regions("").empty());
  // A record without five fields is all label.
  profiler.begin("just a label");
  profiler.end("just a label");
  regions = profiler.regions("");
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].label, "just a label");
  EXPECT_EQ(regions[0].group, "");
}

TEST(ProfilerTest, TraceKeepsItsBoundAndIsValidJson) {
  ManualClock clock;
  Profiler profiler(clock, /*maxSpans=*/3);
  runCall(profiler, clock); // 4 spans
  EXPECT_EQ(profiler.droppedSpans(), 1u);
  std::string trace = profiler.chromeTrace("");
  EXPECT_THAT(trace, HasSubstr("\"traceEvents\""));
  // Times in microseconds from the first span kept.
  EXPECT_THAT(trace, HasSubstr("\"name\": \"padding 1x3x9x9xf32 #0\", "
                               "\"cat\": \"padding\", \"ph\": \"X\", "
                               "\"ts\": 0.000, \"dur\": 2000.000"));
  EXPECT_THAT(trace, HasSubstr("\"ts\": 2500.000, \"dur\": 5000.000"));
  EXPECT_THAT(trace, HasSubstr("\"name\": \"contraction 4x16xi32 #1 [i8]\""));
  // main closed last: beyond the bound.
  EXPECT_THAT(trace, Not(HasSubstr("@main")));
  std::string json = profiler.json("net");
  EXPECT_THAT(json, HasSubstr("\"dropped_spans\": 1"));
  EXPECT_THAT(json, HasSubstr("\"label\": \"@main\", \"calls\": 1, "
                              "\"total_ns\": 9000000"));
}

TEST(ProfilerTest, ThreadsKeepTheirOwnStacks) {
  ManualClock clock;
  Profiler profiler(clock);
  auto work = [&] {
    for (int i = 0; i < 1000; ++i) {
      profiler.begin(kMain);
      profiler.begin(kPad);
      profiler.end(kPad);
      profiler.end(kMain);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  std::vector<ProfileRegion> regions = profiler.regions("");
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].calls + regions[1].calls, 4000u);
  EXPECT_EQ(find(regions, "@main")->outerCalls, 2000u);
}

TEST(ProfilerTest, CApiWritesTableJsonAndTrace) {
  agn_rt_profile_reset();
  static const char record[] = "capi\tfunction\t\t\t@f";
  agn_rt_profile_begin(record);
  agn_rt_profile_end(record);
  agn_rt_profile_begin(nullptr); // ignored
  int64_t length = agn_rt_profile_table("capi", nullptr, 0);
  ASSERT_GT(length, 0);
  std::string table(length, '\0');
  EXPECT_EQ(agn_rt_profile_table("capi", table.data(), length + 1), length);
  EXPECT_THAT(table, HasSubstr("model 'capi': 1 call"));
  char small[8];
  EXPECT_EQ(agn_rt_profile_json("capi", small, sizeof(small)),
            static_cast<int64_t>(Profiler::process().json("capi").size()));
  EXPECT_EQ(std::strlen(small), 7u);

  std::string path = ::testing::TempDir() + "agn-trace-" +
                     std::to_string(::getpid()) + ".json";
  ASSERT_EQ(agn_rt_profile_write_trace("capi", path.c_str()), AGN_RT_OK);
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("\"name\": \"@f\""));
  std::remove(path.c_str());
  EXPECT_EQ(agn_rt_profile_write_trace("capi", nullptr),
            AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(agn_rt_profile_write_trace("capi", "/nonexistent/dir/t.json"),
            AGN_RT_ERR_IO);
  EXPECT_THAT(agn_rt_last_error(), HasSubstr("cannot write trace file"));
  agn_rt_profile_reset();
  EXPECT_THAT(Profiler::process().table("capi"), HasSubstr("no spans"));
}

} // namespace
