#include "journal/journal_repair.h"

#include <algorithm>
#include <set>

#include "journal/frame_codec.h"
#include "journal/journal_recovery.h"
#include "journal/segment.h"

namespace streamhost::journal {
namespace {

struct Found {
  uint64_t first = 0;
  std::filesystem::path path;
};

std::vector<Found> segmentsOf(const std::filesystem::path& dir) {
  std::vector<Found> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t first = 0;
    if (e.is_regular_file() && parseSegmentFileName(e.path().filename().string(), first)) {
      out.push_back({first, e.path()});
    }
  }
  std::sort(out.begin(), out.end(), [](const Found& a, const Found& b) { return a.first < b.first; });
  return out;
}

std::set<uint64_t> quarantined(const std::filesystem::path& dir) {
  std::set<uint64_t> out;
  for (const auto& f : segmentsOf(dir / kQuarantineDir)) {
    out.insert(f.first);
  }
  return out;
}

/// Highest seq of any frame with a matching CRC in the file, damaged parts skipped.
uint64_t highestSeqIn(const FileHandle& file, uint64_t size) {
  std::string buf;
  uint64_t best = 0;
  if (!file.readAt(0, static_cast<size_t>(size), buf)) {
    return 0;
  }
  for (size_t o = 0; o + kFrameHeaderBytes <= buf.size(); ++o) {
    const uint32_t len = loadU32(buf.data() + o);
    if (len == 0 || len > kMaxPayloadBytes || o + kFrameHeaderBytes + len > buf.size()) {
      continue;
    }
    std::string_view payload(buf.data() + o + kFrameHeaderBytes, len);
    PayloadHead head;
    if (loadU32(buf.data() + o + 4) == frameCrc(len, payload) && peekPayload(payload, head)) {
      best = std::max(best, head.lastSeq());
    }
  }
  return best;
}

}  // namespace

Result<VerifyReport> verifyJournal(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status(StatusCode::kNotFound, "no journal at " + dir.string());
  }
  VerifyReport rep;
  const auto segs = segmentsOf(dir);
  const auto holes = quarantined(dir);
  uint64_t expected = 0;  // 0: the first segment may start anywhere
  for (size_t i = 0; i < segs.size(); ++i) {
    const bool last = i + 1 == segs.size();
    const std::string name = segs[i].path.filename().string();
    auto file = FileHandle::open(segs[i].path, false, false);
    if (!file) {
      return file.status();
    }
    auto size = (*file)->size();
    if (!size) {
      return size.status();
    }
    rep.segments++;
    if (expected != 0 && segs[i].first != expected) {
      if (segs[i].first > expected && holes.count(expected) != 0) {
        rep.holes++;
        rep.lines.push_back(name + ": seqs " + std::to_string(expected) + ".." + std::to_string(segs[i].first - 1) +
                            " are quarantined");
      } else {
        rep.damaged = true;
        rep.segment = name;
        rep.reason = "seq_gap";
        rep.missing_from = segs[i].first > expected ? expected : 0;
        rep.expected_seq = expected;
        rep.lines.push_back(name + ": starts at seq " + std::to_string(segs[i].first) + ", expected " +
                            std::to_string(expected));
        return rep;
      }
    }
    Segment seg;
    seg.first_seq = segs[i].first;
    seg.path = segs[i].path;
    seg.file = *file;
    const bool has_sidecar = !last && loadIndexFile(seg, *size);
    const uint64_t sidecar_last = seg.last_seq;
    uint64_t last_seq = seg.first_seq - 1;
    std::string error;
    FrameDecoder frame;
    ScanOutcome o = scanFrames(*seg.file, 0, *size, [&](uint64_t, std::string_view payload) {
      PayloadHead head;
      if (!peekPayload(payload, head)) {
        error = "bad_payload";
        return false;
      }
      if (head.seq != last_seq + 1) {
        error = "seq_gap";
        return false;
      }
      if (!frame.open(payload) || !frame.validateAll()) {
        error = frame.error();
        return false;
      }
      last_seq = head.lastSeq();
      return true;
    });
    if (error.empty() && o.error != "stopped") {
      error = o.error;
    }
    rep.records += last_seq + 1 - seg.first_seq;
    if (!error.empty()) {
      // As recovery judges it: only the tail after the last sidecar may be torn.
      bool later_sidecar = false;
      for (size_t k = i + 1; k + 1 < segs.size(); ++k) {
        Segment later;
        later.first_seq = segs[k].first;
        later.path = segs[k].path;
        auto f = FileHandle::open(later.path, false, false);
        auto sz = f ? (*f)->size() : Result<uint64_t>(Status(StatusCode::kInternal, "size"));
        later_sidecar = later_sidecar || (f && sz && loadIndexFile(later, *sz));
      }
      rep.segment = name;
      rep.position = o.end_pos;
      rep.reason = error;
      rep.torn_tail = !has_sidecar && !later_sidecar && canBeTorn(error) && looksTornAt(*seg.file, o.end_pos, *size);
      rep.damaged = !rep.torn_tail;
      rep.lines.push_back(name + (rep.torn_tail ? ": torn tail at byte " : ": damaged at byte ") +
                          std::to_string(o.end_pos) + " (" + error + ")" +
                          (rep.torn_tail ? "; the next start cuts it (nothing there was acknowledged)"
                                         : "; recovery will not cut it"));
      return rep;
    }
    if (has_sidecar && sidecar_last != last_seq) {
      rep.damaged = true;
      rep.segment = name;
      rep.reason = "sidecar_mismatch";
      rep.lines.push_back(name + ": sidecar says last seq " + std::to_string(sidecar_last) + ", the data ends at " +
                          std::to_string(last_seq));
      return rep;
    }
    rep.lines.push_back(name + ": seqs " + std::to_string(seg.first_seq) + ".." + std::to_string(last_seq) + " ok");
    expected = last_seq + 1;
  }
  return rep;
}

