// Journal frames as recovery meets them on disk: a payload that passed its
// CRC is decoded (or refused) without reading out of bounds, and a decoded
// entry encodes back to a frame that decodes to the same entry. Batch frames
// (v2, maybe compressed) go through FrameDecoder the same way.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "journal/frame_codec.h"

using namespace streamhost;
using namespace streamhost::journal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  PayloadHead head;
  (void)peekPayload(payload, head);
  FrameDecoder frame_decoder;
  if (frame_decoder.open(payload)) {
    JournalEntry e;
    uint64_t n = 0;
    while (frame_decoder.next(e)) {
      if (e.seq != head.seq + n++) {
        std::abort();
      }
    }
    if (n > head.count) {
      std::abort();
    }
  }
  JournalEntry entry;
  if (!decodePayload(payload, entry)) {
    return 0;
  }
  std::string frame;
  appendFrame(frame, entry.seq, entry.stream_id, entry.appended_at_ms, entry.record);
  if (frame.size() < kFrameHeaderBytes) {
    std::abort();
  }
  uint32_t length = loadU32(frame.data());
  std::string_view again(frame.data() + kFrameHeaderBytes, frame.size() - kFrameHeaderBytes);
  if (length != again.size() || loadU32(frame.data() + 4) != frameCrc(length, again)) {
    std::abort();
  }
  JournalEntry back;
  if (!decodePayload(again, back) || back.seq != entry.seq || back.stream_id != entry.stream_id ||
      back.record.value != entry.record.value || back.record.key != entry.record.key) {
    std::abort();
  }
  return 0;
}
