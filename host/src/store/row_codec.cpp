#include "store/row_codec.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <optional>
#include <sstream>

#include "common/crypto.h"

namespace streamhost::store {
namespace {

// Poco::JSON throws; nothing escapes this file.
Result<Poco::Dynamic::Var> parseJson(std::string_view text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(std::string(text));
  } catch (const Poco::Exception& e) {
    return internalError(e.displayText());
  } catch (const std::exception& e) {
    return internalError(e.what());
  }
}

}  // namespace

Result<std::string> sealSecrets(const std::map<std::string, std::string>& secrets, std::string_view key,
                                std::string_view connection_id) {
  std::ostringstream json;
  try {
    Poco::JSON::Object obj;
    for (const auto& [name, value] : secrets) {
      obj.set(name, value);
    }
    obj.stringify(json);
  } catch (const Poco::Exception& e) {
    return internalError("cannot encode secrets: " + e.displayText());
  }
  return crypto::sealAesGcm(key, json.str(), connection_id);
}

Result<std::map<std::string, std::string>> openSecrets(std::string_view sealed, std::string_view key,
                                                       std::string_view connection_id) {
  std::string where = "secrets of connection " + std::string(connection_id);
  Result<std::string> plain = crypto::openAesGcm(key, sealed, connection_id);
  if (!plain) {
    return internalError("cannot decrypt " + where + ": " + plain.status().message());
  }
  Result<Poco::Dynamic::Var> parsed = parseJson(*plain);
  if (!parsed) {
    return internalError("malformed " + where);
  }
  try {
    auto obj = parsed->extract<Poco::JSON::Object::Ptr>();
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : *obj) {
      if (!value.isString()) {
        return internalError("malformed " + where);
      }
      out.emplace(name, value.extract<std::string>());
    }
    return out;
  } catch (const Poco::Exception&) {
    return internalError("malformed " + where);
  }
}

namespace {

std::string configAad(std::string_view stream_id, std::string_view name) {
  return std::string(stream_id) + "/" + std::string(name);
}

std::string stringifyJson(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out);
  return out.str();
}

}  // namespace

Result<SplitConfig> sealConfigSecrets(const std::string& config_json, const std::vector<std::string>& secret_keys,
                                      std::string_view key, std::string_view stream_id) {
  if (secret_keys.empty()) {
    return SplitConfig{config_json, "{}"};
  }
  std::string where = "config of stream " + std::string(stream_id);
  Result<Poco::Dynamic::Var> parsed = parseJson(config_json);
  if (!parsed) {
    return internalError("malformed " + where);
  }
  try {
    auto obj = parsed->extract<Poco::JSON::Object::Ptr>();
    Poco::JSON::Object sealed;
    for (const auto& name : secret_keys) {
      if (!obj->has(name)) {
        continue;
      }
      Result<std::string> box = crypto::sealAesGcm(key, stringifyJson(obj->get(name)), configAad(stream_id, name));
      if (!box) {
        return box.status();
      }
      sealed.set(name, crypto::base64Encode(*box));
      obj->remove(name);
    }
    return SplitConfig{stringifyJson(obj), stringifyJson(sealed)};
  } catch (const Poco::Exception& e) {
    return internalError("cannot seal " + where + ": " + e.displayText());
  }
}

Result<std::string> openConfigSecrets(const std::string& public_json, const std::string& sealed_json,
                                      std::string_view key, std::string_view stream_id,
                                      std::vector<std::string>& secret_keys) {
  secret_keys.clear();
  if (sealed_json.empty() || sealed_json == "{}") {
    return public_json;
  }
  std::string where = "config of stream " + std::string(stream_id);
  Result<Poco::Dynamic::Var> config = parseJson(public_json);
  Result<Poco::Dynamic::Var> sealed = parseJson(sealed_json);
  if (!config || !sealed) {
    return internalError("malformed " + where);
  }
  try {
    auto obj = config->extract<Poco::JSON::Object::Ptr>();
    auto boxes = sealed->extract<Poco::JSON::Object::Ptr>();
    for (const auto& [name, value] : *boxes) {
      std::optional<std::string> box = value.isString() ? crypto::base64Decode(value.extract<std::string>())
                                                        : std::nullopt;
      if (!box) {
        return internalError("malformed sealed key '" + name + "' in " + where);
      }
      Result<std::string> plain = crypto::openAesGcm(key, *box, configAad(stream_id, name));
      if (!plain) {
        return internalError("cannot decrypt key '" + name + "' in " + where + ": " + plain.status().message());
      }
      // Poco's parser takes only objects and arrays at the top level.
      Result<Poco::Dynamic::Var> v = parseJson("[" + *plain + "]");
      if (!v) {
        return internalError("malformed sealed key '" + name + "' in " + where);
      }
      auto one = v->extract<Poco::JSON::Array::Ptr>();
      if (one->size() != 1) {
        return internalError("malformed sealed key '" + name + "' in " + where);
      }
      obj->set(name, one->get(0));
      secret_keys.push_back(name);
    }
    return stringifyJson(obj);
  } catch (const Poco::Exception&) {
    return internalError("malformed " + where);
  }
}

