#include "cdc_source.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "server_check.h"

namespace streamhost::mycdc {
namespace {

/// The replica ids this host's running streams present, so two streams never
/// kick each other off the server (a server keeps one dump per replica id).
class ServerIdRegistry {
 public:
  static ServerIdRegistry& instance() {
    static ServerIdRegistry r;
    return r;
  }
  /// The stream holding `id` already, or "" when it was free and is now taken.
  std::string claim(uint32_t id, const std::string& stream) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = owners_.emplace(id, stream);
    return inserted || it->second == stream ? std::string() : it->second;
  }
  void release(uint32_t id, const std::string& stream) {
    std::lock_guard lock(mu_);
    if (auto it = owners_.find(id); it != owners_.end() && it->second == stream) {
      owners_.erase(it);
    }
  }

 private:
  std::mutex mu_;
  std::unordered_map<uint32_t, std::string> owners_;
};

}  // namespace

void ServerCharsets::load(MySession& session) {
  if (!collations_.empty()) {
    return;
  }
  for (const auto& r : session.query("SELECT ID, CHARACTER_SET_NAME FROM information_schema.COLLATIONS",
                                     "reading the server's collations")) {
    if (r.size() == 2 && r[0] && r[1]) {
      collations_[static_cast<uint32_t>(std::stoul(*r[0]))] = *r[1];
    }
  }
}

std::string ServerCharsets::charsetOf(uint32_t collation) {
  auto it = collations_.find(collation);
  return it == collations_.end() ? std::string() : it->second;
}

const TextConverter* ServerCharsets::converter(const std::string& charset) {
  auto& slot = converters_[charset];
  if (!slot) {
    slot = std::make_unique<TextConverter>(charset);
  }
  return slot.get();
}

MysqlCdcSource::MysqlCdcSource(sdk::Host host, const sh_create_args_t& args)
    : sdk::Source(host),
      settings_(ConnSettings::fromHost(host)),
      config_(CdcConfig::fromHost(host, sdk::toView(args.stream_id))),
      stream_id_(sdk::toView(args.stream_id)) {}

MysqlCdcSource::~MysqlCdcSource() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; the connections close regardless
  }
}

void MysqlCdcSource::wakeup() noexcept {
  if (reader_) {
    reader_->wake();
  }
}

MySession& MysqlCdcSource::admin() {
  if (!admin_ || mysql_ping(admin_->raw()) != 0) {
    admin_ = std::make_unique<MySession>(settings_, "catalogue reads");
  }
  return *admin_;
}

void MysqlCdcSource::resetState() {
  reader_.reset();
  snapshot_.reset();
  admin_.reset();
  events_.clear();
  out_.clear();
  tables_.clear();
  catalog_.clear();
  file_.clear();
  post_header_.clear();
  complete_file_.clear();
  complete_pos_ = 0;
  last_gtid_.clear();
  in_txn_ = false;
  txn_rows_ = 0;
  skip_rows_ = 0;
  acked_ = {};
}

void MysqlCdcSource::start(std::string_view resume_offset) {
  auto resume = BinlogOffset::parse(resume_offset);
  if (!resume) {
    throw sdk::Error(SH_ERR_FATAL, "the committed offset '" + std::string(resume_offset) +
                                       "' is not a mysql_cdc position; reset the stream's offset or recreate it");
  }
  resetState();
  try {
    startConnected(*resume);
  } catch (...) {
    stop();  // a failed start holds no connection while the host backs off
    throw;
  }
}

