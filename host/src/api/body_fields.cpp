#include "api/body_fields.h"

namespace streamhost::api {

Result<std::optional<Poco::Dynamic::Var>> BodyFields::take(const std::string& camel, const std::string& snake) {
  taken_.insert(camel);
  std::optional<Poco::Dynamic::Var> a;
  std::optional<Poco::Dynamic::Var> b;
  if (body_->has(camel)) {
    a = body_->get(camel);
  }
  if (!snake.empty() && snake != camel) {
    taken_.insert(snake);
    if (body_->has(snake)) {
      b = body_->get(snake);
    }
  }
  if (a && b && toJson(*a) != toJson(*b)) {
    return invalidArgument("'" + camel + "' and '" + snake + "' are both given, with different values", camel);
  }
  return a ? a : b;
}

Result<std::optional<std::string>> BodyFields::takeString(const std::string& camel, const std::string& snake) {
  auto v = take(camel, snake);
  if (!v) {
    return v.status();
  }
  if (!*v || (*v)->isEmpty()) {
    return std::optional<std::string>();
  }
  if (!(*v)->isString()) {
    return invalidArgument("must be a string", camel);
  }
  return std::optional<std::string>((*v)->extract<std::string>());
}

Result<std::optional<std::string>> BodyFields::takeObjectJson(const std::string& camel, const std::string& snake) {
  auto v = take(camel, snake);
  if (!v) {
    return v.status();
  }
  if (!*v || (*v)->isEmpty()) {
    return std::optional<std::string>();
  }
  if ((*v)->type() != typeid(Poco::JSON::Object::Ptr)) {
    return invalidArgument("must be a JSON object", camel);
  }
  return std::optional<std::string>(toJson(**v));
}

Result<std::optional<int64_t>> BodyFields::takeInt(const std::string& camel, const std::string& snake) {
  auto v = take(camel, snake);
  if (!v) {
    return v.status();
  }
  if (!*v || (*v)->isEmpty()) {
    return std::optional<int64_t>();
  }
  if (!(*v)->isInteger()) {
    return invalidArgument("must be an integer", camel);
  }
  return std::optional<int64_t>((*v)->convert<int64_t>());
}

Status BodyFields::finish() const {
  std::vector<std::string> names;
  body_->getNames(names);
  for (const auto& n : names) {
    if (taken_.count(n) == 0) {
      return invalidArgument("unknown field '" + n + "'", n);
    }
  }
  return Status::ok();
}

}  // namespace streamhost::api
