#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "common/status.h"
#include "journal/journal.h"

namespace streamhost::journal {

/// Owns the journals of all pipelines, one directory each under `data_dir/journal/<pipeline_id>/`.
/// @remark Thread-safe.
class JournalManager {
 public:
  JournalManager(std::filesystem::path data_dir, JournalOptions defaults);
  ~JournalManager();
  JournalManager(const JournalManager&) = delete;
  JournalManager& operator=(const JournalManager&) = delete;

  /// Returns the open journal of `pipeline_id`, opening (recovering) or creating it
  /// with the defaults plus the given retention limits (0: unlimited).
  /// A journal that cannot be opened (damage recovery must not cut) is
  /// remembered as that pipeline's failure; later calls try again.
  Result<JournalSharedPtr> open(const std::string& pipeline_id, uint64_t retention_max_bytes = 0,
                                int64_t retention_max_age_seconds = 0, uint64_t max_record_bytes = 0);
  /// Records that seq `seq` of `pipeline_id` was acknowledged as durable, so
  /// every later open's recovery refuses to cut it as a torn tail.
  void requireAcknowledged(const std::string& pipeline_id, uint64_t seq);
  /// Why the pipeline's journal takes no appends: it could not be opened, or a
  /// sync failed. OK when it is healthy or was never opened.
  Status failureOf(const std::string& pipeline_id) const;
  /// The open journal of `pipeline_id`, or nullptr.
  JournalSharedPtr find(const std::string& pipeline_id) const;
  /// Closes the journal of `pipeline_id` if open; its files stay.
  void close(const std::string& pipeline_id);
  /// Closes the journal of `pipeline_id` and deletes its directory.
  Status remove(const std::string& pipeline_id);
  /// Closes every journal (graceful shutdown).
  void closeAll();

  std::filesystem::path directoryOf(const std::string& pipeline_id) const;

 private:
  const std::filesystem::path root_;
  const JournalOptions defaults_;
  mutable std::mutex mu_;
  std::map<std::string, JournalSharedPtr> open_;
  std::map<std::string, Status> open_failures_;
  std::map<std::string, uint64_t> acknowledged_;
};

}  // namespace streamhost::journal
