#pragma once

#include <streamhost/plugin_abi.h>

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace streamhost {

/// Error codes of the host. Values equal the ABI's sh_status_t so a plugin's
/// code converts 1:1 (see fromAbi()).
enum class StatusCode : int32_t {
  kOk = SH_OK,
  kInvalidArgument = SH_ERR_INVALID_ARGUMENT,
  kInvalidConfig = SH_ERR_INVALID_CONFIG,
  kNotFound = SH_ERR_NOT_FOUND,
  kUnsupported = SH_ERR_UNSUPPORTED,
  kInvalidState = SH_ERR_INVALID_STATE,
  kTransient = SH_ERR_TRANSIENT,
  kBackpressure = SH_ERR_BACKPRESSURE,
  kBusy = SH_ERR_BUSY,
  kFatal = SH_ERR_FATAL,
  kInternal = SH_ERR_INTERNAL,
  // Host-only codes, outside the ABI ranges.
  kAlreadyExists = -1001,  ///< unique name taken
  kConflict = -1002,       ///< still referenced
  kUnauthenticated = -1003,
  kPermissionDenied = -1004,
  kGone = -1005,           ///< data removed by retention
  kNotImplemented = -1006, ///< the plugin does not offer the call (HTTP 501)
};

/// An absl::Status-like value: a code, a message and, for validation errors,
/// the offending field path.
class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status ok() { return Status(); }
  /// Converts a plugin's status code and message.
  static Status fromAbi(sh_status_t code, std::string message, std::string field = {});

  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  bool retriable() const {
    return code_ == StatusCode::kTransient || code_ == StatusCode::kBackpressure || code_ == StatusCode::kBusy;
  }
  /// "CODE_NAME: message", for logs.
  std::string toString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

const char* statusCodeName(StatusCode code);

inline Status invalidArgument(std::string message, std::string field = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(message), std::move(field));
}
inline Status notFound(std::string message) { return Status(StatusCode::kNotFound, std::move(message)); }
inline Status internalError(std::string message) { return Status(StatusCode::kInternal, std::move(message)); }

/// A value or a non-OK Status.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).isOk());
  }

  bool isOk() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return isOk(); }
  const Status& status() const {
    static const Status kOk;
    return isOk() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace streamhost
