#pragma once

#include <optional>
#include <set>
#include <string>

#include "api/json.h"
#include "common/status.h"

namespace streamhost::api {

/// Reads a request body object field by field. Each field may be spelled in
/// camelCase or snake_case; both present with different values is an error;
/// any field left untaken is reported as unknown by finish().
class BodyFields {
 public:
  explicit BodyFields(JsonObject body) : body_(std::move(body)) {}

  Result<std::optional<Poco::Dynamic::Var>> take(const std::string& camel, const std::string& snake = {});
  Result<std::optional<std::string>> takeString(const std::string& camel, const std::string& snake = {});
  /// A JSON object, returned as its JSON text.
  Result<std::optional<std::string>> takeObjectJson(const std::string& camel, const std::string& snake = {});
  Result<std::optional<int64_t>> takeInt(const std::string& camel, const std::string& snake = {});
  /// kInvalidArgument naming the first unknown field.
  Status finish() const;

 private:
  JsonObject body_;
  std::set<std::string> taken_;
};

}  // namespace streamhost::api
