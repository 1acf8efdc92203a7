#include "lsn.h"

#include <charconv>
#include <cstdio>

#include <streamhost/sdk/json.hpp>

namespace streamhost::pgcdc {
namespace {

std::optional<uint64_t> hex(std::string_view s) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 8) {
    return std::nullopt;
  }
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::string formatLsn(Lsn lsn) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                        static_cast<unsigned>(lsn & 0xFFFFFFFFu));
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<Lsn> parseLsn(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  auto hi = hex(text.substr(0, slash));
  auto lo = hex(text.substr(slash + 1));
  if (!hi || !lo) {
    return std::nullopt;
  }
  return (*hi << 32) | *lo;
}

std::string Offset::encode() const {
  switch (kind) {
    case Kind::kNone: return {};
    case Kind::kSnapshot: return snapshot_pos.empty() ? "snapshot" : "snapshot:" + snapshot_pos;
    case Kind::kStream: break;
  }
  std::string out = formatLsn(complete);
  if (txn_commit != 0) {
    out += '+';
    out += formatLsn(txn_commit);
    out += '#';
    out += std::to_string(txn_records);
  }
  return out;
}

std::optional<Offset> Offset::parse(std::string_view text) {
  Offset o;
  if (text.empty()) {
    return o;
  }
  if (text == "snapshot") {
    o.kind = Kind::kSnapshot;
    return o;
  }
  if (text.rfind("snapshot:", 0) == 0) {
    o.kind = Kind::kSnapshot;
    o.snapshot_pos = std::string(text.substr(9));
    if (!o.snapshotPos()) {
      return std::nullopt;
    }
    return o;
  }
  o.kind = Kind::kStream;
  size_t plus = text.find('+');
  auto complete = parseLsn(text.substr(0, plus));
  if (!complete) {
    return std::nullopt;
  }
  o.complete = *complete;
  if (plus == std::string_view::npos) {
    return o;
  }
  std::string_view rest = text.substr(plus + 1);
  size_t hash = rest.find('#');
  if (hash == std::string_view::npos) {
    return std::nullopt;
  }
  auto commit = parseLsn(rest.substr(0, hash));
  std::string_view n = rest.substr(hash + 1);
  uint64_t count = 0;
  auto r = std::from_chars(n.data(), n.data() + n.size(), count);
  if (!commit || *commit == 0 || n.empty() || r.ec != std::errc() || r.ptr != n.data() + n.size()) {
    return std::nullopt;
  }
  o.txn_commit = *commit;
  o.txn_records = count;
  return o;
}

std::string Offset::snapshotPrefix(Lsn consistent, const std::string& schema, const std::string& table) {
  std::string out = "[";
  sdk::appendJsonQuoted(out, formatLsn(consistent));
  out += ',';
  sdk::appendJsonQuoted(out, schema);
  out += ',';
  sdk::appendJsonQuoted(out, table);
  return out;
}

std::string Offset::snapshotPosition(Lsn consistent, const std::string& schema, const std::string& table,
                                     const std::vector<std::string>& key) {
  std::string out = snapshotPrefix(consistent, schema, table);
  for (const auto& k : key) {
    out += ',';
    sdk::appendJsonQuoted(out, k);
  }
  out += ']';
  return out;
}

std::optional<Offset::SnapshotPos> Offset::snapshotPos() const {
  if (snapshot_pos.empty()) {
    return std::nullopt;
  }
  auto items = sdk::parseJsonStringArray(snapshot_pos);
  if (!items || items->size() < 3) {
    return std::nullopt;
  }
  auto lsn = parseLsn((*items)[0]);
  if (!lsn || *lsn == 0) {
    return std::nullopt;
  }
  SnapshotPos p;
  p.consistent = *lsn;
  p.schema = (*items)[1];
  p.table = (*items)[2];
  p.key.assign(items->begin() + 3, items->end());
  return p;
}

}  // namespace streamhost::pgcdc
