#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "byte_reader.h"
#include "table_schema.h"

namespace streamhost::mycdc {

/// Where a change came from, for the record's "source" block.
struct SourceInfo {
  std::string_view file;
  uint64_t pos = 0;
  std::string_view gtid;
  uint32_t server_id = 0;
  int64_t ts_ms = 0;
  bool snapshot = false;
};

/// One decoded row image: the JSON object and where each column's value sits in it.
struct RowImage {
  std::string json;
  std::vector<std::pair<uint32_t, uint32_t>> spans;  ///< per column: [begin, end) in json; {0,0} absent
  void clear() {
    json.clear();
    spans.clear();
  }
};

/// Reads one row image of a rows event: the null bitmap over the present
/// columns, then each present non-NULL value.
void decodeImage(ByteReader& r, const TableSchema& schema, const std::vector<bool>& present, RowImage& out);

/// Writes a change's key (primary-key columns as a JSON object, empty when
/// the table has none) and value (the envelope) into reused buffers.
void encodeChange(char op, const TableSchema& schema, const RowImage* before, const RowImage* after,
                  const SourceInfo& source, int64_t now_ms, std::string& key, std::string& value);

}  // namespace streamhost::mycdc
