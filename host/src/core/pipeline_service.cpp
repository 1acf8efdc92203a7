#include "core/pipeline_service.h"

#include "core/stream_service.h"

namespace streamhost::core {

Result<store::PipelineRow> PipelineService::create(const CreatePipelineInput& input) {
  if (Status s = StreamService::validateName(input.name); !s) {
    return s;
  }
  if (input.retention_max_bytes < 0 || input.retention_max_age_seconds < 0) {
    return invalidArgument("must not be negative", "retention");
  }
  if (input.max_record_bytes < 0 || input.max_record_bytes > kMaxMaxRecordBytes) {
    return invalidArgument("must be between 1 and " + std::to_string(kMaxMaxRecordBytes) +
                               " bytes (the journal's frame limit is 256 MiB)",
                           "config.max_record_bytes");
  }
  store::PipelineRow row;
  row.id = ids_.next("pl_");
  row.name = input.name;
  row.retention_max_bytes = input.retention_max_bytes;
  row.retention_max_age_seconds = input.retention_max_age_seconds;
  row.max_record_bytes = input.max_record_bytes;
  row.created_at = row.updated_at = clock_.nowMillis();
  if (Status s = store_.createPipeline(row); !s) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status(StatusCode::kAlreadyExists, "a pipeline named '" + row.name + "' already exists", "name");
    }
    return s;
  }
  if (auto j = journalOf(row); !j) {
    store_.deletePipeline(row.id);
    return j.status();
  }
  return row;
}

Result<store::PipelineRow> PipelineService::get(const std::string& id) { return store_.getPipeline(id); }

Result<std::vector<store::PipelineRow>> PipelineService::list(const std::optional<store::PageKey>& after, int limit) {
  return store_.listPipelines(after, limit);
}

Result<store::PipelineRow> PipelineService::remove(const std::string& id) {
  auto row = store_.getPipeline(id);
  if (!row) {
    return row.status();
  }
  if (Status s = store_.deletePipeline(row->id); !s) {
    if (s.code() == StatusCode::kConflict) {
      return Status(StatusCode::kConflict, "pipeline " + row->id + " is still fed by a stream; delete the stream first");
    }
    return s;
  }
  journals_.remove(row->id);
  return row;
}

std::optional<PipelinePosition> PipelineService::position(const std::string& id) const {
  auto j = journals_.find(id);
  if (!j) {
    return std::nullopt;
  }
  return PipelinePosition{j->headSeq(), j->oldestSeq()};
}

PipelineHealth PipelineService::health(const std::string& id) const {
  Status s = journals_.failureOf(id);
  return s ? PipelineHealth{} : PipelineHealth{true, s.message()};
}

Result<journal::JournalSharedPtr> PipelineService::journalOf(const store::PipelineRow& row) {
  return journals_.open(row.id, static_cast<uint64_t>(row.retention_max_bytes), row.retention_max_age_seconds,
                        static_cast<uint64_t>(maxRecordBytes(row)));
}

}  // namespace streamhost::core
