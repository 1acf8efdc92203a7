#include "binlog_reader.h"

#include <mariadb_rpl.h>
#include <sys/socket.h>

#include <chrono>

namespace streamhost::mycdc {
namespace {

constexpr size_t kMaxQueuedBytes = 32u << 20;

}  // namespace

BinlogReader::BinlogReader(const ConnSettings& settings, const BinlogStart& start) : file_(start.file) {
  session_ = std::make_unique<MySession>(settings, "the binlog stream");
  MySession& s = *session_;
  connection_id_ = mysql_thread_id(s.raw());
  std::string alg = s.scalar("SELECT @@global.binlog_checksum", "reading binlog_checksum").value_or("NONE");
  checksummed_ = alg == "CRC32";
  // Declares this client checksum-aware (else the server strips the CRC32)
  // and, on MariaDB, able to take GTID events.
  s.exec("SET @master_binlog_checksum = @@global.binlog_checksum", "setting up the binlog stream");
  if (s.isMariaDb()) {
    s.exec("SET @mariadb_slave_capability = 4", "setting up the binlog stream");
  }
  if (start.heartbeat_ms > 0) {
    s.exec("SET @master_heartbeat_period = " + std::to_string(start.heartbeat_ms * 1000000), "setting the heartbeat");
  }
  if (!start.gtid_state.empty()) {
    // Checked by isMariaGtidState (digits, '-' and ','), so it needs no escaping.
    s.exec("SET @slave_connect_state = '" + start.gtid_state + "'", "setting the GTID position");
    s.exec("SET @slave_gtid_strict_mode = 1", "setting the GTID position");
    s.exec("SET @slave_gtid_ignore_duplicates = 0", "setting the GTID position");
  }
  rpl_ = mariadb_rpl_init(s.raw());
  if (rpl_ == nullptr) {
    throw sdk::Error(SH_ERR_INTERNAL, "mariadb_rpl_init failed");
  }
  unsigned long pos = static_cast<unsigned long>(start.pos);
  if (start.gtid_state.empty()) {
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FILENAME, start.file.c_str(), start.file.size());
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_START, pos);
  } else {
    gtid_state_ = start.gtid_state;
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FILENAME, "", size_t{0});
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_START, 4UL);
  }
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_SERVER_ID, start.server_id);
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FLAGS, 0);
  if (mariadb_rpl_open(rpl_) != 0) {
    std::string msg = mysql_error(s.raw());
    unsigned int code = mysql_errno(s.raw());
    mariadb_rpl_close(rpl_);
    rpl_ = nullptr;
    throw sdk::Error(isTransientError(code) ? SH_ERR_TRANSIENT : SH_ERR_FATAL,
                     "the server refused the binlog stream from " +
                         (start.gtid_state.empty() ? start.file + ":" + std::to_string(start.pos)
                                                   : "GTID position " + start.gtid_state) +
                         ": " + msg);
  }
  thread_ = std::thread([this] { run(); });
}

BinlogReader::~BinlogReader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  writable_.notify_all();
  // The reader blocks in a socket read; shutting the socket down ends it.
  if (session_ && session_->raw() != nullptr) {
    ::shutdown(static_cast<int>(mysql_get_socket(session_->raw())), SHUT_RDWR);
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  if (rpl_ != nullptr) {
    mariadb_rpl_close(rpl_);
  }
}

void BinlogReader::fail(sdk::Error error) {
  std::lock_guard lock(mu_);
  if (!stopping_ && !error_) {
    error_ = std::move(error);
  }
  readable_.notify_all();
}

void BinlogReader::run() {
  MARIADB_RPL_EVENT* event = nullptr;
  while (true) {
    MARIADB_RPL_EVENT* fetched = mariadb_rpl_fetch(rpl_, event);
    if (fetched == nullptr) {
      MYSQL* m = session_->raw();
      unsigned int code = mysql_errno(m);
      std::string msg = mysql_error(m);
      // Connector/C frees the event it was handed when a fetch fails.
      if (code == 1236 && !gtid_state_.empty()) {
        fail(sdk::Error(SH_ERR_FATAL, "the binlog after GTID position " + gtid_state_ +
                                          " was purged from the server (" + msg +
                                          "), so the changes since then are lost to this stream; reset the "
                                          "stream's offset or recreate it with snapshot_mode initial to take a new "
                                          "snapshot"));
      } else if (code == 1236) {
        fail(sdk::Error(SH_ERR_FATAL, "the server cannot send the binlog this stream needs (" + msg +
                                          "): the file was probably purged, so the changes since the stream's "
                                          "position are lost to it; recreate the stream with snapshot_mode initial "
                                          "(or reset its offset) to take a new snapshot"));
      } else {
        fail(sdk::Error(code == 0 || isTransientError(code) ? SH_ERR_TRANSIENT : SH_ERR_FATAL,
                        "the binlog stream from " + session_->settings().describe() + " ended: " +
                            (msg.empty() ? std::string("the server closed it") : msg)));
      }
      return;
    }
    event = fetched;
    const unsigned char* raw = event->raw_data;
    size_t len = event->raw_data_size;
    // The packet starts with the OK byte ahead of the event.
    if (len == static_cast<size_t>(event->event_length) + 1) {
      ++raw;
      --len;
    }
    std::unique_lock lock(mu_);
    writable_.wait(lock, [&] { return stopping_ || queued_bytes_ < kMaxQueuedBytes; });
    if (stopping_) {
      break;
    }
    queue_.emplace_back(reinterpret_cast<const char*>(raw), len);
    queued_bytes_ += len;
    lock.unlock();
    readable_.notify_one();
  }
  mariadb_free_rpl_event(event);
}

void BinlogReader::take(std::deque<std::string>& out, int timeout_ms) {
  std::unique_lock lock(mu_);
  readable_.wait_for(lock, std::chrono::milliseconds(std::max(timeout_ms, 0)),
                     [&] { return !queue_.empty() || error_.has_value() || woken_; });
  woken_ = false;
  if (queue_.empty()) {
    if (error_) {
      throw *error_;
    }
    return;
  }
  out.swap(queue_);
  queued_bytes_ = 0;
  lock.unlock();
  writable_.notify_all();
}

void BinlogReader::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  readable_.notify_all();
}

}  // namespace streamhost::mycdc
