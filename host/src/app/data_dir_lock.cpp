#include "app/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace streamhost::app {

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir, Mode mode) {
  const std::filesystem::path path = data_dir / "streamhostd.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return internalError("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  int rc = 0;
  do {
    rc = ::flock(fd, (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status(StatusCode::kBusy,
                    mode == Mode::kShared
                        ? "data_dir " + data_dir.string() +
                              " is locked by a data key rotation; start again when it ends"
                        : "data_dir " + data_dir.string() + " is in use by a running streamhostd; stop it first");
    }
    return internalError("cannot lock " + path.string() + ": " + std::strerror(err));
  }
  return DataDirLock(fd);
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

}  // namespace streamhost::app
