#include "plugins/host_api.h"

#include <Poco/Logger.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "plugins/instance_context.h"
#include "plugins/push_response.h"
#include "plugins/record_batch.h"

namespace streamhost::plugins {
namespace {

std::string_view view(sh_str_t s) { return s.data != nullptr ? std::string_view(s.data, s.len) : std::string_view(); }

// Copies what fits; `out_len` always gets the full length (the ABI's contract).
sh_status_t copyOut(const std::string& value, void* buf, size_t cap, size_t* out_len) {
  if (out_len != nullptr) {
    *out_len = value.size();
  }
  if (buf != nullptr && cap > 0) {
    std::memcpy(buf, value.data(), std::min(cap, value.size()));
  }
  return SH_OK;
}

// Host-only codes (below -1000) are not ABI codes; for a plugin they mean the store failed.
sh_status_t toAbi(const Status& st) {
  auto code = static_cast<int32_t>(st.code());
  return code > -1000 ? static_cast<sh_status_t>(code) : SH_ERR_TRANSIENT;
}

void hostLog(sh_host_ctx_t* ctx, int32_t level, sh_str_t message) noexcept {
  try {
    if (auto* c = InstanceContext::fromHandle(ctx)) {
      c->log(level, view(message));
      return;
    }
    Poco::Logger::get("streamhost.plugins").information("plugin=unknown " + std::string(view(message)));
  } catch (...) {  // logging must never take the host down
  }
}

sh_status_t hostEmit(sh_emitter_t* emitter, const sh_record_t* record) noexcept {
  try {
    auto* batch = RecordBatch::fromEmitter(emitter);
    return batch == nullptr ? SH_ERR_INVALID_STATE : batch->emit(record);
  } catch (...) {
    return SH_ERR_INTERNAL;
  }
}

sh_status_t hostEmitBatch(sh_emitter_t* emitter, const sh_record_t* records, size_t count,
                          size_t* out_taken) noexcept {
  try {
    auto* batch = RecordBatch::fromEmitter(emitter);
    if (batch == nullptr) {
      if (out_taken != nullptr) {
        *out_taken = 0;
      }
      return SH_ERR_INVALID_STATE;
    }
    return batch->emitBatch(records, count, out_taken);
  } catch (...) {
    return SH_ERR_INTERNAL;
  }
}

sh_status_t hostResponseSetBody(sh_push_response_t* response, sh_str_t body) noexcept {
  try {
    auto* buffer = PushResponseBuffer::fromHandle(response);
    if (buffer == nullptr) {
      return SH_ERR_INVALID_STATE;
    }
    buffer->set_body.assign(view(body));
    buffer->body_was_set = true;
    buffer->response.body_len = buffer->set_body.size();
    return SH_OK;
  } catch (...) {
    return SH_ERR_INTERNAL;
  }
}

void* hostPluginOpaque(sh_host_ctx_t* ctx) noexcept {
  auto* c = InstanceContext::fromHandle(ctx);
  return c == nullptr ? nullptr : c->pluginOpaque();
}

sh_status_t hostCheckpoint(sh_emitter_t* emitter, sh_str_t offset) noexcept {
  try {
    auto* batch = RecordBatch::fromEmitter(emitter);
    return batch == nullptr ? SH_ERR_INVALID_STATE : batch->checkpoint(offset);
  } catch (...) {
    return SH_ERR_INTERNAL;
  }
}

template <std::optional<std::string> (InstanceContext::*Lookup)(std::string_view) const>
sh_status_t hostGet(sh_host_ctx_t* ctx, sh_str_t key, char* buf, size_t cap, size_t* out_len) noexcept {
  try {
    auto* c = InstanceContext::fromHandle(ctx);
    if (c == nullptr) {
      return SH_ERR_INVALID_ARGUMENT;
    }
    auto v = (c->*Lookup)(view(key));
    return v ? copyOut(*v, buf, cap, out_len) : SH_ERR_NOT_FOUND;
  } catch (...) {
    return SH_ERR_INTERNAL;
  }
}

void hostGaugeSet(sh_host_ctx_t* ctx, sh_str_t name, double value) noexcept {
  try {
    if (auto* c = InstanceContext::fromHandle(ctx)) {
      c->setGauge(view(name), value);
    }
  } catch (...) {  // a lost metric is better than a lost host
  }
}

void hostCounterAdd(sh_host_ctx_t* ctx, sh_str_t name, int64_t delta) noexcept {
  try {
    if (auto* c = InstanceContext::fromHandle(ctx)) {
      c->addCounter(view(name), delta);
    }
  } catch (...) {  // a lost metric is better than a lost host
  }
}

int64_t hostNowMs(sh_host_ctx_t* ctx) noexcept {
  try {
    if (auto* c = InstanceContext::fromHandle(ctx)) {
      return c->nowMs();
    }
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  } catch (...) {
    return 0;
  }
}

sh_status_t hostStateGet(sh_host_ctx_t* ctx, sh_str_t key, uint8_t* buf, size_t cap, size_t* out_len) noexcept {
  try {
    auto* c = InstanceContext::fromHandle(ctx);
    if (c == nullptr) {
      return SH_ERR_INVALID_ARGUMENT;
    }
    auto v = c->stateGet(std::string(view(key)));
    if (!v) {
      return toAbi(v.status());
    }
    return *v ? copyOut(**v, buf, cap, out_len) : SH_ERR_NOT_FOUND;
  } catch (...) {
    return SH_ERR_INTERNAL;
  }
}

sh_status_t hostStatePut(sh_host_ctx_t* ctx, sh_str_t key, sh_bytes_t value, int64_t ttl_ms) noexcept {
  try {
    auto* c = InstanceContext::fromHandle(ctx);
    if (c == nullptr) {
      return SH_ERR_INVALID_ARGUMENT;
    }
    std::string v = value.data != nullptr ? std::string(reinterpret_cast<const char*>(value.data), value.len) : "";
    Status st = c->statePut(std::string(view(key)), v, ttl_ms);
    return toAbi(st);
  } catch (...) {
    return SH_ERR_INTERNAL;
  }
}

}  // namespace

const sh_host_api_t* hostApi(uint32_t version) {
  static constexpr sh_host_api_t kApi = {
      sizeof(sh_host_api_t),
      SH_ABI_VERSION,
      &hostLog,
      &hostEmit,
      &hostCheckpoint,
      &hostGet<&InstanceContext::configValue>,
      &hostGet<&InstanceContext::connectionValue>,
      &hostGaugeSet,
      &hostCounterAdd,
      &hostNowMs,
      &hostStateGet,
      &hostStatePut,
      &hostEmitBatch,
      &hostResponseSetBody,
      &hostPluginOpaque,
  };
  // What a 1.0 host handed out: the same functions, a table that ends at state_put.
  static constexpr sh_host_api_t kApi10 = [] {
    sh_host_api_t t = kApi;
    t.struct_size = offsetof(sh_host_api_t, emit_batch);
    t.abi_version = SH_ABI_MAKE_VERSION(1, 0);
    t.emit_batch = nullptr;
    t.response_set_body = nullptr;
    t.plugin_opaque = nullptr;
    return t;
  }();
  return SH_ABI_MINOR_OF(version) == 0 ? &kApi10 : &kApi;
}

}  // namespace streamhost::plugins
