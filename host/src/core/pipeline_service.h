#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "journal/journal_manager.h"
#include "store/store.h"

namespace streamhost::core {

/// A pipeline record's size limit unless its config says otherwise, and the
/// largest limit it may set (below the journal's 256 MiB frame limit).
inline constexpr int64_t kDefaultMaxRecordBytes = 16ll << 20;
inline constexpr int64_t kMaxMaxRecordBytes = 255ll << 20;

struct CreatePipelineInput {
  std::string name;
  int64_t max_record_bytes = 0;           ///< 0: kDefaultMaxRecordBytes
  int64_t retention_max_bytes = 0;        ///< 0: unlimited
  int64_t retention_max_age_seconds = 0;  ///< 0: unlimited
};

/// Where a pipeline's log stands, for its attributes.
struct PipelinePosition {
  uint64_t head_seq = 0;
  uint64_t oldest_seq = 0;
};

/// Whether a pipeline's journal takes appends; `error` says why not.
struct PipelineHealth {
  bool failed = false;
  std::string error;
};

/// Pipelines: the store's rows and their journals, kept in step.
class PipelineService {
 public:
  PipelineService(store::Store& store, journal::JournalManager& journals, IdGenerator& ids, const Clock& clock)
      : store_(store), journals_(journals), ids_(ids), clock_(clock) {}

  /// Validates, stores and opens the journal (the row is removed again when that fails).
  Result<store::PipelineRow> create(const CreatePipelineInput& input);
  Result<store::PipelineRow> get(const std::string& id);
  Result<std::vector<store::PipelineRow>> list(const std::optional<store::PageKey>& after, int limit);
  /// kConflict while a stream feeds it.
  Result<store::PipelineRow> remove(const std::string& id);
  /// nullopt when the journal is not open.
  std::optional<PipelinePosition> position(const std::string& id) const;
  /// Failed once its journal cannot be opened (damage) or a sync failed.
  PipelineHealth health(const std::string& id) const;
  /// The pipeline's open journal (opened on first use).
  Result<journal::JournalSharedPtr> journalOf(const store::PipelineRow& row);
  /// The record size limit in force for `row`.
  static int64_t maxRecordBytes(const store::PipelineRow& row) {
    return row.max_record_bytes > 0 ? row.max_record_bytes : kDefaultMaxRecordBytes;
  }

 private:
  store::Store& store_;
  journal::JournalManager& journals_;
  IdGenerator& ids_;
  const Clock& clock_;
};

}  // namespace streamhost::core
