#pragma once

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

 private:
  std::vector<config::ApiKeyConfig> configured_;
  store::Store* store_;
};

}  // namespace streamhost::api
