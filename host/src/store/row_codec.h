#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

/// Encodings of row fields shared by the store implementations.
namespace streamhost::store {

/// Serialises `secrets` as a JSON object and seals it with AES-256-GCM under
/// `key`, bound to `connection_id` as associated data so a blob cannot be
/// moved to another row.
Result<std::string> sealSecrets(const std::map<std::string, std::string>& secrets, std::string_view key,
                                std::string_view connection_id);
/// Reverses sealSecrets(); kInternal (naming the connection, never a value)
/// when the blob fails authentication or does not hold a JSON object of strings.
Result<std::map<std::string, std::string>> openSecrets(std::string_view sealed, std::string_view key,
                                                       std::string_view connection_id);

/// Scopes as a JSON array of strings.
std::string scopesToJson(const std::vector<std::string>& scopes);
/// Parses scopesToJson() output; kInternal when malformed.
Result<std::vector<std::string>> scopesFromJson(std::string_view json);

}  // namespace streamhost::store
