#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace streamhost::store {

/// What resealSqliteStore() changed.
struct ResealReport {
  uint64_t connections = 0;    ///< connections whose secrets were re-sealed
  uint64_t stream_values = 0;  ///< sealed stream-config values re-sealed
  uint64_t already = 0;        ///< rows that already opened under the new key
};

/// Re-seals every sealed value of the SQLite store at `path` (connection
/// secrets, sealed stream-config keys) from `from_key` to `to_key`, in one
/// transaction committed with synchronous=FULL. The database is opened in
/// exclusive locking mode, so this fails with kBusy while any other process
/// (a running daemon) has it open. A value that already opens under `to_key`
/// is left as it is, so running it again after an interruption finishes the
/// job; a value that opens under neither key fails the whole call (kInternal,
/// naming the row) and nothing is changed. Every error leaves the store as it
/// was except kFatal: the commit itself failed and its outcome is unknown.
/// A missing database file is an empty store.
Result<ResealReport> resealSqliteStore(const std::string& path, const std::string& from_key,
                                       const std::string& to_key);

}  // namespace streamhost::store
