#include "record_codec.h"

#include <charconv>
#include <streamhost/sdk/json.hpp>
#include <streamhost/sdk/utf8.hpp>

namespace streamhost::kafka {

std::optional<Format> parseFormat(std::string_view text) {
  if (text == "json") {
    return Format::kJson;
  }
  if (text == "string") {
    return Format::kString;
  }
  if (text == "bytes") {
    return Format::kBytes;
  }
  return std::nullopt;
}

std::string base64(std::string_view raw) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(raw[i]) << 16) | (static_cast<uint8_t>(raw[i + 1]) << 8) |
                 static_cast<uint8_t>(raw[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < raw.size()) {
    uint32_t n = static_cast<uint8_t>(raw[i]) << 16;
    if (i + 1 < raw.size()) {
      n |= static_cast<uint8_t>(raw[i + 1]) << 8;
    }
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < raw.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Encoded encode(Format format, std::string_view raw, Part part) {
  const bool key = part == Part::kKey;
  switch (format) {
    case Format::kJson: {
      std::string why;
      if (sdk::isValidJson(raw, &why)) {
        return {{}, true, std::nullopt};
      }
      return {{}, true, "not JSON (" + why + ")"};
    }
    case Format::kString:
      if (sdk::isValidUtf8(raw)) {
        return key ? Encoded{{}, true, std::nullopt} : Encoded{sdk::jsonQuote(raw), false, std::nullopt};
      }
      return {{}, true, "not UTF-8 text"};
    case Format::kBytes: return {key ? base64(raw) : sdk::jsonQuote(base64(raw)), false, std::nullopt};
  }
  return {{}, true, "unknown format"};
}

std::string recordToken(const std::string& topic, int32_t partition, int64_t offset) {
  return topic + "/" + std::to_string(partition) + "@" + std::to_string(offset);
}

std::string formatPositions(const Positions& positions) {
  std::string out;
  for (const auto& [tp, next] : positions) {
    out += (out.empty() ? "" : ",") + recordToken(tp.topic, tp.partition, next);
  }
  return out;
}

std::optional<Positions> parsePositions(std::string_view text) {
  Positions out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end != std::string_view::npos && end + 1 >= text.size()) {
      return std::nullopt;  // a trailing comma
    }
    std::string_view item = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    size_t at = item.rfind('@');
    size_t slash = item.rfind('/', at);
    if (at == std::string_view::npos || slash == std::string_view::npos || slash == 0) {
      return std::nullopt;
    }
    int32_t partition = 0;
    int64_t offset = 0;
    auto p = std::from_chars(item.data() + slash + 1, item.data() + at, partition);
    auto o = std::from_chars(item.data() + at + 1, item.data() + item.size(), offset);
    if (p.ec != std::errc() || p.ptr != item.data() + at || o.ec != std::errc() ||
        o.ptr != item.data() + item.size() || partition < 0 || offset < 0) {
      return std::nullopt;
    }
    out[TopicPartition{std::string(item.substr(0, slash)), partition}] = offset;
    pos = end == std::string_view::npos ? text.size() : end + 1;
  }
  return out;
}

}  // namespace streamhost::kafka
