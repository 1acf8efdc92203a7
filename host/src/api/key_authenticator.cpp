#include "api/key_authenticator.h"

#include "common/crypto.h"

namespace streamhost::api {

KeyAuthenticator::KeyAuthenticator(std::vector<config::ApiKeyConfig> configured, store::Store* store,
                                   const Clock& clock)
    : configured_(std::make_shared<const KeyList>(std::move(configured))), store_(store), clock_(clock) {}

std::shared_ptr<const KeyAuthenticator::KeyList> KeyAuthenticator::configuredKeys() const {
  std::lock_guard lock(mu_);
  return configured_;
}

void KeyAuthenticator::replaceConfigured(std::vector<config::ApiKeyConfig> configured) {
  auto next = std::make_shared<const KeyList>(std::move(configured));
  std::lock_guard lock(mu_);
  configured_ = std::move(next);
}

std::optional<Principal> KeyAuthenticator::authenticate(const std::string& presented) {
  if (presented.empty() || presented.size() > 512) {
    return std::nullopt;
  }
  std::string hash = crypto::sha256Hex(presented);
  // Visit every configured key so timing does not tell which one matched.
  const config::ApiKeyConfig* match = nullptr;
  auto configured = configuredKeys();
  for (const auto& k : *configured) {
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
  int64_t now = clock_.nowMillis();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && now - it->second.verified_at < kCacheTtlMs) {
      if (it->second.expires_at && now >= *it->second.expires_at) {
        cache_.erase(it);
        return std::nullopt;
      }
      return it->second.who;
    }
  }
  return lookupStore(hash, now);
}

std::optional<Principal> KeyAuthenticator::lookupStore(const std::string& hash, int64_t now) {
  auto row = store_->findApiKeyByHash(hash);
  if (!row || (row->expires_at && now >= *row->expires_at)) {
    std::lock_guard lock(mu_);
    cache_.erase(hash);
    return std::nullopt;
  }
  Principal who{row->id, row->name, row->scopes};
  // Once per TTL per key: the last-use time is a hint, not an audit log.
  (void)store_->touchApiKey(row->id, now);
  std::lock_guard lock(mu_);
  if (cache_.size() >= kCacheEntries) {
    cache_.clear();  // rare; everyone re-verifies once
  }
  cache_[hash] = Cached{who, row->expires_at, now};
  return who;
}

void KeyAuthenticator::invalidate(const std::string& key_id) {
  std::lock_guard lock(mu_);
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.who.key_id == key_id; });
}

size_t KeyAuthenticator::cachedCount() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

}  // namespace streamhost::api
