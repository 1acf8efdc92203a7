#include "common/record_block.h"

namespace streamhost {
namespace {

bool getVarint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) {
      return false;
    }
    const auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= uint64_t(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      return true;
    }
  }
  return false;
}

bool getString(std::string_view& in, std::string_view& s) {
  uint64_t n = 0;
  if (!getVarint(in, n) || n > in.size()) {
    return false;
  }
  s = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

void RecordBlock::clear() {
  buf_.clear();
  ends_.clear();
  data_bytes_ = 0;
  last_with_offset_ = 0;
  last_offset_pos_ = 0;
  last_offset_len_ = 0;
  last_ts_ = 0;
}

void RecordBlock::putVarint(uint64_t v) {
  char tmp[10];
  size_t n = 0;
  while (v >= 0x80) {
    tmp[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = static_cast<char>(v);
  buf_.append(tmp, n);
}

void RecordBlock::putString(std::string_view s) {
  putVarint(s.size());
  buf_.append(s);
}

void RecordBlock::add(int32_t op, std::string_view key, std::string_view value, std::string_view offset, int64_t ts_ms,
                      const std::pair<std::string_view, std::string_view>* headers, size_t header_count) {
  putVarint(static_cast<uint32_t>(op));
  putVarint(zigzag(ts_ms));
  putString(key);
  putString(value);
  putVarint(offset.size());
  const size_t offset_pos = buf_.size();
  buf_.append(offset);
  putVarint(header_count);
  size_t data = key.size() + value.size() + offset.size();
  for (size_t i = 0; i < header_count; ++i) {
    putString(headers[i].first);
    putString(headers[i].second);
    data += headers[i].first.size() + headers[i].second.size();
  }
  if (!offset.empty()) {
    last_with_offset_ = ends_.size();
    last_offset_pos_ = offset_pos;
    last_offset_len_ = offset.size();
  }
  ends_.push_back(buf_.size());
  data_bytes_ += data;
  last_ts_ = ts_ms;
}

void RecordBlock::add(const Record& r) {
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  headers.reserve(r.headers.size());
  for (const auto& [k, v] : r.headers) {
    headers.emplace_back(k, v);
  }
  add(r.op, r.key, r.value, r.offset, r.ts_ms, headers.data(), headers.size());
}

std::string_view RecordBlock::slice(size_t from, size_t to) const {
  const size_t a = from == 0 ? 0 : ends_[from - 1];
  const size_t b = to == 0 ? 0 : ends_[to - 1];
  return std::string_view(buf_).substr(a, b - a);
}

std::string_view RecordBlock::lastOffset() const {
  return last_offset_len_ == 0 ? std::string_view() : std::string_view(buf_).substr(last_offset_pos_, last_offset_len_);
}

bool RecordBlock::decode(std::string_view& in, Record& out) {
  uint64_t op = 0;
  uint64_t ts = 0;
  uint64_t headers = 0;
  std::string_view key;
  std::string_view value;
  std::string_view offset;
  if (!getVarint(in, op) || op > UINT32_MAX || !getVarint(in, ts) || !getString(in, key) || !getString(in, value) ||
      !getString(in, offset) || !getVarint(in, headers) || headers > in.size() / 2) {
    return false;
  }
  out.op = static_cast<int32_t>(static_cast<uint32_t>(op));
  out.ts_ms = unzigzag(ts);
  out.key.assign(key);
  out.value.assign(value);
  out.offset.assign(offset);
  out.headers.clear();
  out.headers.reserve(headers);
  for (uint64_t i = 0; i < headers; ++i) {
    std::string_view k;
    std::string_view v;
    if (!getString(in, k) || !getString(in, v)) {
      return false;
    }
    out.headers.emplace_back(std::string(k), std::string(v));
  }
  return true;
}

bool RecordBlock::skipToOffset(std::string_view& in, std::string_view& offset) {
  uint64_t v = 0;
  std::string_view s;
  if (!getVarint(in, v) || v > UINT32_MAX || !getVarint(in, v) || !getString(in, s) || !getString(in, s) ||
      !getString(in, offset) || !getVarint(in, v) || v > in.size() / 2) {
    return false;
  }
  for (uint64_t i = 0; i < v; ++i) {
    if (!getString(in, s) || !getString(in, s)) {
      return false;
    }
  }
  return true;
}

}  // namespace streamhost
