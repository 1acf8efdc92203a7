#include "txn_buffer.h"

#include <fcntl.h>
#include <unistd.h>

#include <streamhost/plugin_sdk.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace streamhost::pgcdc {
namespace {

[[noreturn]] void spillFailed(const std::string& what) {
  throw sdk::Error(SH_ERR_TRANSIENT, "spilling a large streamed transaction to disk failed: " + what + ": " +
                                         std::strerror(errno) + " (set TMPDIR to a directory with room)");
}

}  // namespace

void TxnBuffer::openSpill() {
  const char* env = std::getenv("TMPDIR");
  std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {  // file systems without O_TMPFILE
    std::string path = dir + "/streamhost-txn-XXXXXX";
    fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd >= 0) {
      ::unlink(path.c_str());
    }
  }
  if (fd < 0) {
    spillFailed("creating a temp file in " + dir);
  }
  std::FILE* f = ::fdopen(fd, "w+b");
  if (f == nullptr) {
    ::close(fd);
    spillFailed("opening the temp file");
  }
  spill_.reset(f);
}

void TxnBuffer::append(Lsn lsn, std::string_view message) {
  if (!spill_ && memory_bytes_ + message.size() <= limit_) {
    memory_.emplace_back(lsn, std::string(message));
    memory_bytes_ += message.size();
    return;
  }
  if (!spill_) {
    openSpill();
  }
  uint64_t header[2] = {lsn, message.size()};
  if (std::fwrite(header, sizeof header, 1, spill_.get()) != 1 ||
      (!message.empty() && std::fwrite(message.data(), message.size(), 1, spill_.get()) != 1)) {
    spillFailed("writing");
  }
  ++spilled_messages_;
  spilled_bytes_ += sizeof header + message.size();
}

bool TxnBuffer::next(Lsn& lsn, std::string& message) {
  if (read_ < memory_.size()) {
    lsn = memory_[read_].first;
    message.swap(memory_[read_].second);
    std::string().swap(memory_[read_].second);  // give the memory back as we go
    ++read_;
    return true;
  }
  if (!spill_ || read_ >= memory_.size() + spilled_messages_) {
    return false;
  }
  if (!reading_file_) {
    if (std::fflush(spill_.get()) != 0 || std::fseek(spill_.get(), 0, SEEK_SET) != 0) {
      spillFailed("rewinding");
    }
    reading_file_ = true;
  }
  uint64_t header[2];
  if (std::fread(header, sizeof header, 1, spill_.get()) != 1) {
    spillFailed("reading back");
  }
  lsn = header[0];
  message.resize(header[1]);
  if (header[1] > 0 && std::fread(message.data(), header[1], 1, spill_.get()) != 1) {
    spillFailed("reading back");
  }
  ++read_;
  return true;
}

}  // namespace streamhost::pgcdc
