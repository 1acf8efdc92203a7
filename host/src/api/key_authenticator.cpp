#include "api/key_authenticator.h"

#include "common/crypto.h"

namespace streamhost::api {

KeyAuthenticator::KeyAuthenticator(std::vector<config::ApiKeyConfig> configured, store::Store* store)
    : configured_(std::move(configured)), store_(store) {}

std::optional<Principal> KeyAuthenticator::authenticate(const std::string& presented) const {
  if (presented.empty() || presented.size() > 512) {
    return std::nullopt;
  }
  std::string hash = crypto::sha256Hex(presented);
  // Visit every configured key so timing does not tell which one matched.
  const config::ApiKeyConfig* match = nullptr;
  for (const auto& k : configured_) {
    if (crypto::constantTimeEquals(hash, k.key_sha256) && match == nullptr) {
      match = &k;
    }
  }
  if (match != nullptr) {
    return Principal{"cfg:" + match->name, match->name, match->scopes};
  }
  if (store_ == nullptr) {
    return std::nullopt;
  }
  auto row = store_->findApiKeyByHash(hash);
  if (!row) {
    return std::nullopt;
  }
  return Principal{row->id, row->name, row->scopes};
}

}  // namespace streamhost::api
