#include "core/api_key_service.h"

#include <algorithm>

#include "common/crypto.h"
#include "core/stream_service.h"

namespace streamhost::core {

const std::vector<std::string>& knownApiKeyScopes() {
  static const std::vector<std::string> scopes = {"streams:read",     "streams:write",   "connections:read",
                                                  "connections:write", "pipelines:read", "pipelines:write",
                                                  "metrics:read",     "admin"};
  return scopes;
}

Result<CreatedApiKey> ApiKeyService::create(const CreateApiKeyInput& input) {
  if (Status s = StreamService::validateName(input.name); !s) {
    return s;
  }
  if (input.scopes.empty()) {
    return invalidArgument("must name at least one scope", "scopes");
  }
  for (const auto& s : input.scopes) {
    if (std::find(knownApiKeyScopes().begin(), knownApiKeyScopes().end(), s) == knownApiKeyScopes().end()) {
      std::string known;
      for (const auto& k : knownApiKeyScopes()) {
        known += (known.empty() ? "" : ", ") + k;
      }
      return invalidArgument("unknown scope '" + s + "'; known: " + known, "scopes");
    }
  }
  int64_t now = clock_.nowMillis();
  if (input.expires_at && *input.expires_at <= now) {
    return invalidArgument("must lie in the future", "expires_at");
  }
  CreatedApiKey out;
  out.key = "sk_" + crypto::hexEncode(crypto::randomBytes(24));
  out.row.id = ids_.next("key_");
  out.row.name = input.name;
  out.row.key_sha256 = crypto::sha256Hex(out.key);
  out.row.scopes = input.scopes;
  out.row.created_at = now;
  out.row.expires_at = input.expires_at;
  if (Status s = store_.createApiKey(out.row); !s) {
    return s;
  }
  return out;
}

Result<std::vector<store::ApiKeyRow>> ApiKeyService::list() { return store_.listApiKeys(); }

Result<store::ApiKeyRow> ApiKeyService::get(const std::string& id) {
  auto rows = store_.listApiKeys();
  if (!rows) {
    return rows.status();
  }
  for (auto& r : *rows) {
    if (r.id == id) {
      return std::move(r);
    }
  }
  return notFound("API key " + id + " not found");
}

Result<store::ApiKeyRow> ApiKeyService::revoke(const std::string& id) {
  auto row = get(id);
  if (!row) {
    return row.status();
  }
  if (Status s = store_.deleteApiKey(id); !s) {
    return s;
  }
  return row;
}

}  // namespace streamhost::core
