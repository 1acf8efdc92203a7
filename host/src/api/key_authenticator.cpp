#include "api/key_authenticator.h"

#include "common/crypto.h"

namespace streamhost::api {

KeyAuthenticator::KeyAuthenticator(std::vector<config::ApiKeyConfig> configured, store::Store* store)
    : configured_(std::make_shared<const KeyList>(std::move(configured))), store_(store) {}

std::shared_ptr<const KeyAuthenticator::KeyList> KeyAuthenticator::configuredKeys() const {
  std::lock_guard lock(mu_);
  return configured_;
}

void KeyAuthenticator::replaceConfigured(std::vector<config::ApiKeyConfig> configured) {
  auto next = std::make_shared<const KeyList>(std::move(configured));
  std::lock_guard lock(mu_);
  configured_ = std::move(next);
}

std::optional<Principal> KeyAuthenticator::authenticate(const std::string& presented) const {
  if (presented.empty() || presented.size() > 512) {
    return std::nullopt;
  }
  std::string hash = crypto::sha256Hex(presented);
  // Visit every configured key so timing does not tell which one matched.
  const config::ApiKeyConfig* match = nullptr;
  std::shared_ptr<const KeyList> keys = configuredKeys();
  for (const auto& k : *keys) {
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
