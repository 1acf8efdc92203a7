#pragma once

#include <cstdint>
#include <map>
#include <optional>
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

/// A stream config split for storage: what stays readable and what is sealed.
struct SplitConfig {
  std::string public_json;  ///< the config without its secret keys
  std::string sealed_json;  ///< {"<key>": base64(AES-256-GCM of the value's JSON)}, "{}" when none
};

/// Moves `secret_keys` out of `config_json`, sealing each value under `key`
/// with the associated data "<stream_id>/<key name>", so a sealed value can
/// move neither to another stream nor to another key. Keys absent from the
/// config are skipped. With no secret keys the config is left as it is.
Result<SplitConfig> sealConfigSecrets(const std::string& config_json, const std::vector<std::string>& secret_keys,
                                      std::string_view key, std::string_view stream_id);
/// Reverses sealConfigSecrets(): the whole config, and in `secret_keys` the
/// names that were sealed. kInternal (naming the stream and key, never a
/// value) when a value fails authentication or the texts are malformed.
Result<std::string> openConfigSecrets(const std::string& public_json, const std::string& sealed_json,
                                      std::string_view key, std::string_view stream_id,
                                      std::vector<std::string>& secret_keys);

/// Re-seals one sealed value from `from_key` to `to_key` under the same
/// associated data. nullopt when it already opens under `to_key` (left as it
/// is); kInternal (naming `what`, never the value) when it opens under neither.
Result<std::optional<std::string>> resealValue(std::string_view sealed, std::string_view from_key,
                                               std::string_view to_key, std::string_view aad,
                                               const std::string& what);

/// resealValue() for connection secrets (sealSecrets() output).
Result<std::optional<std::string>> resealSecrets(std::string_view sealed, std::string_view from_key,
                                                 std::string_view to_key, std::string_view connection_id);

/// resealValue() for every key of a sealConfigSecrets() `sealed_json`; nullopt
/// when nothing needed re-sealing. `resealed` counts the values re-sealed.
Result<std::optional<std::string>> resealConfigSecrets(const std::string& sealed_json, std::string_view from_key,
                                                       std::string_view to_key, std::string_view stream_id,
                                                       uint64_t& resealed);

/// Scopes as a JSON array of strings.
std::string scopesToJson(const std::vector<std::string>& scopes);
/// Parses scopesToJson() output; kInternal when malformed.
Result<std::vector<std::string>> scopesFromJson(std::string_view json);

}  // namespace streamhost::store
