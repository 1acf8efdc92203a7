#pragma once

#include "api/key_authenticator.h"
#include "api/router.h"
#include "core/api_key_service.h"

namespace streamhost::api {

struct KeyRouteDeps {
  core::ApiKeyService* keys = nullptr;
  KeyAuthenticator* authenticator = nullptr;  ///< told of each revoke, so it takes effect at once
};

/// /api/keys: create (the key is shown once), list and revoke (admin), and
/// /api/keys/current (any valid key: its own name and scopes).
void addKeyRoutes(Router& router, KeyRouteDeps deps);

}  // namespace streamhost::api
