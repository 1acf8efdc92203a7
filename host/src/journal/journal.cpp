#include "journal/journal.h"

#include <algorithm>
#include <future>

#include "journal/frame_codec.h"
#include "journal/journal_recovery.h"

namespace streamhost::journal {

Journal::Journal(std::filesystem::path dir, JournalOptions opts) : dir_(std::move(dir)), opts_(std::move(opts)) {}

Journal::~Journal() { close(); }

Result<JournalPtr> Journal::open(const std::filesystem::path& dir, JournalOptions opts) {
  if (opts.segment_bytes == 0 || opts.index_interval_bytes == 0) {
    return invalidArgument("segment_bytes and index_interval_bytes must be positive");
  }
  if (!opts.now_ms) {
    opts.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  auto recovered = recoverJournal(dir, opts);
  if (!recovered) {
    return recovered.status();
  }
  JournalPtr j(new Journal(dir, std::move(opts)));
  j->recovery_ = recovered->report;
  for (auto& seg : recovered->segments) {
    j->stats_.total_bytes += seg->size;
    for (const auto& [stream, mark] : seg->marks) {
      j->marks_[stream] = mark;
    }
    j->segments_.push_back(std::move(seg));
  }
  const uint64_t head = j->segments_.back()->last_seq;
  j->next_seq_ = head + 1;
  j->written_seq_ = head;
  j->durable_seq_ = head;
  j->notified_seq_ = head;
  j->oldest_seq_ = j->segments_.front()->first_seq;
  j->enforceRetention();
  j->flusher_ = std::thread([p = j.get()] { p->flusherLoop(); });
  return j;
}

int64_t Journal::nowMs() const { return opts_.now_ms(); }

Result<SeqRange> Journal::append(std::string_view stream_id, std::span<const Record> batch,
                                 DurableCallback on_durable) {
  return appendRecords(stream_id, batch, std::move(on_durable), true);
}

Result<SeqRange> Journal::tryAppend(std::string_view stream_id, std::span<const Record> batch,
                                    DurableCallback on_durable) {
  return appendRecords(stream_id, batch, std::move(on_durable), false);
}

Result<SeqRange> Journal::appendBlock(std::string_view stream_id, const RecordBlock& block,
                                      DurableCallback on_durable) {
  return appendImpl(stream_id, block, std::move(on_durable), true);
}

Result<SeqRange> Journal::tryAppendBlock(std::string_view stream_id, const RecordBlock& block,
                                         DurableCallback on_durable) {
  return appendImpl(stream_id, block, std::move(on_durable), false);
}

Result<SeqRange> Journal::appendRecords(std::string_view stream_id, std::span<const Record> batch,
                                        DurableCallback cb, bool block) {
  // Encoded on the caller's thread; the block is copied into the frames under the append lock.
  RecordBlock records;
  for (const Record& r : batch) {
    records.add(r);
  }
  return appendImpl(stream_id, records, std::move(cb), block);
}

Result<SeqRange> Journal::appendDurable(std::string_view stream_id, std::span<const Record> batch) {
  // Shared so the promise outlives set_value() even if this thread returns first.
  auto done = std::make_shared<std::promise<Status>>();
  auto future = done->get_future();
  auto range = append(stream_id, batch, [done](const Status& s, SeqRange) { done->set_value(s); });
  if (!range) {
    return range;
  }
  Status s = future.get();
  if (!s) {
    return s;
  }
  return range;
}

Status Journal::waitForSpace(std::unique_lock<std::mutex>& lk, uint64_t bytes, bool block) {
  while (true) {
    if (closing_) {
      return Status(StatusCode::kInvalidState, "journal is closed");
    }
    if (!failed_.isOk()) {
      return failed_;
    }
    // One batch is always let through when nothing is pending, so an oversized batch cannot wedge.
    if (opts_.max_pending_bytes == 0 || pending_bytes_ == 0 || pending_bytes_ + bytes <= opts_.max_pending_bytes) {
      return Status::ok();
    }
    if (!block) {
      stats_.backpressure_rejects++;
      return Status(StatusCode::kBackpressure, "journal writer behind: " + std::to_string(pending_bytes_) +
                                                   " bytes await fdatasync");
    }
    stats_.backpressure_waits++;
    flush_requested_ = true;
    flush_cv_.notify_one();
    space_cv_.wait(lk);
  }
}

Result<SeqRange> Journal::appendImpl(std::string_view stream_id, const RecordBlock& records, DurableCallback cb,
                                     bool block) {
  if (records.empty()) {
    return invalidArgument("empty batch");
  }
  const uint64_t limit = opts_.max_record_bytes == 0 ? kMaxPayloadBytes
                                                     : std::min<uint64_t>(opts_.max_record_bytes, kMaxPayloadBytes);
  // Never write what recovery would read as corruption: refuse it whole.
  const size_t overhead = batchFrameOverhead(stream_id);
  for (size_t i = 0; i < records.size(); ++i) {
    const uint64_t bytes = records.encodedSize(i) + overhead - kFrameHeaderBytes;
    if (bytes > limit) {
      Record r;
      std::string_view in = records.slice(i, i + 1);
      (void)RecordBlock::decode(in, r);
      return Status(StatusCode::kInvalidArgument,
                    "the record with offset '" + r.offset + "' is " + std::to_string(bytes) +
                        " bytes; this pipeline takes records of at most " + std::to_string(limit) +
                        " bytes (max_record_bytes)");
    }
  }
  std::lock_guard<std::mutex> append_lock(append_mu_);
  const int64_t now = nowMs();
  const SeqRange range{next_seq_, next_seq_ + records.size() - 1};
  encode_buf_.clear();
  frame_ends_.clear();
  frame_seqs_.clear();
  for (size_t from = 0; from < records.size();) {
    size_t to = from + 1;
    size_t body = records.encodedSize(from);
    while (to < records.size() && body + records.encodedSize(to) <= kBatchBodyTarget) {
      body += records.encodedSize(to++);
    }
    frame_seqs_.push_back(range.first + from);
    encoder_.append(encode_buf_, opts_.compression, range.first + from, static_cast<uint32_t>(to - from), stream_id,
                    now, records.slice(from, to));
    frame_ends_.push_back(encode_buf_.size());
    from = to;
  }
  StreamMark mark;
  if (records.lastWithOffset() < records.size()) {
    mark = {range.first + records.lastWithOffset(), std::string(records.lastOffset())};
  }
  const uint64_t bytes = encode_buf_.size();
  SegmentSharedPtr seg;
  {
    std::unique_lock<std::mutex> lk(mu_);
    if (Status s = waitForSpace(lk, bytes, block); !s) {
      return s;
    }
    seg = segments_.back();
  }
  if (seg->size > 0 && seg->size + bytes > opts_.segment_bytes) {
    if (Status s = rollLocked(range.first); !s) {
      return s;
    }
    std::lock_guard<std::mutex> lk(mu_);
    seg = segments_.back();
  }
  const uint64_t base = seg->size;  // only appenders change it, and append_mu_ is held
  if (Status s = seg->file->writeAt(base, encode_buf_); !s) {
    // Take back a partial write so the file never holds a frame nobody owns.
    if (Status t = seg->file->truncate(base); !t) {
      std::lock_guard<std::mutex> lk(mu_);
      failed_ = Status(StatusCode::kFatal, "journal unusable after failed write: " + t.message());
    }
    return s;
  }
  if (opts_.after_write_for_test) {
    opts_.after_write_for_test();
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!failed_.isOk()) {
      // A sync failed while this batch was written: the flusher will never
      // sync again, so queueing it would wait forever. It is not durable.
      return failed_;
    }
    uint64_t frame_pos = base;
    uint64_t next_index = seg->index.empty() ? 0 : seg->index.back().pos + opts_.index_interval_bytes;
    for (size_t f = 0; f < frame_ends_.size(); ++f) {
      if (seg->index.empty() || frame_pos >= next_index) {
        seg->index.push_back({frame_seqs_[f], frame_pos});
        next_index = frame_pos + opts_.index_interval_bytes;
      }
      frame_pos = base + frame_ends_[f];
    }
    seg->size = base + bytes;
    seg->last_seq = range.last;
    seg->newest_appended_ms = std::max(seg->newest_appended_ms, now);
    if (mark.seq != 0) {
      seg->marks[std::string(stream_id)] = mark;
    }
    if (!seg->awaiting_sync) {
      seg->awaiting_sync = true;
      unsynced_.push_back(seg);
    }
    if (unsynced_bytes_ == 0) {
      first_unsynced_at_ = std::chrono::steady_clock::now();
    }
    unsynced_bytes_ += bytes;
    pending_bytes_ += bytes;
    written_seq_ = range.last;
    pending_.push_back({range, bytes, std::move(cb), std::string(stream_id), std::move(mark)});
    stats_.appends++;
    stats_.records_appended += records.size();
    stats_.bytes_appended += bytes;
    stats_.total_bytes += bytes;
  }
  flush_cv_.notify_one();
  next_seq_ = range.last + 1;
  return range;
}

Status Journal::rollLocked(uint64_t next_seq) {
  auto seg = std::make_shared<Segment>();
  seg->first_seq = next_seq;
  seg->last_seq = next_seq - 1;
  seg->durable_last_seq = next_seq - 1;
  seg->path = dir_ / segmentFileName(next_seq);
  auto file = FileHandle::open(seg->path, true, true);
  if (!file) {
    return file.status();
  }
  seg->file = *file;
  std::lock_guard<std::mutex> lk(mu_);
  auto& old = segments_.back();
  old->sealed = true;
  // The flusher syncs the old segment (if needed) and writes its sidecar index.
  if (!old->awaiting_sync) {
    old->awaiting_sync = true;
    unsynced_.push_back(old);
  }
  segments_.push_back(std::move(seg));
  dir_dirty_ = true;
  stats_.segments_rolled++;
  return Status::ok();
}

void Journal::flusherLoop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    if (unsynced_.empty()) {
      if (stop_flusher_) {
        break;
      }
      if (opts_.retention_max_age_seconds > 0) {
        flush_cv_.wait_for(lk, opts_.retention_check_interval);
      } else {
        flush_cv_.wait(lk);
      }
      if (unsynced_.empty() && !stop_flusher_) {
        lk.unlock();
        enforceRetention();
        lk.lock();
      }
      continue;
    }
    if (!failed_.isOk()) {
      // After a failed fdatasync the page cache cannot be trusted; never report later syncs as success.
      for (auto& seg : unsynced_) {
        seg->awaiting_sync = false;
      }
      unsynced_.clear();
      unsynced_bytes_ = 0;
      failPendingLocked(lk, failed_);
      continue;
    }
    const auto deadline = first_unsynced_at_ + opts_.group_commit_delay;
    flush_cv_.wait_until(lk, deadline, [this] {
      return stop_flusher_ || flush_requested_ || unsynced_bytes_ >= opts_.group_commit_max_bytes;
    });
    groupCommit(lk);
  }
  flusher_exited_ = true;
  data_cv_.notify_all();
}

