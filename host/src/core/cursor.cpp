#include "core/cursor.h"

#include <charconv>

#include "common/crypto.h"

namespace streamhost::core {

CursorCodec::CursorCodec(const std::string& secret)
    : key_(crypto::hmacSha256(secret, "streamhost cursor v1")) {}

std::string CursorCodec::encode(const store::PageKey& key, const std::string& scope) const {
  std::string payload = std::to_string(key.created_at) + ":" + key.id;
  std::string mac = crypto::hmacSha256(key_, payload + "\n" + scope).substr(0, 16);
  return crypto::base64UrlEncode(payload) + "." + crypto::base64UrlEncode(mac);
}

Result<store::PageKey> CursorCodec::decode(const std::string& cursor, const std::string& scope) const {
  auto bad = [] { return invalidArgument("cursor is not valid for this listing; start again without it", "cursor"); };
  auto dot = cursor.find('.');
  if (cursor.size() > 512 || dot == std::string::npos) {
    return bad();
  }
  auto payload = crypto::base64UrlDecode(cursor.substr(0, dot));
  auto mac = crypto::base64UrlDecode(cursor.substr(dot + 1));
  if (!payload || !mac) {
    return bad();
  }
  std::string want = crypto::hmacSha256(key_, *payload + "\n" + scope).substr(0, 16);
  if (!crypto::constantTimeEquals(*mac, want)) {
    return bad();
  }
  auto colon = payload->find(':');
  if (colon == std::string::npos) {
    return bad();
  }
  store::PageKey key;
  auto r = std::from_chars(payload->data(), payload->data() + colon, key.created_at);
  if (r.ec != std::errc() || r.ptr != payload->data() + colon) {
    return bad();
  }
  key.id = payload->substr(colon + 1);
  return key;
}

}  // namespace streamhost::core
