#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/api_types.h"
#include "common/clock.h"
#include "config/config.h"
#include "store/store.h"

namespace streamhost::api {

/// Turns a presented API key into a Principal. Keys are known only by their
/// SHA-256: configured keys are compared in constant time, stored keys are
/// found through the hash index (the hash reveals nothing about the key).
///
/// A stored key, once verified, is kept in memory for kCacheTtlMs (at most
/// kCacheEntries keys), so a busy client does not take the store's mutex,
/// which offset commits also take, on every request. Revoking through
/// invalidate() takes effect at once; a key deleted behind the daemon's back
/// stops working within the TTL. Thread-safe.
class KeyAuthenticator {
 public:
  static constexpr int64_t kCacheTtlMs = 60'000;
  static constexpr size_t kCacheEntries = 4096;

  KeyAuthenticator(std::vector<config::ApiKeyConfig> configured, store::Store* store, const Clock& clock);
  std::optional<Principal> authenticate(const std::string& presented);
  /// Forgets the cached verification of the key with this id (after a revoke).
  void invalidate(const std::string& key_id);
  /// How many verified keys are cached (for tests and metrics).
  size_t cachedCount() const;
  /// Replaces the keys from the configuration file (SIGHUP reload); requests
  /// already authenticated keep their principal, the next ones see the new set.
  void replaceConfigured(std::vector<config::ApiKeyConfig> configured);

 private:
  struct Cached {
    Principal who;
    std::optional<int64_t> expires_at;
    int64_t verified_at = 0;
  };
  std::optional<Principal> lookupStore(const std::string& hash, int64_t now);

  using KeyList = std::vector<config::ApiKeyConfig>;
  std::shared_ptr<const KeyList> configuredKeys() const;

  std::shared_ptr<const KeyList> configured_;  // guarded by mu_ (the pointer)
  store::Store* store_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // by key hash
};

}  // namespace streamhost::api
