#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
/// "snapshot" marks rows of an unfinished initial snapshot.
struct Offset {
  enum class Kind { kNone, kSnapshot, kStream };
  Kind kind = Kind::kNone;
  Lsn complete = 0;     ///< end LSN of the last whole transaction
  Lsn txn_commit = 0;   ///< commit LSN of a partly delivered transaction, 0 when none
  uint64_t txn_records = 0;

  std::string encode() const;
  /// nullopt when `text` is not a token this connector wrote.
  static std::optional<Offset> parse(std::string_view text);
};

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
inline constexpr int64_t kPgEpochOffsetMicros = 946684800LL * 1000000LL;

}  // namespace streamhost::pgcdc
