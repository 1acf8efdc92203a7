#include "journal/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "journal/crc32c.h"
#include "journal/frame_codec.h"

namespace streamhost::journal {
namespace {

constexpr uint32_t kIndexMagic = 0x58494A53;  // "SJIX"
// 2 added the per-stream marks; a version-1 sidecar is rebuilt by a scan.
constexpr uint32_t kIndexVersion = 2;

Status ioError(const std::string& what, const std::string& path) {
  return internalError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<FileHandleSharedPtr> FileHandle::open(const std::filesystem::path& path, bool writable, bool create) {
  int flags = O_CLOEXEC | (writable ? O_RDWR : O_RDONLY);
  if (create) {
    flags |= O_CREAT | O_EXCL;
  }
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    return ioError("open", path.string());
  }
  return FileHandleSharedPtr(new FileHandle(fd, path.string()));
}

FileHandle::~FileHandle() { ::close(fd_); }

Status FileHandle::writeAt(uint64_t offset, std::string_view data) const {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ioError("write", path_);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::ok();
}

Status FileHandle::readAt(uint64_t offset, size_t size, std::string& out) const {
  out.resize(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd_, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ioError("read", path_);
    }
    if (n == 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return Status::ok();
}

Status FileHandle::dataSync() const {
  if (::fdatasync(fd_) != 0) {
    return ioError("fdatasync", path_);
  }
  return Status::ok();
}

Status FileHandle::truncate(uint64_t size) const {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return ioError("truncate", path_);
  }
  return Status::ok();
}

Result<uint64_t> FileHandle::size() const {
  off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) {
    return ioError("seek", path_);
  }
  return static_cast<uint64_t>(end);
}

Status syncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return ioError("open", dir.string());
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) {
    return ioError("fsync", dir.string());
  }
  return Status::ok();
}

Status createDirectoriesDurably(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> missing;
  std::error_code ec;
  for (auto p = dir; !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) {
      break;
    }
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
      return ioError("mkdir", it->string());
    }
    auto parent = it->parent_path();
    if (Status s = syncDirectory(parent.empty() ? std::filesystem::path(".") : parent); !s) {
      return s;
    }
  }
  return Status::ok();
}

uint64_t Segment::seekPos(uint64_t seq) const {
  auto it = std::upper_bound(index.begin(), index.end(), seq,
                             [](uint64_t s, const IndexPoint& p) { return s < p.seq; });
  return it == index.begin() ? 0 : std::prev(it)->pos;
}

std::string segmentFileName(uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.seg", static_cast<unsigned long long>(first_seq));
  return buf;
}

bool parseSegmentFileName(const std::string& name, uint64_t& first_seq) {
  if (name.size() != 24 || name.compare(20, 4, ".seg") != 0) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  first_seq = v;
  return v > 0;
}

std::filesystem::path indexPathFor(const std::filesystem::path& segment_path) {
  auto p = segment_path;
  p.replace_extension(".idx");
  return p;
}

ScanOutcome scanFrames(const FileHandle& file, uint64_t from, uint64_t to, const FrameVisitor& visit,
                       size_t chunk) {
  std::string buf;
  uint64_t pos = from;
  size_t want = chunk;
  while (pos < to) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(to - pos, want));
    if (Status s = file.readAt(pos, n, buf); !s) {
      return {pos, s.message()};
    }
    if (buf.size() < kFrameHeaderBytes) {
      return {pos, "torn_frame"};
    }
    size_t off = 0;
    while (buf.size() - off >= kFrameHeaderBytes) {
      const uint32_t len = loadU32(buf.data() + off);
      const uint64_t frame_pos = pos + off;
      if (len == 0 || len > kMaxPayloadBytes) {
        return {frame_pos, "bad_length"};
      }
      if (frame_pos + kFrameHeaderBytes + len > to) {
        return {frame_pos, "torn_frame"};
      }
      if (buf.size() - off < kFrameHeaderBytes + len) {
        break;
      }
      std::string_view payload(buf.data() + off + kFrameHeaderBytes, len);
      if (loadU32(buf.data() + off + 4) != frameCrc(len, payload)) {
        return {frame_pos, "crc_mismatch"};
      }
      if (!visit(frame_pos, payload)) {
        return {frame_pos, "stopped"};
      }
      off += kFrameHeaderBytes + len;
    }
    if (off == 0) {
      // One frame larger than the chunk: read exactly that frame next.
      want = kFrameHeaderBytes + loadU32(buf.data());
    } else {
      want = chunk;
    }
    pos += off;
  }
  return {pos, {}};
}

