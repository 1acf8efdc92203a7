#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "binlog_event.h"
#include "text_converter.h"

namespace streamhost::mycdc {

/// How a column's bytes become JSON.
enum class ValueKind {
  kInteger, kDecimal, kFloat, kDouble, kYear, kBit, kDate, kTime, kDatetime, kTimestamp,
  kText, kBinary, kJson, kEnum, kSet, kGeometry, kMysqlJson, kNull
};

/// One column of a table as a rows event must be decoded.
struct ColumnInfo {
  std::string name;
  std::string json_key;  ///< "\"name\":"
  uint8_t type = 0;       ///< the table map's type code
  uint8_t real_type = 0;  ///< for STRING: CHAR, ENUM or SET
  uint16_t meta = 0;
  ValueKind kind = ValueKind::kText;
  bool is_unsigned = false;
  bool key = false;
  uint32_t fixed_length = 0;  ///< BINARY(n): values are padded back to n bytes
  const TextConverter* text = nullptr;  ///< kText, kEnum, kSet
  std::vector<std::string> labels;      ///< ENUM and SET names, in order
};

/// A column as information_schema describes it.
struct CatalogColumn {
  std::string name;
  std::string data_type;    ///< lower case, e.g. "int"
  std::string column_type;  ///< e.g. "int(10) unsigned", "enum('a','b')"
  std::string charset;      ///< empty for non-character columns
  bool primary = false;
  bool json = false;        ///< a json_valid() check marks MariaDB's JSON
};

/// A table's layout for decoding, built from a Table Map event and, where the
/// event lacks names, signedness, charsets or labels, from the catalogue.
struct TableSchema {
  std::string db;
  std::string table;
  std::vector<ColumnInfo> columns;
  bool has_key = false;
  std::string source_tail;  ///< ",\"db\":…,\"table\":…"
};

/// Resolves collation ids to converters.
class CharsetResolver {
 public:
  virtual ~CharsetResolver() = default;
  /// The charset name of a collation id ("" when unknown).
  virtual std::string charsetOf(uint32_t collation) = 0;
  /// A converter from `charset` to UTF-8, owned by the resolver.
  virtual const TextConverter* converter(const std::string& charset) = 0;
};

/// Builds the schema; throws sdk::Error(SH_ERR_FATAL) with what to fix when
/// the event and the catalogue disagree so rows cannot be decoded safely.
TableSchema buildSchema(const TableMap& map, const std::vector<CatalogColumn>& catalog, CharsetResolver& charsets);

/// ENUM/SET labels from a column type such as "enum('a','it''s')".
std::vector<std::string> parseLabels(std::string_view column_type);

}  // namespace streamhost::mycdc
