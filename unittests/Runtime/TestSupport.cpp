//===- TestSupport.cpp - Shared helpers of the runtime tests --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "agn-c/Runtime.h"

#include "gtest/gtest.h"

#include <cctype>

namespace agn::rt::test {

std::string inputPath(const std::string &relative) {
  return std::string(AGN_RUNTIME_INPUTS) + "/" + relative;
}

std::string readInput(const std::string &relative) {
  PosixFileReader reader;
  ReadResult result = reader.read(inputPath(relative));
  EXPECT_TRUE(result.ok()) << result.Error;
  return result.Text;
}

void MapFileReader::set(const std::string &path, std::string text) {
  std::lock_guard<std::mutex> lock(Mu);
  ReadResult result;
  result.Status = ReadResult::Ok;
  result.Text = std::move(text);
  Files[path] = std::move(result);
}

void MapFileReader::fail(const std::string &path, ReadResult::Kind kind,
                         const std::string &reason) {
  std::lock_guard<std::mutex> lock(Mu);
  ReadResult result;
  result.Status = kind;
  result.Error = path + ": " + reason;
  Files[path] = std::move(result);
}

void MapFileReader::remove(const std::string &path) {
  std::lock_guard<std::mutex> lock(Mu);
  Files.erase(path);
}

ReadResult MapFileReader::read(const std::string &path) {
  std::lock_guard<std::mutex> lock(Mu);
  auto it = Files.find(path);
  if (it != Files.end())
    return it->second;
  ReadResult missing;
  missing.Status = ReadResult::Missing;
  missing.Error = path + ": No such file or directory";
  return missing;
}

std::vector<agn_level_cost> costTable(const std::vector<int> &levels,
                                      uint64_t bytesPerBit, uint64_t macs) {
  std::vector<agn_level_cost> table;
  for (int level : levels)
    table.push_back({level, bytesPerBit * kLevelBits[level], macs});
  return table;
}

TestManager::TestManager() {
  // Defaults that would react to the machine are switched off; each test
  // turns on what it exercises.
  set("memory_reserve", "off");
  set("nvml_library", "off");
}

int64_t TestManager::addUnit(const std::string &name, std::vector<int> levels,
                             double sensitivity, uint64_t bytesPerBit) {
  std::vector<agn_level_cost> table = costTable(levels, bytesPerBit);
  Expected<int64_t> id =
      Manager.registerUnit(name.c_str(), table.data(),
                           static_cast<int64_t>(table.size()), sensitivity);
  EXPECT_TRUE(id.ok()) << id.status().message();
  return id.ok() ? *id : -1;
}

void TestManager::set(const char *key, const char *value) {
  Status status = Manager.setOption(key, value);
  ASSERT_TRUE(status.ok()) << status.message();
}

ResourceSample emptySample() {
  ResourceSample sample;
  sample.Gpu.Note = "test: no GPU";
  return sample;
}

//===----------------------------------------------------------------------===//
// JSON syntax checker
//===----------------------------------------------------------------------===//

namespace {
class JsonChecker {
public:
  explicit JsonChecker(std::string_view text) : Text(text) {}

