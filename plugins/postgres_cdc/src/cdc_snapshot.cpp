// The initial snapshot and the calls that act on the server's catalogue.
#include <algorithm>
#include <cstdlib>
#include <map>

#include "cdc_source.h"
#include "change_encoder.h"
#include "copy_text.h"
#include "server_admin.h"

namespace streamhost::pgcdc {
namespace {

std::string qualified(const std::pair<std::string, std::string>& t) {
  return quoteIdent(t.first) + "." + quoteIdent(t.second);
}

std::string displayName(const std::pair<std::string, std::string>& t) { return t.first + "." + t.second; }

}  // namespace

void CdcSource::beginSnapshot(const std::string& snapshot_name, Lsn consistent) {
  PgConn& conn = admin();
  conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting the snapshot transaction");
  conn.exec("SET TRANSACTION SNAPSHOT " + quoteLiteral(snapshot_name), "importing the slot's snapshot");
  Snapshot s;
  s.tables = ServerAdmin(conn).publishedTables(config_);
  s.consistent = consistent;
  s.started_ms = host().nowMs();
  reportSnapshotTables(conn, s);
  host().info("snapshot of " + std::to_string(s.tables.size()) + " tables at " + formatLsn(consistent) +
              " starting");
  s.conn = &conn;
  snapshot_ = std::move(s);
  phase_ = Phase::kSnapshot;
}

void CdcSource::resumeSnapshot(const Offset::SnapshotPos& pos) {
  PgConn& conn = admin();
  conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "resuming the snapshot");
  Snapshot s;
  s.tables = ServerAdmin(conn).publishedTables(config_);
  s.consistent = pos.consistent;
  s.started_ms = host().nowMs();
  s.conn = &conn;
  // Tables are read in (schema, table) order: those before the position are done.
  const std::pair<std::string, std::string> at{pos.schema, pos.table};
  while (s.table < s.tables.size() && s.tables[s.table] < at) {
    ++s.table;
  }
  if (s.table < s.tables.size() && s.tables[s.table] == at) {
    s.resume_key = pos.key;
  }
  reportSnapshotTables(conn, s);
  host().info("resuming the snapshot at " + pos.schema + "." + pos.table +
              (s.resume_key.empty() ? std::string(" from its start") : " after its last delivered row") +
              " in a new transaction; changes since " + formatLsn(pos.consistent) +
              " are then replayed from the slot, so rows read now may show them early");
  snapshot_ = std::move(s);
  phase_ = Phase::kSnapshot;
}

// Every table with its row estimate (pg_class.reltuples, as of the last
// ANALYZE or VACUUM; -1 before either), the ones already read done. One
// round trip whatever the number of tables.
void CdcSource::reportSnapshotTables(PgConn& conn, const Snapshot& s) {
  std::string names = "[";
  for (const auto& t : s.tables) {
    names += (names.size() > 1 ? "," : "") + std::string("[") + sdk::jsonQuote(t.first) + "," +
             sdk::jsonQuote(t.second) + "]";
  }
  names += "]";
  PgResultPtr r = conn.execParams(
      "SELECT e->>0, e->>1, c.reltuples::bigint FROM json_array_elements($1::json) e "
      "JOIN pg_namespace n ON n.nspname = e->>0 JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = e->>1",
      {names}, "estimating the rows of the snapshot's tables");
  std::map<std::pair<std::string, std::string>, double> estimates;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    estimates[{PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1)}] = std::strtod(PQgetvalue(r.get(), i, 2), nullptr);
  }
  for (size_t i = 0; i < s.tables.size(); ++i) {
    auto e = estimates.find(s.tables[i]);
    host().snapshotTable(displayName(s.tables[i]), 0, i < s.table, e == estimates.end() ? -1 : e->second);
  }
}

