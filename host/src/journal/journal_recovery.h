#pragma once

#include <filesystem>
#include <string>
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

/// Quarantined segments go to this folder of the journal directory; each one
/// marks a gap in the numbering that recovery accepts and never fills.
inline constexpr const char* kQuarantineDir = "quarantine";
/// Every damaged-journal error starts with this.
inline constexpr const char* kDamagedPrefix = "journal damaged:";

/// The error for damage recovery must not cut: names segment, position and the repair command.
Status damagedJournalError(const std::filesystem::path& dir, const std::string& segment, uint64_t pos,
                           const std::string& reason);

/// Whether damage at `pos` of a file of `size` bytes looks like a torn tail:
/// no valid frame follows it, or one does only after a zero-filled 4 KiB block.
bool looksTornAt(const FileHandle& file, uint64_t pos, uint64_t size);

/// False for damage a crash cannot leave: a frame whose CRC matched but whose
/// records do not decode (bad_payload, decompress_failed). It is never cut.
bool canBeTorn(const std::string& reason);

/// The first seq a journal whose every segment was quarantined continues with.
uint64_t nextSeqAfterQuarantine(const std::filesystem::path& dir);

/// Opens or creates the journal in `dir`. Sealed segments with an intact sidecar
/// index are trusted; any other segment is scanned frame by frame. Only the
/// tail (the segments after the last one with a sidecar) may be cut, and only
/// where the damage looks torn; any other damage is an error
/// (damagedJournalError) and nothing is changed.
Result<RecoveredJournal> recoverJournal(const std::filesystem::path& dir, const JournalOptions& opts);

}  // namespace streamhost::journal
