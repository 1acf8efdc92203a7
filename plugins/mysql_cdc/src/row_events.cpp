// Binlog events turned into queued records and checkpoints.
#include <algorithm>
#include <cctype>

#include "byte_reader.h"
#include "cdc_source.h"

namespace streamhost::mycdc {
namespace {

std::string firstWord(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) {
    ++i;
  }
  std::string w;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    w += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  }
  return w;
}

}  // namespace

uint8_t MysqlCdcSource::postHeader(uint8_t type) const {
  if (type >= 1 && type <= post_header_.size()) {
    return post_header_[type - 1];
  }
  // Before any Format Description: the v4 defaults.
  return isRowsEvent(type) && type >= ev::kWriteRows ? 10 : 8;
}

void MysqlCdcSource::handleEvent(std::string_view raw) {
  Event e;
  uint64_t start = 0;
  try {
    e = parseEvent(raw, checksummed_, file_);
    start = e.header.next_pos >= e.header.size ? e.header.next_pos - e.header.size : 0;
    if (e.header.type == ev::kFormatDescription) {
      FormatDescription fd = parseFormatDescription(raw);
      checksummed_ = fd.checksum;
      post_header_ = fd.post_header;
    } else {
      dispatch(e, start);
    }
  } catch (const Truncated& t) {
    throw sdk::Error(SH_ERR_FATAL, "binlog event " + eventTypeName(e.header.type) + " at " + file_ + ":" +
                                       std::to_string(start) + " is shorter than its " + t.what +
                                       "; the stream stops rather than skip it");
  }
  if (e.header.timestamp != 0) {
    last_event_ts_ms_ = int64_t{e.header.timestamp} * 1000;
    position_time_ms_ = last_event_ts_ms_;
  }
}

void MysqlCdcSource::dispatch(const Event& e, uint64_t start) {
  const EventHeader& h = e.header;
  auto unsupported = [&](const std::string& why) {
    return sdk::Error(SH_ERR_FATAL, "cannot decode binlog event " + eventTypeName(h.type) + " at " + file_ + ":" +
                                        std::to_string(start) + ": " + why);
  };
  switch (h.type) {
    case ev::kRotate: {
      Rotate r = parseRotate(e.body);
      file_ = r.file;
      // A real rotate ends its file; the artificial one at the start only names it.
      bool artificial = h.next_pos == 0 || (h.flags & kArtificialFlag) != 0;
      if (!artificial && !in_txn_) {
        pushCheckpoint(r.file, r.position);
      }
      return;
    }
    case ev::kMariaGtid: {
      Gtid g = parseMariaGtid(e.body, h.server_id);
      beginTxn(start, g.text);
      txn_standalone_ = g.standalone;
      txn_maria_ = true;
      return;
    }
    case ev::kMysqlGtid:
      beginTxn(start, parseMysqlGtid(e.body).text);
      return;
    case ev::kAnonymousGtid:
      beginTxn(start, "");
      return;
    case ev::kQuery:
      onQuery(e, start);
      return;
    case ev::kXid:
      endTxn(h.next_pos);
      return;
    case ev::kTableMap: {
      TableMap map = parseTableMap(e.body, postHeader(h.type));
      MappedTable& t = tables_[map.table_id];
      t.wanted = config_.wants(map.db, map.table);
      t.schema.reset();
      t.map = std::move(map);
      return;
    }
    case ev::kWriteRowsV1: case ev::kUpdateRowsV1: case ev::kDeleteRowsV1:
    case ev::kWriteRows: case ev::kUpdateRows: case ev::kDeleteRows:
      onRows(e, start);
      return;
    case ev::kHeartbeat:
      // The server's position after the last event it sent: nothing in between is ours.
      if (!in_txn_ && h.next_pos >= 4 && !e.body.empty()) {
        std::string file(e.body);
        if (file != complete_file_ || h.next_pos > complete_pos_) {
          position_time_ms_ = host().nowMs();  // the server's current file, now
          pushCheckpoint(file, h.next_pos);
        }
      }
      return;
    case ev::kAnnotateRows: case ev::kRowsQuery: case ev::kBinlogCheckpoint: case ev::kGtidList:
    case ev::kPreviousGtids: case ev::kStop: case ev::kIntvar: case ev::kRand: case ev::kUserVar:
    case ev::kIgnorable: case ev::kTransactionContext: case ev::kViewChange: case ev::kHeartbeatV2:
    case ev::kStartEncryption:
      return;  // known, and nothing in them changes a row or the position
    case ev::kIncident:
      throw sdk::Error(SH_ERR_FATAL, "the server logged an incident at " + file_ + ":" + std::to_string(start) +
                                         ": changes around it may be missing from the binlog; check the server "
                                         "and resnapshot the stream");
    case ev::kXaPrepare:
      throw unsupported("XA transactions are not supported");
    case ev::kTransactionPayload: case ev::kPartialUpdateRows:
      throw unsupported("compressed transactions and partial JSON updates are not supported; turn off "
                  "binlog_transaction_compression and set binlog_row_value_options to ''");
    default:
      if (h.type >= ev::kQueryCompressed && h.type <= 171) {
        throw unsupported("compressed events are not supported; turn off log_bin_compress");
      }
      throw unsupported("unknown event type");
  }
}

