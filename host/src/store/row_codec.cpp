#include "store/row_codec.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

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
