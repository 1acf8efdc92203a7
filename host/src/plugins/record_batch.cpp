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

std::string_view viewStr(sh_str_t s) { return s.data != nullptr ? std::string_view(s.data, s.len) : std::string_view(); }
std::string_view viewBytes(sh_bytes_t b) {
  return b.data != nullptr ? std::string_view(reinterpret_cast<const char*>(b.data), b.len) : std::string_view();
}

}  // namespace

sh_status_t RecordBatch::emit(const sh_record_t* r) {
  if (r == nullptr || r->struct_size < sizeof(uint32_t)) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  if (block_.size() >= max_records_) {
    return SH_ERR_BACKPRESSURE;
  }
  const uint32_t size = r->struct_size;
  const int32_t op = size >= kOpEnd ? r->op : 0;
  const std::string_view key = size >= kKeyEnd ? viewBytes(r->key) : std::string_view();
  const std::string_view value = size >= kValueEnd ? viewBytes(r->value) : std::string_view();
  const std::string_view offset = size >= kOffsetEnd ? viewStr(r->offset) : std::string_view();
  const int64_t ts = size >= kTsEnd ? r->ts_ms : 0;
  size_t n = key.size() + value.size() + offset.size();
  header_views_.clear();
  if (size >= kHeadersEnd && r->headers != nullptr && r->header_count > 0) {
    const uint32_t stride = r->headers[0].struct_size;
    if (stride < kHeaderValueEnd) {
      return SH_ERR_INVALID_ARGUMENT;
    }
    const auto* base = reinterpret_cast<const char*>(r->headers);
    for (size_t i = 0; i < r->header_count; ++i) {
      const auto* h = reinterpret_cast<const sh_header_t*>(base + i * stride);
      header_views_.emplace_back(viewStr(h->name), viewBytes(h->value));
      n += header_views_.back().first.size() + header_views_.back().second.size();
    }
  }
  if (!block_.empty() && block_.dataBytes() + n > max_bytes_) {
    return SH_ERR_BACKPRESSURE;
  }
  block_.add(op, key, value, offset, ts, header_views_.data(), header_views_.size());
  flags_.push_back(size >= kFlagsEnd ? r->flags : 0);
  if (!offset.empty()) {
    checkpoint_.reset();
  }
  decoded_valid_ = false;
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
  checkpoint_.emplace(offset.data, offset.len);
  return SH_OK;
}

std::optional<std::string> RecordBatch::lastOffset() const {
  if (checkpoint_) {
    return checkpoint_;
  }
  if (block_.lastWithOffset() < block_.size()) {
    return std::string(block_.lastOffset());
  }
  return std::nullopt;
}

const std::vector<Record>& RecordBatch::records() const {
  if (!decoded_valid_) {
    decoded_.assign(block_.size(), Record());
    std::string_view in = block_.bytes();
    for (size_t i = 0; i < decoded_.size(); ++i) {
      (void)RecordBlock::decode(in, decoded_[i]);  // written by block_ itself
      decoded_[i].flags = flags_[i];
    }
    decoded_valid_ = true;
  }
  return decoded_;
}

std::vector<Record> RecordBatch::takeRecords() {
  (void)records();
  std::vector<Record> out = std::move(decoded_);
  clear();
  return out;
}

void RecordBatch::clear() {
  block_.clear();
  flags_.clear();
  checkpoint_.reset();
  decoded_.clear();
  decoded_valid_ = false;
}

}  // namespace streamhost::plugins
