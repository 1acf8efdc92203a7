#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "byte_reader.h"
#include "table_schema.h"

namespace streamhost::mycdc {

/// Reads one non-NULL value of `column` from a row image and appends its JSON.
/// Throws Truncated when the image ends early, and sdk::Error for a value the
/// type cannot hold.
void appendValue(std::string& out, const ColumnInfo& column, ByteReader& row);

/// DECIMAL's binary form (precision, scale) as its exact text, e.g. "-12.340".
std::string decodeDecimal(const uint8_t* bytes, int precision, int scale, size_t* consumed);
/// How many bytes a DECIMAL(precision, scale) takes.
size_t decimalSize(int precision, int scale);

/// Unix seconds (and microseconds, shown to `fsp` digits) as a JSON string in
/// RFC 3339 UTC with "Z"; 0 is MySQL's zero timestamp, kept as its text.
void appendTimestampSeconds(std::string& out, int64_t secs, int64_t micros, int fsp);

/// MySQL's binary JSON (type 245) as JSON text.
void appendMysqlJson(std::string& out, std::string_view bytes);

}  // namespace streamhost::mycdc
