#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lsn.h"
#include "relation.h"

namespace streamhost::pgcdc {

/// Where a change came from, for the record's "source" block.
struct SourceInfo {
  Lsn lsn = 0;
  std::optional<uint32_t> xid;
  int64_t ts_ms = 0;
  bool snapshot = false;
};

/// A change to encode. `before_is_identity`: the old tuple holds only the
/// replica identity (pgoutput 'K'), so only those columns are shown.
struct Change {
  char op = 'c';  ///< r, c, u, d, t
  const Relation* relation = nullptr;
  const Tuple* before = nullptr;
  bool before_is_identity = false;
  const Tuple* after = nullptr;
};

/// Writes a change's key (the key columns as a JSON object, empty when the
/// table has none) and value (the record envelope) into reused buffers.
void encodeChange(const Change& change, const SourceInfo& source, int64_t now_ms, std::string& key,
                  std::string& value);

}  // namespace streamhost::pgcdc
