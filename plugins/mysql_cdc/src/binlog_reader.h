#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <streamhost/plugin_sdk.hpp>

#include "my_session.h"

struct st_mariadb_rpl;

namespace streamhost::mycdc {

/// Where and how a binlog stream starts.
struct BinlogStart {
  std::string file;
  uint64_t pos = 4;
  uint32_t server_id = 0;
  int64_t heartbeat_ms = 0;
  /// MariaDB only: when set, the stream starts after this GTID position
  /// (@slave_connect_state) and `file`/`pos` are not sent.
  std::string gtid_state;
};

/// The server's binlog stream through Connector/C's replication API
/// (COM_BINLOG_DUMP), read by a thread of its own into a bounded queue so
/// poll() can wait with a timeout and the network read overlaps decoding.
/// Events are handed over raw (header to checksum); decoding is the caller's.
class BinlogReader {
 public:
  /// Connects and asks for the stream; throws sdk::Error when the server refuses.
  BinlogReader(const ConnSettings& settings, const BinlogStart& start);
  ~BinlogReader();
  BinlogReader(const BinlogReader&) = delete;
  BinlogReader& operator=(const BinlogReader&) = delete;

  /// Moves every queued event into `out` (which must be empty), waiting up to
  /// `timeout_ms` for the first. Throws the reader's error once the queue is empty.
  void take(std::deque<std::string>& out, int timeout_ms);
  /// Makes a waiting take() return early. Any thread.
  void wake();
  /// Whether the server puts a CRC32 after each event (binlog_checksum).
  bool checksummed() const { return checksummed_; }
  /// The server's id of the replication connection (for KILL).
  unsigned long connectionId() const { return connection_id_; }

 private:
  void run();
  void fail(sdk::Error error);

  std::unique_ptr<MySession> session_;
  st_mariadb_rpl* rpl_ = nullptr;
  bool checksummed_ = false;
  unsigned long connection_id_ = 0;
  std::string file_;
  std::string gtid_state_;

  std::mutex mu_;
  std::condition_variable readable_;
  std::condition_variable writable_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool woken_ = false;
  bool stopping_ = false;
  std::optional<sdk::Error> error_;
  std::thread thread_;
};

}  // namespace streamhost::mycdc
