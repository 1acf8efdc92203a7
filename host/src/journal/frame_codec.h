#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/record.h"
#include "journal/journal_types.h"

namespace streamhost::journal {

/// Frame: [payload length u32 LE][crc32c u32 LE over the length bytes and payload][payload].
inline constexpr size_t kFrameHeaderBytes = 8;
/// Larger lengths are treated as corruption.
inline constexpr uint32_t kMaxPayloadBytes = 256u << 20;
/// Payload format version, its first byte.
inline constexpr uint8_t kPayloadVersion = 1;

/// Appends one complete frame for `record` to `out`.
void appendFrame(std::string& out, uint64_t seq, std::string_view stream_id, int64_t appended_at_ms,
                 const Record& record);

/// Fields readable without decoding the whole payload.
struct PayloadHead {
  uint64_t seq = 0;
  int64_t appended_at_ms = 0;
};

/// Reads seq and appended_at_ms; false when the payload is not a known version.
bool peekPayload(std::string_view payload, PayloadHead& head);

/// Reads the stream id and source offset as well; false when malformed.
bool peekStreamOffset(std::string_view payload, std::string& stream_id, std::string& offset);

/// Decodes a payload whose CRC already matched; false when it is malformed.
bool decodePayload(std::string_view payload, JournalEntry& entry);

/// Little-endian helpers shared by the segment and index files.
void putU32(std::string& out, uint32_t v);
void putU64(std::string& out, uint64_t v);
uint32_t loadU32(const char* p);
uint64_t loadU64(const char* p);

/// CRC of a frame as stored in its header.
uint32_t frameCrc(uint32_t length, std::string_view payload);

}  // namespace streamhost::journal
