// ABI glue of the datagen plugin: config keys, the sdk::Source subclass and
// the export macro. The record logic lives in generator.h.
#include <streamhost/plugin_sdk.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>

#include "generator.h"

namespace streamhost::plugins::datagen {
namespace {

constexpr std::array<sh_config_key_t, 3> kConfigKeys = {
    sdk::configKey("rate_per_second", SH_CFG_INT, "1000", 0,
                   "Records per second; 0 emits as fast as the host takes them."),
    sdk::configKey("max_records", SH_CFG_INT, "0", 0, "Stop after this many records; 0 never stops."),
    sdk::configKey("payload_bytes", SH_CFG_INT, "64", 0, "Length of each record's payload string (at most 1 MiB)."),
};

GeneratorConfig readConfig(const sdk::Host& host) {
  GeneratorConfig c;
  c.rate_per_second = host.configInt("rate_per_second", c.rate_per_second);
  c.max_records = host.configInt("max_records", c.max_records);
  c.payload_bytes = host.configInt("payload_bytes", c.payload_bytes);
  if (auto problem = datagen::validateConfig(c)) {
    sdk::configError(problem->field, problem->message);
  }
  return c;
}

class DatagenSource : public sdk::Source {
 public:
  static constexpr const char* kName = "datagen";
  static constexpr const char* kDescription = "Generates numbered JSON records at a fixed rate, for trying things out.";
  static constexpr uint32_t kFlags = SH_CAP_PAUSE;
  static constexpr const char* kConnectionType = nullptr;

  static std::span<const sh_config_key_t> configKeys() { return kConfigKeys; }
  static void validate(const sdk::Host& host) { readConfig(host); }

  DatagenSource(sdk::Host host, const sh_create_args_t& /*args*/)
      : sdk::Source(host), config_(readConfig(host)), generator_(config_), pacer_(config_.rate_per_second, 0) {}

  void start(std::string_view resume_offset) override {
    auto last = parseOffset(resume_offset);
    if (!last) {
      throw sdk::Error(SH_ERR_INVALID_ARGUMENT,
                       "resume offset \"" + std::string(resume_offset) + "\" is not a non-negative integer");
    }
    generator_ = Generator(config_);
    generator_.resumeAfter(*last);
    pacer_ = RatePacer(config_.rate_per_second, host().nowMs());
    paused_ = false;
    started_ = true;
  }

  void poll(sdk::Sink& sink, uint32_t max_records, int32_t timeout_ms) override {
    if (!started_) {
      throw sdk::Error(SH_ERR_INVALID_STATE, "poll before start");
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
    for (;;) {
      int64_t wait_ms = 0;
      if (!paused_ && !generator_.exhausted()) {
        const int64_t now = host().nowMs();
        if (emitReady(sink, now, max_records) > 0) {
          return;
        }
        wait_ms = std::max<int64_t>(pacer_.msUntilNext(now), 1);
      }
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return;
      }
      if (wait_ms > 0) {
        left = std::min(left, std::chrono::milliseconds(wait_ms));
      }
      if (waiter_.waitFor(left)) {
        return;  // woken: hand control back to the host
      }
    }
  }

  void pause() override {
    paused_ = true;
    waiter_.wakeup();
  }
  void resume() override {
    paused_ = false;
    waiter_.wakeup();
  }
  void stop() override { started_ = false; }

  // The token is the decimal n of the last record delivered: {"n": 1234}.
  std::string offsetToJson(std::string_view offset) override {
    if (offset.empty()) {
      return "null";
    }
    auto n = parseOffset(offset);
    if (!n) {
      throw sdk::Error(SH_ERR_INVALID_ARGUMENT, "offset \"" + std::string(offset) + "\" is not a datagen position");
    }
    return "{\"n\":" + std::to_string(*n) + "}";
  }
  std::string offsetFromJson(std::string_view json) override {
    auto v = sdk::parseJson(json);
    if (!v || !v->isObject()) {
      throw sdk::Error(SH_ERR_INVALID_ARGUMENT, "must be an object such as {\"n\": 1234}", "body");
    }
    if (auto unknown = sdk::unknownJsonKey(json, {"n"})) {
      throw sdk::Error(SH_ERR_INVALID_ARGUMENT, "is not a datagen position key; the only key is n", *unknown);
    }
    const sdk::JsonValue* n = v->find("n");
    auto parsed = n != nullptr && n->kind == sdk::JsonValue::Kind::kNumber ? parseOffset(n->raw) : std::nullopt;
    if (!parsed) {
      throw sdk::Error(SH_ERR_INVALID_ARGUMENT,
                       "must be the number of the last record delivered, a non-negative integer (0: from the first)",
                       "n");
    }
    return std::to_string(*parsed);
  }
  std::vector<std::string> offsetReset() override { return {}; }  // nothing is held anywhere
  sdk::Lag lag() override { return sdk::Lag{generator_.remaining(), -1, -1}; }
  void wakeup() noexcept override { waiter_.wakeup(); }

 private:
  // Emits what the pacer allows now; returns how many records went out.
  uint64_t emitReady(sdk::Sink& sink, int64_t now, uint32_t max_records) {
    uint64_t want = max_records;
    if (int64_t rest = generator_.remaining(); rest >= 0) {
      want = std::min<uint64_t>(want, static_cast<uint64_t>(rest));
    }
    const uint64_t allowed = pacer_.take(now, want);
    uint64_t sent = 0;
    GeneratedRecord& r = scratch_;
    while (sent < allowed) {
      generator_.next(r);
      if (!sink.emit(r.key, r.value, r.offset, SH_OP_NONE, now)) {
        generator_.resumeAfter(r.n - 1);  // not taken: make it again next time
        break;
      }
      ++sent;
    }
    pacer_.giveBack(allowed - sent);
    return sent;
  }

  GeneratorConfig config_;
  Generator generator_;
  GeneratedRecord scratch_;  // reused for every record
  RatePacer pacer_;
  Waiter waiter_;
  std::atomic<bool> paused_{false};
  bool started_ = false;
};

struct DatagenPlugin {
  static constexpr const char* kName = "datagen";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Synthetic records for demos, tests and benchmarks.";
  using Sources = sdk::List<DatagenSource>;
  using Connections = sdk::List<>;
};

}  // namespace
}  // namespace streamhost::plugins::datagen

STREAMHOST_DEFINE_PLUGIN(streamhost::plugins::datagen::DatagenPlugin)