void CdcSource::snapshotStep(int64_t rows) {
  Snapshot& s = *snapshot_;
  if (!admin_ || admin_.get() != s.conn || !admin_->ok()) {
    // The transaction and cursor died with their connection; the host restarts
    // the source from the last durable row, which resumes the snapshot there.
    throw sdk::Error(SH_ERR_TRANSIENT, "the connection reading the snapshot was lost; it resumes after the last "
                                       "delivered row");
  }
  PgConn& conn = *admin_;
  while (s.table < s.tables.size()) {
    const auto& table = s.tables[s.table];
    std::string name = qualified(table);
    if (!s.copy_open) {
      ServerAdmin sa(conn);
      s.relation = Relation();
      s.relation.schema = table.first;
      s.relation.table = table.second;
      std::vector<std::string> columns = sa.snapshotColumns(name);
      std::string select;
      for (const std::string& col : columns) {
        Column c;
        c.name = col;
        s.relation.columns.push_back(std::move(c));
        select += (select.empty() ? "" : ", ") + quoteIdent(col);
      }
      s.relation.prepare();
      std::vector<std::string> key = sa.primaryKey(name, false);
      s.relation.setKey(key);
      // Read in key order, so the last delivered key is a place to resume from.
      s.key_cols.clear();
      std::string order;
      std::string after;
      for (size_t k = 0; k < key.size(); ++k) {
        auto it = std::find(columns.begin(), columns.end(), key[k]);
        if (it == columns.end()) {  // a key the snapshot cannot see: read unordered, restart if cut
          key.clear();
          s.key_cols.clear();
          order.clear();
          break;
        }
        s.key_cols.push_back(static_cast<int>(it - columns.begin()));
        order += (k == 0 ? "" : ", ") + quoteIdent(key[k]);
        if (k < s.resume_key.size()) {
          after += (k == 0 ? "" : ", ") + quoteLiteral(s.resume_key[k]);
        }
      }
      std::string query = "SELECT " + select + " FROM " + name;
      if (!key.empty() && s.resume_key.size() == key.size()) {
        query += " WHERE (" + order + ") > (" + after + ")";
      }
      if (!key.empty()) {
        query += " ORDER BY " + order;
      }
      s.resume_key.clear();
      s.what = "reading " + name;
      // COPY streams rows without a round trip per batch, but its text does
      // not carry the column types: the same query with no rows does.
      PgResultPtr shape = conn.exec(query + " LIMIT 0", s.what);
      int ncols = std::min(PQnfields(shape.get()), static_cast<int>(s.relation.columns.size()));
      for (int c = 0; c < ncols; ++c) {
        s.relation.columns[static_cast<size_t>(c)].type_oid = PQftype(shape.get(), c);
      }
      conn.copyOut("COPY (" + query + ") TO STDOUT", s.what);
      s.copy_open = true;
      s.rows_table = 0;
      s.tuple.assign(s.relation.columns.size(), Datum{});
      s.offset_prefix = Offset::snapshotPrefix(s.consistent, table.first, table.second);
    }
    const SourceInfo src{s.consistent, std::nullopt, s.started_ms, true};
    const int64_t want = std::max<int64_t>(rows, 1);
    int64_t n = 0;
    while (n < want) {
      std::optional<std::string_view> row;
      try {
        row = conn.copyRow(s.what);
      } catch (const sdk::Error& e) {
        if (!conn.ok()) {
          throw sdk::Error(SH_ERR_TRANSIENT,
                           std::string(e.what()) + "; the snapshot resumes after the last delivered row");
        }
        throw;
      }
      if (!row) {
        s.copy_open = false;
        host().info("snapshot of " + table.first + "." + table.second + " done: " +
                    std::to_string(s.rows_table + n) + " rows");
        break;
      }
      if (!splitCopyRow(*row, s.scratch, s.tuple)) {
        throw sdk::Error(SH_ERR_INTERNAL, "the COPY of " + name + " sent a row of another shape than its " +
                                              std::to_string(s.tuple.size()) + " columns");
      }
      Pending& p = out_.emplace_back();
      p.value.reserve(value_hint_);
      encodeChange(Change{'r', &s.relation, nullptr, false, &s.tuple}, src, now_ms_, p.key, p.value);
      value_hint_ = p.value.size() + 64;
      p.op = 'r';
      p.ts_ms = s.started_ms;
      p.offset.kind = Offset::Kind::kSnapshot;
      std::string& pos = p.offset.snapshot_pos;
      pos.reserve(s.offset_prefix.size() + 32);
      pos = s.offset_prefix;
      for (int c : s.key_cols) {
        pos += ',';
        sdk::appendJsonQuoted(pos, s.tuple[static_cast<size_t>(c)].text);
      }
      pos += ']';
      ++n;
    }
    s.rows_table += n;
    s.rows_total += n;
    host().snapshotTable(displayName(table), static_cast<double>(s.rows_table), !s.copy_open);
    if (!s.copy_open) {
      ++s.table;
    }
    if (n > 0) {
      host().gauge("snapshot_rows", static_cast<double>(s.rows_total));
      return;
    }
  }
  conn.exec("COMMIT", "finishing the snapshot");
  host().info("snapshot finished: " + std::to_string(s.rows_total) + " rows from " + std::to_string(s.tables.size()) +
              " tables");
  Lsn consistent = s.consistent;
  snapshot_.reset();
  pushCheckpoint(consistent);
  startStreaming(consistent);
}