void Journal::groupCommit(std::unique_lock<std::mutex>& lk) {
  struct Captured {
    SegmentSharedPtr seg;
    uint64_t size;
    uint64_t last_seq;
    bool sealed;
  };
  std::vector<Captured> batch;
  for (auto& seg : unsynced_) {
    seg->awaiting_sync = false;
    batch.push_back({seg, seg->size, seg->last_seq, seg->sealed});
  }
  unsynced_.clear();
  const uint64_t target = written_seq_;
  const bool sync_dir = dir_dirty_;
  dir_dirty_ = false;
  unsynced_bytes_ = 0;
  flush_requested_ = false;
  lk.unlock();

  Status st;
  if (opts_.before_sync_for_test) {
    opts_.before_sync_for_test();
  }
  if (opts_.sync_fault_for_test) {
    st = opts_.sync_fault_for_test();
  }
  for (auto& c : batch) {
    if (!st) {
      break;
    }
    st = c.seg->file->dataSync();
    if (!st) {
      break;
    }
    if (c.sealed) {
      // Best effort: without a sidecar, recovery rebuilds the index by scanning.
      (void)writeIndexFile(*c.seg);
    }
  }
  if (st && sync_dir) {
    st = syncDirectory(dir_);
  }

  lk.lock();
  std::vector<Pending> done;
  if (!st) {
    failed_ = Status(StatusCode::kFatal, "journal unusable after failed sync: " + st.message());
    st = failed_;
    for (auto& p : pending_) {
      done.push_back(std::move(p));
    }
    pending_.clear();
    pending_bytes_ = 0;
  } else {
    for (auto& c : batch) {
      c.seg->durable_size = std::max(c.seg->durable_size, c.size);
      c.seg->durable_last_seq = std::max(c.seg->durable_last_seq, c.last_seq);
      c.seg->indexed = c.sealed;
    }
    durable_seq_ = target;
    while (!pending_.empty() && pending_.front().range.last <= target) {
      pending_bytes_ -= pending_.front().bytes;
      if (pending_.front().mark.seq != 0) {
        marks_[pending_.front().stream_id] = pending_.front().mark;
      }
      done.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    stats_.syncs++;
  }
  data_cv_.notify_all();
  space_cv_.notify_all();
  lk.unlock();
  for (auto& p : done) {
    if (p.callback) {
      p.callback(st, p.range);
    }
  }
  done.clear();
  enforceRetention();
  lk.lock();
  notified_seq_ = durable_seq_;
  data_cv_.notify_all();
}

Status Journal::flush() {
  std::unique_lock<std::mutex> lk(mu_);
  const uint64_t target = written_seq_;
  flush_requested_ = true;
  flush_cv_.notify_one();
  data_cv_.wait(lk, [&] { return notified_seq_ >= target || !failed_.isOk() || flusher_exited_; });
  if (!failed_.isOk()) {
    return failed_;
  }
  return notified_seq_ >= target ? Status::ok() : Status(StatusCode::kInvalidState, "journal is closed");
}

void Journal::requestSync() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (unsynced_.empty()) {
      return;
    }
    flush_requested_ = true;
  }
  flush_cv_.notify_one();
}

