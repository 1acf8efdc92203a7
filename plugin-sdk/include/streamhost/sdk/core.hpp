/// @file sdk/core.hpp
/// @brief The SDK's basics: errors with ABI codes, config key entries, and
/// conversions between the ABI's {data, len} views and std::string_view.
#pragma once

#include <streamhost/plugin_abi.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace streamhost::sdk {

/// An error with an ABI status code and, for config errors, the offending field.
class Error : public std::runtime_error {
 public:
  Error(sh_status_t code, const std::string& message, std::string field = {})
      : std::runtime_error(message), code_(code), field_(std::move(field)) {}
  sh_status_t code() const { return code_; }
  const std::string& field() const { return field_; }

 private:
  sh_status_t code_;
  std::string field_;
};

/// Throws an SH_ERR_INVALID_CONFIG error naming `field`.
[[noreturn]] inline void configError(std::string field, const std::string& message) {
  throw Error(SH_ERR_INVALID_CONFIG, message, std::move(field));
}

/// A config key table entry; use in a static array returned by configKeys().
constexpr sh_config_key_t configKey(const char* name, int32_t type, const char* default_json, uint32_t flags,
                                    const char* help) {
  return sh_config_key_t{sizeof(sh_config_key_t), name, type, flags, default_json, help};
}

inline sh_str_t toStr(std::string_view s) { return sh_str_t{s.data(), s.size()}; }
inline std::string_view toView(sh_str_t s) { return s.data ? std::string_view(s.data, s.len) : std::string_view(); }
inline sh_bytes_t toBytes(std::string_view s) {
  return sh_bytes_t{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view toView(sh_bytes_t b) {
  return b.data ? std::string_view(reinterpret_cast<const char*>(b.data), b.len) : std::string_view();
}

namespace detail {

inline void writeBuf(char* buf, size_t size, std::string_view text) {
  if (buf == nullptr || size == 0) {
    return;
  }
  size_t n = std::min(size - 1, text.size());
  std::memcpy(buf, text.data(), n);
  buf[n] = '\0';
}


}  // namespace detail

}  // namespace streamhost::sdk
