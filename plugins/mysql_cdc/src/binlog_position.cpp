#include "binlog_position.h"

#include <charconv>
#include <cstdint>

namespace streamhost::mycdc {
namespace {

std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// The domain of one "domain-server-seq" entry, or nullopt.
std::optional<uint64_t> domainOf(std::string_view gtid) {
  size_t a = gtid.find('-');
  size_t b = a == std::string_view::npos ? a : gtid.find('-', a + 1);
  if (b == std::string_view::npos || !number(gtid.substr(a + 1, b - a - 1)) || !number(gtid.substr(b + 1))) {
    return std::nullopt;
  }
  return number(gtid.substr(0, a));
}

}  // namespace

bool isMariaGtidState(std::string_view state) {
  if (state.empty()) {
    return false;
  }
  while (true) {
    size_t comma = state.find(',');
    if (!domainOf(state.substr(0, comma))) {
      return false;
    }
    if (comma == std::string_view::npos) {
      return true;
    }
    state.remove_prefix(comma + 1);
  }
}

std::string withMariaGtid(std::string_view state, std::string_view gtid) {
  auto domain = domainOf(gtid);
  if (!domain || !isMariaGtidState(state)) {
    return std::string(gtid);
  }
  std::string out;
  bool placed = false;
  auto put = [&](std::string_view entry) {
    out += out.empty() ? "" : ",";
    out += entry;
  };
  while (!state.empty()) {
    size_t comma = state.find(',');
    std::string_view entry = state.substr(0, comma);
    state = comma == std::string_view::npos ? std::string_view() : state.substr(comma + 1);
    uint64_t d = *domainOf(entry);
    if (!placed && d >= *domain) {
      put(gtid);
      placed = true;
      if (d == *domain) {
        continue;
      }
    }
    put(entry);
  }
  if (!placed) {
    put(gtid);
  }
  return out;
}

std::string BinlogOffset::encode() const {
  switch (kind) {
    case Kind::kNone: return {};
    case Kind::kSnapshot: return "snapshot";
    case Kind::kStream: break;
  }
  std::string out = file + ":" + std::to_string(pos);
  if (rows > 0) {
    out += "#" + std::to_string(rows);
  }
  if (time_s > 0) {
    out += "@" + std::to_string(time_s);
  }
  if (!gtid.empty()) {
    out += ";" + gtid;
  }
  return out;
}

std::optional<BinlogOffset> BinlogOffset::parse(std::string_view text) {
  BinlogOffset o;
  if (text.empty()) {
    return o;
  }
  if (text == "snapshot") {
    o.kind = Kind::kSnapshot;
    return o;
  }
  o.kind = Kind::kStream;
  size_t semi = text.find(';');
  if (semi != std::string_view::npos) {
    o.gtid = std::string(text.substr(semi + 1));
    text = text.substr(0, semi);
  }
  size_t at = text.rfind('@');
  if (at != std::string_view::npos && at > text.rfind(':')) {
    auto t = number(text.substr(at + 1));
    if (!t || *t == 0 || *t > uint64_t{INT64_MAX}) {
      return std::nullopt;
    }
    o.time_s = static_cast<int64_t>(*t);
    text = text.substr(0, at);
  }
  size_t hash = text.find('#');
  if (hash != std::string_view::npos) {
    auto n = number(text.substr(hash + 1));
    if (!n) {
      return std::nullopt;
    }
    o.rows = *n;
    text = text.substr(0, hash);
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  auto pos = number(text.substr(colon + 1));
  if (!pos || *pos < 4) {
    return std::nullopt;
  }
  o.file = std::string(text.substr(0, colon));
  o.pos = *pos;
  return o;
}

}  // namespace streamhost::mycdc
