#include "plugins/connector.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>

#include "plugins/host_api.h"
#include "plugins/push_response.h"

namespace streamhost::plugins {
namespace {

constexpr size_t kErrBufSize = 1024;
constexpr size_t kReportSize = 16 * 1024;

using ErrBuf = std::array<char, kErrBufSize>;

sh_str_t toStr(std::string_view s) { return sh_str_t{s.data(), s.size()}; }
sh_bytes_t toBytes(std::string_view s) { return sh_bytes_t{reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

Status convert(sh_status_t st, ErrBuf& buf, std::string field = {}) {
  buf.back() = '\0';
  return Status::fromAbi(st, buf.data(), std::move(field));
}

Result<std::vector<std::string>> parseReport(const std::string& json) {
  if (json.empty()) {
    return std::vector<std::string>{};
  }
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(json);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) {
      return internalError("teardown report is not a JSON array");
    }
    std::vector<std::string> out;
    for (const auto& item : *v.extract<Poco::JSON::Array::Ptr>()) {
      out.push_back(item.toString());
    }
    return out;
  } catch (const Poco::Exception& e) {
    return internalError("teardown report is not valid JSON: " + e.displayText());
  }
}

}  // namespace

Result<ConnectorPtr> Connector::create(const SourceTypeInfo& type, InstanceOptions options) {
  options.plugin_name = type.plugin ? type.plugin->name() : type.name;
  options.plugin_opaque = type.plugin ? type.plugin->opaque() : nullptr;
  auto ctx = InstanceContext::create(std::move(options));
  if (!ctx) {
    return ctx.status();
  }
  ConnectorPtr c(new Connector(type, std::move(*ctx)));
  InstanceContext& x = *c->ctx_;
  sh_create_args_t args{};
  args.struct_size = sizeof(args);
  args.ctx = x.handle();
  args.host = type.plugin && type.plugin->hostApi() ? type.plugin->hostApi() : hostApi();
  args.stream_id = toStr(x.streamId());
  args.stream_name = toStr(x.streamName());
  args.config_json = toStr(x.configJson());
  args.connection_json = toStr(x.connectionJson());
  args.plugin_opaque = x.pluginOpaque();
  ErrBuf err{};
  sh_connector_t* instance = nullptr;
  sh_status_t st = type.vtable->create(&args, &instance, err.data(), err.size());
  if (st != SH_OK) {
    return convert(st, err);
  }
  if (instance == nullptr) {
    return internalError("plugin " + x.pluginName() + " returned no instance from create");
  }
  c->instance_ = instance;
  return c;
}

Result<ValidatedConfig> Connector::validateConfig(const SourceTypeInfo& type, const std::string& config_json,
                                                  const std::string& connection_json) {
  auto checked = ConfigSchema(type.config_keys).validate(config_json);
  if (!checked || type.vtable->validate == nullptr) {
    return checked;
  }
  InstanceOptions options;
  options.plugin_name = type.plugin ? type.plugin->name() : type.name;
  options.plugin_opaque = type.plugin ? type.plugin->opaque() : nullptr;
  options.config_json = checked->json;
  options.connection_json = connection_json;
  auto ctx = InstanceContext::create(std::move(options));
  if (!ctx) {
    return ctx.status();
  }
  ErrBuf err{};
  std::array<char, 256> field{};
  sh_status_t st = type.vtable->validate((*ctx)->handle(), field.data(), field.size(), err.data(), err.size());
  if (st != SH_OK) {
    field.back() = '\0';
    return convert(st, err, field.data());
  }
  return checked;
}

Connector::~Connector() {
  if (instance_ != nullptr) {
    type_.vtable->destroy(instance_);
  }
}

Status Connector::unsupported(const char* call) const {
  return Status(StatusCode::kUnsupported,
                std::string("source type ") + type_.name + " does not implement " + call + ".");
}

Status Connector::start(std::string_view resume_offset) {
  ErrBuf err{};
  return convert(type_.vtable->start(instance_, toStr(resume_offset), err.data(), err.size()), err);
}

Status Connector::poll(RecordBatch& batch, uint32_t max_records, int32_t timeout_ms) {
  if (type_.vtable->poll == nullptr) {
    return unsupported("poll");
  }
  ErrBuf err{};
  return convert(type_.vtable->poll(instance_, batch.emitter(), max_records, timeout_ms, err.data(), err.size()), err);
}

Status Connector::commit(std::string_view offset) {
  if (type_.vtable->commit == nullptr) {
    return unsupported("commit");
  }
  ErrBuf err{};
  return convert(type_.vtable->commit(instance_, toStr(offset), err.data(), err.size()), err);
}

Status Connector::pause() {
  if (type_.vtable->pause == nullptr) {
    return unsupported("pause");
  }
  ErrBuf err{};
  return convert(type_.vtable->pause(instance_, err.data(), err.size()), err);
}

Status Connector::resume() {
  if (type_.vtable->resume == nullptr) {
    return unsupported("resume");
  }
  ErrBuf err{};
  return convert(type_.vtable->resume(instance_, err.data(), err.size()), err);
}

Status Connector::stop() {
  ErrBuf err{};
  return convert(type_.vtable->stop(instance_, err.data(), err.size()), err);
}

Result<std::vector<std::string>> Connector::teardown(bool force) {
  if (type_.vtable->teardown == nullptr) {
    return std::vector<std::string>{};  // nothing held at the source
  }
  ErrBuf err{};
  std::string report(kReportSize, '\0');
  sh_status_t st = type_.vtable->teardown(instance_, force ? 1 : 0, report.data(), report.size(), err.data(),
                                          err.size());
  if (st != SH_OK) {
    return convert(st, err);
  }
  report.back() = '\0';
  report.resize(report.find('\0'));
  return parseReport(report);
}

Result<Lag> Connector::metrics() {
  if (type_.vtable->metrics == nullptr) {
    return Lag{};
  }
  ErrBuf err{};
  sh_metrics_t m{};
  m.struct_size = sizeof(m);
  m.lag_records = m.lag_bytes = m.lag_ms = -1;
  sh_status_t st = type_.vtable->metrics(instance_, &m, err.data(), err.size());
  if (st != SH_OK) {
    return convert(st, err);
  }
  return Lag{m.lag_records, m.lag_bytes, m.lag_ms};
}

void Connector::wakeup() {
  if (type_.vtable->wakeup != nullptr) {
    type_.vtable->wakeup(instance_);
  }
}

Result<PushResult> Connector::handleRequest(const PushRequest& request, RecordBatch& batch) {
  if (type_.vtable->handle_request == nullptr) {
    return unsupported("handle_request");
  }
  std::vector<sh_header_t> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    headers.push_back(sh_header_t{sizeof(sh_header_t), toStr(name), toBytes(value)});
  }
  sh_push_request_t req{};
  req.struct_size = sizeof(req);
  req.method = toStr(request.method);
  req.path = toStr(request.path);
  req.query = toStr(request.query);
  req.content_type = toStr(request.content_type);
  req.headers = headers.empty() ? nullptr : headers.data();
  req.header_count = headers.size();
  req.body = toBytes(request.body);
  req.remote_addr = toStr(request.remote_addr);
  req.received_at_ms = request.received_at_ms;
  PushResponseBuffer resp;
  ErrBuf err{};
  sh_status_t st =
      type_.vtable->handle_request(instance_, &req, batch.emitter(), &resp.response, err.data(), err.size());
  if (st != SH_OK) {
    return convert(st, err);
  }
  return PushResult{resp.response.http_status, resp.response.retry_after_seconds, resp.takeBody()};
}