Result<std::string> quarantineDamagedSegment(const std::filesystem::path& dir) {
  auto rep = verifyJournal(dir);
  if (!rep) {
    return rep.status();
  }
  if (!rep->damaged) {
    return std::string(rep->torn_tail ? "only a torn tail, which the next start cuts; nothing to quarantine"
                                      : "no damage; nothing to quarantine");
  }
  const auto qdir = dir / kQuarantineDir;
  if (rep->missing_from != 0) {
    // Moving the segment after the gap would only move the gap: mark the gap itself.
    if (Status s = createDirectoriesDurably(qdir); !s) {
      return s;
    }
    const auto marker = qdir / segmentFileName(rep->missing_from);
    auto file = FileHandle::open(marker, true, true);
    if (!file) {
      return file.status();
    }
    if (Status s = syncDirectory(qdir); !s) {
      return s;
    }
    return "no segment holds seqs from " + std::to_string(rep->missing_from) + " to the start of " + rep->segment +
           "; marked them as a quarantined gap with " + marker.string();
  }
  const auto segs = segmentsOf(dir);
  auto it = std::find_if(segs.begin(), segs.end(),
                         [&](const Found& f) { return f.path.filename().string() == rep->segment; });
  if (it == segs.end()) {
    return internalError("damaged segment " + rep->segment + " not found");
  }
  const bool was_last = it + 1 == segs.end();
  uint64_t next_seq = 0;
  if (was_last) {
    auto file = FileHandle::open(it->path, false, false);
    if (!file) {
      return file.status();
    }
    auto size = (*file)->size();
    if (!size) {
      return size.status();
    }
    const uint64_t highest = highestSeqIn(**file, *size);
    next_seq = highest >= it->first ? highest + 1 : it->first;
    // A last segment that overlaps the one before it must not be replaced by
    // one that overlaps it again: continue after the records kept.
    next_seq = std::max(next_seq, rep->expected_seq);
  }
  if (Status s = createDirectoriesDurably(qdir); !s) {
    return s;
  }
  std::error_code ec;
  std::filesystem::rename(it->path, qdir / it->path.filename(), ec);
  if (ec) {
    return internalError("move " + it->path.string() + ": " + ec.message());
  }
  std::filesystem::remove(indexPathFor(it->path), ec);
  std::string done = "moved " + rep->segment + " to " + qdir.string();
  if (was_last) {
    // The numbers it held stay used: the new active segment continues after them.
    auto fresh = FileHandle::open(dir / segmentFileName(next_seq), true, true);
    if (!fresh) {
      return fresh.status();
    }
    if (Status s = (*fresh)->dataSync(); !s) {
      return s;
    }
    done += "; new records continue at seq " + std::to_string(next_seq);
  }
  if (Status s = syncDirectory(qdir); !s) {
    return s;
  }
  if (Status s = syncDirectory(dir); !s) {
    return s;
  }
  return done;
}

}  // namespace streamhost::journal
