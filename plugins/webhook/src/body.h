#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"

namespace streamhost::plugins::webhook {

/// Records one request may carry unless the config says otherwise.
inline constexpr size_t kDefaultMaxRecords = 10000;

/// One record a body yields: its JSON text and its event id, when asked for.
struct BodyRecord {
  std::string value;
  std::optional<std::string> event_id;
};

/// Why a body was refused: 400 malformed or 415 unsupported type.
struct BodyError {
  int status = 400;
  std::string message;
};

/// Splits a request body into records by content type: a JSON object (one),
/// a JSON array of objects (one per element), NDJSON (one per non-empty
/// line), or form-urlencoded (one object of strings). All or nothing: any bad
/// part refuses the whole body.
/// @param event_pointer JSON pointer to each record's event id; empty: none.
/// @param max_records a body with more records is refused (413) as soon as
///   the parser meets record max_records + 1, before it builds the rest.
/// @returns the records, or the error in `error`.
std::optional<std::vector<BodyRecord>> parseBody(std::string_view content_type, std::string_view body,
                                                 std::string_view event_pointer, BodyError& error,
                                                 size_t max_records = kDefaultMaxRecords);

/// Decodes application/x-www-form-urlencoded into a JSON object; a repeated name becomes an array.
std::optional<std::string> formToJson(std::string_view body);

}  // namespace streamhost::plugins::webhook
