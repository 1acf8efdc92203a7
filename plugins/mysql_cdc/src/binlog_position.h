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
/// there are durable too (a restart skips them); ";<gtid>" names the last
/// whole transaction (informational: resuming uses file and position, exact on
/// the server the stream reads). "snapshot" marks rows of an unfinished
/// initial snapshot.
struct BinlogOffset {
  enum class Kind { kNone, kSnapshot, kStream };
  Kind kind = Kind::kNone;
  std::string file;
  uint64_t pos = 0;
  uint64_t rows = 0;
  std::string gtid;

  std::string encode() const;
  /// nullopt when `text` is not a token this connector wrote.
  static std::optional<BinlogOffset> parse(std::string_view text);
};

}  // namespace streamhost::mycdc