Result<std::optional<std::string>> resealValue(std::string_view sealed, std::string_view from_key,
                                               std::string_view to_key, std::string_view aad,
                                               const std::string& what) {
  Result<std::string> plain = crypto::openAesGcm(from_key, sealed, aad);
  if (!plain) {
    if (crypto::openAesGcm(to_key, sealed, aad)) {
      return std::optional<std::string>();
    }
    return internalError(what + " opens under neither the current nor the new data key");
  }
  Result<std::string> box = crypto::sealAesGcm(to_key, *plain, aad);
  if (!box) {
    return box.status();
  }
  return std::optional<std::string>(std::move(*box));
}

Result<std::optional<std::string>> resealSecrets(std::string_view sealed, std::string_view from_key,
                                                 std::string_view to_key, std::string_view connection_id) {
  return resealValue(sealed, from_key, to_key, connection_id,
                     "the secrets of connection " + std::string(connection_id));
}

Result<std::optional<std::string>> resealConfigSecrets(const std::string& sealed_json, std::string_view from_key,
                                                       std::string_view to_key, std::string_view stream_id,
                                                       uint64_t& resealed) {
  resealed = 0;
  if (sealed_json.empty() || sealed_json == "{}") {
    return std::optional<std::string>();
  }
  std::string where = "config of stream " + std::string(stream_id);
  Result<Poco::Dynamic::Var> parsed = parseJson(sealed_json);
  if (!parsed) {
    return internalError("malformed " + where);
  }
  try {
    auto boxes = parsed->extract<Poco::JSON::Object::Ptr>();
    Poco::JSON::Object out;
    for (const auto& [name, value] : *boxes) {
      std::optional<std::string> box = value.isString() ? crypto::base64Decode(value.extract<std::string>())
                                                        : std::nullopt;
      if (!box) {
        return internalError("malformed sealed key '" + name + "' in " + where);
      }
      auto again = resealValue(*box, from_key, to_key, configAad(stream_id, name),
                               "sealed key '" + name + "' in " + where);
      if (!again) {
        return again.status();
      }
      if (again->has_value()) {
        ++resealed;
        out.set(name, crypto::base64Encode(**again));
      } else {
        out.set(name, value);
      }
    }
    if (resealed == 0) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(stringifyJson(out));
  } catch (const Poco::Exception&) {
    return internalError("malformed " + where);
  }
}

std::string scopesToJson(const std::vector<std::string>& scopes) {
  Poco::JSON::Array arr;
  for (const auto& s : scopes) {
    arr.add(s);
  }
  std::ostringstream out;
  arr.stringify(out);
  return out.str();
}

Result<std::vector<std::string>> scopesFromJson(std::string_view json) {
  Result<Poco::Dynamic::Var> parsed = parseJson(json);
  if (!parsed) {
    return internalError("malformed scopes: " + parsed.status().message());
  }
  try {
    auto arr = parsed->extract<Poco::JSON::Array::Ptr>();
    std::vector<std::string> out;
    for (const auto& v : *arr) {
      if (!v.isString()) {
        return internalError("malformed scopes: not a string");
      }
      out.push_back(v.extract<std::string>());
    }
    return out;
  } catch (const Poco::Exception& e) {
    return internalError("malformed scopes: " + e.displayText());
  }
}

}  // namespace streamhost::store
