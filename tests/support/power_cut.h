#pragma once

#include <filesystem>
#include <string>

namespace streamhost::testing {

/// What applyPowerCut threw away.
struct PowerCutSummary {
  int files_removed = 0;    ///< created, but their directory entry never synced
  int dirs_removed = 0;
  int files_truncated = 0;  ///< cut back to what their last sync covered
  int renames_undone = 0;
  int overwrites_undone = 0;
  long long bytes_dropped = 0;
  std::string toString() const;
};

/// Replays the event log that tests/faults/fault_shim.c wrote while a daemon
/// ran (`log`, plus `log`.blobs) and, the daemon having been SIGKILLed, makes
/// the files under its root look as they would after a power cut at that
/// moment in which nothing unsynced reached the disk: files and directories
/// created since their parent's last fsync are removed, renames since then are
/// undone, each file is cut to the size its last fsync/fdatasync covered, and
/// bytes overwritten since then get their old content back. Then it removes
/// the log, so the next run starts a fresh one.
PowerCutSummary applyPowerCut(const std::filesystem::path& log);

}  // namespace streamhost::testing
