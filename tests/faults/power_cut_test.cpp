// Power cuts, simulated: the daemon runs under the fault shim, which logs what
// it writes and syncs; a SIGKILL at a random moment, then everything not
// synced is thrown away (support/power_cut.h), and the restarted daemon must
// still hold every record it acknowledged, numbered without a hole, and resume
// its datagen stream right after the last durable record.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "faults/fault_test_util.h"
#include "support/power_cut.h"
#include "support/temp_dir.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

int cyclesFromEnv() {
  const char* s = std::getenv("STREAMHOST_POWERCUT_CYCLES");
#if defined(__SANITIZE_ADDRESS__)
  // A sanitized daemon takes seconds to start; the plain build runs the full 20.
  constexpr int kDefaultCycles = 8;
#else
  constexpr int kDefaultCycles = 20;
#endif
  return s != nullptr ? std::atoi(s) : kDefaultCycles;
}

uint64_t seedFromEnv() {
  const char* s = std::getenv("STREAMHOST_POWERCUT_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 10) : std::random_device{}();
}

/// Sends {"w":k} with k = 1, 2, ... until stopped; remembers every k answered 202.
class Pusher {
 public:
  Pusher(const DaemonHarness& d, std::string stream, int64_t first) : stream_(std::move(stream)), next_(first) {
    client_ = std::make_unique<HttpClient>(d.clientWithKey(""));
    client_->setTimeoutMs(5000);
    thread_ = std::thread([this] { run(); });
  }
  ~Pusher() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  std::set<int64_t> acked() const {
    std::lock_guard<std::mutex> lk(mu_);
    return acked_;
  }
  int64_t next() const { return next_; }

 private:
  void run() {
    while (!stop_) {
      const int64_t k = next_;
      HttpResponse r = client_->request("POST", "/ingest/" + stream_, "{\"w\":" + std::to_string(k) + "}",
                                        {{"Authorization", "Bearer t"}}, "application/json");
      if (r.status == 202) {
        std::lock_guard<std::mutex> lk(mu_);
        acked_.insert(k);
      }
      if (r.status == 0) {
        std::this_thread::sleep_for(5ms);  // the daemon is gone; do not spin
      }
      ++next_;
    }
  }
  std::string stream_;
  std::unique_ptr<HttpClient> client_;
  std::atomic<int64_t> next_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::set<int64_t> acked_;
  std::thread thread_;
};

/// Reads the events after `verified`, checks their seqs continue without a
/// hole, and collects webhook bodies and datagen numbers; advances `verified`.
::testing::AssertionResult checkEvents(const HttpClient& c, const std::string& pl, uint64_t& verified,
                                       std::set<int64_t>& ws, std::set<int64_t>& ns, int64_t& last_n, int& repeats) {
  while (true) {
    HttpResponse r = eventsPage(c, pl, verified);
    if (r.status != 200) {
      return ::testing::AssertionFailure() << "events: " << r.describe();
    }
    const Json& data = r.json["data"];
    if (data.size() == 0) {
      return ::testing::AssertionSuccess();
    }
    for (const auto& e : data.items()) {
      if (e["seq"].integer() != static_cast<int64_t>(verified + 1)) {
        return ::testing::AssertionFailure() << "seq " << e["seq"].integer() << " follows " << verified
                                             << ": a hole in the numbering";
      }
      ++verified;
      const Json& v = e["value"];
      if (v.has("w")) {
        ws.insert(v["w"].integer());
      } else {
        const int64_t n = v["n"].integer();
        repeats += n <= last_n ? 1 : 0;
        last_n = std::max(last_n, n);
        ns.insert(n);
      }
    }
  }
}

TEST(PowerCutTest, EveryAcknowledgedRecordSurvivesAndNumbersStayContiguous) {
  const int kCycles = cyclesFromEnv();
  const uint64_t seed = seedFromEnv();
  std::printf("[power-cut] seed=%llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  TempDir logs;
  const auto log = logs.path() / "events.log";
  DaemonOptions o;
  o.extra_args = {"--set", "journal.segment_bytes=131072"};
  DaemonHarness d(o);
  d.options().env = {"LD_PRELOAD=" + faultShim(), "STREAMHOST_POWERCUT_ROOT=" + d.dataDir().string(),
                     "STREAMHOST_POWERCUT_LOG=" + log.string()};
  ASSERT_TRUE(d.start());
  HttpClient c = d.client();
  // Made under the shim, so the first cut also tests that the new journal directory is synced.
  const std::string pl = createPipeline(c, "cut");
  const std::string gen = createDatagenStream(c, "gen", pl, R"({"rate_per_second":1500,"payload_bytes":32})");
  const std::string hook = startBearerWebhook(c, "hook", pl);
  ASSERT_EQ(c.post("/api/streams/" + gen + "/start").status, 200);

  uint64_t verified = 0;          // seqs 1..verified were read and checked
  std::set<int64_t> ws;           // webhook bodies in the pipeline
  std::set<int64_t> ns;           // datagen numbers in the pipeline
  int64_t last_n = 0;
  int repeats = 0;
  std::set<int64_t> acked_w;      // webhook bodies answered 202
  int64_t committed_n = 0;        // highest datagen n ever seen committed
  int64_t next_w = 1;
  int64_t records_dropped = 0;
  for (int cycle = 1; cycle <= kCycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    ASSERT_TRUE(waitForStatus(c, gen, "running"));
    Pusher pusher(d, hook, next_w);
    const int64_t head_before = headSeq(c, pl);
    // Something acknowledged first, then a cut at a random moment.
    ASSERT_TRUE(pollUntil([&] { return headSeq(c, pl) > head_before && !pusher.acked().empty(); }, 20s));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 250)(rng)));
    const std::string off = streamAttributes(c, gen)["committed_offset"].str();
    ASSERT_TRUE(d.stop(SIGKILL));
    pusher.stop();
    next_w = pusher.next();
    auto acked = pusher.acked();
    acked_w.insert(acked.begin(), acked.end());
    if (!off.empty()) {
      committed_n = std::max<int64_t>(committed_n, std::stoll(off));
    }
    PowerCutSummary cut = applyPowerCut(log);
    records_dropped += cut.bytes_dropped;
    std::printf("[power-cut] cycle=%d committed_n=%lld acked_w=%zu %s\n", cycle, static_cast<long long>(committed_n),
                acked_w.size(), cut.toString().c_str());

    ASSERT_TRUE(d.start());
    c = d.client();
    EXPECT_EQ(pipelineAttributes(c, pl)["state"].str(), "ok") << pipelineAttributes(c, pl)["error"].str();
    // Records checked in an earlier cycle were durable when read; each cycle
    // reads what came after them, and the end reads everything once more.
    const int64_t head = headSeq(c, pl);
    ASSERT_GE(head, static_cast<int64_t>(verified)) << "records read before the cut are gone";
    ASSERT_TRUE(checkEvents(c, pl, verified, ws, ns, last_n, repeats));
    for (int64_t w : acked_w) {
      ASSERT_EQ(ws.count(w), 1u) << "webhook body w=" << w << " was answered 202 and is gone";
    }
    ASSERT_GE(last_n, committed_n) << "a committed datagen offset is gone";
    ASSERT_EQ(static_cast<int64_t>(ns.size()), last_n) << "datagen records are missing";
    // Resumed from the journal's own last record: not one record repeated.
    EXPECT_EQ(repeats, 0) << "the datagen stream rewound after the cut";
  }
  uint64_t all = 0;
  std::set<int64_t> ws_all;
  std::set<int64_t> ns_all;
  int64_t last_all = 0;
  int repeats_all = 0;
  ASSERT_TRUE(checkEvents(c, pl, all, ws_all, ns_all, last_all, repeats_all));
  // The streams still run, so the last read may hold more than the cycles saw.
  EXPECT_TRUE(std::includes(ws_all.begin(), ws_all.end(), ws.begin(), ws.end()));
  EXPECT_TRUE(std::includes(ns_all.begin(), ns_all.end(), ns.begin(), ns.end()));
  EXPECT_EQ(repeats_all, 0);
  std::printf("[power-cut] cycles=%d acked_w=%zu committed_n=%lld bytes_dropped=%lld\n", kCycles, acked_w.size(),
              static_cast<long long>(committed_n), static_cast<long long>(records_dropped));
  d.printLogIfFailed();
}

}  // namespace
}  // namespace streamhost::testing
