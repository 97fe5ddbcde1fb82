//===- RuntimeConfigFuzzer.cpp - Fuzz the runtime's configuration ---------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The runtime reads its policies from a file (AGN_RT_CONFIG), the
// environment (AGN_RT_*) and agn_rt_set_option. The first input byte picks
// the front door, the rest is its text:
//   0  a configuration file;
//   1  an environment, one NAME=value per line;
//   2  agn_rt_set_option calls, one `key<TAB>value` per line;
//   3  the same lines as one all-or-nothing batch.
// The value parsers (levels, byte counts, durations, fractions) see the text
// as well.
//
// Beyond not crashing, the target checks what the configuration promises:
// every error has a message, every key reads back, and what reads back is
// accepted again and means the same (set as one batch on a fresh Config, it
// reads back identically).
//
//===----------------------------------------------------------------------===//

#include "Config.h"
#include "TextParsing.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace agn::rt;

namespace {

/// Aborts with \p what: a finding for libFuzzer.
[[noreturn]] void fail(const std::string &what) {
  std::fprintf(stderr, "agn-fuzz-runtime-config: %s\n", what.c_str());
  std::abort();
}

/// Every failing status must say what went wrong.
void checkStatus(const Status &status, const char *where) {
  if (!status.ok() && status.message().empty())
    fail(std::string(where) + " failed without a message");
}

/// Splits `key<TAB>value` lines; a line without a tab is a key with an empty
/// value.
std::vector<Config::KeyValue> keyValues(std::string_view text) {
  std::vector<Config::KeyValue> pairs;
  for (std::string_view line : splitLines(text)) {
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos)
      pairs.emplace_back(line, "");
    else
      pairs.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return pairs;
}

/// Every key reads back; the values read back, set as one batch on a fresh
/// Config, are accepted and read back the same.
void checkReadBack(const Config &config) {
  std::vector<Config::KeyValue> effective;
  for (const std::string &key : Config::keys()) {
    Expected<std::string> value = config.get(key);
    if (!value.ok())
      fail("key '" + key + "' does not read back: " + value.status().message());
    effective.emplace_back(key, *value);
  }
  Config fresh;
  Status status = fresh.set(ConfigLayer::Api, effective, "read back");
  if (!status.ok())
    fail("the effective configuration is rejected when set again: " +
         status.message());
  for (const auto &[key, value] : effective) {
    Expected<std::string> again = fresh.get(key);
    if (!again.ok() || *again != value)
      fail("key '" + key + "' reads '" + value + "', set again it reads '" +
           (again.ok() ? *again : again.status().message()) + "'");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);

  (void)parseLevel(text);
  (void)parseBytes(text);
  (void)parseDurationNs(text);
  (void)parseFraction(text);

  Config config;
  switch (data[0] % 4) {
  case 0:
    checkStatus(config.loadFileText(text, "fuzz.conf"), "loadFileText");
    break;
  case 1: {
    // NUL-terminated copies, as environ holds them.
    std::vector<std::string> lines;
    for (std::string_view line : splitLines(text))
      lines.emplace_back(line);
    std::vector<const char *> environment;
    for (const std::string &line : lines)
      environment.push_back(line.c_str());
    environment.push_back(nullptr);
    checkStatus(config.loadEnvironment(environment.data()), "loadEnvironment");
    break;
  }
  case 2:
    for (const auto &[key, value] : keyValues(text))
      checkStatus(config.set(ConfigLayer::Api, key, value, "fuzz"), "set");
    break;
  case 3:
    checkStatus(config.set(ConfigLayer::Api, keyValues(text), "fuzz"),
                "set (batch)");
    break;
  }
  checkReadBack(config);
  return 0;
}
