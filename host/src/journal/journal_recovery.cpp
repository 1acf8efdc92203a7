#include "journal/journal_recovery.h"

#include <algorithm>
#include <cstdlib>
#include <set>
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
  seg.marks.clear();
  std::string payload_error;
  uint64_t next_index_pos = 0;
  FrameDecoder frame;
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
    if (!frame.open(payload)) {
      payload_error = frame.error();
      return false;
    }
    uint64_t seq = 0;
    std::string_view offset;
    std::string_view last_offset;
    uint64_t last_offset_seq = 0;
    while (frame.skip(seq, offset)) {
      if (!offset.empty()) {
        last_offset = offset;
        last_offset_seq = seq;
      }
    }
    if (!frame.error().empty()) {
      payload_error = frame.error();
      return false;
    }
    if (last_offset_seq != 0) {
      StreamMark& m = seg.marks[std::string(frame.streamId())];
      m.seq = last_offset_seq;
      m.offset.assign(last_offset);
    }
    if (seg.index.empty() || pos >= next_index_pos) {
      seg.index.push_back({head.seq, pos});
      next_index_pos = pos + interval;
    }
    seg.last_seq = head.lastSeq();
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

namespace {

bool hasZeroBlock(const FileHandle& file, uint64_t from, uint64_t to) {
  constexpr uint64_t kBlock = 4096;
  std::string buf;
  for (uint64_t b = (from + kBlock - 1) / kBlock * kBlock; b + kBlock <= to; b += kBlock) {
    if (!file.readAt(b, kBlock, buf) || buf.size() != kBlock) {
      return false;
    }
    if (std::all_of(buf.begin(), buf.end(), [](char c) { return c == 0; })) {
      return true;
    }
  }
  return false;
}

/// Offset of the first whole frame with a matching CRC that starts after `from`, or `to`.
uint64_t nextValidFrame(const FileHandle& file, uint64_t from, uint64_t to) {
  std::string buf;
  if (to <= from + 1 || !file.readAt(from, static_cast<size_t>(to - from), buf)) {
    return to;
  }
  for (size_t o = 1; o + kFrameHeaderBytes <= buf.size(); ++o) {
    const uint32_t len = loadU32(buf.data() + o);
    if (len == 0 || len > kMaxPayloadBytes || o + kFrameHeaderBytes + len > buf.size()) {
      continue;
    }
    std::string_view payload(buf.data() + o + kFrameHeaderBytes, len);
    PayloadHead head;
    if (loadU32(buf.data() + o + 4) == frameCrc(len, payload) && peekPayload(payload, head)) {
      return from + o;
    }
  }
  return to;
}

/// Whether damage at `pos` looks like the torn tail a crash leaves: nothing
/// valid after it, or only after a zero-filled block (pages a power cut never
/// wrote). Garbage followed by valid frames is damage to written data.
bool looksTorn(const FileHandle& file, uint64_t pos, uint64_t size) {
  const uint64_t next = nextValidFrame(file, pos, size);
  return next >= size || hasZeroBlock(file, pos, next);
}

std::set<uint64_t> quarantinedFirstSeqs(const std::filesystem::path& dir) {
  std::set<uint64_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir / kQuarantineDir, ec)) {
    uint64_t first = 0;
    if (parseSegmentFileName(e.path().filename().string(), first)) {
      out.insert(first);
    }
  }
  return out;
}

/// Whether an operator quarantined a segment numbered after `seq` (its records are accounted for).
bool quarantinedAfter(const std::set<uint64_t>& quarantined, uint64_t seq) {
  return quarantined.upper_bound(seq) != quarantined.end();
}

}  // namespace

bool looksTornAt(const FileHandle& file, uint64_t pos, uint64_t size) { return looksTorn(file, pos, size); }

bool canBeTorn(const std::string& reason) { return reason != "bad_payload" && reason != "decompress_failed"; }

Status damagedJournalError(const std::filesystem::path& dir, const std::string& segment, uint64_t pos,
                           const std::string& reason) {
  const std::string pl = dir.filename().string();
  return Status(StatusCode::kFatal,
                std::string(kDamagedPrefix) + " segment " + segment + " at byte " + std::to_string(pos) + " (" + reason +
                    ") lies before the torn tail of the active segment, so acknowledged records may follow it; "
                    "nothing was cut or renumbered. With the daemon stopped, run `streamhostd journal verify " +
                    pl + "`, then `streamhostd journal repair " + pl + " --quarantine`");
}

