// Webhook auth: the `auth` config and the signature headers. The input is
// split at 0x00 bytes into: auth config JSON, then header values in a fixed
// order, then the body; whatever they hold, parsing and verifying end with an
// answer (never a crash, never undefined behaviour in the time checks).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth.h"

using namespace streamhost::plugins::webhook;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (parts.size() < 9) {
    size_t z = in.find('\0', pos);
    if (z == std::string_view::npos) {
      parts.push_back(in.substr(pos));
      break;
    }
    parts.push_back(in.substr(pos, z - pos));
    pos = z + 1;
  }
  parts.resize(9);
  auto json = parseJson(parts[0]);
  if (!json) {
    return 0;
  }
  std::string field;
  std::string message;
  auto auth = parseAuthConfig(*json, field, message);
  if (!auth) {
    return 0;
  }
  static const char* kNames[] = {"X-Hub-Signature-256", "Stripe-Signature", "webhook-id", "webhook-timestamp",
                                 "webhook-signature", "X-Slack-Signature", "X-Slack-Request-Timestamp"};
  HeaderLookup header = [&](std::string_view name) -> std::optional<std::string_view> {
    for (size_t i = 0; i < 7; ++i) {
      if (name == kNames[i]) {
        return parts[1 + i];
      }
    }
    // The configurable hmac headers and Authorization get the last value.
    return parts[7];
  };
  (void)verifyRequest(*auth, header, parts[8], 1'700'000'000'000);
  (void)verifyRequest(*auth, header, parts[8], 0);
  return 0;
}
