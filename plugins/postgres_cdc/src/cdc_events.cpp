// What the pgoutput decoder reports, turned into queued records and checkpoints.
#include <algorithm>

#include "cdc_source.h"
#include "server_admin.h"

namespace streamhost::pgcdc {
namespace {

uint32_t be32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  }
  return v;
}

int64_t pgMicrosToUnixMs(int64_t us) { return (us + kPgEpochOffsetMicros) / 1000; }

/// Types below this OID are built in (FirstNormalObjectId).
constexpr uint32_t kFirstUserOid = 16384;

}  // namespace

void CdcSource::pushCheckpoint(Lsn complete) {
  complete_ = std::max(complete_, complete);
  Pending p;
  p.offset.kind = Offset::Kind::kStream;
  p.offset.complete = complete_;
  out_.push_back(std::move(p));
}

void CdcSource::pushRecord(char op, const Change& change, Lsn lsn) {
  ++txn_.records;
  if (txn_.commit == skip_commit_ && txn_.records <= skip_records_) {
    return;  // durable before the restart
  }
  SourceInfo src{lsn, txn_.xid, txn_.ts_ms, false};
  Pending& p = out_.emplace_back();
  p.value.reserve(value_hint_);
  encodeChange(change, src, now_ms_, p.key, p.value);
  value_hint_ = p.value.size() + 64;
  p.op = op;
  p.ts_ms = txn_.ts_ms;
  p.offset = {Offset::Kind::kStream, complete_, txn_.commit, txn_.records};
}

void CdcSource::onBegin(Lsn final_lsn, int64_t commit_ts_us, uint32_t xid) {
  in_txn_ = true;
  txn_ = {final_lsn, xid, pgMicrosToUnixMs(commit_ts_us), 0};
}

void CdcSource::onCommit(Lsn commit_lsn, Lsn end_lsn, int64_t /*commit_ts_us*/) {
  in_txn_ = false;
  last_commit_seen_ms_ = now_ms_;
  if (commit_lsn == skip_commit_) {
    skip_commit_ = 0;
    skip_records_ = 0;
  }
  pushCheckpoint(end_lsn);
}

void CdcSource::onRelation(Relation& rel) {
  rel.wanted = config_.wants(rel.schema, rel.table);
  if (!rel.wanted) {
    return;
  }
  // pgoutput names a domain's own type; map values by its base type, as the snapshot does.
  std::vector<uint32_t> unknown;
  for (const Column& c : rel.columns) {
    if (c.type_oid >= kFirstUserOid && base_types_.count(c.type_oid) == 0) {
      unknown.push_back(c.type_oid);
    }
  }
  if (!unknown.empty()) {
    for (uint32_t oid : unknown) {
      base_types_[oid] = oid;
    }
    for (auto [oid, base] : ServerAdmin(admin()).baseTypes(unknown)) {
      base_types_[oid] = base;
    }
  }
  for (Column& c : rel.columns) {
    if (auto it = base_types_.find(c.type_oid); it != base_types_.end()) {
      c.type_oid = it->second;
    }
  }
  if (rel.identity != 'd') {
    // FULL or index identity: the record key is still the primary key.
    ServerAdmin sa(admin());
    auto pk = sa.primaryKey(std::to_string(rel.id), true);
    if (!pk.empty()) {
      rel.setKey(pk);
    } else if (rel.identity != 'i') {
      rel.setKey({});
    }
  }
}

void CdcSource::onChange(char op, const Relation& rel, const Tuple* old_tuple, char old_kind, const Tuple* new_tuple,
                         Lsn lsn) {
  if (!rel.wanted) {
    return;
  }
  Change c{op, &rel, old_tuple, old_kind == 'K', new_tuple};
  pushRecord(op, c, lsn);
}

void CdcSource::onTruncate(const std::vector<const Relation*>& rels, Lsn lsn) {
  for (const Relation* rel : rels) {
    if (rel->wanted) {
      pushRecord('t', Change{'t', rel, nullptr, false, nullptr}, lsn);
    }
  }
}

void CdcSource::onStreamed(uint32_t xid, std::string_view message, Lsn lsn) {
  auto it = streamed_.find(xid);
  if (it == streamed_.end()) {
    it = streamed_.emplace(xid, TxnBuffer(static_cast<size_t>(config_.max_transaction_memory_bytes))).first;
  }
  bool spilled = it->second.spilledBytes() > 0;
  it->second.append(lsn, message);
  if (!spilled && it->second.spilledBytes() > 0) {
    host().info("transaction " + std::to_string(xid) + " is larger than max_transaction_memory_bytes; " +
                "keeping the rest of it in a temp file until it commits");
  }
}

void CdcSource::onStreamCommit(uint32_t xid, Lsn commit_lsn, Lsn end_lsn, int64_t commit_ts_us) {
  Replay r{TxnBuffer(0), commit_lsn, end_lsn, commit_ts_us};
  if (auto it = streamed_.find(xid); it != streamed_.end()) {
    r.txn = std::move(it->second);
    streamed_.erase(it);
  }
  onBegin(commit_lsn, commit_ts_us, xid);
  replay_ = std::move(r);
}

void CdcSource::onStreamAbort(uint32_t xid, uint32_t subxid) {
  if (xid == subxid) {
    streamed_.erase(xid);
  } else if (auto it = streamed_.find(xid); it != streamed_.end()) {
    it->second.abortSubtransaction(subxid);
  }
}

void CdcSource::replayStep(int64_t rows) {
  Replay& r = *replay_;
  size_t produced_before = out_.size();
  Lsn lsn = 0;
  while (static_cast<int64_t>(out_.size() - produced_before) < rows) {
    if (!r.txn.next(lsn, replay_message_)) {
      Lsn commit_lsn = r.commit_lsn, end_lsn = r.end_lsn;
      int64_t ts = r.ts_us;
      replay_.reset();
      onCommit(commit_lsn, end_lsn, ts);
      return;
    }
    // Relation and type messages describe the table for the whole transaction,
    // even when sent in a subtransaction that later aborted.
    const std::string& m = replay_message_;
    bool describes = m[0] == 'R' || m[0] == 'Y';
    if (describes || !r.txn.isAborted(be32(m, 1))) {
      decoder_->replay(m, lsn);
    }
  }
}

}  // namespace streamhost::pgcdc
