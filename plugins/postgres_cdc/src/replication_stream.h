#pragma once

#include <cstdint>
#include <string_view>

#include "lsn.h"
#include "pg_conn.h"

namespace streamhost::pgcdc {

/// The COPY BOTH side of a replication connection after START_REPLICATION.
class ReplicationStream {
 public:
  explicit ReplicationStream(PgConn& conn) : conn_(conn) {}
  ~ReplicationStream();
  ReplicationStream(const ReplicationStream&) = delete;
  ReplicationStream& operator=(const ReplicationStream&) = delete;

  /// The next CopyData message, waiting at most `timeout_ms` (0: only what has
  /// arrived) and returning early when `wake_fd` becomes readable. An empty view
  /// means none. Valid until the next call. Throws sdk::Error when the server
  /// ends the stream or the connection breaks.
  std::string_view next(int timeout_ms, int wake_fd);

  /// Standby status update: everything up to `flushed` is durable on our side.
  void sendStatus(Lsn flushed, bool reply_requested, int64_t now_unix_ms);

  /// Ends COPY politely; errors are ignored (the connection is closed next).
  void finish();

 private:
  void release();

  PgConn& conn_;
  char* buf_ = nullptr;
};

}  // namespace streamhost::pgcdc
