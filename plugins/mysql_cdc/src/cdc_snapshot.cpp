// The initial snapshot: one consistent read of the included tables, at a
// binlog position the stream then continues from.
#include <charconv>
#include <cstdlib>

#include "cdc_source.h"
#include "server_check.h"
#include "text_converter.h"

namespace streamhost::mycdc {
namespace {

SnapKind snapKind(const CatalogColumn& c) {
  const std::string& t = c.data_type;
  if (c.json) return SnapKind::kJson;
  if (t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "bigint" || t == "year" ||
      t == "bit") {
    return SnapKind::kNumber;
  }
  if (t == "float" || t == "double") return SnapKind::kDouble;
  if (t == "datetime") return SnapKind::kDatetime;
  if (t == "timestamp") return SnapKind::kTimestamp;
  if (t == "set") return SnapKind::kSet;
  if (t == "geometry" || t == "point" || t == "linestring" || t == "polygon" || t == "multipoint" ||
      t == "multilinestring" || t == "multipolygon" || t == "geometrycollection") {
    return SnapKind::kGeometry;
  }
  if ((t == "binary" || t == "varbinary" || t.find("blob") != std::string::npos) && c.charset.empty()) {
    return SnapKind::kBinary;
  }
  return SnapKind::kString;  // decimal, date, time, enum, character types
}

/// The select-list expression that reads a column as the binlog decoder shows it.
std::string selectExpr(const CatalogColumn& c) {
  std::string q = quoteIdent(c.name);
  if (c.data_type == "float") return "CAST(" + q + " AS DOUBLE)";  // the stored 32-bit value, not the display rounding
  if (c.data_type == "bit") return "CAST(" + q + " AS UNSIGNED)";
  return q;
}

void appendSnapValue(std::string& out, SnapKind kind, std::string_view v) {
  switch (kind) {
    case SnapKind::kNumber: out.append(v); return;
    case SnapKind::kDouble: {
      double d = 0;
      auto r = std::from_chars(v.data(), v.data() + v.size(), d);
      if (r.ec != std::errc()) {
        sdk::appendJsonQuoted(out, v);
        return;
      }
      char buf[32];
      auto w = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, static_cast<size_t>(w.ptr - buf));
      return;
    }
    case SnapKind::kDatetime: case SnapKind::kTimestamp: {
      bool zero = v.substr(0, 10) == "0000-00-00";
      std::string s(v);
      if (!zero && s.size() > 10 && s[10] == ' ') {
        s[10] = 'T';
        if (kind == SnapKind::kTimestamp) {
          s += 'Z';
        }
      }
      sdk::appendJsonQuoted(out, s);
      return;
    }
    case SnapKind::kBinary:
      out += '"';
      appendBase64(out, v);
      out += '"';
      return;
    case SnapKind::kJson:
      if (sdk::isValidJson(v)) {
        out.append(v);
      } else {
        sdk::appendJsonQuoted(out, v);
      }
      return;
    case SnapKind::kSet: {
      out += '[';
      size_t at = 0;
      bool first = true;
      while (!v.empty() && at <= v.size()) {
        size_t comma = v.find(',', at);
        std::string_view item = v.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
        out += first ? "" : ",";
        first = false;
        sdk::appendJsonQuoted(out, item);
        if (comma == std::string_view::npos) {
          break;
        }
        at = comma + 1;
      }
      out += ']';
      return;
    }
    case SnapKind::kGeometry: {
      out += "{\"srid\":";
      uint32_t srid = v.size() >= 4 ? static_cast<uint32_t>(leInt(reinterpret_cast<const uint8_t*>(v.data()), 4)) : 0;
      out += std::to_string(srid);
      out += ",\"wkb\":\"";
      appendBase64(out, v.size() >= 4 ? v.substr(4) : std::string_view());
      out += "\"}";
      return;
    }
    case SnapKind::kString:
      sdk::appendJsonQuoted(out, v);
      return;
  }
}

}  // namespace

void MysqlCdcSource::beginSnapshot() {
  auto s = std::make_unique<Snapshot>();
  s->conn = std::make_unique<MySession>(settings_, "the snapshot");
  MySession& c = *s->conn;
  c.exec("SET SESSION time_zone = '+00:00'", "preparing the snapshot");
  c.exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", "preparing the snapshot");
  if (c.isMariaDb()) {
    // MariaDB reports the binlog position of a consistent snapshot without a global lock.
    c.exec("START TRANSACTION WITH CONSISTENT SNAPSHOT", "starting the snapshot");
    for (const auto& r : c.query("SHOW STATUS LIKE 'binlog_snapshot_%'", "reading the snapshot's binlog position")) {
      if (r.size() == 2 && r[0] && r[1]) {
        if (*r[0] == "Binlog_snapshot_file") s->file = *r[1];
        if (*r[0] == "Binlog_snapshot_position") s->pos = std::stoull(*r[1]);
      }
    }
  } else {
    int64_t t0 = host().nowMs();
    c.exec("FLUSH TABLES WITH READ LOCK", "locking for the snapshot");
    c.exec("START TRANSACTION WITH CONSISTENT SNAPSHOT", "starting the snapshot");
    BinlogEnd end = binlogEnd(c);
    c.exec("UNLOCK TABLES", "unlocking after the snapshot started");
    s->file = end.file;
    s->pos = end.pos;
    host().info("took a global read lock for " + std::to_string(host().nowMs() - t0) +
                " ms to start a snapshot consistent with the binlog (MySQL has no lock-free way)");
  }
  s->server_id = static_cast<uint32_t>(std::stoul(c.scalar("SELECT @@server_id", "reading server_id").value_or("0")));
  if (s->file.empty() || s->pos < 4) {
    throw sdk::Error(SH_ERR_FATAL, "the server did not report the snapshot's binlog position; is the binlog on?");
  }
  // TABLE_ROWS is the engine's estimate (InnoDB's is rough), for progress only.
  for (const auto& r : c.query("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE "
                               "TABLE_TYPE = 'BASE TABLE' ORDER BY 1, 2",
                               "listing the tables")) {
    if (r.size() == 3 && r[0] && r[1] && config_.wants(*r[0], *r[1])) {
      s->tables.emplace_back(*r[0], *r[1]);
      host().snapshotTable(*r[0] + "." + *r[1], 0, false, r[2] ? std::strtod(r[2]->c_str(), nullptr) : -1);
    }
  }
  s->started_ms = host().nowMs();
  host().info("snapshot of " + std::to_string(s->tables.size()) + " tables at " + s->file + ":" +
              std::to_string(s->pos) + " starting");
  snapshot_ = std::move(s);
}

