// Webhook bodies: JSON objects and arrays, NDJSON and forms. The first byte
// picks the content type and the record cap; every record a body yields must
// be an object the SDK reader accepts, and no more than the cap.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "body.h"

using namespace streamhost::plugins::webhook;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  static constexpr std::string_view kTypes[] = {"application/json", "application/x-ndjson",
                                                "application/x-www-form-urlencoded", "application/vnd.x+json"};
  std::string_view type = kTypes[data[0] % 4];
  size_t cap = 1 + (data[0] >> 2) % 8;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  BodyError error;
  auto records = parseBody(type, body, (data[0] & 0x80) != 0 ? "/id" : "", error, cap);
  if (records) {
    if (records->empty() || records->size() > cap) {
      std::abort();
    }
    for (const auto& r : *records) {
      auto v = parseJson(r.value);
      if (!v || !v->isObject()) {
        std::abort();
      }
    }
  } else if (error.status != 400 && error.status != 413 && error.status != 415) {
    std::abort();
  }
  return 0;
}