void MysqlCdcSource::beginTxn(uint64_t start, const std::string& gtid) {
  in_txn_ = true;
  txn_standalone_ = false;
  txn_gtid_ = gtid;
  txn_start_ = start;
  txn_rows_ = 0;
  saw_begin_ = false;
  txn_maria_ = false;
}

void MysqlCdcSource::endTxn(uint64_t next_pos) {
  in_txn_ = false;
  if (!txn_gtid_.empty()) {
    last_gtid_ = txn_maria_ ? withMariaGtid(last_gtid_, txn_gtid_) : txn_gtid_;
  }
  txn_gtid_.clear();
  skip_rows_ = 0;  // only the first transaction after the resume position was partly delivered
  pushCheckpoint(file_, next_pos);
}

void MysqlCdcSource::onQuery(const Event& e, uint64_t start) {
  Query q = parseQuery(e.body);
  std::string word = firstWord(q.sql);
  std::string_view sql = q.sql;
  while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.back()))) {
    sql.remove_suffix(1);
  }
  while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front()))) {
    sql.remove_prefix(1);
  }
  const bool bare = sql.size() == word.size();  // the statement is that one word
  if (word == "BEGIN") {
    if (!in_txn_) {
      beginTxn(start, "");
    }
    saw_begin_ = true;
    txn_server_id_ = e.header.server_id;
    txn_ts_ms_ = int64_t{e.header.timestamp} * 1000;
    return;
  }
  if ((word == "COMMIT" || word == "ROLLBACK") && bare) {  // not ROLLBACK TO SAVEPOINT
    endTxn(e.header.next_pos);
    return;
  }
  if (word == "XA") {
    throw sdk::Error(SH_ERR_FATAL, "cannot decode binlog event " + eventTypeName(e.header.type) + " at " + file_ +
                                       ":" + std::to_string(start) + ": XA transactions are not supported");
  }
  // DDL or another statement (SAVEPOINT inside a transaction): later rows
  // may have other columns, so the catalogue is read afresh. A statement is
  // its own transaction when MariaDB's GTID says so, or, on MySQL, when no
  // BEGIN opened one.
  catalog_.clear();
  for (auto& [id, t] : tables_) {
    t.schema.reset();
  }
  if (!in_txn_ || (txn_maria_ ? txn_standalone_ : !saw_begin_)) {
    endTxn(e.header.next_pos);
  }
}

