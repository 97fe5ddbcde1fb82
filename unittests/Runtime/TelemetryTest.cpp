//===- TelemetryTest.cpp - The telemetry JSON document --------------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "Telemetry.h"
#include "TestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace agn::rt;
using namespace agn::rt::test;
using ::testing::HasSubstr;

namespace {

std::string slurp(const std::string &path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string temporaryPath(const std::string &name) {
  const char *dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/agn-rt-test-" +
         std::to_string(::getpid()) + "-" + name;
}

TEST(JsonQuoteTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(jsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(jsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(jsonQuote("line\nnext\ttab\r"), "\"line\\nnext\\ttab\\r\"");
  EXPECT_EQ(jsonQuote(std::string("nul\0bell\x07", 9)),
            "\"nul\\u0000bell\\u0007\"");
  EXPECT_EQ(jsonQuote("\x7f"), "\"\x7f\"");
}

TEST(JsonQuoteTest, KeepsValidUtf8AndReplacesTheRest) {
  EXPECT_EQ(jsonQuote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(jsonQuote("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(jsonQuote("\xc0\x80"), "\"\\ufffd\\ufffd\"") << "overlong";
  EXPECT_EQ(jsonQuote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"")
      << "surrogate";
  EXPECT_EQ(jsonQuote("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"")
      << "above U+10FFFF";
  EXPECT_EQ(jsonQuote("\xe2\x82"), "\"\\ufffd\\ufffd\"") << "truncated";
}

TEST(JsonCheckerTest, AcceptsJsonOnly) {
  // The checker guards the other tests; make sure it is not lenient.
  EXPECT_TRUE(isValidJson(R"({"a": [1, -2.5e3, true, null, "x\u00e9"]})"));
  EXPECT_FALSE(isValidJson(R"({"a": 1,})"));
  EXPECT_FALSE(isValidJson(R"({"a": nan})"));
  EXPECT_FALSE(isValidJson(R"({"a": 01})"));
  EXPECT_FALSE(isValidJson("{\"a\": \"tab\there\"}"));
  EXPECT_FALSE(isValidJson(R"({"a": 1} x)"));
}

TEST(TelemetryTest, DocumentIsValidJsonWhateverTheUnitNames) {
  TestManager m;
  std::vector<std::string> names = {"plain",       "with \"quotes\"",
                                    "new\nline",   "bad \xff utf8",
                                    "back\\slash", "caf\xc3\xa9"};
  std::vector<int64_t> ids;
  for (const std::string &name : names)
    ids.push_back(m.addUnit(name, {1, 3, 4}, 1));
  m.set("max_level", "f16");
  m.set("pin", "plain:f32");
  for (int64_t id : ids) {
    m->arbitrate(id, 4, 2.0f);
    m->arbitrate(id, 1, NAN);
    m->reportUnitTime(id, 3, 1234);
  }
  std::string json = m->telemetryJson();
  std::string error;
  EXPECT_TRUE(isValidJson(json, &error)) << error << "\n" << json;
  EXPECT_THAT(json, HasSubstr("\"schema\": \"agn-runtime-telemetry/1\""));
  EXPECT_THAT(json, HasSubstr("\"name\": \"with \\\"quotes\\\"\""));
  EXPECT_THAT(json, HasSubstr("\"name\": \"new\\nline\""));
  EXPECT_THAT(json, HasSubstr("\"name\": \"bad \\ufffd utf8\""));
  EXPECT_THAT(json, HasSubstr("\"ceiling_reason\": \"max_level\""));
  EXPECT_THAT(json, HasSubstr("\"ceiling_reason\": \"pin\""));
  EXPECT_THAT(json, HasSubstr("\"statistic_mean\": 2"));
  EXPECT_THAT(json, HasSubstr("\"mean_ns\": 1234"));
  EXPECT_THAT(json, HasSubstr("\"overrides\": 6"))
      << "five units overridden by max_level, and the pinned one raised "
         "from i8 to f32 once";
  EXPECT_THAT(json, HasSubstr("\"available\": false"));
  EXPECT_THAT(json, HasSubstr("\"sampled\": false"));
}

TEST(TelemetryTest, ReportsSamplesBudgetsAndUnknowns) {
  TestManager m;
  m.Files.set("/proc/meminfo", readInput("roots/host/proc/meminfo"));
  m.addUnit("u", {0, 4}, 1);
  m.set("memory_budget", "1000");
  m->tick();
  std::string json = m->telemetryJson();
  EXPECT_TRUE(isValidJson(json)) << json;
  EXPECT_THAT(json, HasSubstr("\"source\": \"meminfo\""));
  EXPECT_THAT(json, HasSubstr("\"available_bytes\": 24910270464"));
  EXPECT_THAT(json, HasSubstr("\"cgroup_max_bytes\": null"));
  EXPECT_THAT(json, HasSubstr("\"load\": null"));
  EXPECT_THAT(json, HasSubstr("\"over_budget\": true"));
  EXPECT_THAT(json, HasSubstr("\"weight_budget_bytes\": 1000"));
  EXPECT_THAT(json, HasSubstr("GPU monitoring disabled"));
}

TEST(TelemetryTest, DumpsAtomicallyToAPathWithThePid) {
  TestManager m;
  m.addUnit("u", {4}, 1);
  std::string pattern = temporaryPath("dump-%p.json");
  ASSERT_TRUE(m->dumpTelemetry(pattern.c_str()).ok());
  std::string path = expandTelemetryPath(pattern, ::getpid());
  EXPECT_THAT(path, HasSubstr(std::to_string(::getpid())));
  std::string json = slurp(path);
  EXPECT_TRUE(isValidJson(json)) << json;
  EXPECT_NE(
      ::access((path + ".tmp." + std::to_string(::getpid())).c_str(), F_OK), 0)
      << "no temporary file is left behind";
  std::remove(path.c_str());
}

TEST(TelemetryTest, DumpErrors) {
  TestManager m;
  Status noPath = m->dumpTelemetry(nullptr);
  EXPECT_EQ(noPath.code(), AGN_RT_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(noPath.message(), HasSubstr("AGN_RT_TELEMETRY"));
  Status unwritable = m->dumpTelemetry("/nonexistent-agn-dir/t.json");
  EXPECT_EQ(unwritable.code(), AGN_RT_ERR_IO);
  EXPECT_THAT(unwritable.message(), HasSubstr("/nonexistent-agn-dir/t.json"));
  EXPECT_THAT(unwritable.message(), HasSubstr("No such file or directory"));
}

TEST(TelemetryTest, WrittenAtShutdownWhenConfigured) {
  TestManager m;
  std::string path = temporaryPath("shutdown.json");
  m.set("telemetry", path.c_str());
  m.addUnit("u", {4}, 1);
  m->arbitrate(0, 4, 0);
  ASSERT_TRUE(m->shutdown().ok());
  std::string json = slurp(path);
  EXPECT_TRUE(isValidJson(json)) << json;
  EXPECT_THAT(json, HasSubstr("\"f32\": 1"));
  std::remove(path.c_str());
  // And at process exit (atExit), likewise.
  m->atExit();
  EXPECT_TRUE(isValidJson(slurp(path)));
  std::remove(path.c_str());
}

TEST(TelemetryTest, ExpandPath) {
  EXPECT_EQ(expandTelemetryPath("/t/a-%p.json", 42), "/t/a-42.json");
  EXPECT_EQ(expandTelemetryPath("100%%-%p%", 7), "100%-7%");
  EXPECT_EQ(expandTelemetryPath("%x", 7), "%x");
}

} // namespace
