#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/api_types.h"
#include "config/config.h"
#include "store/store.h"

namespace streamhost::api {

/// Turns a presented API key into a Principal. Keys are known only by their
/// SHA-256: configured keys are compared in constant time, stored keys are
/// found through the hash index (the hash reveals nothing about the key).
class KeyAuthenticator {
 public:
  KeyAuthenticator(std::vector<config::ApiKeyConfig> configured, store::Store* store);
  std::optional<Principal> authenticate(const std::string& presented) const;
  /// Replaces the keys from the configuration file (SIGHUP reload); requests
  /// already authenticated keep their principal, the next ones see the new set.
  void replaceConfigured(std::vector<config::ApiKeyConfig> configured);

 private:
  using KeyList = std::vector<config::ApiKeyConfig>;
  std::shared_ptr<const KeyList> configuredKeys() const;

  mutable std::mutex mu_;
  std::shared_ptr<const KeyList> configured_;
  store::Store* store_;
};

}  // namespace streamhost::api
