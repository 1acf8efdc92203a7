#include "plugins/record_batch.h"

#include <cstddef>

namespace streamhost::plugins {
namespace {

// Where each field of the 1.0 structs ends: a struct whose struct_size is
// smaller lacks that field.
template <class T>
constexpr size_t endOf(size_t offset) {
  return offset + sizeof(T);
}
constexpr size_t kOpEnd = endOf<int32_t>(offsetof(sh_record_t, op));
constexpr size_t kKeyEnd = endOf<sh_bytes_t>(offsetof(sh_record_t, key));
constexpr size_t kValueEnd = endOf<sh_bytes_t>(offsetof(sh_record_t, value));
constexpr size_t kOffsetEnd = endOf<sh_str_t>(offsetof(sh_record_t, offset));
constexpr size_t kTsEnd = endOf<int64_t>(offsetof(sh_record_t, ts_ms));
constexpr size_t kHeadersEnd = endOf<size_t>(offsetof(sh_record_t, header_count));
constexpr size_t kFlagsEnd = endOf<uint32_t>(offsetof(sh_record_t, flags));
constexpr size_t kHeaderValueEnd = endOf<sh_bytes_t>(offsetof(sh_header_t, value));

std::string copyStr(sh_str_t s) { return s.data != nullptr ? std::string(s.data, s.len) : std::string(); }
std::string copyBytes(sh_bytes_t b) {
  return b.data != nullptr ? std::string(reinterpret_cast<const char*>(b.data), b.len) : std::string();
}

}  // namespace

sh_status_t RecordBatch::emit(const sh_record_t* r) {
  if (r == nullptr || r->struct_size < sizeof(uint32_t)) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  if (records_.size() >= max_records_) {
    return SH_ERR_BACKPRESSURE;
  }
  const uint32_t size = r->struct_size;
  Record rec;
  if (size >= kOpEnd) {
    rec.op = r->op;
  }
  if (size >= kKeyEnd) {
    rec.key = copyBytes(r->key);
  }
  if (size >= kValueEnd) {
    rec.value = copyBytes(r->value);
  }
  if (size >= kOffsetEnd) {
    rec.offset = copyStr(r->offset);
  }
  if (size >= kTsEnd) {
    rec.ts_ms = r->ts_ms;
  }
  if (size >= kHeadersEnd && r->headers != nullptr && r->header_count > 0) {
    const uint32_t stride = r->headers[0].struct_size;
    if (stride < kHeaderValueEnd) {
      return SH_ERR_INVALID_ARGUMENT;
    }
    const auto* base = reinterpret_cast<const char*>(r->headers);
    for (size_t i = 0; i < r->header_count; ++i) {
      const auto* h = reinterpret_cast<const sh_header_t*>(base + i * stride);
      rec.headers.emplace_back(copyStr(h->name), copyBytes(h->value));
    }
  }
  if (size >= kFlagsEnd) {
    rec.flags = r->flags;
  }
  const size_t n = rec.byteSize();
  if (!records_.empty() && bytes_ + n > max_bytes_) {
    return SH_ERR_BACKPRESSURE;
  }
  bytes_ += n;
  if (!rec.offset.empty()) {
    last_offset_ = rec.offset;
  }
  records_.push_back(std::move(rec));
  return SH_OK;
}

sh_status_t RecordBatch::emitBatch(const sh_record_t* records, size_t count, size_t* out_taken) {
  size_t taken = 0;
  sh_status_t st = SH_OK;
  if (count > 0 && (records == nullptr || records[0].struct_size < sizeof(uint32_t))) {
    st = SH_ERR_INVALID_ARGUMENT;
  } else if (count > 0) {
    const uint32_t stride = records[0].struct_size;
    const auto* base = reinterpret_cast<const char*>(records);
    for (; taken < count; ++taken) {
      st = emit(reinterpret_cast<const sh_record_t*>(base + taken * stride));
      if (st != SH_OK) {
        break;
      }
    }
  }
  if (out_taken != nullptr) {
    *out_taken = taken;
  }
  return st;
}

sh_status_t RecordBatch::checkpoint(sh_str_t offset) {
  if (offset.data == nullptr || offset.len == 0) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  last_offset_ = copyStr(offset);
  return SH_OK;
}

std::vector<Record> RecordBatch::takeRecords() {
  std::vector<Record> out = std::move(records_);
  clear();
  return out;
}

void RecordBatch::clear() {
  records_.clear();
  bytes_ = 0;
  last_offset_.reset();
}

}  // namespace streamhost::plugins
