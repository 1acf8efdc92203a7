#pragma once

#include <streamhost/plugin_sdk.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

namespace streamhost::pgcdc::testing {

/// A host whose config_get and connection_get answer from maps of JSON texts.
class FakeHost {
 public:
  std::map<std::string, std::string> config;      ///< key → JSON text
  std::map<std::string, std::string> connection;  ///< key → JSON text

  FakeHost() {
    api_.struct_size = sizeof(sh_host_api_t);
    api_.abi_version = SH_ABI_VERSION;
    api_.config_get = &FakeHost::configGet;
    api_.connection_get = &FakeHost::connectionGet;
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  /// The SDK view; valid while this object lives.
  sdk::Host host() { return sdk::Host(&api_, reinterpret_cast<sh_host_ctx_t*>(this)); }

 private:
  static sh_status_t answer(const std::map<std::string, std::string>& m, sh_str_t key, char* buf, size_t cap,
                            size_t* out_len) {
    auto it = m.find(std::string(sdk::toView(key)));
    if (it == m.end()) {
      return SH_ERR_NOT_FOUND;
    }
    *out_len = it->second.size();
    if (buf != nullptr) {
      std::memcpy(buf, it->second.data(), std::min(cap, it->second.size()));
    }
    return SH_OK;
  }
  static sh_status_t configGet(sh_host_ctx_t* ctx, sh_str_t key, char* buf, size_t cap, size_t* out_len) {
    return answer(reinterpret_cast<FakeHost*>(ctx)->config, key, buf, cap, out_len);
  }
  static sh_status_t connectionGet(sh_host_ctx_t* ctx, sh_str_t key, char* buf, size_t cap, size_t* out_len) {
    return answer(reinterpret_cast<FakeHost*>(ctx)->connection, key, buf, cap, out_len);
  }

  sh_host_api_t api_{};
};

}  // namespace streamhost::pgcdc::testing
