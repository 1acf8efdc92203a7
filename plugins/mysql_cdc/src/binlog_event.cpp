#include "binlog_event.h"

#include <streamhost/plugin_sdk.hpp>

#include <array>

#include <zlib.h>

#include "byte_reader.h"

namespace streamhost::mycdc {
namespace {

constexpr uint8_t kTypeString = 254, kTypeEnum = 247, kTypeSet = 248;

std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    t[i] = c;
  }
  return t;
}

std::vector<bool> bitmap(ByteReader& r, uint64_t bits, const char* what) {
  const uint8_t* b = r.take((bits + 7) / 8, what);
  std::vector<bool> out(bits);
  for (uint64_t i = 0; i < bits; ++i) {
    out[i] = (b[i / 8] >> (i % 8)) & 1;
  }
  return out;
}

/// Column type-specific metadata, in the units the value decoder expects.
uint16_t columnMeta(ByteReader& r, uint8_t type) {
  switch (type) {
    case 4: case 5: case 252: case 255: case 245: case 17: case 18: case 19:  // float double blob geometry json t2 dt2 time2
      return r.u8("column metadata");
    case 15: case 253: case 16:  // varchar var_string bit: little-endian pair
      return r.u16("column metadata");
    case 246: {  // newdecimal: precision, scale
      uint8_t precision = r.u8("column metadata");
      uint8_t scale = r.u8("column metadata");
      return static_cast<uint16_t>(precision | (scale << 8));
    }
    case kTypeString: case kTypeEnum: case kTypeSet: {  // real type, then length
      uint8_t b0 = r.u8("column metadata");
      uint8_t b1 = r.u8("column metadata");
      return static_cast<uint16_t>((b0 << 8) | b1);
    }
    default:
      return 0;
  }
}

uint8_t realType(uint8_t type, uint16_t meta) {
  if (type == kTypeString && meta >= 256) {
    uint8_t b0 = static_cast<uint8_t>(meta >> 8);
    return (b0 & 0x30) != 0x30 ? static_cast<uint8_t>(b0 | 0x30) : b0;
  }
  return type;
}

bool isNumeric(uint8_t t) {
  switch (t) {
    case 1: case 2: case 3: case 8: case 9: case 4: case 5: case 246: case 0: case 13:  // YEAR too, as MariaDB counts it
      return true;
    default:
      return false;
  }
}

bool isCharacter(uint8_t real) {
  switch (real) {
    case kTypeString: case 15: case 253: case 249: case 250: case 251: case 252: case 255:  // geometry counted too
      return true;
    default:
      return false;
  }
}

std::vector<std::string> stringList(ByteReader& r) {
  std::vector<std::string> out;
  uint64_t n = r.packed("enum/set values");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len = r.packed("enum/set values");
    out.emplace_back(r.bytes(len, "enum/set values"));
  }
  return out;
}

void readCharsets(ByteReader& r, bool per_column, const std::vector<size_t>& columns, std::vector<uint32_t>& out) {
  if (per_column) {
    for (size_t c : columns) {
      if (r.empty()) {
        break;
      }
      out[c] = static_cast<uint32_t>(r.packed("column charsets"));
    }
    return;
  }
  uint32_t def = static_cast<uint32_t>(r.packed("default charset"));
  for (size_t c : columns) {
    out[c] = def;
  }
  while (!r.empty()) {
    uint64_t idx = r.packed("charset index");
    uint32_t coll = static_cast<uint32_t>(r.packed("charset"));
    if (idx < columns.size()) {
      out[columns[idx]] = coll;
    }
  }
}

