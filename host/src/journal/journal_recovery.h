#pragma once

#include <filesystem>
#include <vector>

#include "common/status.h"
#include "journal/journal_types.h"
#include "journal/segment.h"

namespace streamhost::journal {

/// The segments of a journal directory after recovery, oldest first; the last
/// one is open for writing and everything in them is durable.
struct RecoveredJournal {
  std::vector<SegmentSharedPtr> segments;
  RecoveryReport report;
};

/// Opens or creates the journal in `dir`. Sealed segments with an intact sidecar
/// index are trusted; any other segment is scanned frame by frame. At the first
/// torn or corrupt frame the file is cut there and any later segments are removed,
/// since none of their records can have been reported durable.
Result<RecoveredJournal> recoverJournal(const std::filesystem::path& dir, const JournalOptions& opts);

}  // namespace streamhost::journal
