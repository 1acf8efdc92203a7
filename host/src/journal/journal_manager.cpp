#include "journal/journal_manager.h"

#include <algorithm>

namespace streamhost::journal {
namespace {

// Ids become directory names, so only a safe alphabet passes.
bool validId(const std::string& id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

JournalManager::JournalManager(std::filesystem::path data_dir, JournalOptions defaults)
    : root_(std::move(data_dir) / "journal"), defaults_(std::move(defaults)) {}

JournalManager::~JournalManager() { closeAll(); }

std::filesystem::path JournalManager::directoryOf(const std::string& pipeline_id) const { return root_ / pipeline_id; }

Result<JournalSharedPtr> JournalManager::open(const std::string& pipeline_id, uint64_t retention_max_bytes,
                                              int64_t retention_max_age_seconds, uint64_t max_record_bytes) {
  if (!validId(pipeline_id)) {
    return invalidArgument("invalid pipeline id for a journal: " + pipeline_id, "pipeline_id");
  }
  std::lock_guard<std::mutex> lk(mu_);
  if (auto it = open_.find(pipeline_id); it != open_.end()) {
    return it->second;
  }
  JournalOptions opts = defaults_;
  opts.retention_max_bytes = retention_max_bytes;
  opts.retention_max_age_seconds = retention_max_age_seconds;
  opts.max_record_bytes = max_record_bytes;
  if (auto a = acknowledged_.find(pipeline_id); a != acknowledged_.end()) {
    opts.acknowledged_seq = a->second;
  }
  auto j = Journal::open(directoryOf(pipeline_id), std::move(opts));
  if (!j) {
    open_failures_[pipeline_id] = j.status();
    return j.status();
  }
  open_failures_.erase(pipeline_id);
  JournalSharedPtr shared(std::move(*j));
  open_.emplace(pipeline_id, shared);
  return shared;
}

void JournalManager::requireAcknowledged(const std::string& pipeline_id, uint64_t seq) {
  std::lock_guard<std::mutex> lk(mu_);
  uint64_t& a = acknowledged_[pipeline_id];
  a = std::max(a, seq);
}

JournalSharedPtr JournalManager::find(const std::string& pipeline_id) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = open_.find(pipeline_id);
  return it == open_.end() ? nullptr : it->second;
}

Status JournalManager::failureOf(const std::string& pipeline_id) const {
  JournalSharedPtr j;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (auto f = open_failures_.find(pipeline_id); f != open_failures_.end()) {
      return f->second;
    }
    auto it = open_.find(pipeline_id);
    if (it == open_.end()) {
      return Status::ok();
    }
    j = it->second;
  }
  return j->failure();
}

void JournalManager::close(const std::string& pipeline_id) {
  JournalSharedPtr j;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = open_.find(pipeline_id);
    if (it == open_.end()) {
      return;
    }
    j = std::move(it->second);
    open_.erase(it);
  }
  j->close();
}

Status JournalManager::remove(const std::string& pipeline_id) {
  if (!validId(pipeline_id)) {
    return invalidArgument("invalid pipeline id for a journal: " + pipeline_id, "pipeline_id");
  }
  close(pipeline_id);
  {
    std::lock_guard<std::mutex> lk(mu_);
    open_failures_.erase(pipeline_id);
  }
  std::error_code ec;
  std::filesystem::remove_all(directoryOf(pipeline_id), ec);
  if (ec) {
    return internalError("remove " + directoryOf(pipeline_id).string() + ": " + ec.message());
  }
  return Status::ok();
}

void JournalManager::closeAll() {
  std::map<std::string, JournalSharedPtr> all;
  {
    std::lock_guard<std::mutex> lk(mu_);
    all.swap(open_);
  }
  for (auto& [id, j] : all) {
    j->close();
  }
}

}  // namespace streamhost::journal
