#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "store/store.h"

namespace streamhost::core {

/// Every scope an API key can hold; `admin` implies the others.
const std::vector<std::string>& knownApiKeyScopes();

struct CreateApiKeyInput {
  std::string name;
  std::vector<std::string> scopes;
  std::optional<int64_t> expires_at;  ///< Unix ms; must lie in the future
};

struct CreatedApiKey {
  store::ApiKeyRow row;
  std::string key;  ///< "sk_" + 48 hex digits; shown once, only its hash is kept
};

/// API keys: made with a fresh random secret, listed without secrets, revoked.
class ApiKeyService {
 public:
  ApiKeyService(store::Store& store, IdGenerator& ids, const Clock& clock) : store_(store), ids_(ids), clock_(clock) {}

  /// kInvalidArgument naming the field for a bad name, scope or expiry.
  Result<CreatedApiKey> create(const CreateApiKeyInput& input);
  Result<std::vector<store::ApiKeyRow>> list();
  /// kNotFound for an unknown id.
  Result<store::ApiKeyRow> get(const std::string& id);
  /// Deletes the key; kNotFound for an unknown id.
  Result<store::ApiKeyRow> revoke(const std::string& id);

 private:
  store::Store& store_;
  IdGenerator& ids_;
  const Clock& clock_;
};

}  // namespace streamhost::core
