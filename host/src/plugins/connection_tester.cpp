#include "plugins/connection_tester.h"

#include <array>
#include <chrono>

#include "common/json_writer.h"
#include "plugins/instance_context.h"
#include "plugins/loaded_plugin.h"

namespace streamhost::plugins {

std::string connectionJson(const std::string& config_json, const std::map<std::string, std::string>& secrets) {
  JsonWriter w;
  w.beginObject().key("config").raw(config_json.empty() ? "{}" : config_json).key("secrets").beginObject();
  for (const auto& [k, v] : secrets) {
    w.key(k).string(v);
  }
  w.endObject().endObject();
  return w.take();
}

Result<ConnectionTestResult> testConnection(const ConnectionTypeInfo* type, const std::string& type_name,
                                            const std::string& connection_json, const std::string& id,
                                            const std::string& name) {
  if (type == nullptr || type->vtable == nullptr || type->vtable->test == nullptr) {
    return Status(StatusCode::kInvalidState, "no loaded plugin can test connections of type '" + type_name + "'");
  }
  InstanceOptions opts;
  opts.stream_id = id;
  opts.stream_name = name;
  opts.plugin_name = type->plugin ? type->plugin->name() : std::string();
  opts.plugin_opaque = type->plugin ? type->plugin->opaque() : nullptr;
  opts.connection_json = connection_json;
  auto ctx = InstanceContext::create(std::move(opts));
  if (!ctx) {
    return ctx.status();
  }
  std::array<char, 2048> message{};
  auto started = std::chrono::steady_clock::now();
  sh_status_t st = type->vtable->test((*ctx)->handle(), message.data(), message.size());
  message.back() = '\0';
  ConnectionTestResult out;
  out.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  out.ok = st == SH_OK;
  out.message = message.data();
  return out;
}

}  // namespace streamhost::plugins
