#pragma once

#include <streamhost/plugin_abi.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/record.h"
#include "common/record_block.h"

namespace streamhost::plugins {

/// The records of one poll or push call: the object behind `sh_emitter_t*`.
/// Emitted records are encoded straight into one RecordBlock, which the
/// journal writes as it is; clear() keeps the buffers, so a batch reused
/// across polls allocates nothing per record.
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

  /// The records, encoded for the journal.
  const RecordBlock& block() const { return block_; }
  /// The records decoded (made on first use after a change; tests and the push path).
  const std::vector<Record>& records() const;
  /// Decodes the records and clears the batch (lastOffset included).
  std::vector<Record> takeRecords();
  /// Offset of the last record (with a non-empty offset) or checkpoint, whichever came last.
  std::optional<std::string> lastOffset() const;
  size_t size() const { return block_.size(); }
  size_t bytes() const { return block_.dataBytes(); }
  bool empty() const { return block_.empty() && !checkpoint_; }
  size_t maxRecords() const { return max_records_; }
  /// Empties the batch; its buffers keep their capacity.
  void clear();

 private:
  size_t max_records_;
  size_t max_bytes_;
  RecordBlock block_;
  std::vector<uint32_t> flags_;  ///< per record: SH_REC_* (not kept in the journal)
  std::vector<std::pair<std::string_view, std::string_view>> header_views_;
  /// The last checkpoint, when no record with an offset came after it.
  std::optional<std::string> checkpoint_;
  mutable std::vector<Record> decoded_;
  mutable bool decoded_valid_ = false;
};

}  // namespace streamhost::plugins