void MysqlCdcSource::onRows(const Event& e, uint64_t start) {
  RowsHeader rows = parseRowsHeader(e.body, e.header.type, postHeader(e.header.type));
  auto it = tables_.find(rows.table_id);
  if (it == tables_.end()) {
    throw sdk::Error(SH_ERR_FATAL, "binlog event " + eventTypeName(e.header.type) + " at " + file_ + ":" +
                                       std::to_string(start) + " names table id " + std::to_string(rows.table_id) +
                                       " without a Table Map event before it");
  }
  MappedTable& t = it->second;
  if (!t.wanted) {
    return;
  }
  if (!in_txn_) {
    beginTxn(start, "");
  }
  const TableSchema& schema = schemaFor(t);
  if (rows.column_count != schema.columns.size()) {
    throw sdk::Error(SH_ERR_FATAL, "binlog event " + eventTypeName(e.header.type) + " at " + file_ + ":" +
                                       std::to_string(start) + " has " + std::to_string(rows.column_count) +
                                       " columns but its table map " + std::to_string(schema.columns.size()));
  }
  const char op = rowsOp(e.header.type);
  const SourceInfo src{file_, start, txn_gtid_, e.header.server_id, int64_t{e.header.timestamp} * 1000, false};
  ByteReader r(rows.rows);
  while (!r.empty()) {
    if (op == 'c') {
      decodeImage(r, schema, rows.present, after_);
    } else if (op == 'd') {
      decodeImage(r, schema, rows.present, before_);
    } else {
      decodeImage(r, schema, rows.present, before_);
      decodeImage(r, schema, rows.present_after, after_);
    }
    ++txn_rows_;
    if (txn_rows_ <= skip_rows_) {
      continue;  // durable before the restart
    }
    Pending& p = out_.emplace_back();
    p.value.reserve(value_hint_);
    encodeChange(op, schema, op == 'c' ? nullptr : &before_, op == 'd' ? nullptr : &after_, src, now_ms_, p.key,
                 p.value);
    value_hint_ = p.value.size() + 64;
    p.op = op;
    p.ts_ms = src.ts_ms;
    p.offset = streamOffset(txn_rows_);
  }
}

const TableSchema& MysqlCdcSource::schemaFor(MappedTable& t) {
  if (!t.schema) {
    t.schema = buildSchema(t.map, catalog(t.map.db, t.map.table), charsets_);
  }
  return *t.schema;
}

std::vector<CatalogColumn> MysqlCdcSource::catalog(const std::string& db, const std::string& table) {
  std::string name = db + "." + table;
  if (auto it = catalog_.find(name); it != catalog_.end()) {
    return it->second;
  }
  MySession& s = admin();
  std::vector<CatalogColumn> cols;
  for (const auto& r : s.query("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLUMN_KEY FROM "
                               "information_schema.COLUMNS WHERE TABLE_SCHEMA = " + quoteLiteral(db) +
                                   " AND TABLE_NAME = " + quoteLiteral(table) + " ORDER BY ORDINAL_POSITION",
                               "reading the columns of " + name)) {
    CatalogColumn c;
    c.name = r[0].value_or("");
    c.data_type = r[1].value_or("");
    c.column_type = r[2].value_or("");
    c.charset = r[3].value_or("");
    c.primary = r[4].value_or("") == "PRI";
    c.json = c.data_type == "json";
    cols.push_back(std::move(c));
  }
  if (s.isMariaDb()) {
    // MariaDB's JSON is LONGTEXT with a json_valid(`col`) check named after the column.
    for (const auto& r : s.query("SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE "
                                 "CONSTRAINT_SCHEMA = " + quoteLiteral(db) + " AND TABLE_NAME = " + quoteLiteral(table),
                                 "reading the checks of " + name)) {
      std::string clause = r[0].value_or("");
      for (CatalogColumn& c : cols) {
        if (clause == "json_valid(" + quoteIdent(c.name) + ")") {
          c.json = true;
        }
      }
    }
  }
  catalog_[name] = cols;
  return cols;
}

}  // namespace streamhost::mycdc
