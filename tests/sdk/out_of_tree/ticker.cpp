// The smallest useful connector: counts from 1, one record per poll.
#include <streamhost/plugin_sdk.hpp>

#include <string>
#include <vector>

namespace sdk = streamhost::sdk;

class Ticker : public sdk::Source {
 public:
  static constexpr const char* kName = "ticker";
  static constexpr const char* kDescription = "Counts from 1.";
  static constexpr uint32_t kFlags = 0;
  static constexpr const char* kConnectionType = nullptr;
  static std::span<const sh_config_key_t> configKeys() {
    static const sh_config_key_t keys[] = {
        sdk::configKey("step", SH_CFG_INT, "1", 0, "How much each record adds.")};
    return keys;
  }
  Ticker(sdk::Host host, const sh_create_args_t& /*args*/) : sdk::Source(host), step_(host.configInt("step", 1)) {}
  void start(std::string_view offset) override { n_ = offset.empty() ? 0 : std::stoll(std::string(offset)); }
  void poll(sdk::Sink& sink, uint32_t max_records, int32_t /*timeout_ms*/) override {
    if (max_records > 0) {
      n_ += step_;
      std::string text = std::to_string(n_);
      sink.emit(text, "{\"n\":" + text + "}", text);
    }
  }
  // Typed offsets (ABI 1.2): {"n": 12}, the last number delivered.
  std::string offsetToJson(std::string_view offset) override {
    return offset.empty() ? "null" : "{\"n\":" + std::string(offset) + "}";
  }
  std::string offsetFromJson(std::string_view json) override {
    auto v = sdk::parseJson(json);
    const sdk::JsonValue* n = v && v->isObject() ? v->find("n") : nullptr;
    if (n == nullptr || n->kind != sdk::JsonValue::Kind::kNumber || n->raw.front() == '-') {
      throw sdk::Error(SH_ERR_INVALID_ARGUMENT, "must be a number of 0 or more", "n");
    }
    return std::string(n->raw);
  }
  std::vector<std::string> offsetReset() override { return {}; }

 private:
  int64_t step_;
  int64_t n_ = 0;
};

struct TickerPlugin {
  static constexpr const char* kName = "ticker";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "Out-of-tree example.";
  using Sources = sdk::List<Ticker>;
  using Connections = sdk::List<>;
};

STREAMHOST_DEFINE_PLUGIN(TickerPlugin)
