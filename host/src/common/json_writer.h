#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamhost {

/// Appends JSON text to one buffer, placing commas and colons itself. It
/// checks no nesting: callers pair begin/end and put a key before each value
/// in an object. Strings are written as UTF-8 with `"`, `\` and control
/// characters escaped (the latter as \u00XX); other bytes pass through.
class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  /// An object member's name; the next call writes its value.
  JsonWriter& key(std::string_view name);
  JsonWriter& string(std::string_view value);
  JsonWriter& number(int64_t value);
  JsonWriter& number(uint64_t value);
  /// Shortest text that reads back as the same double; NaN and infinities,
  /// which JSON cannot carry, are written as null.
  JsonWriter& number(double value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();
  /// Inserts `json` verbatim as one value; it must already be valid JSON.
  JsonWriter& raw(std::string_view json);

  void reserve(size_t bytes) { out_.reserve(bytes); }
  const std::string& str() const { return out_; }
  /// Hands over the text, leaving the writer empty.
  std::string take();

 private:
  void beforeValue();
  void appendEscaped(std::string_view s);

  std::string out_;
  bool need_comma_ = false;
};

/// `s` as one JSON string literal, quotes included (JsonWriter's escaping).
std::string jsonQuoted(std::string_view s);

/// Whether `json`, which already passed checkJsonSyntax, can be inserted
/// verbatim where it used to go through Poco's parser: an object or array
/// whose strings are well-formed UTF-8 with paired surrogate escapes and whose
/// numbers fit 64-bit integers or finite doubles.
bool isPortableJsonContainer(std::string_view json);
/// The same check for any JSON value, scalars included (a string, a number).
bool isPortableJsonValue(std::string_view json);

}  // namespace streamhost
