#include "cdc_source.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "change_encoder.h"
#include "server_admin.h"

namespace streamhost::pgcdc {
namespace {

constexpr int64_t kMaxStatusIntervalMs = 10000;

uint64_t be64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  }
  return v;
}



}  // namespace

CdcSource::CdcSource(sdk::Host host, const sh_create_args_t& args)
    : sdk::Source(host),
      settings_(ConnSettings::fromHost(host)),
      config_(CdcConfig::fromHost(host, sdk::toView(args.stream_id))),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (wake_fd_ < 0) {
    throw sdk::Error(SH_ERR_INTERNAL, "eventfd failed");
  }
}

CdcSource::~CdcSource() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; the connections close regardless
  }
  ::close(wake_fd_);
}

void CdcSource::wakeup() noexcept {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

PgConn& CdcSource::admin() {
  if (!admin_ || !admin_->ok()) {
    admin_ = std::make_unique<PgConn>(settings_, PgConn::Mode::kRegular);
  }
  return *admin_;
}

void CdcSource::resetState() {
  stream_.reset();
  repl_.reset();
  admin_.reset();
  decoder_ = std::make_unique<PgOutputDecoder>(static_cast<DecoderEvents&>(*this));
  phase_ = Phase::kIdle;
  snapshot_.reset();
  out_.clear();
  in_txn_ = false;
  txn_ = {};
  skip_commit_ = 0;
  skip_records_ = 0;
  streamed_.clear();
  base_types_.clear();
  replay_.reset();
  complete_ = acked_ = server_wal_end_ = 0;
  last_status_ms_ = last_reply_request_ms_ = last_heartbeat_ms_ = 0;
}

void CdcSource::start(std::string_view resume_offset) {
  auto resume = Offset::parse(resume_offset);
  if (!resume) {
    throw sdk::Error(SH_ERR_FATAL, "the committed offset '" + std::string(resume_offset) +
                                       "' is not a postgres_cdc position; delete and recreate the stream");
  }
  resetState();
  try {
    startConnected(*resume);
  } catch (...) {
    resetState();  // a failed start holds no connection while the host backs off
    throw;
  }
}

void CdcSource::startConnected(const Offset& resume) {
  now_ms_ = host().nowMs();
  ServerAdmin sa(admin());
  sa.checkReplicationReady();
  // A quarter of the server's timeout, so a slow host between polls never trips it.
  int64_t timeout = sa.walSenderTimeoutMs();
  status_interval_ms_ = timeout > 0 ? std::clamp<int64_t>(timeout / 4, 100, kMaxStatusIntervalMs)
                                    : kMaxStatusIntervalMs;
  if (!sa.publicationExists(config_.publication)) {
    if (!config_.create_publication) {
      throw sdk::Error(SH_ERR_FATAL, "publication " + config_.publication + " does not exist in database " +
                                         settings_.database + "; create it (CREATE PUBLICATION " +
                                         quoteIdent(config_.publication) +
                                         " FOR TABLE ...) or set create_publication to true");
    }
    auto tables = sa.createPublication(config_);
    host().statePut("created_publication", config_.publication);
    host().info("created publication " + config_.publication +
                (tables.empty() ? std::string(" for all tables") : " for " + std::to_string(tables.size()) + " tables"));
  }
  repl_ = std::make_unique<PgConn>(settings_, PgConn::Mode::kReplication);
  prepareSlot(resume);
}

void CdcSource::prepareSlot(const Offset& resume) {
  ServerAdmin sa(admin());
  auto slot = sa.slot(config_.slot_name);
  if (slot && (slot->plugin != "pgoutput" || slot->database != settings_.database)) {
    throw sdk::Error(SH_ERR_FATAL, "replication slot " + config_.slot_name + " belongs to plugin " + slot->plugin +
                                       " in database " + slot->database +
                                       "; choose another slot_name or drop that slot");
  }
  if (resume.kind == Offset::Kind::kStream) {
    if (!slot) {
      throw sdk::Error(SH_ERR_FATAL, "replication slot " + config_.slot_name +
                                         " no longer exists, so the changes after " + formatLsn(resume.complete) +
                                         " cannot be read; delete this stream and create it again (with a snapshot)");
    }
    if (slot->confirmed_flush > resume.complete) {
      // Only ever confirmed after the host persisted it, so someone else moved the slot.
      host().warn("replication slot " + config_.slot_name + " was confirmed up to " +
                  formatLsn(slot->confirmed_flush) + " by another client, past this stream's " +
                  formatLsn(resume.complete) + "; changes in between were not delivered here");
    }
    complete_ = acked_ = resume.complete;
    skip_commit_ = resume.txn_commit;
    skip_records_ = resume.txn_records;
    startStreaming(resume.complete);
    return;
  }
  bool snapshot = config_.snapshot_mode == SnapshotMode::kInitial;
  auto pos = resume.kind == Offset::Kind::kSnapshot ? resume.snapshotPos() : std::nullopt;
  if (slot && pos && host().stateGet("created_slot") == config_.slot_name &&
      slot->confirmed_flush <= pos->consistent) {
    // Our own slot, still at the snapshot's consistent point: continue the
    // snapshot after the last durable row instead of reading it all again.
    if (slot->active_pid) {
      throw sdk::Error(SH_ERR_BUSY, "replication slot " + config_.slot_name + " is in use by pid " +
                                        std::to_string(*slot->active_pid));
    }
    resumeSnapshot(*pos);
    return;
  }
  if (slot && (snapshot || resume.kind == Offset::Kind::kSnapshot)) {
    // Nothing of this slot was ever delivered: start over with a fresh snapshot,
    // but only on a slot this stream made; someone else's is not ours to drop.
    if (host().stateGet("created_slot") != config_.slot_name) {
      throw sdk::Error(SH_ERR_FATAL, "replication slot " + config_.slot_name +
                                         " already exists and this stream did not create it; choose another "
                                         "slot_name, drop that slot, or set snapshot_mode to never to read from it");
    }
    if (slot->active_pid) {
      throw sdk::Error(SH_ERR_BUSY, "replication slot " + config_.slot_name + " is in use by pid " +
                                        std::to_string(*slot->active_pid));
    }
    sa.dropSlot(config_.slot_name);
    host().info("dropped replication slot " + config_.slot_name + " left by an unfinished start; taking a new snapshot");
    slot.reset();
  }
  if (slot) {
    complete_ = acked_ = slot->confirmed_flush;
    startStreaming(slot->confirmed_flush);
    return;
  }
  std::string sql = "CREATE_REPLICATION_SLOT " + quoteIdent(config_.slot_name) + " LOGICAL pgoutput " +
                    (snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
  PgResultPtr r = repl_->exec(sql, "creating replication slot " + config_.slot_name);
  host().statePut("created_slot", config_.slot_name);
  Lsn consistent = parseLsn(PQgetvalue(r.get(), 0, 1)).value_or(0);
  host().info("created replication slot " + config_.slot_name + " at " + formatLsn(consistent));
  if (snapshot) {
    beginSnapshot(PQgetvalue(r.get(), 0, 2), consistent);
  } else {
    complete_ = consistent;
    startStreaming(consistent);
  }
}

void CdcSource::startStreaming(Lsn from) {
  bool v2 = PQserverVersion(repl_->raw()) >= 140000;
  std::string sql = "START_REPLICATION SLOT " + quoteIdent(config_.slot_name) + " LOGICAL " + formatLsn(from) +
                    " (proto_version '" + (v2 ? "2', streaming 'on'" : "1'") +
                    ", publication_names " + quoteLiteral(quoteIdent(config_.publication)) + ")";
  repl_->exec(sql, "starting replication from slot " + config_.slot_name);
  stream_ = std::make_unique<ReplicationStream>(*repl_);
  phase_ = Phase::kStreaming;
  host().info("streaming from replication slot " + config_.slot_name + " at " + formatLsn(from) + " (pgoutput " +
              (v2 ? "v2, streaming on)" : "v1)"));
}

void CdcSource::stop() {
  if (stream_) {
    try {
      stream_->sendStatus(acked_, false, host().nowMs());
      stream_->finish();
    } catch (const std::exception&) {  // the connection is going away anyway
    }
    host().info("stopped; replication slot " + config_.slot_name + " confirmed up to " + formatLsn(acked_));
  }
  stream_.reset();
  repl_.reset();
  admin_.reset();
  phase_ = Phase::kIdle;
}

void CdcSource::poll(sdk::Sink& sink, uint32_t max_records, int32_t timeout_ms) {
  now_ms_ = host().nowMs();
  if (max_records == 0) {
    // Paused: keep the walsender from timing out without taking any rows.
    if (stream_) {
      sendStatus(false, now_ms_);
      // A fast shutdown ends plain sessions first and then waits for this
      // walsender; failing here lets go of it instead of holding the server up.
      refreshWalEnd();
    }
    return;
  }
  uint64_t drained = 0;
  [[maybe_unused]] ssize_t n = ::read(wake_fd_, &drained, sizeof drained);
  Budget budget{std::min<int64_t>(max_records, config_.max_batch_rows), config_.max_batch_bytes};
  if (!drain(sink, budget)) {
    return;
  }
  if (phase_ == Phase::kSnapshot) {
    snapshotStep(budget.rows);
    drain(sink, budget);
    return;
  }
  if (phase_ != Phase::kStreaming) {
    throw sdk::Error(SH_ERR_INVALID_STATE, "poll before start");
  }
  const int64_t deadline = now_ms_ + std::max(timeout_ms, 0);
  int64_t start_rows = budget.rows;
  while (true) {
    if (replay_) {
      replayStep(budget.rows);
      if (!drain(sink, budget)) {
        break;
      }
      continue;
    }
    int wait = budget.rows < start_rows ? 0 : static_cast<int>(std::max<int64_t>(0, deadline - host().nowMs()));
    std::string_view msg = stream_->next(wait, wake_fd_);
    if (msg.empty()) {
      break;
    }
    handleCopyMessage(msg);
    if (!drain(sink, budget)) {
      break;
    }
    if (host().nowMs() > deadline) {
      break;  // changes of excluded tables can keep the socket busy without filling a batch
    }
  }
  periodic(host().nowMs());
}

void CdcSource::refreshWalEnd() {
  // The walEnd of replication messages is how far the walsender has decoded,
  // not the server's WAL position, so lag asks the server. Not while the
  // snapshot's COPY holds the connection: lag means little before streaming.
  if (admin_ && admin_->copying()) {
    return;
  }
  auto lsn = admin().scalar("SELECT pg_current_wal_lsn()", {}, "reading the WAL position");
  server_wal_end_ = std::max(server_wal_end_, parseLsn(lsn.value_or("")).value_or(0));
}

bool CdcSource::drain(sdk::Sink& sink, Budget& budget) {
  while (!out_.empty()) {
    Pending& p = out_.front();
    if (p.op == 0) {
      sink.checkpoint(p.offset.encode());
      out_.pop_front();
      continue;
    }
    if (budget.rows <= 0 || budget.bytes <= 0) {
      return false;
    }
    if (!sink.emit(p.key, p.value, p.offset.encode(), p.op, p.ts_ms)) {
      return false;
    }
    budget.rows -= 1;
    budget.bytes -= static_cast<int64_t>(p.key.size() + p.value.size());
    out_.pop_front();
  }
  return budget.rows > 0 && budget.bytes > 0;
}

void CdcSource::handleCopyMessage(std::string_view msg) {
  now_ms_ = host().nowMs();
  if (msg[0] == 'w' && msg.size() >= 25) {
    decoder_->handle(msg.substr(25), be64(msg, 1));
    return;
  }
  if (msg[0] == 'k' && msg.size() >= 18) {
    Lsn wal_end = be64(msg, 1);  // how far the walsender has read, not the server's WAL end
    bool reply_requested = msg[17] != 0;
    if (reply_requested) {
      sendStatus(false, now_ms_);
    }
    // Past every change already delivered and not inside a transaction: the
    // slot may move on, which keeps a quiet database from holding WAL. A
    // server that asks (it does before shutting down) is answered whatever
    // the heartbeat setting, or a fast shutdown would wait for us forever.
    bool due = config_.heartbeat_interval_ms > 0 && now_ms_ - last_heartbeat_ms_ >= config_.heartbeat_interval_ms;
    if ((due || reply_requested) && !in_txn_ && !replay_ && out_.empty() && wal_end > complete_) {
      last_heartbeat_ms_ = now_ms_;
      pushCheckpoint(wal_end);
    }
    return;
  }
  throw sdk::Error(SH_ERR_INTERNAL, std::string("unexpected replication message '") + msg[0] + "'");
}

void CdcSource::sendStatus(bool reply_requested, int64_t now_ms) {
  stream_->sendStatus(acked_, reply_requested, now_ms);
  last_status_ms_ = now_ms;
  if (reply_requested) {
    last_reply_request_ms_ = now_ms;
  }
}

void CdcSource::periodic(int64_t now_ms) {
  if (!stream_) {
    return;
  }
  if (config_.heartbeat_interval_ms > 0 && now_ms - last_reply_request_ms_ >= config_.heartbeat_interval_ms) {
    sendStatus(true, now_ms);  // the keepalive it asks for carries the server's WAL end
  } else if (now_ms - last_status_ms_ >= status_interval_ms_) {
    sendStatus(false, now_ms);
  }
}

void CdcSource::commit(std::string_view offset) {
  auto o = Offset::parse(offset);
  if (!o || o->kind != Offset::Kind::kStream || o->complete <= acked_) {
    return;
  }
  acked_ = o->complete;
  if (stream_) {
    sendStatus(false, host().nowMs());
  }
}

sdk::Lag CdcSource::lag() {
  sdk::Lag lag;
  try {
    refreshWalEnd();
  } catch (const sdk::Error&) {  // a figure, not worth failing the stream; the replication side will tell
  }
  if (server_wal_end_ != 0) {
    lag.bytes = server_wal_end_ > acked_ ? static_cast<int64_t>(server_wal_end_ - acked_) : 0;
  }
  if (last_commit_seen_ms_ != 0) {
    lag.ms = std::max<int64_t>(0, host().nowMs() - last_commit_seen_ms_);
  }
  return lag;
}

}  // namespace streamhost::pgcdc
