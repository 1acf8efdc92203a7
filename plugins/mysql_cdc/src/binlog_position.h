#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamhost::mycdc {

/// The resume token handed to the host with each record.
///
/// "<file>:<pos>" means every transaction ending at or before pos of file is
/// durable; "#<n>" adds that the first n rows of the transaction that starts
/// there are durable too (a restart skips them); "@<t>" is the server time
/// (Unix seconds) of the last event read before that point, which the binlog
/// expiry check uses (the file was written no earlier); ";<gtid>" is the GTID
/// position at that point: on MariaDB the last whole transaction of each
/// replication domain ("0-1-99,1-2-7", like gtid_slave_pos), on MySQL the last
/// whole transaction's GTID (informational). Resuming uses file and position;
/// when the file is gone from the server (purged after the stream read past
/// it, or another server after a failover), MariaDB resumes by the GTID
/// position instead. "snapshot" marks rows of an unfinished initial snapshot.
struct BinlogOffset {
  enum class Kind { kNone, kSnapshot, kStream };
  Kind kind = Kind::kNone;
  std::string file;
  uint64_t pos = 0;
  uint64_t rows = 0;
  int64_t time_s = 0;  ///< 0: unknown (older tokens, a position set by hand)
  std::string gtid;

  std::string encode() const;
  /// nullopt when `text` is not a token this connector wrote.
  static std::optional<BinlogOffset> parse(std::string_view text);
};

/// Whether `state` is a MariaDB GTID position: "domain-server-seq" entries
/// separated by commas.
bool isMariaGtidState(std::string_view state);

/// `state` with MariaDB GTID `gtid` ("domain-server-seq") as its domain's
/// last transaction; entries stay ordered by domain. A state that is not a
/// MariaDB position (a MySQL GTID, or empty) is replaced.
std::string withMariaGtid(std::string_view state, std::string_view gtid);

}  // namespace streamhost::mycdc
