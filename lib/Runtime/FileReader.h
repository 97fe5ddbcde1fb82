//===- FileReader.h - Injectable access to /proc and /sys -------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The monitors read every file through a FileReader under a root directory
// ("/" in production, the `fs_root` key otherwise). Tests point the root at
// fixture trees copied from real systems or inject a reader that fails the
// way a real kernel file can (a permission error, an I/O error), which a test
// running as root could not provoke with chmod.
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_FILEREADER_H
#define AGN_LIB_RUNTIME_FILEREADER_H

#include <string>

namespace agn::rt {

/// The outcome of reading one file.
struct ReadResult {
  enum Kind {
    Ok,         ///< Text holds the contents.
    Missing,    ///< The file (or a directory on its path) does not exist.
    Unreadable, ///< It exists but could not be read (permissions, a
                ///< directory, an I/O error, too large).
  };
  Kind Status = Missing;
  std::string Text;
  /// "path: reason" when Status is not Ok.
  std::string Error;

  bool ok() const { return Status == Ok; }
};

/// Reads whole small files. Implementations must be thread-safe.
class FileReader {
public:
  virtual ~FileReader();
  /// Reads \p path (absolute, already joined with the root).
  virtual ReadResult read(const std::string &path) = 0;
};

/// Reads files with open(2)/read(2). /proc files report a size of 0, so it
/// reads until end of file, up to kMaxBytes.
class PosixFileReader final : public FileReader {
public:
  static constexpr size_t kMaxBytes = 1 << 20;
  ReadResult read(const std::string &path) override;
};

/// Joins a root directory and an absolute path: ("/", "/proc/stat") gives
/// "/proc/stat" and ("/tmp/fx/", "/proc/stat") gives "/tmp/fx/proc/stat".
std::string joinRoot(const std::string &root, const std::string &path);

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_FILEREADER_H
