#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace streamhost::journal {

/// What `streamhostd journal verify` found: every frame of every segment read
/// and checked (length, CRC, payload, contiguous seq, sidecar agreement).
struct VerifyReport {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t holes = 0;           ///< gaps of quarantined segments
  bool damaged = false;         ///< damage recovery refuses to cut
  bool torn_tail = false;       ///< a torn tail recovery cuts (never acknowledged)
  std::string segment;          ///< where the first damage or the torn tail is
  uint64_t position = 0;        ///< its byte offset
  std::string reason;
  /// For a seq_gap between segments: the first number no segment holds (0 otherwise).
  uint64_t missing_from = 0;
  /// At a seq_gap: the seq the segment should have started with (the one after the kept records).
  uint64_t expected_seq = 0;
  /// One line per finding, for the terminal.
  std::vector<std::string> lines;
};

/// Reads the whole journal in `dir` and changes nothing. The daemon should be stopped.
Result<VerifyReport> verifyJournal(const std::filesystem::path& dir);

/// Moves the first damaged segment (and its sidecar) into `dir/quarantine/`,
/// leaving a gap in the numbering that recovery accepts; sequence numbers are
/// never reused or shifted. When it was the active segment a new empty one
/// continues after the highest seq found in it. When the damage is numbers
/// that no segment holds (a segment file went missing), an empty marker named
/// after the first of them goes to `dir/quarantine/` instead and no segment
/// moves. Returns what was done.
Result<std::string> quarantineDamagedSegment(const std::filesystem::path& dir);

}  // namespace streamhost::journal
