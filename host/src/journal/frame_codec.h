#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/record.h"
#include "journal/journal_types.h"

namespace streamhost::journal {

/// Frame: [payload length u32 LE][crc32c u32 LE over the length bytes and payload][payload].
inline constexpr size_t kFrameHeaderBytes = 8;
/// Larger lengths are treated as corruption.
inline constexpr uint32_t kMaxPayloadBytes = 256u << 20;
/// Payload format version, its first byte: 1 holds one record.
inline constexpr uint8_t kPayloadVersion = 1;
/// Payload version 2 holds a batch of records of one stream (see BatchEncoder).
inline constexpr uint8_t kBatchPayloadVersion = 2;
/// A batch frame is closed before a record that would take its records past
/// this many bytes; a larger record gets a frame of its own. Small enough that
/// a reader seeking into a frame decodes little it does not return.
inline constexpr size_t kBatchBodyTarget = 256 << 10;

/// Appends one complete version-1 frame for `record` to `out` (tests and
/// benchmarks; the journal writes version 2).
void appendFrame(std::string& out, uint64_t seq, std::string_view stream_id, int64_t appended_at_ms,
                 const Record& record);

/// Writes batch frames (payload version 2):
/// `version u8 = 2`, `codec u8`, `first_seq u64`, `count u32`,
/// `appended_at_ms i64`, `stream_id` (u32 length + bytes), `records_len u32`
/// (bytes of the records uncompressed), then the records as RecordBlock
/// encodes them, compressed with `codec` (0 none, 1 LZ4 block, 2 zstd frame).
/// A batch that does not shrink is stored with codec 0.
class BatchEncoder {
 public:
  BatchEncoder() = default;
  ~BatchEncoder();
  BatchEncoder(const BatchEncoder&) = delete;
  BatchEncoder& operator=(const BatchEncoder&) = delete;

  /// Appends one frame of `count` records whose encoded bytes are `records`.
  void append(std::string& out, Compression codec, uint64_t first_seq, uint32_t count, std::string_view stream_id,
              int64_t appended_at_ms, std::string_view records);

 private:
  void* zstd_ = nullptr;  // ZSTD_CCtx, reused
};

/// Bytes a batch frame adds to its records, besides compression.
size_t batchFrameOverhead(std::string_view stream_id);

/// Fields readable without decoding the whole payload.
struct PayloadHead {
  uint64_t seq = 0;    ///< of the first record
  uint32_t count = 1;  ///< records in the frame
  int64_t appended_at_ms = 0;
  uint8_t version = 0;
  uint8_t codec = 0;
  uint64_t lastSeq() const { return seq + count - 1; }
};

/// Reads the head; false when the payload is not a known version or the head is malformed.
bool peekPayload(std::string_view payload, PayloadHead& head);

/// The records of one frame, either version: v1 holds one, v2 a batch
/// (decompressed on open). Reusable; keeps its buffer.
class FrameDecoder {
 public:
  /// False with error() "bad_payload" (malformed) or "decompress_failed".
  bool open(std::string_view payload);
  const PayloadHead& head() const { return head_; }
  std::string_view streamId() const { return stream_; }
  /// Decodes the next record; false at the end (error() empty) or when malformed.
  bool next(JournalEntry& entry);
  /// Skips the next record, giving its seq and offset; as next() otherwise.
  bool skip(uint64_t& seq, std::string_view& offset);
  /// Records not yet consumed.
  uint32_t left() const { return left_; }
  const std::string& error() const { return error_; }
  /// Checks every record of the frame and that nothing follows them; false with error() set.
  bool validateAll();

 private:
  bool fail(const char* why);

  PayloadHead head_;
  std::string_view payload_;  // v1: the whole payload
  std::string_view stream_;
  std::string_view rest_;     // v2: records not yet consumed
  std::string buf_;           // v2: decompressed records
  std::string v1_stream_;
  std::string v1_offset_;
  uint64_t next_seq_ = 0;
  uint32_t left_ = 0;
  std::string error_;
};

/// Reads the stream id and source offset as well; false when malformed.
bool peekStreamOffset(std::string_view payload, std::string& stream_id, std::string& offset);

/// Decodes a payload whose CRC already matched; false when it is malformed.
bool decodePayload(std::string_view payload, JournalEntry& entry);

/// Little-endian helpers shared by the segment and index files.
void putU32(std::string& out, uint32_t v);
void putU64(std::string& out, uint64_t v);
uint32_t loadU32(const char* p);
uint64_t loadU64(const char* p);

/// CRC of a frame as stored in its header.
uint32_t frameCrc(uint32_t length, std::string_view payload);

}  // namespace streamhost::journal
