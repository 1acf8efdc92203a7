#include "plugins/config_schema.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "common/json_syntax.h"

namespace streamhost::plugins {
namespace {

using Poco::Dynamic::Var;

Var parseJson(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text);
}

// Poco's parser only takes objects and arrays at the top level, so a scalar
// default such as `1000` is read as the single element of an array.
Var parseValue(const std::string& text) {
  Var wrapped = parseJson("[" + text + "]");
  auto arr = wrapped.extract<Poco::JSON::Array::Ptr>();
  if (arr->size() != 1) {
    throw Poco::JSON::JSONException("expected exactly one JSON value");
  }
  return arr->get(0);
}

bool isObject(const Var& v) { return v.type() == typeid(Poco::JSON::Object::Ptr); }
bool isArray(const Var& v) { return v.type() == typeid(Poco::JSON::Array::Ptr); }

bool matchesType(const Var& v, int32_t type) {
  switch (type) {
    case SH_CFG_STRING: return v.isString();
    case SH_CFG_INT: return v.isInteger() && !v.isBoolean();
    case SH_CFG_BOOL: return v.isBoolean();
    case SH_CFG_DOUBLE: return v.isNumeric() && !v.isBoolean();
    case SH_CFG_ARRAY: return isArray(v);
    case SH_CFG_OBJECT: return isObject(v);
    case SH_CFG_ANY: return true;
    default: return false;
  }
}

std::string stringify(const Poco::JSON::Object& obj) {
  std::ostringstream out;
  obj.stringify(out);
  return out.str();
}

std::string knownKeys(const std::vector<ConfigKey>& keys) {
  std::string out;
  for (const auto& k : keys) {
    out += (out.empty() ? "" : ", ") + k.name;
  }
  return out.empty() ? "none" : out;
}

Status configError(std::string message, std::string field) {
  return Status(StatusCode::kInvalidConfig, std::move(message), std::move(field));
}

}  // namespace

Result<ValidatedConfig> ConfigSchema::validate(const std::string& json) const {
  Poco::JSON::Object::Ptr obj;
  try {
    Var parsed = parseJson(json.empty() ? std::string("{}") : json);
    if (!isObject(parsed)) {
      return configError("config must be a JSON object", "");
    }
    obj = parsed.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return configError("config is not valid JSON: " + e.displayText(), "");
  }
  std::vector<std::string> names;
  obj->getNames(names);
  for (const auto& name : names) {
    bool known = false;
    for (const auto& k : keys_) {
      known = known || k.name == name;
    }
    if (!known) {
      return configError("unknown key \"" + name + "\"; known keys: " + knownKeys(keys_), name);
    }
  }
  try {
    for (const auto& k : keys_) {
      Var v = obj->has(k.name) ? obj->get(k.name) : Var();
      if (v.isEmpty()) {
        if (k.required()) {
          return configError("required key \"" + k.name + "\" is missing", k.name);
        }
        if (k.default_json) {
          obj->set(k.name, parseValue(*k.default_json));
        } else {
          obj->remove(k.name);
        }
        continue;
      }
      if (!matchesType(v, k.type)) {
        return configError("key \"" + k.name + "\" must be of type " + configTypeName(k.type), k.name);
      }
    }
  } catch (const Poco::Exception& e) {
    return internalError("bad default in plugin key table: " + e.displayText());
  }
  ValidatedConfig out;
  out.json = stringify(*obj);
  out.redacted_json = redact(out.json);
  return out;
}

std::string ConfigSchema::redact(const std::string& json) const {
  bool has_secret = false;
  for (const auto& k : keys_) {
    has_secret = has_secret || k.secret();
  }
  // Nothing to hide: a well-formed object is already its own redacted form.
  size_t first = json.find_first_not_of(" \t\r\n");
  if (!has_secret && first != std::string::npos && json[first] == '{' && !checkJsonSyntax(json)) {
    return json;
  }
  try {
    Var parsed = parseJson(json);
    if (!isObject(parsed)) {
      return "{}";
    }
    auto obj = parsed.extract<Poco::JSON::Object::Ptr>();
    for (const auto& k : keys_) {
      if (k.secret() && obj->has(k.name)) {
        obj->set(k.name, std::string(kRedactionMarker));
      }
    }
    return stringify(*obj);
  } catch (const Poco::Exception&) {
    return "{}";
  }
}

std::vector<std::string> ConfigSchema::secretKeysIn(const std::string& json) const {
  std::vector<std::string> out;
  try {
    Var parsed = parseJson(json);
    if (!isObject(parsed)) {
      return out;
    }
    auto obj = parsed.extract<Poco::JSON::Object::Ptr>();
    for (const auto& k : keys_) {
      if (k.secret() && obj->has(k.name) && !obj->isNull(k.name)) {
        out.push_back(k.name);
      }
    }
  } catch (const Poco::Exception&) {
    out.clear();
  }
  return out;
}

std::string ConfigSchema::keepStoredSecrets(const std::string& json, const std::string& stored_json) const {
  try {
    Var given = parseJson(json);
    Var stored = parseJson(stored_json);
    if (!isObject(given) || !isObject(stored)) {
      return json;
    }
    auto obj = given.extract<Poco::JSON::Object::Ptr>();
    auto old = stored.extract<Poco::JSON::Object::Ptr>();
    bool changed = false;
    for (const auto& k : keys_) {
      if (!k.secret() || !old->has(k.name)) {
        continue;
      }
      bool marker = obj->has(k.name) && obj->get(k.name).isString() &&
                    obj->get(k.name).extract<std::string>() == kRedactionMarker;
      if (!obj->has(k.name) || marker) {
        obj->set(k.name, old->get(k.name));
        changed = true;
      }
    }
    return changed ? stringify(*obj) : json;
  } catch (const Poco::Exception&) {
    return json;
  }
}

Status ConfigSchema::checkDefault(const ConfigKey& key) {
  if (!key.default_json) {
    return Status::ok();
  }
  try {
    Var v = parseValue(*key.default_json);
    if (!matchesType(v, key.type)) {
      return invalidArgument("default of key \"" + key.name + "\" is not of type " + configTypeName(key.type),
                             key.name);
    }
  } catch (const Poco::Exception& e) {
    return invalidArgument("default of key \"" + key.name + "\" is not valid JSON: " + e.displayText(), key.name);
  }
  return Status::ok();
}

}  // namespace streamhost::plugins
