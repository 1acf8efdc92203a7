// postgres_cdc: typed offsets ({"lsn": "0/16B3748"}), reset (drop the slot) and
// the lag budget on the WAL the slot retains. All of it runs on an instance
// that is not started, over a regular connection.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "cdc_source.h"
#include "server_admin.h"

namespace streamhost::pgcdc {
namespace {

std::string value(const PGresult* r, int row, int col) {
  return PQgetisnull(r, row, col) ? std::string() : std::string(PQgetvalue(r, row, col));
}

/// "12.3 MB" (powers of 1024, the unit PostgreSQL's pg_size_pretty uses).
std::string prettyBytes(int64_t n) {
  static const char* kUnits[] = {"bytes", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++u;
  }
  char buf[48];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%" PRId64 " bytes", n);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  }
  return buf;
}

std::string jsonLsn(Lsn lsn) { return sdk::jsonQuote(formatLsn(lsn)); }

void invalidPosition(const std::string& field, const std::string& why) {
  throw sdk::Error(SH_ERR_INVALID_ARGUMENT, why, field);
}

}  // namespace

std::string CdcSource::offsetToJson(std::string_view offset) {
  if (offset.empty()) {
    return "null";
  }
  auto o = Offset::parse(offset);
  if (!o) {
    throw sdk::Error(SH_ERR_INVALID_ARGUMENT, "'" + std::string(offset) + "' is not a postgres_cdc position");
  }
  if (o->kind == Offset::Kind::kSnapshot) {
    auto pos = o->snapshotPos();
    if (!pos) {
      return R"({"snapshot":{"consistent_lsn":null,"table":null,"after_key":null}})";
    }
    std::string key = "[";
    for (const auto& k : pos->key) {
      key += (key.size() > 1 ? "," : "") + sdk::jsonQuote(k);
    }
    key += "]";
    return "{\"snapshot\":{\"consistent_lsn\":" + jsonLsn(pos->consistent) +
           ",\"table\":" + sdk::jsonQuote(pos->schema + "." + pos->table) + ",\"after_key\":" + key + "}}";
  }
  std::string out = "{\"lsn\":" + jsonLsn(o->complete);
  if (o->txn_commit != 0) {
    out += ",\"partial_transaction\":{\"commit_lsn\":" + jsonLsn(o->txn_commit) +
           ",\"records\":" + std::to_string(o->txn_records) + "}";
  }
  return out + "}";
}

std::string CdcSource::offsetFromJson(std::string_view json) {
  auto v = sdk::parseJson(json);
  if (!v || !v->isObject()) {
    invalidPosition("body", "must be an object such as {\"lsn\": \"0/16B3748\"}");
  }
  if (v->find("snapshot") != nullptr) {
    invalidPosition("snapshot", "a snapshot position cannot be set; DELETE the offsets to take a new snapshot");
  }
  if (auto unknown = sdk::unknownJsonKey(json, {"lsn", "partial_transaction"})) {
    invalidPosition(*unknown, "is not a postgres_cdc position key; the keys are lsn and partial_transaction");
  }
  const sdk::JsonValue* lsn_v = v->find("lsn");
  std::optional<Lsn> lsn = lsn_v != nullptr && lsn_v->isString() ? parseLsn(lsn_v->text) : std::nullopt;
  if (!lsn || *lsn == 0) {
    invalidPosition("lsn", "is required: a WAL position in PostgreSQL's text form, such as \"0/16B3748\"");
  }
  Offset o;
  o.kind = Offset::Kind::kStream;
  o.complete = *lsn;
  if (const sdk::JsonValue* p = v->find("partial_transaction"); p != nullptr && p->kind != sdk::JsonValue::Kind::kNull) {
    std::string raw(p->raw);
    if (!p->isObject()) {
      invalidPosition("partial_transaction", "must be an object {\"commit_lsn\", \"records\"} or null");
    }
    if (auto unknown = sdk::unknownJsonKey(raw, {"commit_lsn", "records"})) {
      invalidPosition("partial_transaction." + *unknown, "is not a key of partial_transaction");
    }
    const sdk::JsonValue* c = p->find("commit_lsn");
    const sdk::JsonValue* n = p->find("records");
    auto commit = c != nullptr && c->isString() ? parseLsn(c->text) : std::nullopt;
    if (!commit || *commit < *lsn) {
      invalidPosition("partial_transaction.commit_lsn", "must be a WAL position at or after lsn");
    }
    int64_t records = -1;
    if (n != nullptr && n->kind == sdk::JsonValue::Kind::kNumber) {
      records = std::strtoll(std::string(n->raw).c_str(), nullptr, 10);
    }
    if (records < 0) {
      invalidPosition("partial_transaction.records", "must be a non-negative integer");
    }
    o.txn_commit = *commit;
    o.txn_records = static_cast<uint64_t>(records);
  }
  PgConn conn(settings_, PgConn::Mode::kRegular);
  ServerAdmin sa(conn);
  auto slot = sa.slot(config_.slot_name);
  if (!slot) {
    invalidPosition("lsn", "replication slot " + config_.slot_name +
                               " does not exist, so no WAL position can be read from it; start the stream (or "
                               "DELETE the offsets) to take a new snapshot");
  }
  if (*lsn < slot->confirmed_flush) {
    invalidPosition("lsn", formatLsn(*lsn) + " is behind replication slot " + config_.slot_name +
                               "'s confirmed position " + formatLsn(slot->confirmed_flush) +
                               "; PostgreSQL no longer keeps the changes before it for this slot, so they cannot be "
                               "replayed. Use " + formatLsn(slot->confirmed_flush) + " or later");
  }
  auto current = parseLsn(conn.scalar("SELECT pg_current_wal_lsn()::text", {}, "reading the WAL position").value_or(""));
  if (current && *lsn > *current) {
    invalidPosition("lsn", formatLsn(*lsn) + " is ahead of the server's current WAL position " + formatLsn(*current));
  }
  return o.encode();
}

std::vector<std::string> CdcSource::offsetReset() {
  PgConn conn(settings_, PgConn::Mode::kRegular);
  ServerAdmin sa(conn);
  if (!sa.slot(config_.slot_name)) {
    return {};
  }
  if (host().stateGet("created_slot") != config_.slot_name) {
    throw sdk::Error(SH_ERR_INVALID_STATE, "replication slot " + config_.slot_name +
                                               " was not created by this stream, so it is not dropped; drop it "
                                               "yourself (pg_drop_replication_slot) to start over");
  }
  // Our own walsender may still be exiting after stop().
  if (auto pid = sa.waitSlotInactive(config_.slot_name, 5000)) {
    throw sdk::Error(SH_ERR_BUSY,
                     "replication slot " + config_.slot_name + " is in use by pid " + std::to_string(*pid));
  }
  sa.dropSlot(config_.slot_name);
  host().info("dropped replication slot " + config_.slot_name + " to reset the stream's position");
  return {"dropped replication slot " + config_.slot_name};
}

sdk::SourceHealth CdcSource::sourceHealth(std::string_view /*committed_offset*/) {
  PgConn conn(settings_, PgConn::Mode::kRegular);
  PgResultPtr r = conn.execParams(
      "SELECT s.confirmed_flush_lsn::text, s.restart_lsn::text, pg_current_wal_lsn()::text, "
      "pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint, s.wal_status, s.safe_wal_size, "
      "s.active_pid, current_setting('max_slot_wal_keep_size'), s.slot_name "
      "FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots s ON s.slot_name = $1",
      {config_.slot_name}, "reading replication slot " + config_.slot_name);
  sdk::SourceHealth h;
  const bool exists = !value(r.get(), 0, 8).empty();
  const std::string keep = value(r.get(), 0, 7);
  std::string src = "{\"slot_name\":" + sdk::jsonQuote(config_.slot_name) +
                    ",\"slot_exists\":" + (exists ? "true" : "false") +
                    ",\"current_lsn\":" + sdk::jsonQuote(value(r.get(), 0, 2)) +
                    ",\"max_slot_wal_keep_size\":" + sdk::jsonQuote(keep);
  h.budget_bytes = config_.max_slot_lag_bytes > 0 ? config_.max_slot_lag_bytes : -1;
  if (!exists) {
    h.source_json = src + "}";
    return h;
  }
  auto nullableText = [&](int col) {
    std::string v = value(r.get(), 0, col);
    return v.empty() ? std::string("null") : sdk::jsonQuote(v);
  };
  const std::string retained_text = value(r.get(), 0, 3);
  h.retained_bytes = retained_text.empty() ? -1 : std::strtoll(retained_text.c_str(), nullptr, 10);
  const std::string wal_status = value(r.get(), 0, 4);
  src += ",\"confirmed_flush_lsn\":" + nullableText(0) + ",\"restart_lsn\":" + nullableText(1) +
         ",\"retained_bytes\":" + (h.retained_bytes >= 0 ? std::to_string(h.retained_bytes) : "null") +
         ",\"wal_status\":" + nullableText(4) + ",\"safe_wal_size\":" +
         (value(r.get(), 0, 5).empty() ? std::string("null") : value(r.get(), 0, 5)) +
         ",\"active\":" + (value(r.get(), 0, 6).empty() ? "false" : "true") + "}";
  h.source_json = src;
  if (wal_status == "lost") {
    h.level = SH_HEALTH_CRITICAL;
    h.action = SH_HEALTH_ACTION_ERROR;
    h.reason = "PostgreSQL removed WAL that replication slot " + config_.slot_name +
               " still needed (wal_status lost, see max_slot_wal_keep_size); the changes in between are gone. "
               "DELETE the stream's offsets to drop the slot and take a new snapshot.";
    return h;
  }
  if (h.budget_bytes <= 0 || h.retained_bytes < 0) {
    return h;
  }
  const std::string figures = "replication slot " + config_.slot_name + " retains " + prettyBytes(h.retained_bytes) +
                              " of WAL (" + std::to_string(h.retained_bytes) + " bytes), " +
                              std::to_string(h.retained_bytes * 100 / h.budget_bytes) +
                              " % of the stream's max_slot_lag_bytes " + prettyBytes(h.budget_bytes) + " (" +
                              std::to_string(h.budget_bytes) + " bytes)";
  if (h.retained_bytes >= h.budget_bytes) {
    h.level = SH_HEALTH_CRITICAL;
    switch (config_.on_lag_budget_exceeded) {
      case LagBudgetAction::kError:
        h.action = SH_HEALTH_ACTION_ERROR;
        h.reason = "The lag budget is exceeded: " + figures +
                   ". Ways out: start or resume the stream so it catches up and the slot advances; raise "
                   "max_slot_lag_bytes; or drop the slot (DELETE the stream's offsets, or set "
                   "on_lag_budget_exceeded to drop_slot) and take a new snapshot.";
        break;
      case LagBudgetAction::kResume:
        h.action = SH_HEALTH_ACTION_RESUME;
        h.reason = "The lag budget is exceeded: " + figures + "; the stream reads again so the slot advances.";
        break;
      case LagBudgetAction::kDropSlot:
        h.action = SH_HEALTH_ACTION_RELEASE;
        h.reason = "The lag budget is exceeded: " + figures +
                   "; the slot is dropped to protect the database (on_lag_budget_exceeded is drop_slot).";
        break;
    }
    return h;
  }
  if (h.retained_bytes * 10 >= h.budget_bytes * 8) {
    h.level = SH_HEALTH_WARNING;
    h.reason = "The lag budget is nearly spent: " + figures + ".";
  }
  return h;
}

}  // namespace streamhost::pgcdc