namespace {

// A plugin's UNSUPPORTED for an optional call is the host's 501.
Status notImplementedIfUnsupported(Status s) {
  if (s.code() == StatusCode::kUnsupported) {
    return Status(StatusCode::kNotImplemented, s.message(), s.field());
  }
  return s;
}

constexpr size_t kJsonOutSize = 4096;
constexpr size_t kJsonOutMax = 16 * 1024 * 1024;

// Calls `fn(buf, cap, &len)` and, when the answer did not fit, once more with room enough.
template <class F>
Result<std::string> callWithOut(F&& fn) {
  std::string out(kJsonOutSize, '\0');
  size_t len = 0;
  Status s = fn(out.data(), out.size(), &len);
  if (!s) {
    return s;
  }
  if (len > out.size()) {
    if (len > kJsonOutMax) {
      return internalError("the plugin's answer is longer than " + std::to_string(kJsonOutMax) + " bytes");
    }
    out.assign(len, '\0');
    size_t again = 0;
    s = fn(out.data(), out.size(), &again);
    if (!s) {
      return s;
    }
    len = std::min(again, out.size());
  }
  out.resize(len);
  return out;
}

}  // namespace

Result<std::string> Connector::offsetToJson(std::string_view offset) {
  if (type_.vtable->offset_to_json == nullptr) {
    return Status(StatusCode::kNotImplemented, "source type " + type_.name + " does not support typed offsets.");
  }
  auto r = callWithOut([&](char* out, size_t cap, size_t* len) {
    ErrBuf err{};
    return convert(type_.vtable->offset_to_json(instance_, toStr(offset), out, cap, len, err.data(), err.size()), err);
  });
  if (!r) {
    return notImplementedIfUnsupported(r.status());
  }
  return r;
}

