//===- FileReader.cpp - Injectable access to /proc and /sys ---------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "FileReader.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace agn::rt {

FileReader::~FileReader() = default;

static ReadResult failure(ReadResult::Kind kind, const std::string &path,
                          const char *reason) {
  ReadResult result;
  result.Status = kind;
  result.Error = path + ": " + reason;
  return result;
}

ReadResult PosixFileReader::read(const std::string &path) {
  int fd;
  do
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    return failure(err == ENOENT || err == ENOTDIR ? ReadResult::Missing
                                                   : ReadResult::Unreadable,
                   path, std::strerror(err));
  }

  ReadResult result;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      // EISDIR lands here: open(2) accepts a directory, read(2) does not.
      int err = errno;
      ::close(fd);
      return failure(ReadResult::Unreadable, path, std::strerror(err));
    }
    if (n == 0)
      break;
    if (result.Text.size() + static_cast<size_t>(n) > kMaxBytes) {
      ::close(fd);
      return failure(ReadResult::Unreadable, path, "file too large");
    }
    result.Text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  result.Status = ReadResult::Ok;
  return result;
}

std::string joinRoot(const std::string &root, const std::string &path) {
  if (root.empty() || root == "/")
    return path;
  if (root.back() == '/' && !path.empty() && path.front() == '/')
    return root + path.substr(1);
  if (root.back() != '/' && (path.empty() || path.front() != '/'))
    return root + '/' + path;
  return root + path;
}

} // namespace agn::rt
