#pragma once

#include "plugins/plugin_state.h"
#include "store/store.h"

namespace streamhost::runtime {

/// Plugin state kept in the host's store (its plugin_state table).
class StorePluginState final : public plugins::PluginStateStore {
 public:
  explicit StorePluginState(store::Store& store) : store_(store) {}

  Result<std::optional<std::string>> get(const std::string& stream_id, const std::string& key,
                                         int64_t now_ms) override {
    return store_.getState(stream_id, key, now_ms);
  }
  Status put(const std::string& stream_id, const std::string& key, const std::string& value,
             int64_t expires_at_ms) override {
    return store_.putState(stream_id, key, value, expires_at_ms);
  }
  Status remove(const std::string& stream_id, const std::string& key) override {
    return store_.deleteState(stream_id, key);
  }

 private:
  store::Store& store_;
};

}  // namespace streamhost::runtime
