//===- ReplayMain.cpp - Run a fuzz target on given files -------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The main of a fuzz target built without libFuzzer: each file named on the
// command line, and each file in a directory named there (not those whose
// names start with '.'), goes through LLVMFuzzerTestOneInput once, as
// libFuzzer would replay it. The lit suite runs the kept findings this way, so
// that a regression shows in every build, sanitized or not.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/// Runs the target on the file at \p path; false when it cannot be read.
static bool replay(const char *program, const std::filesystem::path &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "%s: cannot read '%s'\n", program, path.c_str());
    return false;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  std::printf("ran %s (%zu bytes)\n", path.c_str(), bytes.size());
  return true;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s FILE|DIR...\n  runs the fuzz target once on each "
                 "file (a replay; build with AGN_ENABLE_FUZZERS=ON to fuzz)\n",
                 argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path path(argv[i]);
    std::error_code error;
    if (!std::filesystem::is_directory(path, error)) {
      if (!replay(argv[0], path))
        return 2;
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto &entry : std::filesystem::directory_iterator(path, error))
      if (entry.is_regular_file() &&
          entry.path().filename().string().front() != '.')
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path &file : files)
      if (!replay(argv[0], file))
        return 2;
  }
  return 0;
}
