// mysql_cdc: typed offsets ({"file", "position", "gtid"}) checked against
// SHOW BINARY LOGS, and the binlog-expiry health check. The token keeps its
// form: file and position resume, the GTID is informational.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "cdc_source.h"
#include "server_check.h"
#include "value_decoder.h"

namespace streamhost::mycdc {
namespace {

[[noreturn]] void invalidPosition(const std::string& field, const std::string& why) {
  throw sdk::Error(SH_ERR_INVALID_ARGUMENT, why, field);
}

// The server's automatic binlog expiry in seconds; 0 when it purges nothing by age.
int64_t binlogExpirySeconds(MySession& s) {
  if (auto purge = s.variable("binlog_expire_logs_auto_purge"); purge && *purge == "OFF") {
    return 0;  // MySQL 8.0.29+: expiry turned off
  }
  auto number = [](const std::optional<std::string>& v) {
    double d = v ? std::strtod(v->c_str(), nullptr) : 0.0;
    return std::isfinite(d) && d > 0 ? d : 0.0;
  };
  double secs = number(s.variable("binlog_expire_logs_seconds"));
  if (secs <= 0) {
    secs = number(s.variable("expire_logs_days")) * 86400.0;  // MariaDB before 10.6, MySQL 5.7
  }
  return static_cast<int64_t>(std::min(secs, 1e15));
}

std::string duration(int64_t s) {
  if (s >= 2 * 86400) {
    return std::to_string(s / 86400) + " days " + std::to_string(s % 86400 / 3600) + " h";
  }
  if (s >= 3600) {
    return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  }
  if (s >= 60) {
    return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  }
  return std::to_string(s) + " s";
}

}  // namespace

std::string MysqlCdcSource::offsetToJson(std::string_view offset) {
  if (offset.empty()) {
    return "null";
  }
  auto o = BinlogOffset::parse(offset);
  if (!o) {
    throw sdk::Error(SH_ERR_INVALID_ARGUMENT, "'" + std::string(offset) + "' is not a mysql_cdc position");
  }
  if (o->kind == BinlogOffset::Kind::kSnapshot) {
    return R"({"snapshot":true})";
  }
  std::string out = "{\"file\":" + sdk::jsonQuote(o->file) + ",\"position\":" + std::to_string(o->pos) +
                    ",\"gtid\":" + (o->gtid.empty() ? std::string("null") : sdk::jsonQuote(o->gtid));
  if (o->rows > 0) {
    out += ",\"partial_transaction_rows\":" + std::to_string(o->rows);
  }
  return out + "}";
}

std::string MysqlCdcSource::offsetFromJson(std::string_view json) {
  auto v = sdk::parseJson(json);
  if (!v || !v->isObject()) {
    invalidPosition("body", "must be an object such as {\"file\": \"mysql-bin.000003\", \"position\": 1234}");
  }
  if (v->find("snapshot") != nullptr) {
    invalidPosition("snapshot", "a snapshot position cannot be set; DELETE the offsets to take a new snapshot");
  }
  if (auto unknown = sdk::unknownJsonKey(json, {"file", "position", "gtid", "partial_transaction_rows"})) {
    invalidPosition(*unknown, "is not a mysql_cdc position key; the keys are file, position, gtid and "
                              "partial_transaction_rows");
  }
  const sdk::JsonValue* file = v->find("file");
  if (file == nullptr || !file->isString() || file->text.empty()) {
    invalidPosition("file", "is required: a binlog file name as SHOW BINARY LOGS lists it");
  }
  auto number = [&](const char* key) -> std::optional<uint64_t> {
    const sdk::JsonValue* n = v->find(key);
    if (n == nullptr || n->kind == sdk::JsonValue::Kind::kNull) {
      return std::nullopt;
    }
    uint64_t out = 0;
    auto r = std::from_chars(n->raw.data(), n->raw.data() + n->raw.size(), out);
    if (n->kind != sdk::JsonValue::Kind::kNumber || r.ec != std::errc() || r.ptr != n->raw.data() + n->raw.size()) {
      invalidPosition(key, "must be a non-negative integer");
    }
    return out;
  };
  auto pos = number("position");
  if (!pos || *pos < 4) {
    invalidPosition("position", "is required: a byte position in the file where an event starts (4 or more)");
  }
  const sdk::JsonValue* gtid = v->find("gtid");
  if (gtid != nullptr && gtid->kind != sdk::JsonValue::Kind::kNull && !gtid->isString()) {
    invalidPosition("gtid", "must be a string or null (it is informational; file and position resume)");
  }
  BinlogOffset o;
  o.kind = BinlogOffset::Kind::kStream;
  o.file = file->text;
  o.pos = *pos;
  o.rows = number("partial_transaction_rows").value_or(0);
  o.gtid = gtid != nullptr && gtid->isString() ? gtid->text : std::string();
  auto logs = binaryLogs(admin());
  auto it = std::find_if(logs.begin(), logs.end(), [&](const auto& l) { return l.first == o.file; });
  if (it == logs.end()) {
    invalidPosition("file", "binlog file " + o.file + " is not on the server (purged, or never written)" +
                                (logs.empty() ? std::string()
                                              : "; the server has " + logs.front().first + " to " +
                                                    logs.back().first));
  }
  if (o.pos > it->second) {
    invalidPosition("position", std::to_string(o.pos) + " is past the end of " + o.file + " (" +
                                    std::to_string(it->second) + " bytes)");
  }
  return o.encode();
}

// The server purges binlog files by age (their last write) and never the
// current one. A position in the oldest file that is not the current one is
// lost when that file ages out. The token's time is no later than the file's
// last write, so the age figure errs on the early side.
sdk::SourceHealth MysqlCdcSource::sourceHealth(std::string_view committed_offset) {
  sdk::SourceHealth h;
  MySession& s = admin();
  auto logs = binaryLogs(s);
  const int64_t expiry = binlogExpirySeconds(s);
  std::string src = "{\"binlog_files\":" + std::to_string(logs.size()) + ",\"oldest_file\":" +
                    (logs.empty() ? std::string("null") : sdk::jsonQuote(logs.front().first)) +
                    ",\"current_file\":" + (logs.empty() ? std::string("null") : sdk::jsonQuote(logs.back().first)) +
                    ",\"expire_logs_seconds\":" + (expiry > 0 ? std::to_string(expiry) : std::string("null"));
  auto o = BinlogOffset::parse(committed_offset);
  if (!o || o->kind != BinlogOffset::Kind::kStream) {
    h.source_json = src + "}";
    return h;
  }
  const int64_t now_s = host().nowMs() / 1000;
  const int64_t age = o->time_s > 0 ? std::max<int64_t>(now_s - o->time_s, 0) : -1;
  auto it = std::find_if(logs.begin(), logs.end(), [&](const auto& l) { return l.first == o->file; });
  int64_t behind = -1;
  if (it != logs.end()) {
    behind = static_cast<int64_t>(it->second > o->pos ? it->second - o->pos : 0);
    for (auto next = std::next(it); next != logs.end(); ++next) {
      behind += static_cast<int64_t>(next->second);
    }
  }
  src += ",\"position_file\":" + sdk::jsonQuote(o->file) + ",\"position_time\":";
  if (o->time_s > 0) {
    appendTimestampSeconds(src, o->time_s, 0, 0);
  } else {
    src += "null";
  }
  h.source_json = src + ",\"bytes_behind\":" + (behind >= 0 ? std::to_string(behind) : std::string("null")) + "}";
  if (logs.empty()) {
    return h;
  }
  if (it == logs.end()) {
    const bool by_gtid = s.isMariaDb() && isMariaGtidState(o->gtid);
    h.level = by_gtid ? SH_HEALTH_WARNING : SH_HEALTH_CRITICAL;
    h.reason = "Binlog file " + o->file + ", which holds the stream's position, is no longer on the server (the "
               "oldest is " + logs.front().first + "). " +
               (by_gtid ? "The next start resumes by GTID position " + o->gtid +
                              " if the server still has every later transaction, and fails saying so if not."
                        : std::string("The changes after that position are lost to this stream.")) +
               " DELETE the stream's offsets to take a new snapshot.";
    return h;
  }
  if (it != logs.begin() || logs.size() < 2 || expiry <= 0 || age < 0 || age * 10 < expiry * 8) {
    return h;
  }
  h.level = SH_HEALTH_WARNING;
  h.reason = "Binlog file " + o->file + ", which holds the stream's position, is the oldest the server keeps and "
             "was last written at least " + duration(age) + " ago; the server purges binlog files older than " +
             duration(expiry) + " (binlog_expire_logs_seconds)" +
             (age >= expiry ? ", so it purges this one at its next binlog rotation or restart"
                            : ", so it may purge this one before the stream reads the rest of it") +
             ". Start or resume the stream, or raise binlog_expire_logs_seconds.";
  return h;
}

// Nothing is held at the server: without a position the next start snapshots
// (snapshot_mode initial) or reads from the binlog's end.
std::vector<std::string> MysqlCdcSource::offsetReset() { return {}; }

}  // namespace streamhost::mycdc
