#include "auth.h"

#include <charconv>
#include <streamhost/plugin_sdk.hpp>

namespace streamhost::plugins::webhook {
namespace {

constexpr int64_t kMaxToleranceSeconds = 365LL * 24 * 3600;

std::optional<int64_t> parseInt(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t next = s.find(sep, pos);
    if (next == std::string_view::npos) {
      next = s.size();
    }
    std::string_view part = trim(s.substr(pos, next - pos));
    if (!part.empty()) {
      out.push_back(part);
    }
    pos = next + 1;
  }
  return out;
}

/// A timestamp in Unix seconds within the tolerance, or the reason it is not.
std::optional<std::string> checkTimestamp(std::optional<std::string_view> ts, int64_t tolerance_s, int64_t now_ms,
                                          std::string_view header_name) {
  if (!ts) {
    return "missing " + std::string(header_name) + " header";
  }
  auto t = parseInt(trim(*ts));
  if (!t) {
    return "malformed timestamp";
  }
  // Compared without subtracting: a timestamp near INT64_MIN or INT64_MAX
  // would overflow `now - t`.
  int64_t now_s = now_ms / 1000;
  if (*t < now_s - tolerance_s) {
    return "timestamp is too old";
  }
  if (*t > now_s + tolerance_s) {
    return "timestamp is in the future";
  }
  return std::nullopt;
}

/// True when `mac` (raw bytes) matches the HMAC of `data` under any secret.
bool anySecretMatches(const AuthConfig& auth, std::string_view data, std::string_view mac) {
  bool match = false;
  for (const auto& secret : auth.secrets) {
    match = constantTimeEqual(hmac(auth.algorithm, secret, data), mac) || match;
  }
  return match;
}

std::optional<std::string> verifyGithub(const AuthConfig& auth, const HeaderLookup& header, std::string_view body) {
  auto sig = header("X-Hub-Signature-256");
  if (!sig) {
    return "missing X-Hub-Signature-256 header";
  }
  std::string_view v = trim(*sig);
  if (v.substr(0, 7) != "sha256=") {
    return "malformed signature";
  }
  auto mac = fromHex(v.substr(7));
  if (!mac || !anySecretMatches(auth, body, *mac)) {
    return "signature does not match";
  }
  return std::nullopt;
}

std::optional<std::string> verifyStripe(const AuthConfig& auth, const HeaderLookup& header, std::string_view body,
                                        int64_t now_ms) {
  auto sig = header("Stripe-Signature");
  if (!sig) {
    return "missing Stripe-Signature header";
  }
  std::optional<std::string_view> t;
  std::vector<std::string> macs;
  for (std::string_view part : split(*sig, ',')) {
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    std::string_view k = part.substr(0, eq);
    std::string_view v = part.substr(eq + 1);
    if (k == "t") {
      t = v;
    } else if (k == "v1") {
      if (auto m = fromHex(v)) {
        macs.push_back(std::move(*m));
      }
    }
  }
  if (auto bad = checkTimestamp(t, auth.tolerance_seconds, now_ms, "t= in Stripe-Signature")) {
    return bad;
  }
  std::string signed_text = std::string(*t) + "." + std::string(body);
  bool match = false;
  for (const auto& m : macs) {
    match = anySecretMatches(auth, signed_text, m) || match;
  }
  return match ? std::nullopt : std::optional<std::string>("signature does not match");
}

std::optional<std::string> verifyStandard(const AuthConfig& auth, const HeaderLookup& header, std::string_view body,
                                          int64_t now_ms) {
  auto id = header("webhook-id");
  auto sig = header("webhook-signature");
  if (!id || !sig) {
    return !id ? "missing webhook-id header" : "missing webhook-signature header";
  }
  auto ts = header("webhook-timestamp");
  if (auto bad = checkTimestamp(ts, auth.tolerance_seconds, now_ms, "webhook-timestamp")) {
    return bad;
  }
  std::string signed_text = std::string(*id) + "." + std::string(trim(*ts)) + "." + std::string(body);
  bool match = false;
  for (std::string_view entry : split(*sig, ' ')) {
    if (entry.substr(0, 3) != "v1,") {
      continue;
    }
    if (auto m = fromBase64(entry.substr(3))) {
      match = anySecretMatches(auth, signed_text, *m) || match;
    }
  }
  return match ? std::nullopt : std::optional<std::string>("signature does not match");
}

std::optional<std::string> verifySlack(const AuthConfig& auth, const HeaderLookup& header, std::string_view body,
                                       int64_t now_ms) {
  auto sig = header("X-Slack-Signature");
  if (!sig) {
    return "missing X-Slack-Signature header";
  }
  auto ts = header("X-Slack-Request-Timestamp");
  if (auto bad = checkTimestamp(ts, auth.tolerance_seconds, now_ms, "X-Slack-Request-Timestamp")) {
    return bad;
  }
  std::string_view v = trim(*sig);
  if (v.substr(0, 3) != "v0=") {
    return "malformed signature";
  }
  auto mac = fromHex(v.substr(3));
  std::string signed_text = "v0:" + std::string(trim(*ts)) + ":" + std::string(body);
  if (!mac || !anySecretMatches(auth, signed_text, *mac)) {
    return "signature does not match";
  }
  return std::nullopt;
}

std::optional<std::string> verifyHmac(const AuthConfig& auth, const HeaderLookup& header, std::string_view body,
                                      int64_t now_ms) {
  auto sig = header(auth.header);
  if (!sig) {
    return "missing " + auth.header + " header";
  }
  std::string_view v = trim(*sig);
  if (v.substr(0, auth.prefix.size()) != auth.prefix) {
    return "malformed signature";
  }
  v.remove_prefix(auth.prefix.size());
  std::string signed_text;
  if (!auth.timestamp_header.empty()) {
    auto ts = header(auth.timestamp_header);
    if (auto bad = checkTimestamp(ts, auth.tolerance_seconds, now_ms, auth.timestamp_header)) {
      return bad;
    }
    if (auth.sign_timestamp) {
      signed_text = std::string(trim(*ts)) + ".";
    }
  }
  signed_text += body;
  auto mac = auth.base64 ? fromBase64(v) : fromHex(v);
  if (!mac || !anySecretMatches(auth, signed_text, *mac)) {
    return "signature does not match";
  }
  return std::nullopt;
}

std::optional<std::string> verifyBearer(const AuthConfig& auth, const HeaderLookup& header) {
  auto h = header("Authorization");
  if (!h) {
    return "missing Authorization header";
  }
  std::string_view v = trim(*h);
  if (v.size() < 7 || (v.substr(0, 7) != "Bearer " && v.substr(0, 7) != "bearer ")) {
    return "Authorization is not a bearer token";
  }
  // Hashing first makes the comparison independent of the tokens' lengths.
  std::string presented = sha256(trim(v.substr(7)));
  bool match = false;
  for (const auto& token : auth.secrets) {
    match = constantTimeEqual(sha256(token), presented) || match;
  }
  return match ? std::nullopt : std::optional<std::string>("unknown token");
}

bool readString(const JsonValue& auth, std::string_view key, std::string& out, std::string& field,
                std::string& message) {
  const JsonValue* v = auth.find(key);
  if (v == nullptr || v->kind == JsonValue::Kind::kNull) {
    return true;
  }
  if (!v->isString()) {
    field = std::string(key);
    message = "must be a string";
    return false;
  }
  out = v->text;
  return true;
}

/// A member of `config.auth` that the scheme does not read, if any.
std::optional<std::string> unknownAuthKey(std::string_view raw, AuthScheme scheme) {
  switch (scheme) {
    case AuthScheme::kNone: return sdk::unknownJsonKey(raw, {"scheme"});
    case AuthScheme::kGithub: return sdk::unknownJsonKey(raw, {"scheme", "secrets"});
    case AuthScheme::kBearer: return sdk::unknownJsonKey(raw, {"scheme", "tokens"});
    case AuthScheme::kStripe:
    case AuthScheme::kStandard:
    case AuthScheme::kSlack: return sdk::unknownJsonKey(raw, {"scheme", "secrets", "tolerance_seconds"});
    case AuthScheme::kHmac:
      return sdk::unknownJsonKey(raw, {"scheme", "secrets", "tolerance_seconds", "algorithm", "header", "encoding",
                                       "prefix", "timestamp_header", "signed_payload"});
  }
  return std::nullopt;
}

}  // namespace

