#include "binlog_position.h"

#include <charconv>

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

}  // namespace

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
