#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamhost::mycdc {

/// Binlog event type codes (MySQL's and MariaDB's).
namespace ev {
inline constexpr uint8_t kQuery = 2, kStop = 3, kRotate = 4, kIntvar = 5, kRand = 13, kUserVar = 14,
                         kFormatDescription = 15, kXid = 16, kTableMap = 19, kWriteRowsV1 = 23, kUpdateRowsV1 = 24,
                         kDeleteRowsV1 = 25, kIncident = 26, kHeartbeat = 27, kIgnorable = 28, kRowsQuery = 29,
                         kWriteRows = 30, kUpdateRows = 31, kDeleteRows = 32, kMysqlGtid = 33, kAnonymousGtid = 34,
                         kPreviousGtids = 35, kTransactionContext = 36, kViewChange = 37, kXaPrepare = 38,
                         kPartialUpdateRows = 39, kTransactionPayload = 40, kHeartbeatV2 = 41, kAnnotateRows = 160,
                         kBinlogCheckpoint = 161, kMariaGtid = 162, kGtidList = 163, kStartEncryption = 164,
                         kQueryCompressed = 165;
}  // namespace ev

/// "Write_rows_v1 (23)" and the like, for messages.
std::string eventTypeName(uint8_t type);

/// The common 19-byte header.
struct EventHeader {
  uint32_t timestamp = 0;
  uint8_t type = 0;
  uint32_t server_id = 0;
  uint32_t size = 0;
  uint32_t next_pos = 0;  ///< end of this event in its file; 0 for artificial events
  uint16_t flags = 0;
};
inline constexpr size_t kHeaderSize = 19;
inline constexpr uint16_t kArtificialFlag = 0x20;

/// One event as received: header and body (checksum removed).
struct Event {
  EventHeader header;
  std::string_view body;  ///< bytes after the header, without the CRC32 trailer
};

/// Parses the header and checks the checksum. `raw` is the whole event.
/// Throws sdk::Error (SH_ERR_FATAL) naming type and position when the event is
/// shorter than its header says or its CRC32 does not match.
Event parseEvent(std::string_view raw, bool checksummed, std::string_view file);

/// What a Format Description event says.
struct FormatDescription {
  uint16_t binlog_version = 4;
  std::string server_version;
  uint8_t header_length = 19;
  std::vector<uint8_t> post_header;  ///< per event type, index type-1
  bool checksum = false;             ///< the events after it carry CRC32
};
/// `raw` is the whole FDE: its checksum algorithm byte decides whether it has a CRC.
FormatDescription parseFormatDescription(std::string_view raw);

struct Rotate {
  uint64_t position = 4;
  std::string file;
};
Rotate parseRotate(std::string_view body);

struct Gtid {
  std::string text;     ///< "domain-server-seq" (MariaDB) or "uuid:gno" (MySQL)
  bool standalone = false;  ///< MariaDB: no BEGIN/COMMIT follows (DDL)
};
Gtid parseMariaGtid(std::string_view body, uint32_t server_id);
Gtid parseMysqlGtid(std::string_view body);

struct Query {
  std::string_view db;
  std::string_view sql;
};
Query parseQuery(std::string_view body);

/// Table Map: the row layout of one table for the Rows events that follow.
struct TableMap {
  uint64_t table_id = 0;
  std::string db;
  std::string table;
  std::vector<uint8_t> types;
  std::vector<uint16_t> meta;  ///< per column, as the type defines it
  std::vector<bool> nullable;
  // Optional metadata (binlog_row_metadata=FULL or MINIMAL).
  std::vector<bool> is_unsigned;  ///< per numeric column, when sent (empty otherwise)
  bool has_signedness = false;
  std::vector<uint32_t> collations;  ///< per column (0: not a character column)
  bool has_collations = false;
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> enum_values;  ///< per ENUM column in column order
  std::vector<std::vector<std::string>> set_values;
  std::vector<uint32_t> primary_key;
  bool has_primary_key = false;
};
TableMap parseTableMap(std::string_view body, uint8_t post_header_len);

/// Rows events (v1 and v2): the part before the row images.
struct RowsHeader {
  uint64_t table_id = 0;
  uint16_t flags = 0;
  uint64_t column_count = 0;
  std::vector<bool> present;        ///< columns in the before image (or the only image)
  std::vector<bool> present_after;  ///< update: columns in the after image
  std::string_view rows;            ///< the row images
};
RowsHeader parseRowsHeader(std::string_view body, uint8_t type, uint8_t post_header_len);

/// Whether `type` is a Write/Update/Delete Rows event of either version.
bool isRowsEvent(uint8_t type);
/// 'c', 'u' or 'd' for a rows event type.
char rowsOp(uint8_t type);

}  // namespace streamhost::mycdc
