#include "row_encoder.h"

#include <streamhost/plugin_sdk.hpp>

#include <charconv>

#include "value_decoder.h"

namespace streamhost::mycdc {
namespace {

void appendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace

void decodeImage(ByteReader& r, const TableSchema& schema, const std::vector<bool>& present, RowImage& out) {
  out.clear();
  const size_t n = schema.columns.size();
  size_t npresent = 0;
  for (size_t i = 0; i < n && i < present.size(); ++i) {
    npresent += present[i] ? 1 : 0;
  }
  const uint8_t* nulls = r.take((npresent + 7) / 8, "null bitmap");
  out.spans.assign(n, {0, 0});
  out.json += '{';
  size_t k = 0;
  bool first = true;
  for (size_t i = 0; i < n; ++i) {
    if (i >= present.size() || !present[i]) {
      continue;
    }
    const ColumnInfo& c = schema.columns[i];
    if (!first) {
      out.json += ',';
    }
    first = false;
    out.json += c.json_key;
    auto begin = static_cast<uint32_t>(out.json.size());
    if ((nulls[k / 8] >> (k % 8)) & 1) {
      out.json += "null";
    } else {
      appendValue(out.json, c, r);
    }
    out.spans[i] = {begin, static_cast<uint32_t>(out.json.size())};
    ++k;
  }
  out.json += '}';
}

void encodeChange(char op, const TableSchema& schema, const RowImage* before, const RowImage* after,
                  const SourceInfo& source, int64_t now_ms, std::string& key, std::string& value) {
  key.clear();
  const RowImage* key_from = after != nullptr ? after : before;
  if (schema.has_key && key_from != nullptr) {
    for (size_t i = 0; i < schema.columns.size(); ++i) {
      if (!schema.columns[i].key) {
        continue;
      }
      key += key.empty() ? '{' : ',';
      key += schema.columns[i].json_key;
      auto [b, e] = key_from->spans[i];
      if (e > b) {
        key.append(key_from->json, b, e - b);
      } else {
        key += "null";
      }
    }
    if (!key.empty()) {
      key += '}';
    }
  }
  value.clear();
  value += "{\"op\":\"";
  value += op;
  value += "\",\"before\":";
  value += before != nullptr ? std::string_view(before->json) : std::string_view("null");
  value += ",\"after\":";
  value += after != nullptr ? std::string_view(after->json) : std::string_view("null");
  value += ",\"source\":{\"file\":";
  sdk::appendJsonQuoted(value, source.file);
  value += ",\"pos\":";
  appendInt(value, static_cast<int64_t>(source.pos));
  value += ",\"gtid\":";
  if (source.gtid.empty()) {
    value += "null";
  } else {
    sdk::appendJsonQuoted(value, source.gtid);
  }
  value += ",\"server_id\":";
  appendInt(value, source.server_id);
  value += schema.source_tail;
  value += ",\"ts_ms\":";
  appendInt(value, source.ts_ms);
  value += source.snapshot ? ",\"snapshot\":true}" : ",\"snapshot\":false}";
  value += ",\"ts_ms\":";
  appendInt(value, now_ms);
  value += '}';
}

}  // namespace streamhost::mycdc
