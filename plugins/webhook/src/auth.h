#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"
#include "signature.h"

namespace streamhost::plugins::webhook {

enum class AuthScheme { kNone, kGithub, kStripe, kStandard, kSlack, kHmac, kBearer };

/// `config.auth`: one scheme and the secrets it accepts (several at once while rotating).
struct AuthConfig {
  AuthScheme scheme = AuthScheme::kNone;
  std::vector<std::string> secrets;  ///< HMAC keys (decoded for `standard`) or bearer tokens
  int64_t tolerance_seconds = 300;
  // scheme hmac:
  HmacAlgorithm algorithm = HmacAlgorithm::kSha256;
  std::string header;
  bool base64 = false;
  std::string prefix;
  std::string timestamp_header;
  bool sign_timestamp = false;  ///< signed text is "<timestamp>.<body>"
};

/// Reads `config.auth`; on error returns nullopt and sets `field` (under auth) and `message`.
std::optional<AuthConfig> parseAuthConfig(const JsonValue& auth, std::string& field, std::string& message);

/// First request header of a name, case-insensitive.
using HeaderLookup = std::function<std::optional<std::string_view>(std::string_view)>;

/// Checks one request; nullopt when it is authentic, else the reason (no secret in it).
std::optional<std::string> verifyRequest(const AuthConfig& auth, const HeaderLookup& header, std::string_view body,
                                         int64_t now_ms);

}  // namespace streamhost::plugins::webhook
