#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"

namespace streamhost::runtime {

/// What a running stream (a pull worker or a push stream) reports; the owner
/// persists it before anyone is told. Both kinds report through this one path.
struct StreamCallbacks {
  /// status is "running", "paused" or "error" (with a message).
  std::function<void(const std::string& status, const std::optional<std::string>& error)> on_status;
  /// Records up to `offset` are durable in the journal, the stream's last one
  /// at `journal_seq` (0 when the offset came without records); persist it
  /// (returns the store's status).
  std::function<Status(const std::string& offset, uint64_t journal_seq)> on_durable;
};

}  // namespace streamhost::runtime