Result<RecoveredJournal> recoverJournal(const std::filesystem::path& dir, const JournalOptions& opts) {
  if (Status s = createDirectoriesDurably(dir); !s) {
    return s;
  }
  RecoveredJournal out;
  RecoveryReport& report = out.report;
  auto found = listSegments(dir);
  const std::set<uint64_t> holes = quarantinedFirstSeqs(dir);
  bool changed = false;
  // Sealed segments with an intact sidecar were synced before anything after
  // them was acknowledged. Only what follows the last of them may be torn.
  std::vector<SegmentSharedPtr> segs;
  std::vector<uint64_t> sizes;
  size_t tail_start = 0;
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
    seg->indexed = !last && loadIndexFile(*seg, *size);
    if (seg->indexed) {
      tail_start = i + 1;
    }
    segs.push_back(seg);
    sizes.push_back(*size);
  }
  for (size_t i = 0; i < segs.size(); ++i) {
    const bool last = i + 1 == segs.size();
    auto seg = segs[i];
    const uint64_t size = sizes[i];
    const bool in_tail = i >= tail_start;
    if (!out.segments.empty() && seg->first_seq != out.segments.back()->last_seq + 1) {
      const uint64_t expected = out.segments.back()->last_seq + 1;
      if (seg->first_seq > expected && holes.count(expected) != 0) {
        report.holes++;  // a quarantined segment was here; its numbers stay unused
      } else {
        return damagedJournalError(dir, seg->path.filename().string(), 0, "seq_gap");
      }
    }
    std::string error;
    bool scanned = false;
    if (!seg->indexed) {
      report.segments_scanned++;
      scanned = true;
      error = scanSegment(*seg, size, opts.index_interval_bytes);
      if (error.empty() && !last && seg->size == 0) {
        error = "empty_segment";
      }
    }
    if (!error.empty() && (!in_tail || !canBeTorn(error) || !looksTorn(*seg->file, seg->size, size))) {
      return damagedJournalError(dir, seg->path.filename().string(), seg->size, error);
    }
    if (!error.empty()) {
      // A crash tears only what was never synced. Records the host was told
      // are durable cannot be in a torn tail: losing them is damage.
      const uint64_t kept_last = seg->size > 0 ? seg->last_seq
                                 : out.segments.empty() ? seg->first_seq - 1
                                                        : out.segments.back()->last_seq;
      if (opts.acknowledged_seq > kept_last && !quarantinedAfter(holes, kept_last)) {
        return damagedJournalError(dir, seg->path.filename().string(), seg->size,
                                   error + "; records up to seq " + std::to_string(opts.acknowledged_seq) +
                                       " were acknowledged as durable");
      }
      // A torn tail: cut here; this segment (if anything of it is left) becomes the active one.
      report.reason = error;
      report.segment = seg->path.filename().string();
      report.cut_offset = seg->size;
      report.bytes_dropped += size - seg->size;
      changed = true;
      if (seg->size == 0 && !out.segments.empty()) {
        dropSegments(found, i, report);
        report.bytes_dropped -= size;  // counted above already
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
      changed = true;
    }
    seg->sealed = !(last || !error.empty());
    seg->indexed = seg->sealed;
    out.segments.push_back(seg);
    if (!error.empty()) {
      break;
    }
  }
  if (!out.segments.empty() && out.segments.back()->sealed) {
    // The last kept segment was sealed (a later one was dropped): reopen it for
    // writing. It loses its sidecar, and with it the trust the sidecar gave, so
    // its frames are checked now rather than refused at the next start.
    Segment& seg = *out.segments.back();
    const uint64_t size = sizes[out.segments.size() - 1];
    report.segments_scanned++;
    std::string error = scanSegment(seg, size, opts.index_interval_bytes);
    if (!error.empty()) {
      return damagedJournalError(dir, seg.path.filename().string(), seg.size, error);
    }
    if (Status s = makeActive(seg); !s) {
      return s;
    }
    changed = true;
  }
  if (out.segments.empty()) {
    const uint64_t first = nextSeqAfterQuarantine(dir);
    auto seg = std::make_shared<Segment>();
    seg->first_seq = first;
    seg->last_seq = first - 1;
    seg->path = dir / segmentFileName(first);
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

uint64_t nextSeqAfterQuarantine(const std::filesystem::path& dir) {
  uint64_t next = 1;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir / kQuarantineDir, ec)) {
    const std::string name = e.path().filename().string();
    uint64_t first = 0;
    // "<segment>.next" holds the first seq after a quarantined segment.
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".next") == 0) {
      std::string text;
      if (auto f = FileHandle::open(e.path(), false, false); f && (*f)->readAt(0, 32, text)) {
        next = std::max<uint64_t>(next, std::strtoull(text.c_str(), nullptr, 10));
      }
    } else if (parseSegmentFileName(name, first)) {
      next = std::max(next, first + 1);
    }
  }
  return next;
}

}  // namespace streamhost::journal
