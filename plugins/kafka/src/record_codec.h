#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace streamhost::kafka {

/// How the bytes of a Kafka key or value become a record's key or value.
enum class Format { kJson, kString, kBytes };
std::optional<Format> parseFormat(std::string_view text);

/// A key or value as stored, or on a format error the raw bytes with the reason.
/// A value becomes JSON: the JSON as it came, a JSON string of the text, or a
/// JSON string of the base64. A key, which readers see as a string, is the
/// JSON text, the text itself, or the base64.
struct Encoded {
  std::string bytes;                 ///< when the form differs from the input
  bool as_is = false;                ///< the input itself is the stored form (no copy)
  std::optional<std::string> error;  ///< why the bytes are stored raw
  /// The stored form, given the input it was made from.
  std::string_view view(std::string_view raw) const { return as_is ? raw : std::string_view(bytes); }
};
enum class Part { kKey, kValue };
Encoded encode(Format format, std::string_view raw, Part part = Part::kValue);

std::string base64(std::string_view raw);

/// One partition of one topic.
struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

/// Next offset to read per partition: the resume position, shown to users as
/// `orders/0@12,orders/3@1235` (topic/partition@next offset, sorted).
using Positions = std::map<TopicPartition, int64_t>;

/// `topic/partition@offset`, the readable token of one record (its own offset).
std::string recordToken(const std::string& topic, int32_t partition, int64_t offset);
std::string formatPositions(const Positions& positions);
/// nullopt for text that is not a position list (an empty text is an empty list).
std::optional<Positions> parsePositions(std::string_view text);

}  // namespace streamhost::kafka
