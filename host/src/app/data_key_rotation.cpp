#include "app/data_key_rotation.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "app/data_dir_lock.h"
#include "common/crypto.h"
#include "store/sqlite_reseal.h"

namespace streamhost::app {
namespace {

Status syncDir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return internalError("cannot open " + dir.string() + ": " + std::strerror(errno));
  }
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    return internalError("cannot sync " + dir.string() + ": " + std::strerror(err));
  }
  return Status::ok();
}

/// Steps 2-4 of rotateDataKey(), under the exclusive lock.
Result<RotationReport> rotateLocked(const std::filesystem::path& dir, bool resume_only) {
  const std::string key_path = (dir / kDataKeyFile).string();
  const std::string next_path = (dir / kNextDataKeyFile).string();
  Result<std::string> current = crypto::readKeyFile(key_path);
  if (!current) {
    return Status(current.status().code(), current.status().message() +
                                               (current.status().code() == StatusCode::kNotFound
                                                    ? " (nothing is sealed yet; the daemon creates the key)"
                                                    : ""));
  }
  RotationReport rep;
  Result<std::string> next = crypto::readKeyFile(next_path);
  if (next) {
    rep.resumed = true;
  } else if (next.status().code() != StatusCode::kNotFound) {
    return next.status();
  } else if (resume_only) {
    return rep;
  } else {
    // Durable before the store is touched: values sealed under a key that could vanish would be lost.
    std::string fresh = crypto::randomBytes(crypto::kAesKeySize);
    if (Status s = crypto::writeKeyFile(next_path, fresh); !s) {
      return s;
    }
    next = fresh;
  }
  rep.old_fingerprint = crypto::keyFingerprint(*current);
  rep.new_fingerprint = crypto::keyFingerprint(*next);
  auto resealed = store::resealSqliteStore((dir / "streamhost.db").string(), *current, *next);
  if (!resealed) {
    if (!rep.resumed && resealed.status().code() != StatusCode::kFatal) {
      // Nothing was sealed under the new key: drop it, so no later start tries to finish this rotation.
      std::error_code ec;
      std::filesystem::remove(next_path, ec);
      (void)syncDir(dir);
      return Status(resealed.status().code(), resealed.status().message() + "; nothing was changed");
    }
    return Status(resealed.status().code(),
                  resealed.status().message() + "; " + kNextDataKeyFile +
                      " is kept: run `streamhostd keys rotate-data-key` again to finish the rotation");
  }
  rep.connections = resealed->connections;
  rep.stream_values = resealed->stream_values;
  rep.retired = dir / (std::string(kRetiredDataKeyPrefix) + rep.old_fingerprint);
  // A hard link keeps the old key's bytes and mode; it exists already when an
  // earlier run got this far.
  if (::link(key_path.c_str(), rep.retired.c_str()) != 0 && errno != EEXIST) {
    return internalError("cannot keep the old key as " + rep.retired.string() + ": " + std::strerror(errno));
  }
  if (::rename(next_path.c_str(), key_path.c_str()) != 0) {
    return internalError("cannot install the new key " + next_path + " as " + key_path + ": " +
                         std::strerror(errno));
  }
  if (Status s = syncDir(dir); !s) {
    return s;
  }
  return rep;
}

}  // namespace

Result<RotationReport> rotateDataKey(const std::filesystem::path& data_dir) {
  auto lock = DataDirLock::acquire(data_dir, DataDirLock::Mode::kExclusive);
  if (!lock) {
    return lock.status();
  }
  return rotateLocked(data_dir, false);
}

Result<std::optional<RotationReport>> finishInterruptedRotation(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(data_dir / kNextDataKeyFile, ec)) {
    return std::optional<RotationReport>();
  }
  auto lock = DataDirLock::acquire(data_dir, DataDirLock::Mode::kExclusive);
  if (!lock) {
    if (lock.status().code() == StatusCode::kBusy) {
      return Status(StatusCode::kBusy, "a data key rotation is under way in " + data_dir.string() +
                                           " (or another streamhostd runs there); start again when it ends");
    }
    return lock.status();
  }
  auto rep = rotateLocked(data_dir, true);
  if (!rep) {
    return rep.status();
  }
  if (!rep->resumed) {
    return std::optional<RotationReport>();  // another process finished it meanwhile
  }
  return std::optional<RotationReport>(std::move(*rep));
}

}  // namespace streamhost::app