void MysqlCdcSource::startConnected(const BinlogOffset& resume) {
  now_ms_ = host().nowMs();
  std::string holder = ServerIdRegistry::instance().claim(config_.server_id, stream_id_);
  if (!holder.empty()) {
    throw sdk::Error(SH_ERR_FATAL, "server_id " + std::to_string(config_.server_id) + " is already used by stream " +
                                       holder + " on this host, and the server keeps one binlog reader per id; set "
                                       "a different server_id");
  }
  registered_ = true;
  ServerCheck(admin()).requireReady();
  charsets_.load(admin());
  if (resume.kind == BinlogOffset::Kind::kStream) {
    auto logs = binaryLogs(admin());
    bool file_gone = std::none_of(logs.begin(), logs.end(), [&](const auto& l) { return l.first == resume.file; });
    std::string by_gtid;
    if (file_gone && admin().isMariaDb() && isMariaGtidState(resume.gtid)) {
      // Nothing may be lost yet: the server knows whether its binlogs still
      // hold every transaction after this GTID position, and refuses if not.
      by_gtid = resume.gtid;
      host().info("binlog file " + resume.file + " is not on the server; resuming by GTID position " + by_gtid);
    } else if (file_gone) {
      throw sdk::Error(SH_ERR_FATAL,
                       "binlog file " + resume.file + " that this stream needs (position " + resume.file + ":" +
                           std::to_string(resume.pos) + ") was purged from the server" +
                           (logs.empty() ? std::string() : " (the oldest left is " + logs.front().first + ")") +
                           ", so the changes since then are lost to this stream; reset the stream's offset or "
                           "recreate it with snapshot_mode initial to take a new snapshot");
    }
    complete_file_ = resume.file;
    complete_pos_ = resume.pos;
    last_gtid_ = resume.gtid;
    skip_rows_ = resume.rows;
    position_time_ms_ = resume.time_s * 1000;
    acked_ = resume;
    startStreaming(resume.file, resume.pos, by_gtid);
    return;
  }
  if (config_.snapshot_mode == SnapshotMode::kInitial) {
    beginSnapshot();
    return;
  }
  BinlogEnd end = binlogEnd(admin());
  position_time_ms_ = host().nowMs();
  startStreaming(end.file, end.pos);
  // Recorded at once, so a restart before the first change resumes here and not at a later end.
  pushCheckpoint(end.file, end.pos);
}

void MysqlCdcSource::startStreaming(const std::string& file, uint64_t pos, const std::string& gtid_state) {
  BinlogStart s{file, pos, config_.server_id, config_.heartbeat_interval_ms, gtid_state};
  reader_ = std::make_unique<BinlogReader>(settings_, s);
  checksummed_ = reader_->checksummed();
  file_ = file;
  host().info("streaming the binlog from " +
              (gtid_state.empty() ? file + ":" + std::to_string(pos) : "GTID position " + gtid_state) + " as replica " +
              std::to_string(config_.server_id) + (checksummed_ ? " (CRC32 checked)" : " (no checksums)"));
}

void MysqlCdcSource::stop() {
  if (reader_) {
    unsigned long id = reader_->connectionId();
    reader_.reset();
    // A dump waiting for new events notices a closed socket only when it next
    // writes; ending it now lets the server purge the files it held.
    if (admin_ != nullptr) {
      try {
        admin_->exec("KILL CONNECTION " + std::to_string(id), "ending the binlog dump");
      } catch (const sdk::Error&) {  // already gone
      }
    }
  }
  snapshot_.reset();
  admin_.reset();
  events_.clear();
  if (registered_) {
    ServerIdRegistry::instance().release(config_.server_id, stream_id_);
    registered_ = false;
  }
}

std::string MysqlCdcSource::streamOffset(uint64_t rows) const {
  BinlogOffset o;
  o.kind = BinlogOffset::Kind::kStream;
  o.file = complete_file_;
  o.pos = complete_pos_;
  o.rows = rows;
  o.time_s = position_time_ms_ / 1000;
  o.gtid = last_gtid_;
  return o.encode();
}

void MysqlCdcSource::pushCheckpoint(const std::string& file, uint64_t pos) {
  complete_file_ = file;
  complete_pos_ = pos;
  Pending& p = out_.emplace_back();
  p.offset = streamOffset(0);
}

