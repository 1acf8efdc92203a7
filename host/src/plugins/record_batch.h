#pragma once

#include <streamhost/plugin_abi.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/record.h"

namespace streamhost::plugins {

/// The records of one poll or push call: the object behind `sh_emitter_t*`.
/// Not thread-safe; one call fills it at a time.
class RecordBatch {
 public:
  /// @param max_records emit answers SH_ERR_BACKPRESSURE once this many are held.
  /// @param max_bytes   ... or once another record would pass this many bytes
  ///                    (Record::byteSize); a first record is always taken.
  RecordBatch(size_t max_records, size_t max_bytes) : max_records_(max_records), max_bytes_(max_bytes) {}

  sh_emitter_t* emitter() { return reinterpret_cast<sh_emitter_t*>(this); }
  static RecordBatch* fromEmitter(sh_emitter_t* emitter) { return reinterpret_cast<RecordBatch*>(emitter); }

  /// Copies `record` (fields past its struct_size read as empty; headers are
  /// strided by the first header's struct_size).
  /// @returns SH_OK, SH_ERR_BACKPRESSURE when full (not taken), SH_ERR_INVALID_ARGUMENT.
  sh_status_t emit(const sh_record_t* record);
  /// emit() for each of `count` records strided by the first one's struct_size,
  /// stopping at the first that is not taken; `out_taken` gets how many were.
  sh_status_t emitBatch(const sh_record_t* records, size_t count, size_t* out_taken);
  /// Records a resume position with no record.
  sh_status_t checkpoint(sh_str_t offset);

  const std::vector<Record>& records() const { return records_; }
  /// Moves the records out and clears the batch (lastOffset included).
  std::vector<Record> takeRecords();
  /// Offset of the last record (with a non-empty offset) or checkpoint, whichever came last.
  const std::optional<std::string>& lastOffset() const { return last_offset_; }
  size_t size() const { return records_.size(); }
  size_t bytes() const { return bytes_; }
  bool empty() const { return records_.empty() && !last_offset_; }
  size_t maxRecords() const { return max_records_; }
  void clear();

 private:
  size_t max_records_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::vector<Record> records_;
  std::optional<std::string> last_offset_;
};

}  // namespace streamhost::plugins
