#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/record.h"

namespace streamhost {

/// Records encoded back to back in one reusable buffer, in the layout the
/// journal stores inside a batch frame (docs/journal.md, payload v2): per
/// record varint op, zigzag varint ts_ms, then varint-length key, value,
/// offset, and a varint header count with each header as two such strings.
/// Emitting into a block costs one copy of the bytes and no allocation once
/// the buffer has grown, and the journal writes the bytes as they are.
class RecordBlock {
 public:
  /// Empties the block; the buffers keep their capacity.
  void clear();
  /// Appends one record. `headers` may be null when `header_count` is 0.
  void add(int32_t op, std::string_view key, std::string_view value, std::string_view offset, int64_t ts_ms,
           const std::pair<std::string_view, std::string_view>* headers = nullptr, size_t header_count = 0);
  void add(const Record& record);

  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  /// All records' encoded bytes.
  std::string_view bytes() const { return buf_; }
  /// Encoded bytes of records [from, to).
  std::string_view slice(size_t from, size_t to) const;
  size_t encodedSize(size_t i) const { return ends_[i] - (i == 0 ? 0 : ends_[i - 1]); }
  /// Sum of Record::byteSize() over the records (key, value, offset, headers).
  size_t dataBytes() const { return data_bytes_; }
  /// Index of the last record with a non-empty offset, or size() when none has one.
  size_t lastWithOffset() const { return last_offset_len_ == 0 ? size() : last_with_offset_; }
  /// The offset of record lastWithOffset(), empty when none.
  std::string_view lastOffset() const;
  int64_t lastTs() const { return last_ts_; }

  /// Decodes the record at the front of `in` and advances past it; false when malformed.
  static bool decode(std::string_view& in, Record& out);
  /// Reads only the offset of the record at the front of `in` and advances; false when malformed.
  static bool skipToOffset(std::string_view& in, std::string_view& offset);

 private:
  void putVarint(uint64_t v);
  void putString(std::string_view s);

  std::string buf_;
  std::vector<size_t> ends_;    ///< end of each record in buf_
  size_t data_bytes_ = 0;
  size_t last_with_offset_ = 0;
  size_t last_offset_pos_ = 0;  ///< where that record's offset bytes start in buf_
  size_t last_offset_len_ = 0;
  int64_t last_ts_ = 0;
};

}  // namespace streamhost
