#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.h"
#include "common/status.h"

namespace streamhost::journal {

/// How the records of a batch frame are compressed; the value is stored in the frame.
enum class Compression : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

/// "none", "lz4", "zstd".
const char* compressionName(Compression c);
/// Parses a compressionName(); false for anything else.
bool parseCompression(std::string_view name, Compression& out);

/// Settings of one pipeline journal. Zero for a limit means "no limit".
struct JournalOptions {
  /// The newest seq the host was told is durable (a stream's committed seq);
  /// recovery treats losing it as damage, never as a torn tail. 0: unknown.
  uint64_t acknowledged_seq = 0;
  /// A segment is rolled once appending the next batch would pass this size.
  uint64_t segment_bytes = 64ull << 20;
  /// Longest a written record waits for more company before the group fdatasync.
  std::chrono::microseconds group_commit_delay = std::chrono::milliseconds(2);
  /// A group commit starts at once when this many bytes await it.
  uint64_t group_commit_max_bytes = 4ull << 20;
  /// Delete the oldest segments while the journal is larger than this.
  uint64_t retention_max_bytes = 0;
  /// Delete segments whose newest record is older than this.
  int64_t retention_max_age_seconds = 0;
  /// Appends block (or tryAppend refuses) while this many bytes await fdatasync.
  uint64_t max_pending_bytes = 64ull << 20;
  /// A record whose encoded payload is larger is refused before anything of its
  /// batch is written (a pipeline's config.max_record_bytes); 0: the frame limit.
  uint64_t max_record_bytes = 0;
  /// Compression of the batch frames written from now on; existing frames keep theirs.
  Compression compression = Compression::kNone;
  /// One sparse index point per this many bytes of segment.
  uint64_t index_interval_bytes = 16ull << 10;
  /// How often the flusher checks age retention while idle.
  std::chrono::milliseconds retention_check_interval = std::chrono::seconds(1);
  /// Wall clock in Unix milliseconds; stamps appended_at_ms and drives age retention.
  std::function<int64_t()> now_ms;
  /// Called by the flusher just before each fdatasync; tests use it to slow syncs down.
  std::function<void()> before_sync_for_test;
  /// Consulted before each group's fdatasync; an error is taken as that sync failing.
  std::function<Status()> sync_fault_for_test;
  /// Called by an appender after its write, before it queues for durability.
  std::function<void()> after_write_for_test;
};

/// The newest record of one stream in the journal: its seq and source offset.
struct StreamMark {
  uint64_t seq = 0;
  std::string offset;
};

/// Inclusive range of sequence numbers; empty when last < first.
struct SeqRange {
  uint64_t first = 1;
  uint64_t last = 0;
  bool empty() const { return last < first; }
  uint64_t count() const { return empty() ? 0 : last - first + 1; }
};

/// One record as the journal stores it.
struct JournalEntry {
  uint64_t seq = 0;
  std::string stream_id;
  int64_t appended_at_ms = 0;
  Record record;
};

/// What read() returns.
struct ReadResult {
  std::vector<JournalEntry> entries;  ///< seq > after_seq, oldest first, all durable
  uint64_t head_seq = 0;              ///< last durable seq (0 when none yet)
  uint64_t oldest_seq = 0;            ///< first seq still kept
};

/// What recovery on open found and did. The host logs it.
struct RecoveryReport {
  uint64_t segments = 0;          ///< segments kept
  uint64_t segments_scanned = 0;  ///< segments whose frames were verified
  uint64_t records_kept = 0;      ///< records in the journal after recovery
  uint64_t bytes_dropped = 0;     ///< bytes cut from the tail (torn or corrupt)
  uint64_t segments_dropped = 0;  ///< whole segments removed after a cut
  std::string segment;            ///< file that was cut; empty when clean
  uint64_t cut_offset = 0;        ///< byte offset of the cut in that file
  std::string reason;             ///< torn_frame|crc_mismatch|bad_length|bad_payload|seq_gap|empty_segment
  uint64_t holes = 0;             ///< gaps left by quarantined segments (their seqs are never reused)
  bool clean() const { return bytes_dropped == 0 && segments_dropped == 0; }
  /// key=value text for a log line.
  std::string toString() const;
};

/// Counters, for metrics and tests.
struct JournalStats {
  uint64_t appends = 0;
  uint64_t records_appended = 0;
  uint64_t bytes_appended = 0;
  uint64_t syncs = 0;  ///< fdatasync rounds (group commits)
  uint64_t backpressure_waits = 0;
  uint64_t backpressure_rejects = 0;
  uint64_t segments_rolled = 0;
  uint64_t segments_deleted = 0;
  uint64_t pending_bytes = 0;
  uint64_t total_bytes = 0;
  uint64_t segments = 0;
  uint64_t head_seq = 0;
  uint64_t oldest_seq = 0;
};

/// Called once per append, in append order, from the flusher thread, when the
/// batch is durable (OK) or can no longer become durable (error). Must not block
/// for long and must not call back into blocking Journal methods.
using DurableCallback = std::function<void(const Status& status, SeqRange range)>;

}  // namespace streamhost::journal
