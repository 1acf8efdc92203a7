#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "journal/journal_types.h"

namespace streamhost::journal {

/// An owned file descriptor with the few calls the journal needs.
class FileHandle {
 public:
  /// Opens `path`; `create` makes a new file and fails if it exists.
  static Result<std::shared_ptr<FileHandle>> open(const std::filesystem::path& path, bool writable, bool create);
  ~FileHandle();
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  /// Writes all of `data` at `offset`.
  Status writeAt(uint64_t offset, std::string_view data) const;
  /// Reads up to `size` bytes at `offset` into `out`; fewer only at end of file.
  Status readAt(uint64_t offset, size_t size, std::string& out) const;
  Status dataSync() const;
  Status truncate(uint64_t size) const;
  Result<uint64_t> size() const;

 private:
  FileHandle(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};
using FileHandleSharedPtr = std::shared_ptr<FileHandle>;

/// fsync of a directory, so created, renamed and removed names are durable.
Status syncDirectory(const std::filesystem::path& dir);
/// Creates `dir` and any missing parents, fsyncing the parent of each one it
/// made, so a power cut cannot take back a directory that already holds data.
Status createDirectoriesDurably(const std::filesystem::path& dir);

/// Where seeking by sequence can start inside a segment.
struct IndexPoint {
  uint64_t seq = 0;
  uint64_t pos = 0;
};

/// One segment file and what the journal knows about it. Guarded by the journal's mutex.
struct Segment {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;  ///< last written; first_seq - 1 when empty
  uint64_t size = 0;      ///< bytes written
  uint64_t durable_size = 0;  ///< bytes fdatasync'd, the part readers see
  uint64_t durable_last_seq = 0;
  int64_t newest_appended_ms = 0;
  bool sealed = false;
  bool awaiting_sync = false;  ///< queued for the next group commit
  bool indexed = false;        ///< sealed and its sidecar index written (or attempted)
  std::vector<IndexPoint> index;
  /// Per stream, its newest record written to this segment (kept in the sidecar).
  std::map<std::string, StreamMark> marks;
  std::filesystem::path path;
  FileHandleSharedPtr file;

  /// Byte offset from which to scan for `seq`.
  uint64_t seekPos(uint64_t seq) const;
};
using SegmentSharedPtr = std::shared_ptr<Segment>;

/// "00000000000000000042.seg" for first seq 42.
std::string segmentFileName(uint64_t first_seq);
/// Parses a segment file name; false when it is not one.
bool parseSegmentFileName(const std::string& name, uint64_t& first_seq);
std::filesystem::path indexPathFor(const std::filesystem::path& segment_path);

/// How a scan of frames ended.
struct ScanOutcome {
  uint64_t end_pos = 0;  ///< offset just past the last good frame
  std::string error;     ///< empty when the range held only whole, valid frames
};

/// Called per valid frame with its offset and payload; return false to stop early.
using FrameVisitor = std::function<bool(uint64_t pos, std::string_view payload)>;

/// Walks frames in [from, to), verifying length and CRC of each, reading `chunk` bytes at a time.
ScanOutcome scanFrames(const FileHandle& file, uint64_t from, uint64_t to, const FrameVisitor& visit,
                       size_t chunk = 1 << 20);

/// Writes the sidecar index of a sealed, synced segment (temp file + rename).
Status writeIndexFile(const Segment& segment);
/// Loads a sidecar index into `segment` if it exists, is intact and matches
/// the segment file's `file_size`; false otherwise.
bool loadIndexFile(Segment& segment, uint64_t file_size);

}  // namespace streamhost::journal
