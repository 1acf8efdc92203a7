#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/record.h"
#include "common/record_block.h"
#include "common/status.h"
#include "journal/frame_codec.h"
#include "journal/journal_types.h"
#include "journal/segment.h"

namespace streamhost::journal {

class Journal;
using JournalPtr = std::unique_ptr<Journal>;
using JournalSharedPtr = std::shared_ptr<Journal>;

/// The durable, ordered log of one pipeline: append-only segment files of
/// CRC32C-framed records with contiguous sequence numbers starting at 1.
///
/// Appends land in the page cache at once; one flusher thread makes them
/// durable with group commit (one fdatasync for everything written so far) and
/// then fires the durable callbacks in append order. Readers only ever see
/// durable records, so nothing they read can vanish in a crash.
///
/// @remark Thread-safe. Appends are serialized; reads run concurrently with them.
class Journal {
 public:
  /// Opens (recovering) or creates the journal in `dir` and starts its flusher.
  static Result<JournalPtr> open(const std::filesystem::path& dir, JournalOptions opts);
  /// Closes (see close()).
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// Appends `batch` (non-empty) for `stream_id` with one write. Blocks while more
  /// than max_pending_bytes await fdatasync.
  /// @param on_durable called once from the flusher thread, in append order; may be empty.
  /// @returns the sequence numbers given to the batch, or an error (then
  ///          on_durable is never called).
  Result<SeqRange> append(std::string_view stream_id, std::span<const Record> batch, DurableCallback on_durable);
  /// Like append() but answers kBackpressure instead of blocking.
  Result<SeqRange> tryAppend(std::string_view stream_id, std::span<const Record> batch,
                             DurableCallback on_durable);
  /// Appends and waits until the batch is durable.
  Result<SeqRange> appendDurable(std::string_view stream_id, std::span<const Record> batch);
  /// append() of records already encoded (the worker's path: no per-record copy).
  Result<SeqRange> appendBlock(std::string_view stream_id, const RecordBlock& block, DurableCallback on_durable);
  Result<SeqRange> tryAppendBlock(std::string_view stream_id, const RecordBlock& block, DurableCallback on_durable);

  /// Durable records with seq > after_seq, oldest first: at most `limit`, and no
  /// more than `max_bytes` of record data unless the first one alone is larger.
  /// kGone (message carries oldest_seq=N) when after_seq + 1 was removed by retention.
  Result<ReadResult> read(uint64_t after_seq, size_t limit, size_t max_bytes) const;
  /// Waits until a record with seq > after_seq is durable; false on timeout or close.
  bool waitForData(uint64_t after_seq, std::chrono::milliseconds timeout) const;

  /// Waits until everything appended so far is durable and its callbacks have run,
  /// skipping the group-commit delay.
  Status flush();
  /// Starts the next group commit now instead of after the group-commit delay,
  /// without waiting for it: for a writer that has nothing to do but wait.
  void requestSync();
  /// Deletes whole sealed segments, oldest first, past the byte or age limit.
  /// Also run by the flusher after each group commit and periodically.
  void enforceRetention();
  /// Flushes, stops the flusher and rejects further appends. Idempotent.
  void close();

  /// The newest durable record of `stream_id` still known to the journal
  /// (recovered from the records themselves on open), or nullopt.
  std::optional<StreamMark> lastDurable(const std::string& stream_id) const;
  /// OK, or why the journal takes no more appends (a failed fdatasync or write).
  Status failure() const;

  uint64_t headSeq() const;
  uint64_t oldestSeq() const;
  JournalStats stats() const;
  const RecoveryReport& recoveryReport() const { return recovery_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  /// An appended batch waiting for its group commit.
  struct Pending {
    SeqRange range;
    uint64_t bytes = 0;
    DurableCallback callback;
    std::string stream_id;
    StreamMark mark;  ///< seq 0 when no record of the batch carries an offset
  };

  Journal(std::filesystem::path dir, JournalOptions opts);
  Result<SeqRange> appendRecords(std::string_view stream_id, std::span<const Record> batch, DurableCallback cb,
                                 bool block);
  Result<SeqRange> appendImpl(std::string_view stream_id, const RecordBlock& records, DurableCallback cb,
                              bool block);
  Status waitForSpace(std::unique_lock<std::mutex>& lk, uint64_t bytes, bool block);
  Status rollLocked(uint64_t next_seq);
  void flusherLoop();
  void groupCommit(std::unique_lock<std::mutex>& lk);
  /// Fails every queued batch with `why` (callbacks run unlocked).
  void failPendingLocked(std::unique_lock<std::mutex>& lk, const Status& why);
  int64_t nowMs() const;

  const std::filesystem::path dir_;
  const JournalOptions opts_;
  RecoveryReport recovery_;

  // Serializes appenders: seq assignment, encoding, the write and rolls.
  std::mutex append_mu_;
  std::string encode_buf_;             // guarded by append_mu_
  std::vector<uint64_t> frame_ends_;   // guarded by append_mu_
  std::vector<uint64_t> frame_seqs_;   // guarded by append_mu_: first seq of each frame
  BatchEncoder encoder_;               // guarded by append_mu_
  uint64_t next_seq_ = 1;              // guarded by append_mu_

  mutable std::mutex mu_;
  mutable std::condition_variable data_cv_;   // durable_seq_ advanced, or closing
  std::condition_variable space_cv_;          // pending_bytes_ dropped, or closing
  std::condition_variable flush_cv_;          // work for the flusher
  std::deque<SegmentSharedPtr> segments_;     // oldest first; back() is active
  std::vector<SegmentSharedPtr> unsynced_;    // written since the last group commit
  std::deque<Pending> pending_;
  bool dir_dirty_ = false;
  bool flush_requested_ = false;
  bool closing_ = false;
  bool stop_flusher_ = false;
  bool flusher_exited_ = false;
  Status failed_;
  uint64_t written_seq_ = 0;
  uint64_t durable_seq_ = 0;
  uint64_t notified_seq_ = 0;  // durable callbacks have run up to here
  uint64_t oldest_seq_ = 1;
  uint64_t pending_bytes_ = 0;
  std::map<std::string, StreamMark> marks_;  // durable, per stream
  uint64_t unsynced_bytes_ = 0;
  std::chrono::steady_clock::time_point first_unsynced_at_;
  JournalStats stats_;

  std::mutex close_mu_;
  std::thread flusher_;
};

}  // namespace streamhost::journal