std::optional<AuthConfig> parseAuthConfig(const JsonValue& auth, std::string& field, std::string& message) {
  auto fail = [&](std::string f, std::string m) -> std::optional<AuthConfig> {
    field = std::move(f);
    message = std::move(m);
    return std::nullopt;
  };
  if (!auth.isObject()) {
    return fail("", "must be an object with a scheme");
  }
  AuthConfig c;
  std::string scheme;
  if (!readString(auth, "scheme", scheme, field, message)) {
    return std::nullopt;
  }
  static const std::pair<const char*, AuthScheme> kSchemes[] = {
      {"none", AuthScheme::kNone},     {"github", AuthScheme::kGithub}, {"stripe", AuthScheme::kStripe},
      {"standard", AuthScheme::kStandard}, {"slack", AuthScheme::kSlack}, {"hmac", AuthScheme::kHmac},
      {"bearer", AuthScheme::kBearer}};
  bool known = false;
  for (const auto& [name, value] : kSchemes) {
    if (scheme == name) {
      c.scheme = value;
      known = true;
    }
  }
  if (!known) {
    return fail("scheme", "must be one of none, github, stripe, standard, slack, hmac, bearer");
  }
  if (auto unknown = unknownAuthKey(auth.raw, c.scheme)) {
    return fail(*unknown, "is not a setting of scheme " + scheme + " (a misspelt key would weaken the check)");
  }
  const char* list_key = c.scheme == AuthScheme::kBearer ? "tokens" : "secrets";
  if (c.scheme != AuthScheme::kNone) {
    const JsonValue* list = auth.find(list_key);
    if (list == nullptr || !list->isArray() || list->items.empty()) {
      return fail(list_key, "must be a non-empty array of strings");
    }
    for (const auto& item : list->items) {
      if (!item.isString() || item.text.empty()) {
        return fail(list_key, "must hold non-empty strings");
      }
      if (c.scheme == AuthScheme::kStandard) {
        auto key = item.text.rfind("whsec_", 0) == 0 ? fromBase64(std::string_view(item.text).substr(6)) : std::nullopt;
        if (!key || key->empty()) {
          return fail(list_key, "standard webhook secrets look like whsec_<base64>");
        }
        c.secrets.push_back(std::move(*key));
      } else {
        c.secrets.push_back(item.text);
      }
    }
  }
  if (const JsonValue* tol = auth.find("tolerance_seconds")) {
    auto t = tol->kind == JsonValue::Kind::kNumber ? parseInt(tol->raw) : std::nullopt;
    if (!t || *t <= 0 || *t > kMaxToleranceSeconds) {
      return fail("tolerance_seconds", "must be a positive integer of at most 31536000 (a year)");
    }
    c.tolerance_seconds = *t;
  }
  if (c.scheme != AuthScheme::kHmac) {
    return c;
  }
  std::string algorithm = "sha256";
  std::string encoding = "hex";
  std::string payload = "body";
  if (!readString(auth, "algorithm", algorithm, field, message) || !readString(auth, "header", c.header, field, message) ||
      !readString(auth, "encoding", encoding, field, message) || !readString(auth, "prefix", c.prefix, field, message) ||
      !readString(auth, "timestamp_header", c.timestamp_header, field, message) ||
      !readString(auth, "signed_payload", payload, field, message)) {
    return std::nullopt;
  }
  if (algorithm != "sha256" && algorithm != "sha512") {
    return fail("algorithm", "must be sha256 or sha512");
  }
  c.algorithm = algorithm == "sha512" ? HmacAlgorithm::kSha512 : HmacAlgorithm::kSha256;
  if (c.header.empty()) {
    return fail("header", "names the header carrying the signature and is required");
  }
  if (encoding != "hex" && encoding != "base64") {
    return fail("encoding", "must be hex or base64");
  }
  c.base64 = encoding == "base64";
  if (payload != "body" && payload != "timestamp.body") {
    return fail("signed_payload", "must be body or timestamp.body");
  }
  c.sign_timestamp = payload == "timestamp.body";
  if (c.sign_timestamp && c.timestamp_header.empty()) {
    return fail("timestamp_header", "is required when signed_payload is timestamp.body");
  }
  if (!c.sign_timestamp && !c.timestamp_header.empty()) {
    // A freshness check of a value the signature does not cover stops no
    // replay: the attacker sends the old body with a new timestamp.
    return fail("timestamp_header",
                "is not part of the signed payload; set signed_payload to timestamp.body or drop timestamp_header");
  }
  return c;
}

std::optional<std::string> verifyRequest(const AuthConfig& auth, const HeaderLookup& header, std::string_view body,
                                         int64_t now_ms) {
  switch (auth.scheme) {
    case AuthScheme::kNone: return std::nullopt;
    case AuthScheme::kGithub: return verifyGithub(auth, header, body);
    case AuthScheme::kStripe: return verifyStripe(auth, header, body, now_ms);
    case AuthScheme::kStandard: return verifyStandard(auth, header, body, now_ms);
    case AuthScheme::kSlack: return verifySlack(auth, header, body, now_ms);
    case AuthScheme::kHmac: return verifyHmac(auth, header, body, now_ms);
    case AuthScheme::kBearer: return verifyBearer(auth, header);
  }
  return "unknown scheme";
}

}  // namespace streamhost::plugins::webhook
