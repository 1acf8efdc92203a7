#pragma once

#include <string>

#include "common/status.h"
#include "store/store.h"

namespace streamhost::core {

/// Opaque, tamper-proof page cursors: the position plus the listing it
/// belongs to (`scope`, e.g. the filters), signed with HMAC-SHA256. A cursor
/// edited by hand or taken from another listing is rejected.
class CursorCodec {
 public:
  /// `secret` is the data directory's key; a per-purpose key is derived from it.
  explicit CursorCodec(const std::string& secret);

  std::string encode(const store::PageKey& key, const std::string& scope) const;
  /// kInvalidArgument (field "cursor") when forged, tampered with, or from another scope.
  Result<store::PageKey> decode(const std::string& cursor, const std::string& scope) const;

 private:
  std::string key_;
};

}  // namespace streamhost::core
