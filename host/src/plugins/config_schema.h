#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "plugins/plugin_types.h"

namespace streamhost::plugins {

/// What responses show in place of a secret value.
inline constexpr const char* kRedactionMarker = "***";

/// A config that passed ConfigSchema::validate.
struct ValidatedConfig {
  std::string json;           ///< the object with defaults filled in
  std::string redacted_json;  ///< same, secret values replaced by "***"
};

/// Checks a config JSON object against a type's key table. Errors are
/// kInvalidConfig with `field` set to the bare key name (callers add a prefix
/// such as "config.").
class ConfigSchema {
 public:
  explicit ConfigSchema(std::vector<ConfigKey> keys) : keys_(std::move(keys)) {}

  /// Unknown keys, missing required keys and type mismatches are errors (an
  /// int key refuses 1.5; a double key accepts ints; null counts as absent).
  /// Absent keys with a default get it.
  Result<ValidatedConfig> validate(const std::string& json) const;

  /// `json` with secret values replaced by "***"; unparsable input gives "{}".
  std::string redact(const std::string& json) const;

  /// The secret keys present (and not null) in the object `json`.
  std::vector<std::string> secretKeysIn(const std::string& json) const;

  /// `json` with every secret key that is absent or holds the redaction
  /// marker "***" given the value it has in `stored_json`, so a config read
  /// back from the API and sent again keeps its secrets. An explicit null
  /// clears a secret; any other value replaces it. Malformed input is
  /// returned unchanged (validate() then names the problem).
  std::string keepStoredSecrets(const std::string& json, const std::string& stored_json) const;

  /// Whether `default_json` parses and matches `key.type`; used when loading.
  static Status checkDefault(const ConfigKey& key);

 private:
  std::vector<ConfigKey> keys_;
};

}  // namespace streamhost::plugins
