#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lsn.h"

namespace streamhost::pgcdc {

/// The messages of one streamed transaction until its stream commit: in memory
/// up to a limit, then in an unnamed temp file ($TMPDIR, else /tmp) that
/// vanishes with it. Read back once, in order.
class TxnBuffer {
 public:
  explicit TxnBuffer(size_t memory_limit = 64u << 20) : limit_(memory_limit) {}

  /// Keeps one message; throws sdk::Error(SH_ERR_TRANSIENT) when the temp file cannot be written.
  void append(Lsn lsn, std::string_view message);
  void abortSubtransaction(uint32_t subxid) { aborted_.insert(subxid); }
  bool isAborted(uint32_t subxid) const { return aborted_.count(subxid) != 0; }

  size_t messages() const { return memory_.size() + spilled_messages_; }
  uint64_t spilledBytes() const { return spilled_bytes_; }

  /// The next message in append order; false after the last one.
  bool next(Lsn& lsn, std::string& message);

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  void openSpill();

  size_t limit_;
  size_t memory_bytes_ = 0;
  std::vector<std::pair<Lsn, std::string>> memory_;
  std::unique_ptr<std::FILE, FileCloser> spill_;
  uint64_t spilled_messages_ = 0;
  uint64_t spilled_bytes_ = 0;
  size_t read_ = 0;
  bool reading_file_ = false;
  std::unordered_set<uint32_t> aborted_;
};

}  // namespace streamhost::pgcdc