void MysqlCdcSource::snapshotStep(int64_t rows) {
  Snapshot& s = *snapshot_;
  MySession& c = *s.conn;
  while (s.table < s.tables.size()) {
    const auto& [db, table] = s.tables[s.table];
    if (s.result == nullptr) {
      std::vector<CatalogColumn> cols = catalog(db, table);
      s.schema = TableSchema();
      s.schema.db = db;
      s.schema.table = table;
      s.schema.source_tail = ",\"db\":" + sdk::jsonQuote(db) + ",\"table\":" + sdk::jsonQuote(table);
      s.kinds.clear();
      std::string select;
      for (const CatalogColumn& col : cols) {
        ColumnInfo info;
        info.name = col.name;
        info.json_key = sdk::jsonQuote(col.name) + ":";
        info.key = col.primary;
        s.schema.has_key = s.schema.has_key || col.primary;
        s.schema.columns.push_back(std::move(info));
        s.kinds.push_back(snapKind(col));
        select += (select.empty() ? "" : ", ") + selectExpr(col);
      }
      std::string sql = "SELECT " + select + " FROM " + quoteIdent(db) + "." + quoteIdent(table);
      if (mysql_real_query(c.raw(), sql.data(), sql.size()) != 0) {
        c.raise("reading " + db + "." + table);
      }
      s.result = mysql_use_result(c.raw());
      if (s.result == nullptr) {
        c.raise("reading " + db + "." + table);
      }
      s.rows_table = 0;
    }
    const size_t ncols = s.schema.columns.size();
    SourceInfo src{s.file, s.pos, "", s.server_id, s.started_ms, true};
    RowImage img;
    int64_t produced = 0;
    while (produced < std::max<int64_t>(rows, 1)) {
      MYSQL_ROW row = mysql_fetch_row(s.result);
      if (row == nullptr) {
        if (mysql_errno(c.raw()) != 0) {
          c.raise("reading " + db + "." + table);
        }
        mysql_free_result(s.result);
        s.result = nullptr;
        host().info("snapshot of " + db + "." + table + " done: " + std::to_string(s.rows_table) + " rows");
        host().gauge("snapshot_tables_done", static_cast<double>(s.table + 1));
        host().snapshotTable(db + "." + table, static_cast<double>(s.rows_table), true);
        ++s.table;
        break;
      }
      unsigned long* lengths = mysql_fetch_lengths(s.result);
      img.clear();
      img.spans.assign(ncols, {0, 0});
      img.json += '{';
      for (size_t i = 0; i < ncols; ++i) {
        img.json += i == 0 ? "" : ",";
        img.json += s.schema.columns[i].json_key;
        auto begin = static_cast<uint32_t>(img.json.size());
        if (row[i] == nullptr) {
          img.json += "null";
        } else {
          appendSnapValue(img.json, s.kinds[i], std::string_view(row[i], lengths[i]));
        }
        img.spans[i] = {begin, static_cast<uint32_t>(img.json.size())};
      }
      img.json += '}';
      Pending& p = out_.emplace_back();
      encodeChange('r', s.schema, nullptr, &img, src, now_ms_, p.key, p.value);
      p.op = 'r';
      p.ts_ms = s.started_ms;
      p.offset = "snapshot";
      ++produced;
      ++s.rows_table;
      ++s.rows_total;
    }
    host().gauge("snapshot_rows", static_cast<double>(s.rows_total));
    if (produced > 0) {
      if (s.result != nullptr) {
        host().snapshotTable(db + "." + table, static_cast<double>(s.rows_table), false);
      }
      return;
    }
  }
  c.exec("COMMIT", "finishing the snapshot");
  host().info("snapshot finished: " + std::to_string(s.rows_total) + " rows from " + std::to_string(s.tables.size()) +
              " tables; streaming from " + s.file + ":" + std::to_string(s.pos));
  std::string file = s.file;
  uint64_t pos = s.pos;
  position_time_ms_ = s.started_ms;  // the file was the current one then
  snapshot_.reset();
  pushCheckpoint(file, pos);
  startStreaming(file, pos);
}

}  // namespace streamhost::mycdc
