#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamhost::pgcdc {

/// Type OIDs the codec maps specially (pg_type.dat).
namespace oid {
inline constexpr uint32_t kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20, kInt2 = 21, kInt4 = 23,
                          kText = 25, kOid = 26, kJson = 114, kFloat4 = 700, kFloat8 = 701, kBpchar = 1042,
                          kVarchar = 1043, kDate = 1082, kTime = 1083, kTimestamp = 1114, kTimestamptz = 1184,
                          kInterval = 1186, kTimetz = 1266, kNumeric = 1700, kUuid = 2950, kJsonb = 3802;
}  // namespace oid

/// Appends `s` as a JSON string literal (quotes included). The input is UTF-8.
void appendJsonString(std::string& out, std::string_view s);

/// Appends the JSON form of a value in PostgreSQL's text output format
/// (TimeZone=UTC, DateStyle=ISO, bytea_output=hex) of type `type_oid`.
/// Unknown types become JSON strings of their text form.
void appendPgValue(std::string& out, uint32_t type_oid, std::string_view text);

/// The element type of a built-in array type, 0 when `type_oid` is not one.
uint32_t arrayElementType(uint32_t type_oid);

/// Standard base64 with padding.
void appendBase64(std::string& out, std::string_view bytes);

}  // namespace streamhost::pgcdc
