#include "plugins/instance_context.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <chrono>
#include <sstream>

namespace streamhost::plugins {
namespace {

using JsonMap = std::map<std::string, std::string, std::less<>>;

std::string stringify(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out);
  return out.str();
}

JsonMap flatten(const Poco::JSON::Object& obj) {
  JsonMap out;
  for (const auto& [k, v] : obj) {
    out.emplace(k, stringify(v));
  }
  return out;
}

Result<Poco::JSON::Object::Ptr> parseObject(const std::string& json, const std::string& what) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var v = parser.parse(json);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
      return Status(StatusCode::kInvalidConfig, what + " must be a JSON object");
    }
    return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return Status(StatusCode::kInvalidConfig, what + " is not valid JSON: " + e.displayText());
  }
}

std::optional<std::string> lookup(const JsonMap& map, std::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? std::nullopt : std::optional<std::string>(it->second);
}

}  // namespace

InstanceContext::InstanceContext(InstanceOptions options)
    : options_(std::move(options)), logger_(Poco::Logger::get("streamhost.plugins")) {}

Result<std::unique_ptr<InstanceContext>> InstanceContext::create(InstanceOptions options) {
  std::unique_ptr<InstanceContext> ctx(new InstanceContext(std::move(options)));
  auto config = parseObject(ctx->options_.config_json.empty() ? "{}" : ctx->options_.config_json, "config");
  if (!config) {
    return config.status();
  }
  ctx->config_ = flatten(**config);
  if (!ctx->options_.connection_json.empty()) {
    auto conn = parseObject(ctx->options_.connection_json, "connection");
    if (!conn) {
      return conn.status();
    }
    if (auto c = (*conn)->getObject("config")) {
      ctx->connection_config_ = flatten(*c);
    }
    if (auto s = (*conn)->getObject("secrets")) {
      ctx->connection_secrets_ = flatten(*s);
    }
  }
  return ctx;
}

std::optional<std::string> InstanceContext::configValue(std::string_view key) const { return lookup(config_, key); }

std::optional<std::string> InstanceContext::connectionValue(std::string_view key) const {
  if (auto v = lookup(connection_config_, key)) {
    return v;
  }
  return lookup(connection_secrets_, key);
}

void InstanceContext::log(int32_t level, std::string_view message) const {
  std::string line = "plugin=" + options_.plugin_name + " stream=" + options_.stream_id + " ";
  for (char c : message) {
    // One event per line: a plugin's newlines must not forge extra lines.
    line += (c == '\n' || c == '\r') ? ' ' : c;
  }
  switch (level) {
    case SH_LOG_ERROR: logger_.error(line); break;
    case SH_LOG_WARN: logger_.warning(line); break;
    case SH_LOG_INFO: logger_.information(line); break;
    default: logger_.debug(line); break;
  }
}

void InstanceContext::setGauge(std::string_view name, double value) {
  std::lock_guard lock(metrics_mutex_);
  gauges_[std::string(name)] = value;
}

void InstanceContext::addCounter(std::string_view name, int64_t delta) {
  std::lock_guard lock(metrics_mutex_);
  counters_[std::string(name)] += delta;
}

std::map<std::string, double> InstanceContext::gauges() const {
  std::lock_guard lock(metrics_mutex_);
  return {gauges_.begin(), gauges_.end()};
}

std::map<std::string, int64_t> InstanceContext::counters() const {
  std::lock_guard lock(metrics_mutex_);
  return {counters_.begin(), counters_.end()};
}

int64_t InstanceContext::nowMs() const {
  if (options_.clock) {
    return options_.clock();
  }
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<std::optional<std::string>> InstanceContext::stateGet(const std::string& key) const {
  if (options_.state == nullptr) {
    return Status(StatusCode::kUnsupported, "this host has no state store for plugins");
  }
  return options_.state->get(options_.stream_id, key, nowMs());
}

Status InstanceContext::statePut(const std::string& key, const std::string& value, int64_t ttl_ms) {
  if (options_.state == nullptr) {
    return Status(StatusCode::kUnsupported, "this host has no state store for plugins");
  }
  if (value.empty() && ttl_ms < 0) {
    return options_.state->remove(options_.stream_id, key);
  }
  int64_t expires_at = ttl_ms > 0 ? nowMs() + ttl_ms : 0;
  return options_.state->put(options_.stream_id, key, value, expires_at);
}

}  // namespace streamhost::plugins
