#include "journal/frame_codec.h"

#include <lz4.h>
#include <zstd.h>

#include <memory>

#include "common/record_block.h"
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

const char* compressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

bool parseCompression(std::string_view name, Compression& out) {
  for (Compression c : {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    if (name == compressionName(c)) {
      out = c;
      return true;
    }
  }
  return false;
}

namespace {

// version, codec, first_seq, count, appended_at_ms, stream length, records_len
constexpr size_t kBatchFixed = 1 + 1 + 8 + 4 + 8 + 4 + 4;
constexpr int kZstdLevel = 1;
// Each encoded record takes at least this many bytes (six one-byte varints).
constexpr uint32_t kMinRecordBytes = 6;

/// Compresses `in` onto the end of `out`; false when it did not shrink (nothing appended then).
bool compressInto(std::string& out, Compression codec, void*& zstd, std::string_view in) {
  const size_t start = out.size();
  if (codec == Compression::kLz4) {
    const int bound = LZ4_compressBound(static_cast<int>(in.size()));
    out.resize(start + static_cast<size_t>(bound));
    const int n = LZ4_compress_default(in.data(), out.data() + start, static_cast<int>(in.size()), bound);
    out.resize(n > 0 && static_cast<size_t>(n) < in.size() ? start + static_cast<size_t>(n) : start);
  } else if (codec == Compression::kZstd) {
    if (zstd == nullptr) {
      zstd = ZSTD_createCCtx();
    }
    out.resize(start + ZSTD_compressBound(in.size()));
    const size_t n = zstd == nullptr ? 0
                                     : ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(zstd), out.data() + start,
                                                         out.size() - start, in.data(), in.size(), kZstdLevel);
    out.resize(!ZSTD_isError(n) && n < in.size() ? start + n : start);
  }
  return out.size() > start;
}

struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_DCtx* threadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

BatchEncoder::~BatchEncoder() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(zstd_)); }

size_t batchFrameOverhead(std::string_view stream_id) { return kFrameHeaderBytes + kBatchFixed + stream_id.size(); }

void BatchEncoder::append(std::string& out, Compression codec, uint64_t first_seq, uint32_t count,
                          std::string_view stream_id, int64_t appended_at_ms, std::string_view records) {
  const size_t start = out.size();
  out.append(kFrameHeaderBytes, '\0');
  out.push_back(static_cast<char>(kBatchPayloadVersion));
  const size_t codec_at = out.size();
  out.push_back(static_cast<char>(codec));
  putU64(out, first_seq);
  putU32(out, count);
  putU64(out, static_cast<uint64_t>(appended_at_ms));
  putString(out, stream_id);
  putU32(out, static_cast<uint32_t>(records.size()));
  if (codec == Compression::kNone || !compressInto(out, codec, zstd_, records)) {
    out[codec_at] = static_cast<char>(Compression::kNone);
    out.append(records);
  }
  const auto length = static_cast<uint32_t>(out.size() - start - kFrameHeaderBytes);
  const uint32_t crc = frameCrc(length, std::string_view(out.data() + start + kFrameHeaderBytes, length));
  for (int i = 0; i < 4; ++i) {
    out[start + i] = static_cast<char>(length >> (8 * i));
    out[start + 4 + i] = static_cast<char>(crc >> (8 * i));
  }
}

bool peekPayload(std::string_view payload, PayloadHead& head) {
  Cursor c(payload);
  uint8_t version = 0;
  if (!c.u8(version)) {
    return false;
  }
  head.version = version;
  if (version == kPayloadVersion) {
    head.count = 1;
    head.codec = 0;
    return c.u64(head.seq) && c.i64(head.appended_at_ms) && head.seq != 0;
  }
  if (version != kBatchPayloadVersion) {
    return false;
  }
  uint8_t codec = 0;
  uint32_t count = 0;
  if (!c.u8(codec) || codec > static_cast<uint8_t>(Compression::kZstd) || !c.u64(head.seq) || !c.u32(count) ||
      !c.i64(head.appended_at_ms) || count == 0 || head.seq == 0 || head.seq + count - 1 < head.seq) {
    return false;
  }
  head.codec = codec;
  head.count = count;
  return true;
}

