#include "pgoutput.h"

#include <streamhost/plugin_sdk.hpp>

#include <cstring>

namespace streamhost::pgcdc {
namespace {

/// Big-endian reader over one message; running past the end throws.
class Reader {
 public:
  Reader(std::string_view data, char type) : data_(data), type_(type) {}

  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  uint16_t u16() { return static_cast<uint16_t>(be(take(2), 2)); }
  uint32_t u32() { return static_cast<uint32_t>(be(take(4), 4)); }
  uint64_t u64() { return be(take(8), 8); }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  std::string_view cstr() {
    const void* nul = std::memchr(data_.data() + pos_, '\0', data_.size() - pos_);
    if (nul == nullptr) {
      fail();
    }
    size_t len = static_cast<size_t>(static_cast<const char*>(nul) - (data_.data() + pos_));
    std::string_view s = data_.substr(pos_, len);
    pos_ += len + 1;
    return s;
  }
  std::string_view take(size_t n) {
    if (data_.size() - pos_ < n) {
      fail();
    }
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool atEnd() const { return pos_ == data_.size(); }

  void tuple(Tuple& out) {
    uint16_t n = u16();
    out.resize(n);
    for (uint16_t i = 0; i < n; ++i) {
      Datum& d = out[i];
      d.kind = static_cast<char>(u8());
      d.text = {};
      if (d.kind == 't' || d.kind == 'b') {
        d.text = take(u32());
        d.kind = 't';  // binary mode is never requested
      } else if (d.kind != 'n' && d.kind != 'u') {
        fail();
      }
    }
  }

  [[noreturn]] void fail() const {
    throw sdk::Error(SH_ERR_INTERNAL, std::string("malformed pgoutput message '") + type_ + "' (" +
                                          std::to_string(data_.size()) + " bytes)");
  }

 private:
  static uint64_t be(std::string_view s, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v = (v << 8) | static_cast<uint8_t>(s[i]);
    }
    return v;
  }

  std::string_view data_;
  size_t pos_ = 1;  // after the type byte
  char type_;
};

bool carriesChange(char type) {
  return type == 'I' || type == 'U' || type == 'D' || type == 'T' || type == 'R' || type == 'Y' || type == 'M';
}

}  // namespace

const Relation* PgOutputDecoder::relation(uint32_t id) const {
  auto it = relations_.find(id);
  return it == relations_.end() ? nullptr : &it->second;
}

const Relation& PgOutputDecoder::needRelation(uint32_t id, char type) const {
  const Relation* rel = relation(id);
  if (rel == nullptr) {
    throw sdk::Error(SH_ERR_INTERNAL,
                     std::string("pgoutput message '") + type + "' names relation " + std::to_string(id) +
                         " that was never described");
  }
  return *rel;
}

void PgOutputDecoder::handle(std::string_view message, Lsn lsn) {
  if (message.empty()) {
    throw sdk::Error(SH_ERR_INTERNAL, "empty pgoutput message");
  }
  char type = message[0];
  if (in_stream_ && carriesChange(type)) {
    Reader r(message, type);
    r.u32();  // the (sub)transaction's xid, checked again on replay
    events_.onStreamed(stream_xid_, message, lsn);
    return;
  }
  decode(message, lsn, false);
}

void PgOutputDecoder::replay(std::string_view message, Lsn lsn) { decode(message, lsn, true); }

void PgOutputDecoder::decode(std::string_view message, Lsn lsn, bool has_xid) {
  char type = message[0];
  Reader r(message, type);
  if (has_xid && carriesChange(type)) {
    r.u32();
  }
  switch (type) {
    case 'B': {
      Lsn final_lsn = r.u64();
      int64_t ts = r.i64();
      uint32_t xid = r.u32();
      events_.onBegin(final_lsn, ts, xid);
      return;
    }
    case 'C': {
      r.u8();
      Lsn commit_lsn = r.u64();
      Lsn end_lsn = r.u64();
      int64_t ts = r.i64();
      events_.onCommit(commit_lsn, end_lsn, ts);
      return;
    }
    case 'R': {
      uint32_t id = r.u32();
      Relation rel;
      rel.id = id;
      rel.schema = r.cstr();
      rel.table = r.cstr();
      rel.identity = static_cast<char>(r.u8());
      uint16_t n = r.u16();
      rel.columns.resize(n);
      for (Column& c : rel.columns) {
        c.identity = (r.u8() & 1) != 0;
        c.name = r.cstr();
        c.type_oid = r.u32();
        r.u32();  // typmod
      }
      rel.prepare();
      rel.keyFromIdentity();
      Relation& stored = relations_[id] = std::move(rel);
      events_.onRelation(stored);
      return;
    }
    case 'I': {
      const Relation& rel = needRelation(r.u32(), type);
      if (r.u8() != 'N') {
        r.fail();
      }
      r.tuple(new_tuple_);
      events_.onChange('c', rel, nullptr, 0, &new_tuple_, lsn);
      return;
    }
    case 'U': {
      const Relation& rel = needRelation(r.u32(), type);
      char kind = static_cast<char>(r.u8());
      char old_kind = 0;
      if (kind == 'K' || kind == 'O') {
        old_kind = kind;
        r.tuple(old_tuple_);
        kind = static_cast<char>(r.u8());
      }
      if (kind != 'N') {
        r.fail();
      }
      r.tuple(new_tuple_);
      events_.onChange('u', rel, old_kind != 0 ? &old_tuple_ : nullptr, old_kind, &new_tuple_, lsn);
      return;
    }
    case 'D': {
      const Relation& rel = needRelation(r.u32(), type);
      char kind = static_cast<char>(r.u8());
      if (kind != 'K' && kind != 'O') {
        r.fail();
      }
      r.tuple(old_tuple_);
      events_.onChange('d', rel, &old_tuple_, kind, nullptr, lsn);
      return;
    }
    case 'T': {
      uint32_t n = r.u32();
      r.u8();  // options: CASCADE, RESTART IDENTITY
      std::vector<const Relation*> rels;
      for (uint32_t i = 0; i < n; ++i) {
        rels.push_back(&needRelation(r.u32(), type));
      }
      events_.onTruncate(rels, lsn);
      return;
    }
    case 'S': {
      stream_xid_ = r.u32();
      in_stream_ = true;
      return;
    }
    case 'E':
      in_stream_ = false;
      return;
    case 'c': {
      uint32_t xid = r.u32();
      r.u8();
      Lsn commit_lsn = r.u64();
      Lsn end_lsn = r.u64();
      int64_t ts = r.i64();
      events_.onStreamCommit(xid, commit_lsn, end_lsn, ts);
      return;
    }
    case 'A': {
      uint32_t xid = r.u32();
      uint32_t subxid = r.u32();
      events_.onStreamAbort(xid, subxid);
      return;
    }
    case 'O':  // origin of a replicated transaction
    case 'Y':  // a non-built-in type; values arrive as text anyway
    case 'M':  // logical decoding message, not requested
      return;
    default:
      throw sdk::Error(SH_ERR_INTERNAL, std::string("unknown pgoutput message type '") + type + "'");
  }
}

}  // namespace streamhost::pgcdc
