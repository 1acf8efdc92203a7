#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamhost::plugins::webhook {

/// A parsed JSON value that keeps its exact source text (`raw`), so a record
/// stores what the sender sent.
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string_view raw;  ///< points into the parsed text
  std::string text;      ///< decoded string (kString)
  bool boolean = false;
  std::vector<JsonValue> items;                            ///< kArray
  std::vector<std::pair<std::string, JsonValue>> members;  ///< kObject, in order

  bool isObject() const { return kind == Kind::kObject; }
  bool isArray() const { return kind == Kind::kArray; }
  bool isString() const { return kind == Kind::kString; }
  /// First member named `key`, or nullptr.
  const JsonValue* find(std::string_view key) const;
};

/// Parses one complete JSON text (RFC 8259, nesting at most 64 deep).
/// @param error receives "offset N: reason" on failure.
std::optional<JsonValue> parseJson(std::string_view text, std::string* error = nullptr);

/// RFC 6901 JSON pointer ("" is the whole value); nullptr when it names nothing.
const JsonValue* resolvePointer(const JsonValue& root, std::string_view pointer);

/// Whether `pointer` is a syntactically valid JSON pointer.
bool isValidPointer(std::string_view pointer);

}  // namespace streamhost::plugins::webhook
