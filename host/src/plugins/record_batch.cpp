#include "plugins/record_batch.h"

#include <cstddef>

namespace streamhost::plugins {
namespace {

// Whether a struct of `size` bytes (its struct_size) contains `Field` at `offset`.
constexpr bool covers(uint32_t size, size_t offset, size_t field_size) { return size >= offset + field_size; }

#define SH_HAS(size, Type, field) covers(size, offsetof(Type, field), sizeof(Type::field))

std::string copyStr(sh_str_t s) { return s.data != nullptr ? std::string(s.data, s.len) : std::string(); }
std::string copyBytes(sh_bytes_t b) {
  return b.data != nullptr ? std::string(reinterpret_cast<const char*>(b.data), b.len) : std::string();
}

}  // namespace

sh_status_t RecordBatch::emit(const sh_record_t* r) {
  if (r == nullptr || r->struct_size < sizeof(uint32_t)) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  const uint32_t size = r->struct_size;
  Record rec;
  if (SH_HAS(size, sh_record_t, op)) {
    rec.op = r->op;
  }
  if (SH_HAS(size, sh_record_t, key)) {
    rec.key = copyBytes(r->key);
  }
  if (SH_HAS(size, sh_record_t, value)) {
    rec.value = copyBytes(r->value);
  }
  if (SH_HAS(size, sh_record_t, offset)) {
    rec.offset = copyStr(r->offset);
  }
  if (SH_HAS(size, sh_record_t, ts_ms)) {
    rec.ts_ms = r->ts_ms;
  }
  if (SH_HAS(size, sh_record_t, header_count) && r->headers != nullptr && r->header_count > 0) {
    const uint32_t stride = r->headers[0].struct_size;
    if (!SH_HAS(stride, sh_header_t, value)) {
      return SH_ERR_INVALID_ARGUMENT;
    }
    const auto* base = reinterpret_cast<const char*>(r->headers);
    for (size_t i = 0; i < r->header_count; ++i) {
      const auto* h = reinterpret_cast<const sh_header_t*>(base + i * stride);
      rec.headers.emplace_back(copyStr(h->name), copyBytes(h->value));
    }
  }
  const size_t n = rec.byteSize();
  if (records_.size() >= max_records_ || (!records_.empty() && bytes_ + n > max_bytes_)) {
    return SH_ERR_BACKPRESSURE;
  }
  bytes_ += n;
  if (!rec.offset.empty()) {
    last_offset_ = rec.offset;
  }
  records_.push_back(std::move(rec));
  return SH_OK;
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
