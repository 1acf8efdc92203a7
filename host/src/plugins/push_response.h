#pragma once

#include <streamhost/plugin_abi.h>

#include <string>

namespace streamhost::plugins {

/// The object behind the `sh_push_response_t*` a push call fills: the ABI
/// struct first (so the pointer converts back), then the host's storage. A
/// body of any length arrives through response_set_body (ABI 1.1); a plugin
/// that writes into `response.body` is limited to its capacity.
struct PushResponseBuffer {
  static constexpr size_t kInlineCapacity = 64 * 1024;

  sh_push_response_t response{};
  std::string inline_body;
  std::string set_body;
  bool body_was_set = false;

  PushResponseBuffer() : inline_body(kInlineCapacity, '\0') {
    response.struct_size = sizeof(response);
    response.body = inline_body.data();
    response.body_capacity = inline_body.size();
  }
  PushResponseBuffer(const PushResponseBuffer&) = delete;
  PushResponseBuffer& operator=(const PushResponseBuffer&) = delete;

  static PushResponseBuffer* fromHandle(sh_push_response_t* r) { return reinterpret_cast<PushResponseBuffer*>(r); }

  /// The body the plugin gave: the set one, else what it wrote inline (never
  /// more than the capacity).
  std::string takeBody() {
    if (body_was_set) {
      return std::move(set_body);
    }
    inline_body.resize(std::min(response.body_len, inline_body.size()));
    return std::move(inline_body);
  }
};

}  // namespace streamhost::plugins