bool FrameDecoder::fail(const char* why) {
  error_ = why;
  left_ = 0;
  return false;
}

bool FrameDecoder::open(std::string_view payload) {
  error_.clear();
  payload_ = payload;
  left_ = 0;
  if (!peekPayload(payload, head_)) {
    return fail("bad_payload");
  }
  next_seq_ = head_.seq;
  if (head_.version == kPayloadVersion) {
    if (!peekStreamOffset(payload, v1_stream_, v1_offset_)) {
      return fail("bad_payload");
    }
    stream_ = v1_stream_;
    left_ = 1;
    return true;
  }
  const size_t stream_len = payload.size() >= kBatchFixed - 4 ? loadU32(payload.data() + kBatchFixed - 8) : 0;
  if (payload.size() < kBatchFixed || payload.size() - kBatchFixed < stream_len) {
    return fail("bad_payload");
  }
  stream_ = payload.substr(kBatchFixed - 4, stream_len);
  const uint32_t raw_len = loadU32(payload.data() + kBatchFixed - 4 + stream_len);
  std::string_view body = payload.substr(kBatchFixed + stream_len);
  if (raw_len > kMaxPayloadBytes || head_.count > raw_len / kMinRecordBytes) {
    return fail("bad_payload");
  }
  switch (static_cast<Compression>(head_.codec)) {
    case Compression::kNone:
      if (body.size() != raw_len) {
        return fail("bad_payload");
      }
      rest_ = body;
      break;
    case Compression::kLz4: {
      buf_.resize(raw_len);
      const int n = LZ4_decompress_safe(body.data(), buf_.data(), static_cast<int>(body.size()),
                                        static_cast<int>(raw_len));
      if (n < 0 || static_cast<uint32_t>(n) != raw_len) {
        return fail("decompress_failed");
      }
      rest_ = buf_;
      break;
    }
    case Compression::kZstd: {
      buf_.resize(raw_len);
      ZSTD_DCtx* d = threadDCtx();
      const size_t n = d == nullptr ? 0 : ZSTD_decompressDCtx(d, buf_.data(), raw_len, body.data(), body.size());
      if (d == nullptr || ZSTD_isError(n) || n != raw_len) {
        return fail("decompress_failed");
      }
      rest_ = buf_;
      break;
    }
  }
  left_ = head_.count;
  return true;
}

bool FrameDecoder::next(JournalEntry& entry) {
  if (left_ == 0) {
    return false;
  }
  if (head_.version == kPayloadVersion) {
    left_ = 0;
    return decodePayload(payload_, entry) || fail("bad_payload");
  }
  if (!RecordBlock::decode(rest_, entry.record)) {
    return fail("bad_payload");
  }
  entry.seq = next_seq_++;
  entry.stream_id.assign(stream_);
  entry.appended_at_ms = head_.appended_at_ms;
  --left_;
  return left_ != 0 || rest_.empty() || fail("bad_payload");
}

bool FrameDecoder::skip(uint64_t& seq, std::string_view& offset) {
  if (left_ == 0) {
    return false;
  }
  seq = next_seq_++;
  --left_;
  if (head_.version == kPayloadVersion) {
    offset = v1_offset_;
    return true;
  }
  if (!RecordBlock::skipToOffset(rest_, offset)) {
    return fail("bad_payload");
  }
  return left_ != 0 || rest_.empty() || fail("bad_payload");
}

bool FrameDecoder::validateAll() {
  uint64_t seq = 0;
  std::string_view offset;
  while (left_ > 0) {
    if (!skip(seq, offset)) {
      return false;
    }
  }
  return error_.empty();
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