void optionalMetadata(ByteReader& r, TableMap& t) {
  const size_t n = t.types.size();
  std::vector<uint8_t> real(n);
  std::vector<size_t> numeric, character, enum_set, enums, sets;
  for (size_t i = 0; i < n; ++i) {
    real[i] = realType(t.types[i], t.meta[i]);
    if (isNumeric(real[i])) numeric.push_back(i);
    if (isCharacter(real[i])) character.push_back(i);
    if (real[i] == kTypeEnum || real[i] == kTypeSet) enum_set.push_back(i);
    if (real[i] == kTypeEnum) enums.push_back(i);
    if (real[i] == kTypeSet) sets.push_back(i);
  }
  t.collations.assign(n, 0);
  t.is_unsigned.assign(n, false);
  while (!r.empty()) {
    uint8_t type = r.u8("optional metadata");
    uint64_t len = r.packed("optional metadata");
    ByteReader f(r.bytes(len, "optional metadata"));
    switch (type) {
      case 1: {  // signedness: one bit per numeric column, most significant first
        std::string_view bits = f.bytes(len, "signedness");
        for (size_t k = 0; k < numeric.size() && k / 8 < bits.size(); ++k) {
          t.is_unsigned[numeric[k]] = (static_cast<uint8_t>(bits[k / 8]) >> (7 - k % 8)) & 1;
        }
        t.has_signedness = true;
        break;
      }
      case 2: case 3:
        readCharsets(f, type == 3, character, t.collations);
        t.has_collations = true;
        break;
      case 10: case 11:
        readCharsets(f, type == 11, enum_set, t.collations);
        break;
      case 4:
        while (!f.empty() && t.names.size() < n) {
          uint64_t l = f.packed("column name");
          t.names.emplace_back(f.bytes(l, "column name"));
        }
        break;
      case 5:
        for (size_t k = 0; k < sets.size() && !f.empty(); ++k) t.set_values.push_back(stringList(f));
        break;
      case 6:
        for (size_t k = 0; k < enums.size() && !f.empty(); ++k) t.enum_values.push_back(stringList(f));
        break;
      case 8:
        while (!f.empty()) t.primary_key.push_back(static_cast<uint32_t>(f.packed("primary key")));
        t.has_primary_key = true;
        break;
      case 9:
        while (!f.empty()) {
          t.primary_key.push_back(static_cast<uint32_t>(f.packed("primary key")));
          f.packed("primary key prefix");
        }
        t.has_primary_key = true;
        break;
      default:  // geometry type, visibility: not needed to decode
        break;
    }
  }
  if (t.names.size() != n) {
    t.names.clear();
  }
}

}  // namespace

