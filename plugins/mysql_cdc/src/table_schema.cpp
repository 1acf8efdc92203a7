#include "table_schema.h"

#include <streamhost/plugin_sdk.hpp>

#include <algorithm>

namespace streamhost::mycdc {
namespace {

constexpr uint8_t kString = 254, kEnum = 247, kSet = 248;

uint8_t realTypeOf(uint8_t type, uint16_t meta) {
  if (type == kString && meta >= 256) {
    uint8_t b0 = static_cast<uint8_t>(meta >> 8);
    return (b0 & 0x30) != 0x30 ? static_cast<uint8_t>(b0 | 0x30) : b0;
  }
  return type;
}

ValueKind kindOf(uint8_t real) {
  switch (real) {
    case 1: case 2: case 3: case 8: case 9: return ValueKind::kInteger;
    case 0: case 246: return ValueKind::kDecimal;
    case 4: return ValueKind::kFloat;
    case 5: return ValueKind::kDouble;
    case 13: return ValueKind::kYear;
    case 16: return ValueKind::kBit;
    case 10: case 14: return ValueKind::kDate;
    case 11: case 19: return ValueKind::kTime;
    case 12: case 18: return ValueKind::kDatetime;
    case 7: case 17: return ValueKind::kTimestamp;
    case kEnum: return ValueKind::kEnum;
    case kSet: return ValueKind::kSet;
    case 255: return ValueKind::kGeometry;
    case 245: return ValueKind::kMysqlJson;
    case 6: return ValueKind::kNull;
    default: return ValueKind::kText;  // CHAR, VARCHAR, TEXT/BLOB: by charset below
  }
}

const CatalogColumn* byName(const std::vector<CatalogColumn>& catalog, std::string_view name) {
  for (const auto& c : catalog) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

std::string where(const TableMap& map) { return map.db + "." + map.table; }

}  // namespace

std::vector<std::string> parseLabels(std::string_view column_type) {
  std::vector<std::string> out;
  size_t i = column_type.find('(');
  if (i == std::string_view::npos) {
    return out;
  }
  ++i;
  while (i < column_type.size() && column_type[i] == '\'') {
    std::string label;
    ++i;
    while (i < column_type.size()) {
      if (column_type[i] == '\'' && i + 1 < column_type.size() && column_type[i + 1] == '\'') {
        label += '\'';
        i += 2;
      } else if (column_type[i] == '\'') {
        ++i;
        break;
      } else if (column_type[i] == '\\' && i + 1 < column_type.size()) {
        label += column_type[i + 1];
        i += 2;
      } else {
        label += column_type[i++];
      }
    }
    out.push_back(std::move(label));
    if (i < column_type.size() && column_type[i] == ',') {
      ++i;
    }
  }
  return out;
}

TableSchema buildSchema(const TableMap& map, const std::vector<CatalogColumn>& catalog, CharsetResolver& charsets) {
  const size_t n = map.types.size();
  const bool names_from_event = map.names.size() == n;
  if (!names_from_event && catalog.size() != n) {
    throw sdk::Error(SH_ERR_FATAL,
                     "table " + where(map) + " has " + std::to_string(n) + " columns in the binlog but " +
                         std::to_string(catalog.size()) +
                         " in the catalogue now (its definition changed since); set binlog_row_metadata=FULL on "
                         "the server so the binlog carries the column names, and resnapshot the stream");
  }
  TableSchema s;
  s.db = map.db;
  s.table = map.table;
  s.columns.resize(n);
  size_t enum_i = 0, set_i = 0;
  for (size_t i = 0; i < n; ++i) {
    ColumnInfo& c = s.columns[i];
    c.type = map.types[i];
    c.meta = map.meta[i];
    c.real_type = realTypeOf(c.type, c.meta);
    c.kind = kindOf(c.real_type);
    c.name = names_from_event ? map.names[i] : catalog[i].name;
    const CatalogColumn* cat = names_from_event ? byName(catalog, c.name) : &catalog[i];
    c.json_key = sdk::jsonQuote(c.name) + ":";
    if (map.has_signedness) {
      c.is_unsigned = map.is_unsigned[i];
    } else if (cat != nullptr) {
      c.is_unsigned = cat->column_type.find("unsigned") != std::string::npos;
    }
    c.key = map.has_primary_key ? std::find(map.primary_key.begin(), map.primary_key.end(), i) != map.primary_key.end()
                                : cat != nullptr && cat->primary;
    s.has_key = s.has_key || c.key;
    std::string charset;
    if (map.has_collations && map.collations[i] != 0) {
      charset = charsets.charsetOf(map.collations[i]);
    }
    if (charset.empty() && cat != nullptr) {
      charset = cat->charset;
    }
    if (c.kind == ValueKind::kEnum || c.kind == ValueKind::kSet) {
      const auto& from_event = c.kind == ValueKind::kEnum ? map.enum_values : map.set_values;
      size_t& k = c.kind == ValueKind::kEnum ? enum_i : set_i;
      if (k < from_event.size()) {
        c.labels = from_event[k];
      } else if (cat != nullptr) {
        c.labels = parseLabels(cat->column_type);
      }
      ++k;
      c.text = charsets.converter(charset.empty() ? "utf8mb4" : charset);
      continue;
    }
    if (c.kind != ValueKind::kText) {
      continue;
    }
    if (cat != nullptr && cat->json) {
      c.kind = ValueKind::kJson;
      continue;
    }
    if (charset.empty() && cat == nullptr) {
      throw sdk::Error(SH_ERR_FATAL, "column " + c.name + " of " + where(map) +
                                         " has no character set in the binlog or the catalogue; set "
                                         "binlog_row_metadata=FULL on the server");
    }
    // A BLOB type without a character set in the catalogue is binary.
    if (charset == "binary" || (charset.empty() && cat != nullptr && cat->charset.empty())) {
      c.kind = ValueKind::kBinary;
      if (c.real_type == kString) {
        c.fixed_length = c.meta & 0xFF;
        uint8_t b0 = static_cast<uint8_t>(c.meta >> 8);
        c.fixed_length |= static_cast<uint32_t>(((b0 & 0x30) ^ 0x30) << 4);
      }
      continue;
    }
    c.text = charsets.converter(charset);
  }
  s.source_tail = ",\"db\":" + sdk::jsonQuote(s.db) + ",\"table\":" + sdk::jsonQuote(s.table);
  return s;
}

}  // namespace streamhost::mycdc
