//===- ConfigTest.cpp - Keys, values, sources and their errors ------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Config.h"
#include "TestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace agn::rt;
using namespace agn::rt::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

namespace {

constexpr uint64_t MiB = 1ull << 20;

TEST(ConfigTest, Defaults) {
  Config config;
  const Options &o = config.options();
  EXPECT_EQ(o.IntervalNs, 200u * 1000 * 1000);
  EXPECT_TRUE(o.Monitor);
  EXPECT_EQ(o.MaxLevel, AGN_LEVEL_F32);
  EXPECT_EQ(o.MinLevel, AGN_LEVEL_I4);
  EXPECT_EQ(o.MemoryBudget, AGN_RT_UNLIMITED);
  EXPECT_EQ(o.MemoryReserve, 64 * MiB);
  EXPECT_LT(o.CpuHigh, 0);
  EXPECT_LT(o.GpuHigh, 0);
  EXPECT_EQ(o.LatencyTargetNs, 0u);
  EXPECT_EQ(o.HysteresisTicks, 3u);
  EXPECT_DOUBLE_EQ(o.HysteresisMargin, 0.2);
  EXPECT_TRUE(o.Pins.empty());
  EXPECT_TRUE(o.Telemetry.empty());
  EXPECT_EQ(o.NvmlLibrary, "libnvidia-ml.so.1");
  EXPECT_EQ(o.FsRoot, "/");
  EXPECT_EQ(*config.get("max_level"), "f32");
  EXPECT_EQ(*config.get("memory_reserve"), "64MiB");
}

TEST(ConfigTest, EveryKeyHasAnEnvironmentNameAndADefault) {
  Config config;
  for (const std::string &key : Config::keys()) {
    EXPECT_TRUE(config.get(key).ok()) << key;
    EXPECT_EQ(Config::environmentName(key).substr(0, 7), "AGN_RT_");
  }
  EXPECT_EQ(Config::environmentName("max_level"), "AGN_RT_MAX_LEVEL");
}

TEST(ConfigTest, ReadsAValidFile) {
  Config config;
  Status status = config.loadFile(inputPath("config/valid.conf"));
  ASSERT_TRUE(status.ok()) << status.message();
  const Options &o = config.options();
  EXPECT_EQ(o.IntervalNs, 50u * 1000 * 1000);
  EXPECT_EQ(o.MaxLevel, AGN_LEVEL_F16);
  EXPECT_EQ(o.MemoryBudget, 512 * MiB);
  EXPECT_EQ(o.MemoryReserve, AGN_RT_UNLIMITED);
  EXPECT_DOUBLE_EQ(o.CpuHigh, 0.9);
  EXPECT_DOUBLE_EQ(o.CpuLow, 0.6);
  EXPECT_EQ(o.LatencyTargetNs, 2500000u);
  EXPECT_EQ(o.HysteresisTicks, 4u);
  // Quotes keep the '#' in the unit name; blanks around items are trimmed.
  EXPECT_THAT(o.Pins, ElementsAre(Pair("net/conv#1", AGN_LEVEL_F32),
                                  Pair("net/fc", AGN_LEVEL_I8)));
  EXPECT_EQ(o.pinFor("net/fc"), AGN_LEVEL_I8);
  EXPECT_EQ(o.pinFor("net/other"), -1);
  EXPECT_EQ(o.Telemetry, "/tmp/agn-telemetry-%p.json");
  EXPECT_TRUE(o.NvmlLibrary.empty());
}

TEST(ConfigTest, ReportsEveryBadLineAndAppliesTheGoodOnes) {
  Config config;
  std::string path = inputPath("config/invalid.conf");
  Status status = config.loadFile(path);
  ASSERT_EQ(status.code(), AGN_RT_ERR_CONFIG);
  const std::string &m = status.message();
  EXPECT_THAT(m, HasSubstr("invalid value 'fp8' for key 'max_level' (config "
                           "file '" +
                           path +
                           "' line 2); accepted values: i4, i8, bf16, f16, "
                           "f32 (or 0-4)"));
  EXPECT_THAT(m, HasSubstr("invalid value '0' for key 'hysteresis_ticks'"));
  EXPECT_THAT(m, HasSubstr("accepted values: an integer from 1 to 1000"));
  EXPECT_THAT(m, HasSubstr("expected 'key = value', got 'this line has no "
                           "equals sign' (config file '" +
                           path + "' line 5)"));
  EXPECT_THAT(m, HasSubstr("unknown key 'max_levle'"));
  EXPECT_THAT(m, HasSubstr("line 6); accepted keys: interval, monitor, "
                           "max_level, min_level"));
  const Options &o = config.options();
  EXPECT_EQ(o.MaxLevel, AGN_LEVEL_F32) << "a bad value leaves the default";
  EXPECT_EQ(o.MemoryBudget, 1536 * MiB);
  EXPECT_EQ(o.IntervalNs, 10u * 1000 * 1000);
}

TEST(ConfigTest, DuplicateKeys) {
  Config config;
  Status status = config.loadFile(inputPath("config/duplicate.conf"));
  ASSERT_EQ(status.code(), AGN_RT_ERR_CONFIG);
  EXPECT_THAT(status.message(), HasSubstr("duplicate key 'max_level'"));
  EXPECT_THAT(status.message(), HasSubstr("first set on line 1"));
  EXPECT_EQ(config.options().MaxLevel, AGN_LEVEL_I8);
}

TEST(ConfigTest, MissingFile) {
  Config config;
  Status status = config.loadFile(inputPath("config/does-not-exist.conf"));
  ASSERT_EQ(status.code(), AGN_RT_ERR_IO);
  EXPECT_THAT(status.message(), HasSubstr("cannot open config file"));
  EXPECT_THAT(status.message(), HasSubstr("No such file or directory"));
}

TEST(ConfigTest, CommentsAndQuotes) {
  Config config;
  Status status = config.loadFileText("  # full-line comment\n"
                                      "\n"
                                      "telemetry = /tmp/a#b.json\n"
                                      "nvml_library = \"my lib.so # 2\" # c\n"
                                      "pin=x:i8#no blank, so not a comment\n",
                                      "inline.conf");
  EXPECT_EQ(status.code(), AGN_RT_ERR_CONFIG) << "the pin value is wrong";
  EXPECT_EQ(config.options().Telemetry, "/tmp/a#b.json");
  EXPECT_EQ(config.options().NvmlLibrary, "my lib.so # 2");
  Status unterminated = config.loadFileText("telemetry = \"/tmp/x\n", "u.conf");
  EXPECT_THAT(unterminated.message(), HasSubstr("unterminated quoted value"));
}

TEST(ConfigTest, PrecedenceIsApiThenEnvironmentThenFileThenDefault) {
  Config config;
  ASSERT_TRUE(config.loadFileText("max_level = i8\n", "p.conf").ok());
  EXPECT_EQ(config.options().MaxLevel, AGN_LEVEL_I8);
  const char *env[] = {"PATH=/bin", "AGN_RT_MAX_LEVEL=f16",
                       "AGN_RT_CONFIG=/ignored/here.conf", nullptr};
  ASSERT_TRUE(config.loadEnvironment(env).ok());
  EXPECT_EQ(config.options().MaxLevel, AGN_LEVEL_F16);
  ASSERT_TRUE(config.set(ConfigLayer::Api, "max_level", "bf16", "test").ok());
  EXPECT_EQ(config.options().MaxLevel, AGN_LEVEL_BF16);
  // Re-reading file and environment keeps the API value.
  ASSERT_TRUE(config.loadFileText("max_level = i4\n", "p.conf").ok());
  EXPECT_EQ(config.options().MaxLevel, AGN_LEVEL_BF16);
  ASSERT_TRUE(config.unset(ConfigLayer::Api, "max_level").ok());
  EXPECT_EQ(config.options().MaxLevel, AGN_LEVEL_F16);
  const char *noEnv[] = {nullptr};
  ASSERT_TRUE(config.loadEnvironment(noEnv).ok());
  EXPECT_EQ(config.options().MaxLevel, AGN_LEVEL_I4);
  config.clear(ConfigLayer::File);
  EXPECT_EQ(config.options().MaxLevel, AGN_LEVEL_F32);
}

TEST(ConfigTest, EnvironmentErrorsNameTheVariable) {
  Config config;
  const char *env[] = {"AGN_RT_MAX_LEVEL=huge", "AGN_RT_MAX_LEVLE=i8",
                       "AGN_RT_max_level=i8", "AGN_RT_INTERVAL=100ms", nullptr};
  Status status = config.loadEnvironment(env);
  ASSERT_EQ(status.code(), AGN_RT_ERR_CONFIG);
  EXPECT_THAT(status.message(),
              HasSubstr("invalid value 'huge' for key 'max_level' "
                        "(environment variable AGN_RT_MAX_LEVEL)"));
  EXPECT_THAT(status.message(),
              HasSubstr("unknown environment variable AGN_RT_MAX_LEVLE; "
                        "accepted: AGN_RT_CONFIG, AGN_RT_INTERVAL"));
  EXPECT_THAT(status.message(),
              HasSubstr("unknown environment variable AGN_RT_max_level"));
  EXPECT_EQ(config.options().IntervalNs, 100u * 1000 * 1000);
}

TEST(ConfigTest, ApiErrorsChangeNothing) {
  Config config;
  Status bad = config.set(ConfigLayer::Api, "memory_budget", "lots", "api");
  ASSERT_EQ(bad.code(), AGN_RT_ERR_CONFIG);
  EXPECT_THAT(bad.message(),
              HasSubstr("accepted values: off, or a byte count"));
  Status unknown = config.set(ConfigLayer::Api, "budget", "1G", "api");
  EXPECT_THAT(unknown.message(), HasSubstr("unknown key 'budget'"));
  EXPECT_EQ(config.options().MemoryBudget, AGN_RT_UNLIMITED);
  EXPECT_FALSE(config.get("budget").ok());
}

TEST(ConfigTest, ThresholdsThatContradictEachOtherAreRefused) {
  Config config;
  ASSERT_TRUE(config.set(ConfigLayer::Api, "cpu_high", "0.5", "api").ok());
  Status status = config.set(ConfigLayer::Api, "cpu_low", "70%", "api");
  ASSERT_EQ(status.code(), AGN_RT_ERR_CONFIG);
  EXPECT_THAT(
      status.message(),
      HasSubstr("cpu_low (0.700000) must be below cpu_high (0.500000)"));
  EXPECT_LT(config.options().CpuLow, 0) << "still auto";
  EXPECT_DOUBLE_EQ(config.options().cpuThresholds().Low, 0.5 * 0.8);
  // Both at once is consistent.
  ASSERT_TRUE(config
                  .set(ConfigLayer::Api,
                       {{"cpu_high", "0.95"}, {"cpu_low", "0.7"}}, "api")
                  .ok());
  EXPECT_DOUBLE_EQ(config.options().cpuThresholds().Low, 0.7);
  // Removing an API value can expose an inconsistent pair from other
  // layers; the policy is then off rather than running on a broken band.
  ASSERT_TRUE(config.loadFileText("gpu_high = 0.5\n", "g.conf").ok());
  ASSERT_TRUE(config
                  .set(ConfigLayer::Api,
                       {{"gpu_high", "0.7"}, {"gpu_low", "0.6"}}, "api")
                  .ok());
  EXPECT_DOUBLE_EQ(config.options().GpuHigh, 0.7);
  ASSERT_TRUE(config.unset(ConfigLayer::Api, "gpu_high").ok());
  EXPECT_LT(config.options().GpuHigh, 0);
}

TEST(ConfigValuesTest, Levels) {
  EXPECT_EQ(parseLevel("F32"), AGN_LEVEL_F32);
  EXPECT_EQ(parseLevel(" bf16 "), AGN_LEVEL_BF16);
  EXPECT_EQ(parseLevel("1"), AGN_LEVEL_I8);
  EXPECT_FALSE(parseLevel("5"));
  EXPECT_FALSE(parseLevel("fp32"));
  EXPECT_FALSE(parseLevel(""));
}

TEST(ConfigValuesTest, Bytes) {
  EXPECT_EQ(parseBytes("512"), 512u);
  EXPECT_EQ(parseBytes("512B"), 512u);
  EXPECT_EQ(parseBytes("1K"), 1024u);
  EXPECT_EQ(parseBytes("1kib"), 1024u);
  EXPECT_EQ(parseBytes("1KB"), 1000u);
  EXPECT_EQ(parseBytes("2 MiB"), 2 * MiB);
  EXPECT_EQ(parseBytes("1.5GiB"), 1536 * MiB);
  EXPECT_EQ(parseBytes("3GB"), 3000000000u);
  EXPECT_EQ(parseBytes("1T"), 1ull << 40);
  EXPECT_FALSE(parseBytes(""));
  EXPECT_FALSE(parseBytes("-1"));
  EXPECT_FALSE(parseBytes("1e3"));
  EXPECT_FALSE(parseBytes("12 parsecs"));
  EXPECT_FALSE(parseBytes("18446744073709551616"));
  EXPECT_FALSE(parseBytes("20000000TiB"));
}

TEST(ConfigValuesTest, Durations) {
  EXPECT_EQ(parseDurationNs("200ms"), 200000000u);
  EXPECT_EQ(parseDurationNs("1s"), 1000000000u);
  EXPECT_EQ(parseDurationNs("250 us"), 250000u);
  EXPECT_EQ(parseDurationNs("0.5ms"), 500000u);
  EXPECT_EQ(parseDurationNs("10ns"), 10u);
  EXPECT_FALSE(parseDurationNs("5")) << "the unit is mandatory";
  EXPECT_FALSE(parseDurationNs("5 min"));
  EXPECT_FALSE(parseDurationNs("ms"));
}

TEST(ConfigValuesTest, RangesPerKey) {
  Config config;
  auto accepts = [&](const char *key, const char *value) {
    return config.set(ConfigLayer::Api, key, value, "t").ok();
  };
  EXPECT_FALSE(accepts("interval", "100us"));
  EXPECT_FALSE(accepts("interval", "2h"));
  EXPECT_TRUE(accepts("interval", "1ms"));
  EXPECT_FALSE(accepts("cpu_high", "0"));
  EXPECT_FALSE(accepts("cpu_high", "1.5"));
  EXPECT_FALSE(accepts("cpu_high", "inf"));
  EXPECT_TRUE(accepts("cpu_high", "100%"));
  EXPECT_FALSE(accepts("cpu_low", "1"));
  EXPECT_TRUE(accepts("cpu_low", "auto"));
  EXPECT_FALSE(accepts("hysteresis_margin", "0.95"));
  EXPECT_TRUE(accepts("hysteresis_margin", "10%"));
  EXPECT_FALSE(accepts("gpu_device", "64"));
  EXPECT_FALSE(accepts("gpu_device", "-1"));
  EXPECT_FALSE(accepts("latency_target", "0ms"));
  EXPECT_TRUE(accepts("latency_target", "off"));
  EXPECT_FALSE(accepts("monitor", "maybe"));
  EXPECT_TRUE(accepts("monitor", "No"));
  EXPECT_FALSE(accepts("fs_root", "relative/dir"));
  EXPECT_FALSE(accepts("nvml_library", ""));
  EXPECT_FALSE(accepts("memory_budget", "18446744073709551615"))
      << "that value means unlimited: spell it 'off'";
  EXPECT_TRUE(accepts("telemetry", ""));
}

TEST(ConfigValuesTest, Pins) {
  Config config;
  auto pins = [&](const char *value) {
    Status status = config.set(ConfigLayer::Api, "pin", value, "t");
    return status.ok()
               ? config.options().Pins
               : std::vector<std::pair<std::string, int>>{{"error", -1}};
  };
  EXPECT_THAT(pins("a:f32"), ElementsAre(Pair("a", AGN_LEVEL_F32)));
  EXPECT_THAT(pins("ns:unit:i8 , b:0"),
              ElementsAre(Pair("ns:unit", AGN_LEVEL_I8), Pair("b", 0)))
      << "the level follows the last ':'";
  EXPECT_THAT(pins(""), ElementsAre());
  EXPECT_THAT(pins("a:f32,"), ElementsAre(Pair("error", -1)));
  EXPECT_THAT(pins("a"), ElementsAre(Pair("error", -1)));
  EXPECT_THAT(pins(":i8"), ElementsAre(Pair("error", -1)));
  EXPECT_THAT(pins("a:fp8"), ElementsAre(Pair("error", -1)));
}

} // namespace
