#pragma once

#include <filesystem>

#include "common/status.h"

namespace streamhost::app {

/// An advisory lock (flock) on `<data_dir>/streamhostd.lock`. A running
/// daemon holds it shared for its whole life; a data-key rotation holds it
/// exclusively, so neither starts while the other runs. Released on
/// destruction or when the process ends, however it ends.
class DataDirLock {
 public:
  enum class Mode { kShared, kExclusive };

  /// Takes the lock without waiting. kBusy when it is held in a conflicting mode.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir, Mode mode);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace streamhost::app