  bool check(std::string *error) {
    skipBlanks();
    bool ok = value(0);
    skipBlanks();
    if (ok && Pos != Text.size())
      ok = failAt("trailing characters");
    if (!ok && error)
      *error = Error;
    return ok;
  }

private:
  bool failAt(const char *what) {
    if (Error.empty())
      Error = std::string(what) + " at offset " + std::to_string(Pos);
    return false;
  }
  void skipBlanks() {
    while (Pos < Text.size() && (Text[Pos] == ' ' || Text[Pos] == '\t' ||
                                 Text[Pos] == '\n' || Text[Pos] == '\r'))
      ++Pos;
  }
  bool literal(std::string_view word) {
    if (Text.substr(Pos, word.size()) != word)
      return failAt("bad literal");
    Pos += word.size();
    return true;
  }
  bool value(int depth) {
    if (depth > 64)
      return failAt("nesting too deep");
    if (Pos >= Text.size())
      return failAt("unexpected end");
    switch (Text[Pos]) {
    case '{':
      return object(depth);
    case '[':
      return array(depth);
    case '"':
      return string();
    case 't':
      return literal("true");
    case 'f':
      return literal("false");
    case 'n':
      return literal("null");
    default:
      return number();
    }
  }
  bool object(int depth) {
    ++Pos;
    skipBlanks();
    if (Pos < Text.size() && Text[Pos] == '}') {
      ++Pos;
      return true;
    }
    for (;;) {
      skipBlanks();
      if (Pos >= Text.size() || Text[Pos] != '"' || !string())
        return failAt("expected a key");
      skipBlanks();
      if (Pos >= Text.size() || Text[Pos] != ':')
        return failAt("expected ':'");
      ++Pos;
      skipBlanks();
      if (!value(depth + 1))
        return false;
      skipBlanks();
      if (Pos < Text.size() && Text[Pos] == ',') {
        ++Pos;
        continue;
      }
      if (Pos < Text.size() && Text[Pos] == '}') {
        ++Pos;
        return true;
      }
      return failAt("expected ',' or '}'");
    }
  }
  bool array(int depth) {
    ++Pos;
    skipBlanks();
    if (Pos < Text.size() && Text[Pos] == ']') {
      ++Pos;
      return true;
    }
    for (;;) {
      skipBlanks();
      if (!value(depth + 1))
        return false;
      skipBlanks();
      if (Pos < Text.size() && Text[Pos] == ',') {
        ++Pos;
        continue;
      }
      if (Pos < Text.size() && Text[Pos] == ']') {
        ++Pos;
        return true;
      }
      return failAt("expected ',' or ']'");
    }
  }
  bool string() {
    ++Pos;
    while (Pos < Text.size()) {
      unsigned char c = static_cast<unsigned char>(Text[Pos]);
      if (c == '"') {
        ++Pos;
        return true;
      }
      if (c < 0x20)
        return failAt("control character in string");
      if (c == '\\') {
        ++Pos;
        if (Pos >= Text.size())
          return failAt("unterminated escape");
        char e = Text[Pos];
        if (e == 'u') {
          for (int i = 1; i <= 4; ++i)
            if (Pos + i >= Text.size() ||
                !std::isxdigit(static_cast<unsigned char>(Text[Pos + i])))
              return failAt("bad \\u escape");
          Pos += 4;
        } else if (std::string_view("\"\\/bfnrt").find(e) ==
                   std::string_view::npos) {
          return failAt("bad escape");
        }
      }
      ++Pos;
    }
    return failAt("unterminated string");
  }
  bool number() {
    size_t start = Pos;
    if (Pos < Text.size() && Text[Pos] == '-')
      ++Pos;
    auto digits = [&] {
      size_t begin = Pos;
      while (Pos < Text.size() &&
             std::isdigit(static_cast<unsigned char>(Text[Pos])))
        ++Pos;
      return Pos - begin;
    };
    if (Pos < Text.size() && Text[Pos] == '0')
      ++Pos;
    else if (digits() == 0)
      return failAt("bad number");
    if (Pos < Text.size() && Text[Pos] == '.') {
      ++Pos;
      if (digits() == 0)
        return failAt("bad fraction");
    }
    if (Pos < Text.size() && (Text[Pos] == 'e' || Text[Pos] == 'E')) {
      ++Pos;
      if (Pos < Text.size() && (Text[Pos] == '+' || Text[Pos] == '-'))
        ++Pos;
      if (digits() == 0)
        return failAt("bad exponent");
    }
    return Pos > start || failAt("bad value");
  }

  std::string_view Text;
  size_t Pos = 0;
  std::string Error;
};

/// Pins the process-wide runtime (the C API tests share it) to fixtures, so
/// that no test depends on the build machine or the caller's AGN_RT_*
/// variables.
class GlobalRuntimeEnvironment : public ::testing::Environment {
public:
  void SetUp() override {
    std::string root = inputPath("roots/host");
    ASSERT_EQ(agn_rt_set_option("fs_root", root.c_str()), AGN_RT_OK);
    const char *settings[][2] = {{"max_level", "f32"},
                                 {"memory_budget", "off"},
                                 {"memory_reserve", "off"},
                                 {"cpu_high", "off"},
                                 {"gpu_high", "off"},
                                 {"latency_target", "off"},
                                 {"pin", ""},
                                 {"telemetry", ""},
                                 {"interval", "20ms"}};
    for (auto &setting : settings)
      ASSERT_EQ(agn_rt_set_option(setting[0], setting[1]), AGN_RT_OK)
          << agn_rt_last_error();
  }
};

[[maybe_unused]] ::testing::Environment *const Registered =
    ::testing::AddGlobalTestEnvironment(new GlobalRuntimeEnvironment);
} // namespace

bool isValidJson(std::string_view text, std::string *error) {
  return JsonChecker(text).check(error);
}

} // namespace agn::rt::test