std::vector<std::string> CdcSource::teardown(bool force) {
  std::vector<std::string> released;
  PgConn conn(settings_, PgConn::Mode::kRegular);
  ServerAdmin sa(conn);
  // The ownership rule of start: only a slot this stream created is ours to
  // take from a holder or to drop.
  const bool own_slot = host().stateGet("created_slot") == config_.slot_name;
  if (!own_slot) {
    if (sa.slot(config_.slot_name)) {
      released.push_back("kept replication slot " + config_.slot_name + ": this stream did not create it");
    }
  } else if (auto pid = sa.waitSlotInactive(config_.slot_name, 3000)) {
    // Our own walsender may still be exiting after stop().
    if (!force) {
      throw sdk::Error(SH_ERR_BUSY, "replication slot " + config_.slot_name + " is in use by pid " +
                                        std::to_string(*pid) + "; stop that client or delete with force=true");
    }
    sa.terminate(*pid);
    released.push_back("terminated backend pid " + std::to_string(*pid) + " that held replication slot " +
                       config_.slot_name);
    if (auto still = sa.waitSlotInactive(config_.slot_name, 5000)) {
      throw sdk::Error(SH_ERR_BUSY, "replication slot " + config_.slot_name + " is still in use by pid " +
                                        std::to_string(*still) + " after terminating it");
    }
  }
  if (own_slot && sa.slot(config_.slot_name)) {
    sa.dropSlot(config_.slot_name);
    released.push_back("dropped replication slot " + config_.slot_name);
  }
  auto created = host().stateGet("created_publication");
  if (created && *created == config_.publication && sa.publicationExists(config_.publication)) {
    sa.dropPublication(config_.publication);
    released.push_back("dropped publication " + config_.publication);
  }
  return released;
}

std::string PostgresConnection::test(const sdk::Host& host) {
  ConnSettings settings = ConnSettings::fromHost(host);
  PgConn conn(settings, PgConn::Mode::kRegular);
  std::string version = conn.scalar("SHOW server_version", {}, "reading the server version").value_or("?");
  std::string text =
      "Connected to PostgreSQL " + version + " at " + settings.describe() + ". " + conn.tlsDescription() + ".";
  ServerAdmin sa(conn);
  std::string role, wal;
  bool ok = sa.describeRole(role);
  ok = sa.describeWalLevel(wal) && ok;
  text += " " + role + " " + wal;
  // Shown beside each stream's max_slot_lag_bytes: the server's own cap wins
  // when lower (it invalidates the slot), the stream's acts first when lower.
  std::string keep = conn.scalar("SELECT current_setting('max_slot_wal_keep_size')", {}, "reading max_slot_wal_keep_size")
                         .value_or("-1");
  if (keep != "-1") {
    text += " max_slot_wal_keep_size is " + keep +
            ": PostgreSQL invalidates a slot that retains more WAL than that, losing its changes; keep each "
            "stream's max_slot_lag_bytes below it.";
  }
  if (!ok) {
    throw sdk::Error(SH_ERR_FATAL, text);
  }
  return text;
}

}  // namespace streamhost::pgcdc
