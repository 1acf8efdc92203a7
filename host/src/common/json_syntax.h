#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace streamhost {

/// Where a JSON text first goes wrong.
struct JsonSyntaxError {
  size_t offset = 0;  ///< byte offset, 0-based
  size_t line = 1;
  size_t column = 1;  ///< 1-based, in bytes
  std::string message;
  std::string describe() const;  ///< "unexpected '}' at line 1, column 11 (byte 10)"
};

/// Checks that `text` is exactly one JSON value (RFC 8259) with at most
/// `max_depth` nesting levels. Poco's parser reports no positions, so this
/// runs first to give clients one.
std::optional<JsonSyntaxError> checkJsonSyntax(std::string_view text, int max_depth = 64);

}  // namespace streamhost
