// mysql_cdc: typed offsets ({"file", "position", "gtid"}) checked against
// SHOW BINARY LOGS. The token keeps its form: file and position resume, the
// GTID is informational.
#include <algorithm>
#include <charconv>

#include "cdc_source.h"
#include "server_check.h"

namespace streamhost::mycdc {
namespace {

[[noreturn]] void invalidPosition(const std::string& field, const std::string& why) {
  throw sdk::Error(SH_ERR_INVALID_ARGUMENT, why, field);
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

// Nothing is held at the server: without a position the next start snapshots
// (snapshot_mode initial) or reads from the binlog's end.
std::vector<std::string> MysqlCdcSource::offsetReset() { return {}; }

}  // namespace streamhost::mycdc