Result<std::string> Connector::offsetFromJson(std::string_view json) {
  if (type_.vtable->offset_from_json == nullptr) {
    return Status(StatusCode::kNotImplemented, "source type " + type_.name + " does not support typed offsets.");
  }
  auto r = callWithOut([&](char* out, size_t cap, size_t* len) {
    ErrBuf err{};
    std::array<char, 256> field{};
    sh_status_t st = type_.vtable->offset_from_json(instance_, toStr(json), out, cap, len, field.data(), field.size(),
                                                    err.data(), err.size());
    field.back() = '\0';
    return convert(st, err, st == SH_OK ? std::string() : std::string(field.data()));
  });
  if (!r) {
    return notImplementedIfUnsupported(r.status());
  }
  return r;
}

Result<std::vector<std::string>> Connector::offsetReset() {
  if (type_.vtable->offset_reset == nullptr) {
    return Status(StatusCode::kNotImplemented, "source type " + type_.name + " cannot reset its offset.");
  }
  ErrBuf err{};
  std::string report(kReportSize, '\0');
  sh_status_t st = type_.vtable->offset_reset(instance_, report.data(), report.size(), err.data(), err.size());
  if (st != SH_OK) {
    return notImplementedIfUnsupported(convert(st, err));
  }
  report.back() = '\0';
  report.resize(report.find('\0'));
  return parseReport(report);
}

Result<SourceHealth> Connector::sourceHealth(std::string_view committed_offset) {
  if (type_.vtable->source_health == nullptr) {
    return Status(StatusCode::kNotImplemented, "source type " + type_.name + " does not report source health.");
  }
  SourceHealth h;
  std::array<char, 2048> reason{};
  std::string source;
  auto json = callWithOut([&](char* out, size_t cap, size_t* len) {
    sh_source_health_t raw{};
    raw.struct_size = sizeof(raw);
    raw.retained_bytes = raw.budget_bytes = -1;
    raw.reason = reason.data();
    raw.reason_size = reason.size();
    raw.source_json = out;
    raw.source_cap = cap;
    ErrBuf err{};
    Status s = convert(type_.vtable->source_health(instance_, toStr(committed_offset), &raw, err.data(), err.size()),
                       err);
    *len = raw.source_len;
    h.level = raw.level;
    h.action = raw.action;
    h.retained_bytes = raw.retained_bytes;
    h.budget_bytes = raw.budget_bytes;
    return s;
  });
  if (!json) {
    return notImplementedIfUnsupported(json.status());
  }
  reason.back() = '\0';
  h.reason = reason.data();
  h.source_json = json->empty() ? "{}" : *json;
  return h;
}

void Connector::abortPush(const std::string& last_offset) {
  if (type_.vtable->abort != nullptr) {
    type_.vtable->abort(instance_, toStr(last_offset));
  }
}

}  // namespace streamhost::plugins
