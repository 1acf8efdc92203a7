#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/status.h"

namespace streamhost::app {

/// The data key, in the data directory.
inline constexpr const char* kDataKeyFile = "secret.key";
/// The new key while a rotation is under way; its presence marks an unfinished rotation.
inline constexpr const char* kNextDataKeyFile = "secret.key.next";
/// A rotation keeps the old key as "secret.key.retired-<fingerprint>" until the operator removes it.
inline constexpr const char* kRetiredDataKeyPrefix = "secret.key.retired-";

/// What a rotation did.
struct RotationReport {
  bool resumed = false;           ///< finished a rotation an interruption had left
  std::string old_fingerprint;    ///< crypto::keyFingerprint of the old and the new key
  std::string new_fingerprint;
  std::filesystem::path retired;  ///< the old key's backup file
  uint64_t connections = 0;       ///< connections whose secrets were re-sealed
  uint64_t stream_values = 0;     ///< stream-config values re-sealed
};

/// `keys rotate-data-key`: with the daemon stopped, makes a new data key and
/// re-seals every sealed value under it.
///
/// 1. Takes the data dir lock exclusively (kBusy while a daemon runs).
/// 2. Writes the new key to secret.key.next (fsync'd) unless an interrupted
///    rotation left one there, which is then used.
/// 3. Re-seals the store in one transaction (store::resealSqliteStore).
/// 4. Links secret.key to secret.key.retired-<fingerprint>, renames
///    secret.key.next over secret.key and fsyncs the directory.
///
/// Interrupted anywhere, running it again (or starting the daemon, which
/// calls finishInterruptedRotation()) completes the same rotation: values
/// already re-sealed open under the new key and are left as they are.
Result<RotationReport> rotateDataKey(const std::filesystem::path& data_dir);

/// At daemon start, before the key is read: completes a rotation that was
/// interrupted (secret.key.next present); nullopt when there is none.
Result<std::optional<RotationReport>> finishInterruptedRotation(const std::filesystem::path& data_dir);

}  // namespace streamhost::app