bool MysqlCdcSource::drain(sdk::Sink& sink, Budget& budget) {
  while (!out_.empty()) {
    Pending& p = out_.front();
    if (p.op == 0) {
      sink.checkpoint(p.offset);
      out_.pop_front();
      continue;
    }
    if (budget.rows <= 0 || budget.bytes <= 0) {
      return false;
    }
    if (!sink.emit(p.key, p.value, p.offset, p.op, p.ts_ms)) {
      return false;
    }
    budget.rows -= 1;
    budget.bytes -= static_cast<int64_t>(p.key.size() + p.value.size());
    out_.pop_front();
  }
  return budget.rows > 0 && budget.bytes > 0;
}

void MysqlCdcSource::poll(sdk::Sink& sink, uint32_t max_records, int32_t timeout_ms) {
  now_ms_ = host().nowMs();
  if (max_records == 0) {
    return;  // paused: the reader thread keeps the connection; its queue fills and waits
  }
  Budget budget{std::min<int64_t>(max_records, config_.max_batch_rows), config_.max_batch_bytes};
  if (!drain(sink, budget)) {
    return;
  }
  if (snapshot_) {
    snapshotStep(budget.rows);
    drain(sink, budget);
    return;
  }
  if (!reader_) {
    throw sdk::Error(SH_ERR_INVALID_STATE, "poll before start");
  }
  const int64_t deadline = now_ms_ + std::max(timeout_ms, 0);
  const int64_t start_rows = budget.rows;
  while (true) {
    if (events_.empty()) {
      int wait = budget.rows < start_rows ? 0 : static_cast<int>(std::max<int64_t>(0, deadline - host().nowMs()));
      reader_->take(events_, wait);
      if (events_.empty()) {
        return;
      }
    }
    now_ms_ = host().nowMs();
    while (!events_.empty()) {
      handleEvent(events_.front());
      events_.pop_front();
      if (!drain(sink, budget)) {
        return;
      }
    }
    if (host().nowMs() > deadline) {
      return;  // changes of excluded tables can keep the stream busy without filling a batch
    }
  }
}

void MysqlCdcSource::commit(std::string_view offset) {
  // The server keeps nothing for a binlog reader: the host's persisted offset
  // is the position. Kept here for the lag figures.
  auto o = BinlogOffset::parse(offset);
  if (o && o->kind == BinlogOffset::Kind::kStream) {
    acked_ = *o;
  }
}

std::vector<std::string> MysqlCdcSource::teardown(bool /*force*/) {
  return {"nothing to release at the source: a binlog reader holds no slot or position on the server"};
}

sdk::Lag MysqlCdcSource::lag() {
  sdk::Lag lag;
  if (acked_.kind != BinlogOffset::Kind::kStream) {
    return lag;
  }
  try {
    int64_t bytes = 0, files = 0;
    bool found = false;
    for (const auto& [name, size] : binaryLogs(admin())) {
      if (name == acked_.file) {
        found = true;
        bytes += static_cast<int64_t>(size > acked_.pos ? size - acked_.pos : 0);
      } else if (found) {
        bytes += static_cast<int64_t>(size);
        ++files;
      }
    }
    if (found) {
      lag.bytes = bytes;
      host().gauge("binlog_files_behind", static_cast<double>(files));
      lag.ms = bytes == 0 || last_event_ts_ms_ == 0 ? 0 : std::max<int64_t>(0, host().nowMs() - last_event_ts_ms_);
    }
  } catch (const sdk::Error&) {  // a figure, not worth failing the stream; the binlog side will tell
  }
  return lag;
}

std::string MysqlConnection::test(const sdk::Host& host) {
  ConnSettings settings = ConnSettings::fromHost(host);
  MySession conn(settings, "the connection test");
  ServerCheck check(conn);
  std::string text;
  bool ok = true;
  for (const Finding& f : {check.flavour(), check.binlogOn(), check.rowFormat(), check.gtids(), check.grants()}) {
    text += (text.empty() ? "" : " ") + f.sentence;
    ok = ok && f.ok;
  }
  if (!ok) {
    throw sdk::Error(SH_ERR_FATAL, text);
  }
  return text;
}

}  // namespace streamhost::mycdc
