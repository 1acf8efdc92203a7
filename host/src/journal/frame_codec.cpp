#include "journal/frame_codec.h"

#include "journal/crc32c.h"

namespace streamhost::journal {
namespace {

void putString(std::string& out, std::string_view s) {
  putU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

/// Bounds-checked reader over a payload.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}
  bool u8(uint8_t& v) {
    if (left() < 1) {
      return false;
    }
    v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool u32(uint32_t& v) {
    if (left() < 4) {
      return false;
    }
    v = loadU32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool u64(uint64_t& v) {
    if (left() < 8) {
      return false;
    }
    v = loadU64(data_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool i64(int64_t& v) {
    uint64_t u = 0;
    if (!u64(u)) {
      return false;
    }
    v = static_cast<int64_t>(u);
    return true;
  }
  bool str(std::string& v) {
    uint32_t n = 0;
    if (!u32(n) || left() < n) {
      return false;
    }
    v.assign(data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  size_t left() const { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

void putU32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out.append(b, 4);
}

void putU64(std::string& out, uint64_t v) {
  putU32(out, static_cast<uint32_t>(v));
  putU32(out, static_cast<uint32_t>(v >> 32));
}

uint32_t loadU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t(u[0]) | uint32_t(u[1]) << 8 | uint32_t(u[2]) << 16 | uint32_t(u[3]) << 24;
}

uint64_t loadU64(const char* p) { return uint64_t(loadU32(p)) | uint64_t(loadU32(p + 4)) << 32; }

uint32_t frameCrc(uint32_t length, std::string_view payload) {
  const char len[4] = {static_cast<char>(length), static_cast<char>(length >> 8),
                       static_cast<char>(length >> 16), static_cast<char>(length >> 24)};
  return crc32c(crc32c(0, len, sizeof(len)), payload.data(), payload.size());
}

void appendFrame(std::string& out, uint64_t seq, std::string_view stream_id, int64_t appended_at_ms,
                 const Record& record) {
  const size_t start = out.size();
  out.append(kFrameHeaderBytes, '\0');
  out.push_back(static_cast<char>(kPayloadVersion));
  putU64(out, seq);
  putU64(out, static_cast<uint64_t>(appended_at_ms));
  putU32(out, static_cast<uint32_t>(record.op));
  putU64(out, static_cast<uint64_t>(record.ts_ms));
  putString(out, stream_id);
  putString(out, record.key);
  putString(out, record.value);
  putString(out, record.offset);
  putU32(out, static_cast<uint32_t>(record.headers.size()));
  for (const auto& [k, v] : record.headers) {
    putString(out, k);
    putString(out, v);
  }
  const auto length = static_cast<uint32_t>(out.size() - start - kFrameHeaderBytes);
  std::string_view payload(out.data() + start + kFrameHeaderBytes, length);
  const uint32_t crc = frameCrc(length, payload);
  for (int i = 0; i < 4; ++i) {
    out[start + i] = static_cast<char>(length >> (8 * i));
    out[start + 4 + i] = static_cast<char>(crc >> (8 * i));
  }
}

bool peekPayload(std::string_view payload, PayloadHead& head) {
  Cursor c(payload);
  uint8_t version = 0;
  return c.u8(version) && version == kPayloadVersion && c.u64(head.seq) && c.i64(head.appended_at_ms);
}

bool peekStreamOffset(std::string_view payload, std::string& stream_id, std::string& offset) {
  Cursor c(payload);
  uint8_t version = 0;
  uint64_t seq = 0;
  int64_t at = 0;
  uint32_t op = 0;
  int64_t ts = 0;
  std::string skip;
  // The key and value are skipped by reading them; recovery does this once per frame of the tail only.
  return c.u8(version) && version == kPayloadVersion && c.u64(seq) && c.i64(at) && c.u32(op) && c.i64(ts) &&
         c.str(stream_id) && c.str(skip) && c.str(skip) && c.str(offset);
}

bool decodePayload(std::string_view payload, JournalEntry& entry) {
  Cursor c(payload);
  uint8_t version = 0;
  uint32_t op = 0;
  uint32_t headers = 0;
  if (!c.u8(version) || version != kPayloadVersion || !c.u64(entry.seq) || !c.i64(entry.appended_at_ms) ||
      !c.u32(op) || !c.i64(entry.record.ts_ms) || !c.str(entry.stream_id) || !c.str(entry.record.key) ||
      !c.str(entry.record.value) || !c.str(entry.record.offset) || !c.u32(headers)) {
    return false;
  }
  entry.record.op = static_cast<int32_t>(op);
  // Each header needs at least 8 bytes, which bounds the reservation.
  if (headers > c.left() / 8) {
    return false;
  }
  entry.record.headers.clear();
  entry.record.headers.reserve(headers);
  for (uint32_t i = 0; i < headers; ++i) {
    std::string k;
    std::string v;
    if (!c.str(k) || !c.str(v)) {
      return false;
    }
    entry.record.headers.emplace_back(std::move(k), std::move(v));
  }
  return c.left() == 0;
}

}  // namespace streamhost::journal