void Journal::close() {
  std::lock_guard<std::mutex> close_lock(close_mu_);
  if (!flusher_.joinable()) {
    return;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    closing_ = true;
  }
  space_cv_.notify_all();
  data_cv_.notify_all();
  {
    // Once no append is in flight, the flusher's last round covers everything written.
    std::lock_guard<std::mutex> append_lock(append_mu_);
    std::lock_guard<std::mutex> lk(mu_);
    stop_flusher_ = true;
  }
  flush_cv_.notify_all();
  flusher_.join();
  std::unique_lock<std::mutex> lk(mu_);
  // Nothing may wait on a closed journal: what is still queued failed.
  failPendingLocked(lk, failed_.isOk() ? Status(StatusCode::kInvalidState, "journal closed before the batch was durable")
                                       : failed_);
  data_cv_.notify_all();
}

void Journal::failPendingLocked(std::unique_lock<std::mutex>& lk, const Status& why) {
  if (pending_.empty()) {
    return;
  }
  std::deque<Pending> failed = std::move(pending_);
  pending_.clear();
  pending_bytes_ = 0;
  space_cv_.notify_all();
  lk.unlock();
  for (auto& p : failed) {
    if (p.callback) {
      p.callback(why, p.range);
    }
  }
  lk.lock();
}

}  // namespace streamhost::journal
