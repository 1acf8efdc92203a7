#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace streamhost::plugins::webhook {

enum class HmacAlgorithm { kSha256, kSha512 };

/// Raw HMAC of `data` under `key`.
std::string hmac(HmacAlgorithm algorithm, std::string_view key, std::string_view data);
/// Raw SHA-256 digest.
std::string sha256(std::string_view data);

std::string toHex(std::string_view bytes);
/// Accepts upper and lower case; nullopt on odd length or a non-hex digit.
std::optional<std::string> fromHex(std::string_view hex);
std::string toBase64(std::string_view bytes);
/// Standard alphabet with padding; nullopt when malformed.
std::optional<std::string> fromBase64(std::string_view text);

/// Constant-time comparison for equal lengths; different lengths compare unequal at once.
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace streamhost::plugins::webhook