uint32_t crc32Ieee(std::string_view data) {
  // zlib's is several times faster than a byte-wise table; the table stays as its check.
  return static_cast<uint32_t>(::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

uint32_t crc32Bytewise(std::string_view data) {
  static const std::array<uint32_t, 256> kTable = makeCrcTable();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char ch : data) {
    c = kTable[(c ^ ch) & 0xFF] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

std::string eventTypeName(uint8_t type) {
  const char* name = "Unknown";
  switch (type) {
    case ev::kQuery: name = "Query"; break;
    case ev::kStop: name = "Stop"; break;
    case ev::kRotate: name = "Rotate"; break;
    case ev::kIntvar: name = "Intvar"; break;
    case ev::kRand: name = "Rand"; break;
    case ev::kUserVar: name = "User_var"; break;
    case ev::kFormatDescription: name = "Format_desc"; break;
    case ev::kXid: name = "Xid"; break;
    case ev::kTableMap: name = "Table_map"; break;
    case ev::kWriteRowsV1: name = "Write_rows_v1"; break;
    case ev::kUpdateRowsV1: name = "Update_rows_v1"; break;
    case ev::kDeleteRowsV1: name = "Delete_rows_v1"; break;
    case ev::kIncident: name = "Incident"; break;
    case ev::kHeartbeat: name = "Heartbeat"; break;
    case ev::kRowsQuery: name = "Rows_query"; break;
    case ev::kWriteRows: name = "Write_rows"; break;
    case ev::kUpdateRows: name = "Update_rows"; break;
    case ev::kDeleteRows: name = "Delete_rows"; break;
    case ev::kMysqlGtid: name = "Gtid"; break;
    case ev::kAnonymousGtid: name = "Anonymous_Gtid"; break;
    case ev::kPreviousGtids: name = "Previous_gtids"; break;
    case ev::kXaPrepare: name = "XA_prepare"; break;
    case ev::kPartialUpdateRows: name = "Partial_update_rows"; break;
    case ev::kTransactionPayload: name = "Transaction_payload"; break;
    case ev::kAnnotateRows: name = "Annotate_rows"; break;
    case ev::kBinlogCheckpoint: name = "Binlog_checkpoint"; break;
    case ev::kMariaGtid: name = "Gtid"; break;
    case ev::kGtidList: name = "Gtid_list"; break;
    case ev::kStartEncryption: name = "Start_encryption"; break;
    case ev::kQueryCompressed: name = "Query_compressed"; break;
    default: break;
  }
  return std::string(name) + " (" + std::to_string(type) + ")";
}

Event parseEvent(std::string_view raw, bool checksummed, std::string_view file) {
  auto where = [&](const EventHeader& h) {
    return std::string(file) + ":" + std::to_string(h.next_pos >= h.size ? h.next_pos - h.size : h.next_pos);
  };
  if (raw.size() < kHeaderSize) {
    throw sdk::Error(SH_ERR_FATAL, "a binlog event of " + std::to_string(raw.size()) + " bytes in " +
                                       std::string(file) + " is shorter than an event header");
  }
  ByteReader r(raw);
  Event e;
  e.header.timestamp = r.u32("header");
  e.header.type = r.u8("header");
  e.header.server_id = r.u32("header");
  e.header.size = r.u32("header");
  e.header.next_pos = r.u32("header");
  e.header.flags = r.u16("header");
  if (e.header.size != raw.size()) {
    throw sdk::Error(SH_ERR_FATAL, "binlog event " + eventTypeName(e.header.type) + " at " + where(e.header) +
                                       " says it has " + std::to_string(e.header.size) + " bytes but " +
                                       std::to_string(raw.size()) + " arrived");
  }
  size_t body_end = raw.size();
  // The Format Description event says itself whether it carries a checksum.
  bool crc = e.header.type == ev::kFormatDescription ? parseFormatDescription(raw).checksum : checksummed;
  if (crc) {
    if (raw.size() < kHeaderSize + 4) {
      throw sdk::Error(SH_ERR_FATAL, "binlog event " + eventTypeName(e.header.type) + " at " + where(e.header) +
                                         " is too short for its checksum");
    }
    body_end -= 4;
    uint32_t want = static_cast<uint32_t>(leInt(reinterpret_cast<const uint8_t*>(raw.data()) + body_end, 4));
    uint32_t got = crc32Ieee(raw.substr(0, body_end));
    if (want != got) {
      throw sdk::Error(SH_ERR_FATAL, "binlog event " + eventTypeName(e.header.type) + " at " + where(e.header) +
                                         " fails its CRC32 check; the stream stops rather than deliver a corrupt change");
    }
  }
  e.body = raw.substr(kHeaderSize, body_end - kHeaderSize);
  return e;
}

FormatDescription parseFormatDescription(std::string_view raw) {
  FormatDescription fd;
  ByteReader r(raw.substr(kHeaderSize));
  fd.binlog_version = r.u16("format description");
  std::string_view ver = r.bytes(50, "format description");
  fd.server_version = std::string(ver.substr(0, ver.find('\0')));
  r.skip(4, "format description");
  fd.header_length = r.u8("format description");
  // The rest: post-header lengths, then (5.6.1+) the checksum algorithm and the CRC32 slot.
  size_t rest = r.remaining();
  if (rest < 5) {
    throw Truncated{"format description"};
  }
  std::string_view tail = r.bytes(rest, "format description");
  uint8_t alg = static_cast<uint8_t>(tail[rest - 5]);
  fd.checksum = alg == 1;
  fd.post_header.assign(tail.begin(), tail.end() - 5);
  return fd;
}

Rotate parseRotate(std::string_view body) {
  ByteReader r(body);
  Rotate out;
  out.position = r.le(8, "rotate");
  out.file = std::string(r.bytes(r.remaining(), "rotate"));
  return out;
}

Gtid parseMariaGtid(std::string_view body, uint32_t server_id) {
  ByteReader r(body);
  uint64_t seq = r.le(8, "gtid");
  uint32_t domain = r.u32("gtid");
  uint8_t flags = r.u8("gtid");
  Gtid g;
  g.text = std::to_string(domain) + "-" + std::to_string(server_id) + "-" + std::to_string(seq);
  g.standalone = (flags & 0x01) != 0;
  return g;
}

Gtid parseMysqlGtid(std::string_view body) {
  ByteReader r(body);
  r.u8("gtid");
  const uint8_t* sid = r.take(16, "gtid");
  uint64_t gno = r.le(8, "gtid");
  static const char* kHex = "0123456789abcdef";
  Gtid g;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      g.text += '-';
    }
    g.text += kHex[sid[i] >> 4];
    g.text += kHex[sid[i] & 15];
  }
  g.text += ":" + std::to_string(gno);
  return g;
}

Query parseQuery(std::string_view body) {
  ByteReader r(body);
  r.skip(8, "query");
  uint8_t db_len = r.u8("query");
  r.skip(2, "query");
  uint16_t status_len = r.u16("query");
  r.skip(status_len, "query status");
  Query q;
  q.db = r.bytes(db_len, "query database");
  r.skip(1, "query database");
  q.sql = r.bytes(r.remaining(), "query");
  return q;
}

TableMap parseTableMap(std::string_view body, uint8_t post_header_len) {
  ByteReader r(body);
  TableMap t;
  t.table_id = r.le(post_header_len == 6 ? 4 : 6, "table id");
  r.skip(2, "table map flags");
  uint8_t db_len = r.u8("database name");
  t.db = std::string(r.bytes(db_len, "database name"));
  r.skip(1, "database name");
  uint8_t tbl_len = r.u8("table name");
  t.table = std::string(r.bytes(tbl_len, "table name"));
  r.skip(1, "table name");
  uint64_t n = r.packed("column count");
  std::string_view types = r.bytes(n, "column types");
  t.types.assign(types.begin(), types.end());
  uint64_t meta_len = r.packed("metadata length");
  ByteReader m(r.bytes(meta_len, "column metadata"));
  t.meta.reserve(n);
  for (uint8_t type : t.types) {
    t.meta.push_back(columnMeta(m, type));
  }
  t.nullable = bitmap(r, n, "null bitmap");
  optionalMetadata(r, t);
  return t;
}

RowsHeader parseRowsHeader(std::string_view body, uint8_t type, uint8_t post_header_len) {
  ByteReader r(body);
  RowsHeader h;
  h.table_id = r.le(post_header_len == 6 ? 4 : 6, "table id");
  h.flags = r.u16("rows flags");
  if (type == ev::kWriteRows || type == ev::kUpdateRows || type == ev::kDeleteRows) {
    uint16_t extra = r.u16("rows extra data");
    if (extra < 2) {
      throw Truncated{"rows extra data"};
    }
    r.skip(extra - 2, "rows extra data");
  }
  h.column_count = r.packed("column count");
  h.present = bitmap(r, h.column_count, "columns present");
  if (type == ev::kUpdateRowsV1 || type == ev::kUpdateRows) {
    h.present_after = bitmap(r, h.column_count, "columns present after");
  }
  h.rows = r.bytes(r.remaining(), "rows");
  return h;
}

bool isRowsEvent(uint8_t type) {
  return (type >= ev::kWriteRowsV1 && type <= ev::kDeleteRowsV1) || (type >= ev::kWriteRows && type <= ev::kDeleteRows);
}

char rowsOp(uint8_t type) {
  switch (type) {
    case ev::kWriteRowsV1: case ev::kWriteRows: return 'c';
    case ev::kUpdateRowsV1: case ev::kUpdateRows: return 'u';
    default: return 'd';
  }
}

}  // namespace streamhost::mycdc
