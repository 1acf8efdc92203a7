#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamhost::pgcdc {

/// A WAL position; 0 is "invalid" as in PostgreSQL.
using Lsn = uint64_t;

/// PostgreSQL's text form, e.g. "16/B374D848".
std::string formatLsn(Lsn lsn);
/// Parses "X/Y" (hex); nullopt when malformed.
std::optional<Lsn> parseLsn(std::string_view text);

/// The resume token the connector hands the host with each record.
///
/// Complete form "<end_lsn>": every transaction whose commit ends at or before
/// end_lsn is durable. Partial form "<end_lsn>+<commit_lsn>#<n>": additionally
/// the first n records of the transaction committing at commit_lsn are durable.
/// Rows of an unfinished initial snapshot carry
/// `snapshot:["<consistent lsn>","<schema>","<table>","<key>",...]`: the slot's
/// consistent point and the primary key (as text) of the last row delivered,
/// so a restart resumes after it. A bare "snapshot" (no position) restarts it.
struct Offset {
  enum class Kind { kNone, kSnapshot, kStream };
  Kind kind = Kind::kNone;
  Lsn complete = 0;     ///< end LSN of the last whole transaction
  Lsn txn_commit = 0;   ///< commit LSN of a partly delivered transaction, 0 when none
  uint64_t txn_records = 0;
  /// kSnapshot: the JSON array after "snapshot:", empty for a bare "snapshot".
  std::string snapshot_pos;

  /// The position a snapshot row carries (see above).
  /// snapshotPosition up to its keys: append `,"<key>"` for each and then `]`.
  static std::string snapshotPrefix(Lsn consistent, const std::string& schema, const std::string& table);
  static std::string snapshotPosition(Lsn consistent, const std::string& schema, const std::string& table,
                                      const std::vector<std::string>& key);
  /// Parsed snapshot_pos: nullopt for a bare "snapshot".
  struct SnapshotPos {
    Lsn consistent = 0;
    std::string schema;
    std::string table;
    std::vector<std::string> key;  ///< empty: restart that table
  };
  std::optional<SnapshotPos> snapshotPos() const;

  std::string encode() const;
  /// nullopt when `text` is not a token this connector wrote.
  static std::optional<Offset> parse(std::string_view text);
};

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
inline constexpr int64_t kPgEpochOffsetMicros = 946684800LL * 1000000LL;

}  // namespace streamhost::pgcdc
