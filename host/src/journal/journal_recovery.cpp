#include "journal/journal_recovery.h"

#include <algorithm>
#include <sstream>

#include "journal/frame_codec.h"

namespace streamhost::journal {
namespace {

/// Verifies every frame of `seg` and rebuilds its index; returns the reason it
/// stopped early (empty when the whole file is valid).
std::string scanSegment(Segment& seg, uint64_t file_size, uint64_t interval) {
  seg.index.clear();
  seg.last_seq = seg.first_seq - 1;
  seg.newest_appended_ms = 0;
  std::string payload_error;
  uint64_t next_index_pos = 0;
  ScanOutcome outcome = scanFrames(*seg.file, 0, file_size, [&](uint64_t pos, std::string_view payload) {
    PayloadHead head;
    if (!peekPayload(payload, head)) {
      payload_error = "bad_payload";
      return false;
    }
    if (head.seq != seg.last_seq + 1) {
      payload_error = "seq_gap";
      return false;
    }
    if (seg.index.empty() || pos >= next_index_pos) {
      seg.index.push_back({head.seq, pos});
      next_index_pos = pos + interval;
    }
    seg.last_seq = head.seq;
    seg.newest_appended_ms = std::max(seg.newest_appended_ms, head.appended_at_ms);
    return true;
  });
  seg.size = outcome.end_pos;
  return outcome.error == "stopped" ? payload_error : outcome.error;
}

std::vector<std::pair<uint64_t, std::filesystem::path>> listSegments(const std::filesystem::path& dir) {
  std::vector<std::pair<uint64_t, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t first = 0;
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && parseSegmentFileName(name, first)) {
      found.emplace_back(first, e.path());
    } else if (e.path().extension() == ".tmp") {
      std::filesystem::remove(e.path(), ec);
    } else if (e.path().extension() == ".idx") {
      auto seg = e.path();
      if (!std::filesystem::exists(seg.replace_extension(".seg"))) {
        std::filesystem::remove(e.path(), ec);  // left behind by an interrupted retention
      }
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

void removeSegmentFiles(const std::filesystem::path& seg_path) {
  std::error_code ec;
  std::filesystem::remove(seg_path, ec);
  std::filesystem::remove(indexPathFor(seg_path), ec);
}

/// Removes segments found[from..] and counts them in `report`.
void dropSegments(std::vector<std::pair<uint64_t, std::filesystem::path>>& found, size_t from,
                  RecoveryReport& report) {
  std::error_code ec;
  for (size_t j = from; j < found.size(); ++j) {
    report.bytes_dropped += std::filesystem::file_size(found[j].second, ec);
    report.segments_dropped++;
    removeSegmentFiles(found[j].second);
  }
  found.resize(std::min(from, found.size()));
}

/// Makes `seg` the active segment: open for writing, no sidecar.
Status makeActive(Segment& seg) {
  auto rw = FileHandle::open(seg.path, true, false);
  if (!rw) {
    return rw.status();
  }
  seg.file = *rw;
  seg.sealed = false;
  seg.indexed = false;
  std::error_code ec;
  std::filesystem::remove(indexPathFor(seg.path), ec);
  return Status::ok();
}

}  // namespace

std::string RecoveryReport::toString() const {
  std::ostringstream os;
  os << "segments=" << segments << " scanned=" << segments_scanned << " records=" << records_kept;
  if (!clean()) {
    os << " dropped_bytes=" << bytes_dropped << " dropped_segments=" << segments_dropped << " segment=" << segment
       << " offset=" << cut_offset << " reason=" << reason;
  }
  return os.str();
}

Result<RecoveredJournal> recoverJournal(const std::filesystem::path& dir, const JournalOptions& opts) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return internalError("create " + dir.string() + ": " + ec.message());
  }
  RecoveredJournal out;
  RecoveryReport& report = out.report;
  auto found = listSegments(dir);
  bool changed = false;
  for (size_t i = 0; i < found.size(); ++i) {
    const bool last = i + 1 == found.size();
    auto seg = std::make_shared<Segment>();
    seg->first_seq = found[i].first;
    seg->path = found[i].second;
    auto file = FileHandle::open(seg->path, last, false);
    if (!file) {
      return file.status();
    }
    seg->file = *file;
    auto size = seg->file->size();
    if (!size) {
      return size.status();
    }
    std::string error;
    bool scanned = false;
    const bool follows = out.segments.empty() || seg->first_seq == out.segments.back()->last_seq + 1;
    if (!follows) {
      error = "seq_gap";
      seg->size = 0;
    } else if (last || !loadIndexFile(*seg, *size)) {
      report.segments_scanned++;
      scanned = true;
      error = scanSegment(*seg, *size, opts.index_interval_bytes);
      if (error.empty() && !last && seg->size == 0) {
        error = "empty_segment";
      }
    }
    if (!error.empty()) {
      // Cut here; this segment (if anything of it is left) becomes the active one.
      report.reason = error;
      report.segment = seg->path.filename().string();
      report.cut_offset = seg->size;
      report.bytes_dropped += *size - seg->size;
      changed = true;
      if (seg->size == 0 && !out.segments.empty()) {
        dropSegments(found, i, report);
        report.bytes_dropped -= *size;  // counted above already
        break;
      }
      dropSegments(found, i + 1, report);
      if (Status s = makeActive(*seg); !s) {
        return s;
      }
      if (Status s = seg->file->truncate(seg->size); !s) {
        return s;
      }
    } else if (!last && scanned) {
      seg->sealed = true;
      if (Status s = writeIndexFile(*seg); !s) {
        return s;
      }
    }
    seg->sealed = !(last || !error.empty());
    seg->indexed = seg->sealed;
    out.segments.push_back(seg);
    if (!error.empty()) {
      break;
    }
  }
  if (!out.segments.empty() && out.segments.back()->sealed) {
    // The last kept segment was sealed (a later one was dropped): reopen it for writing.
    if (Status s = makeActive(*out.segments.back()); !s) {
      return s;
    }
  }
  if (out.segments.empty()) {
    auto seg = std::make_shared<Segment>();
    seg->first_seq = 1;
    seg->last_seq = 0;
    seg->path = dir / segmentFileName(1);
    auto file = FileHandle::open(seg->path, true, true);
    if (!file) {
      return file.status();
    }
    seg->file = *file;
    out.segments.push_back(seg);
    changed = true;
  }
  // What survived may sit only in the page cache of a crashed process: make it durable now.
  if (Status s = out.segments.back()->file->dataSync(); !s) {
    return s;
  }
  if (changed) {
    if (Status s = syncDirectory(dir); !s) {
      return s;
    }
  }
  for (auto& seg : out.segments) {
    seg->durable_size = seg->size;
    seg->durable_last_seq = seg->last_seq;
    report.records_kept += seg->last_seq + 1 - seg->first_seq;
  }
  report.segments = out.segments.size();
  return out;
}

}  // namespace streamhost::journal
