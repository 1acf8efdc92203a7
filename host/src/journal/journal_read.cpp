#include "journal/journal.h"

#include <algorithm>

#include "journal/frame_codec.h"

namespace streamhost::journal {
namespace {

constexpr size_t kReadChunk = 64 << 10;

}  // namespace

Result<ReadResult> Journal::read(uint64_t after_seq, size_t limit, size_t max_bytes) const {
  ReadResult out;
  uint64_t next = after_seq + 1;
  {
    std::lock_guard<std::mutex> lk(mu_);
    out.head_seq = durable_seq_;
    out.oldest_seq = oldest_seq_;
    if (next < oldest_seq_) {
      return Status(StatusCode::kGone, "seq " + std::to_string(next) +
                                           " was removed by retention; oldest_seq=" + std::to_string(oldest_seq_));
    }
  }
  size_t bytes = 0;
  while (out.entries.size() < limit && next <= out.head_seq) {
    SegmentSharedPtr seg;
    uint64_t start = 0;
    uint64_t end = 0;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (next < oldest_seq_) {
        break;  // retention overtook this read; the next call reports kGone
      }
      auto it = std::upper_bound(segments_.begin(), segments_.end(), next,
                                 [](uint64_t s, const SegmentSharedPtr& g) { return s < g->first_seq; });
      seg = *std::prev(it);
      if (next > seg->durable_last_seq && it != segments_.end()) {
        // A gap left by a quarantined segment: its numbers are never reused.
        next = (*it)->first_seq;
        continue;
      }
      start = seg->seekPos(next);
      end = seg->durable_size;
    }
    const uint64_t before = next;
    bool full = false;
    Status err;
    FrameDecoder frame;
    ScanOutcome o = scanFrames(
        *seg->file, start, end,
        [&](uint64_t pos, std::string_view payload) {
          auto undecodable = [&](const std::string& why) {
            err = internalError("undecodable record at " + seg->path.string() + ":" + std::to_string(pos) + " (" +
                                why + ")");
            return false;
          };
          PayloadHead head;
          if (!peekPayload(payload, head)) {
            return undecodable("bad_payload");
          }
          if (head.lastSeq() < next) {
            return true;
          }
          if (head.seq > next) {
            err = internalError("seq " + std::to_string(head.seq) + " where " + std::to_string(next) +
                                " was expected in " + seg->path.string());
            return false;
          }
          if (!frame.open(payload)) {
            return undecodable(frame.error());
          }
          JournalEntry e;
          while (frame.left() > 0) {
            if (out.entries.size() >= limit) {
              full = true;
              return false;
            }
            if (!frame.next(e)) {
              return undecodable(frame.error());
            }
            if (e.seq < next) {
              continue;
            }
            const size_t size = e.record.byteSize();
            if (!out.entries.empty() && bytes + size > max_bytes) {
              full = true;
              return false;
            }
            bytes += size;
            out.entries.push_back(std::move(e));
            e = JournalEntry();
            ++next;
            if (next > out.head_seq) {
              return false;
            }
          }
          full = out.entries.size() >= limit;
          return !full;
        },
        kReadChunk);
    if (!err.isOk()) {
      return err;
    }
    if (full || next > out.head_seq) {
      break;
    }
    if (!o.error.empty() && o.error != "stopped") {
      return internalError("corrupt journal segment " + seg->path.string() + " at " + std::to_string(o.end_pos) +
                           ": " + o.error);
    }
    if (next == before) {
      return internalError("seq " + std::to_string(next) + " missing from " + seg->path.string());
    }
  }
  return out;
}

bool Journal::waitForData(uint64_t after_seq, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(mu_);
  data_cv_.wait_for(lk, timeout, [&] { return durable_seq_ > after_seq || closing_; });
  return durable_seq_ > after_seq;
}

void Journal::enforceRetention() {
  if (opts_.retention_max_bytes == 0 && opts_.retention_max_age_seconds <= 0) {
    return;
  }
  std::vector<SegmentSharedPtr> doomed;
  {
    std::lock_guard<std::mutex> lk(mu_);
    const int64_t cutoff = nowMs() - opts_.retention_max_age_seconds * 1000;
    while (segments_.size() > 1) {
      const auto& front = segments_.front();
      // Only sealed segments whose data and sidecar are done; never the active one.
      if (!front->indexed || front->awaiting_sync || front->durable_size != front->size) {
        break;
      }
      const bool over_bytes = opts_.retention_max_bytes > 0 && stats_.total_bytes > opts_.retention_max_bytes;
      const bool too_old = opts_.retention_max_age_seconds > 0 && front->newest_appended_ms < cutoff;
      if (!over_bytes && !too_old) {
        break;
      }
      stats_.total_bytes -= front->size;
      stats_.segments_deleted++;
      doomed.push_back(front);
      segments_.pop_front();
    }
    oldest_seq_ = segments_.front()->first_seq;
  }
  // Readers holding a segment keep its open file; unlinking does not disturb them.
  for (const auto& seg : doomed) {
    std::error_code ec;
    std::filesystem::remove(seg->path, ec);
    std::filesystem::remove(indexPathFor(seg->path), ec);
  }
}

std::optional<StreamMark> Journal::lastDurable(const std::string& stream_id) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = marks_.find(stream_id);
  if (it == marks_.end()) {
    return std::nullopt;
  }
  return it->second;
}

Status Journal::failure() const {
  std::lock_guard<std::mutex> lk(mu_);
  return failed_;
}

uint64_t Journal::headSeq() const {
  std::lock_guard<std::mutex> lk(mu_);
  return durable_seq_;
}

uint64_t Journal::oldestSeq() const {
  std::lock_guard<std::mutex> lk(mu_);
  return oldest_seq_;
}

JournalStats Journal::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  JournalStats s = stats_;
  s.pending_bytes = pending_bytes_;
  s.segments = segments_.size();
  s.head_seq = durable_seq_;
  s.oldest_seq = oldest_seq_;
  return s;
}

}  // namespace streamhost::journal
