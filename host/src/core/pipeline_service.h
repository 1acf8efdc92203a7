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

struct CreatePipelineInput {
  std::string name;
  int64_t retention_max_bytes = 0;        ///< 0: unlimited
  int64_t retention_max_age_seconds = 0;  ///< 0: unlimited
};

/// Where a pipeline's log stands, for its attributes.
struct PipelinePosition {
  uint64_t head_seq = 0;
  uint64_t oldest_seq = 0;
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
  /// The pipeline's open journal (opened on first use).
  Result<journal::JournalSharedPtr> journalOf(const store::PipelineRow& row);

 private:
  store::Store& store_;
  journal::JournalManager& journals_;
  IdGenerator& ids_;
  const Clock& clock_;
};

}  // namespace streamhost::core
