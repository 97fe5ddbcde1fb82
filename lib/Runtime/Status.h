//===- Status.h - Error values of the runtime -------------------*- C++ -*-===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The runtime never throws across its C API and never aborts on bad input: the
// internals return a Status (an AGN_RT_* code and a message) or an Expected<T>
// and the C layer turns them into return codes and agn_rt_last_error().
//
//===----------------------------------------------------------------------===//

#ifndef AGN_LIB_RUNTIME_STATUS_H
#define AGN_LIB_RUNTIME_STATUS_H

#include "agn-c/Runtime.h"

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace agn::rt {

/// An AGN_RT_* status code with a human-readable message.
class Status {
public:
  /// Success.
  Status() = default;

  /// An error with code \p code (one of the negative AGN_RT_ERR_* values).
  static Status error(int64_t code, std::string message) {
    assert(code < 0 && "errors have negative codes");
    Status s;
    s.Code = code;
    s.Message = std::move(message);
    return s;
  }

  bool ok() const { return Code == AGN_RT_OK; }
  int64_t code() const { return Code; }
  const std::string &message() const { return Message; }

  /// Folds \p other into this status: the first error keeps its code and the
  /// messages of later errors are appended, one per line, so that a batch (a
  /// configuration file, the environment) reports every bad key at once.
  void append(const Status &other) {
    if (other.ok())
      return;
    if (ok()) {
      *this = other;
      return;
    }
    Message += '\n';
    Message += other.Message;
  }

private:
  int64_t Code = AGN_RT_OK;
  std::string Message;
};

/// Either a value or an error Status.
template <typename T> class Expected {
public:
  Expected(T value) : Value(std::move(value)) {}
  Expected(Status status) : Err(std::move(status)) {
    assert(!Err.ok() && "an Expected without a value needs an error");
  }

  bool ok() const { return Value.has_value(); }
  const Status &status() const { return Err; }
  const T &value() const {
    assert(ok());
    return *Value;
  }
  const T &operator*() const { return value(); }
  const T *operator->() const { return &value(); }

private:
  std::optional<T> Value;
  Status Err;
};

} // namespace agn::rt

#endif // AGN_LIB_RUNTIME_STATUS_H