Status writeIndexFile(const Segment& segment) {
  std::string out;
  putU32(out, kIndexMagic);
  putU32(out, kIndexVersion);
  putU64(out, segment.first_seq);
  putU64(out, segment.last_seq);
  putU64(out, segment.size);
  putU64(out, static_cast<uint64_t>(segment.newest_appended_ms));
  putU32(out, static_cast<uint32_t>(segment.index.size()));
  for (const auto& p : segment.index) {
    putU64(out, p.seq);
    putU64(out, p.pos);
  }
  putU32(out, static_cast<uint32_t>(segment.marks.size()));
  for (const auto& [stream, mark] : segment.marks) {
    putU32(out, static_cast<uint32_t>(stream.size()));
    out.append(stream);
    putU64(out, mark.seq);
    putU32(out, static_cast<uint32_t>(mark.offset.size()));
    out.append(mark.offset);
  }
  putU32(out, crc32c(out));
  const auto final_path = indexPathFor(segment.path);
  auto tmp = final_path;
  tmp += ".tmp";
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  auto file = FileHandle::open(tmp, true, true);
  if (!file) {
    return file.status();
  }
  if (Status s = (*file)->writeAt(0, out); !s) {
    return s;
  }
  if (Status s = (*file)->dataSync(); !s) {
    return s;
  }
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) {
    return internalError("rename " + tmp.string() + ": " + ec.message());
  }
  return Status::ok();
}

bool loadIndexFile(Segment& segment, uint64_t file_size) {
  auto file = FileHandle::open(indexPathFor(segment.path), false, false);
  if (!file) {
    return false;
  }
  auto size = (*file)->size();
  std::string buf;
  constexpr size_t kFixed = 4 + 4 + 8 + 8 + 8 + 8 + 4;
  if (!size || *size < kFixed + 4 || !(*file)->readAt(0, static_cast<size_t>(*size), buf) || buf.size() != *size) {
    return false;
  }
  const char* p = buf.data();
  if (loadU32(p + buf.size() - 4) != crc32c(0, p, buf.size() - 4) || loadU32(p) != kIndexMagic ||
      loadU32(p + 4) != kIndexVersion) {
    return false;
  }
  const uint32_t points = loadU32(p + kFixed - 4);
  const uint64_t marks_at = kFixed + uint64_t(points) * 16;
  if (buf.size() < marks_at + 4 + 4 || loadU64(p + 8) != segment.first_seq || loadU64(p + 24) != file_size ||
      loadU64(p + 16) < segment.first_seq) {
    return false;
  }
  std::map<std::string, StreamMark> marks;
  const uint64_t end = buf.size() - 4;
  uint64_t at = marks_at;
  const uint32_t n_marks = loadU32(p + at);
  at += 4;
  auto str = [&](std::string& v) {
    if (end - at < 4 || end - at - 4 < loadU32(p + at)) {
      return false;
    }
    const uint32_t n = loadU32(p + at);
    v.assign(p + at + 4, n);
    at += 4 + n;
    return true;
  };
  for (uint32_t i = 0; i < n_marks; ++i) {
    std::string stream;
    StreamMark m;
    if (!str(stream) || end - at < 8) {
      return false;
    }
    m.seq = loadU64(p + at);
    at += 8;
    if (!str(m.offset)) {
      return false;
    }
    marks[stream] = std::move(m);
  }
  if (at != end) {
    return false;
  }
  segment.last_seq = loadU64(p + 16);
  segment.size = file_size;
  segment.newest_appended_ms = static_cast<int64_t>(loadU64(p + 32));
  segment.index.clear();
  for (uint32_t i = 0; i < points; ++i) {
    segment.index.push_back({loadU64(p + kFixed + i * 16), loadU64(p + kFixed + i * 16 + 8)});
  }
  segment.marks = std::move(marks);
  return true;
}

}  // namespace streamhost::journal
