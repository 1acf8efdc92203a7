// The pull worker against a real journal and a fixture connector loaded by the
// real PluginLoader: polling overlaps syncing, commits stay in order and never
// run ahead of durable data (also when a sync fails), and a stop that overruns
// is abandoned within its time.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "journal/journal.h"
#include "metrics/stream_metrics.h"
#include "plugins/connector.h"
#include "plugins/plugin_loader.h"
#include "runtime/worker.h"
#include "support/temp_dir.h"

namespace streamhost::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using PollHook = void (*)(int64_t, int64_t);
using CommitHook = void (*)(const char*);
using SetHooks = void (*)(PollHook, CommitHook);

// What the fixture's hooks report; the hooks are plain C function pointers.
struct Probe {
  std::mutex mu;
  std::condition_variable cv;
  int polls = 0;
  std::vector<int64_t> commits;
  std::vector<std::string> violations;
  journal::Journal* journal = nullptr;
  std::vector<std::string> persisted;  // offsets given to on_durable, in order
};
Probe* g_probe = nullptr;

void onPoll(int64_t /*first*/, int64_t /*count*/) {
  std::lock_guard lock(g_probe->mu);
  ++g_probe->polls;
  g_probe->cv.notify_all();
}

void onCommit(const char* offset) {
  int64_t n = std::stoll(offset);
  // Record n has sequence number n (one stream from an empty journal).
  uint64_t durable = g_probe->journal->headSeq();
  std::lock_guard lock(g_probe->mu);
  if (static_cast<uint64_t>(n) > durable) {
    g_probe->violations.push_back("commit " + std::to_string(n) + " ahead of durable " + std::to_string(durable));
  }
  if (!g_probe->commits.empty() && n <= g_probe->commits.back()) {
    g_probe->violations.push_back("commit " + std::to_string(n) + " after " + std::to_string(g_probe->commits.back()));
  }
  if (g_probe->persisted.empty() || g_probe->persisted.back() != offset) {
    g_probe->violations.push_back(std::string("commit ") + offset + " before its offset was persisted");
  }
  g_probe->commits.push_back(n);
  g_probe->cv.notify_all();
}

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_probe = &probe_;
    fs::path dir = fs::path(PROBE_FIXTURE_DIR);
    report_ = plugins::PluginLoader(dir).loadAll(registry_);
    type_ = registry_.findSourceType("probe");
    ASSERT_NE(type_, nullptr) << report_.toText();
    void* handle = dlopen((dir / "probe.so").c_str(), RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(handle, nullptr);
    auto set_hooks = reinterpret_cast<SetHooks>(dlsym(handle, "probe_set_hooks"));
    ASSERT_NE(set_hooks, nullptr);
    set_hooks(&onPoll, &onCommit);
    dlclose(handle);
  }
  void TearDown() override {
    worker_.reset();
    if (journal_) {
      journal_->close();
    }
    g_probe = nullptr;
  }

  void openJournal(journal::JournalOptions opts = {}) {
    opts.group_commit_delay = 0ms;
    auto j = journal::Journal::open(dir_.path() / "journal", std::move(opts));
    ASSERT_TRUE(j.isOk()) << j.status().toString();
    journal_ = std::move(*j);
    probe_.journal = journal_.get();
  }

  std::shared_ptr<Worker> makeWorker(const std::string& config, WorkerOptions options = {}) {
    auto validated = plugins::Connector::validateConfig(*type_, config);
    EXPECT_TRUE(validated.isOk()) << validated.status().toString();
    plugins::InstanceOptions io;
    io.stream_id = "str_w";
    io.stream_name = "w";
    io.config_json = validated->json;
    auto c = plugins::Connector::create(*type_, std::move(io));
    EXPECT_TRUE(c.isOk()) << c.status().toString();
    StreamCallbacks cb;
    cb.on_status = [this](const std::string& status, const std::optional<std::string>& error) {
      std::lock_guard lock(probe_.mu);
      statuses_.push_back(status + (error ? ": " + *error : ""));
      probe_.cv.notify_all();
    };
    cb.on_durable = [this](const std::string& offset, uint64_t /*journal_seq*/) {
      std::lock_guard lock(probe_.mu);
      probe_.persisted.push_back(offset);
      return Status::ok();
    };
    options.poll_timeout_ms = 10;
    options.backoff_initial = 10ms;
    return std::make_shared<Worker>("str_w", std::move(*c), journal_, std::make_shared<metrics::StreamMetrics>(),
                                    std::move(cb), options, clock_);
  }

  template <typename Pred>
  bool waitFor(Pred pred, std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(probe_.mu);
    return probe_.cv.wait_for(lock, limit, [&] { return pred(); });
  }

  testing::TempDir dir_;
  plugins::PluginRegistry registry_;
  plugins::PluginReport report_;
  const plugins::SourceTypeInfo* type_ = nullptr;
  SystemClock clock_;
  Probe probe_;
  std::vector<std::string> statuses_;  // guarded by probe_.mu
  journal::JournalSharedPtr journal_;
  std::shared_ptr<Worker> worker_;
};

TEST_F(WorkerTest, PollsTheNextBatchWhileTheLastSyncs) {
  // The first sync waits until the test lets it go.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  std::atomic<int> syncs{0};
  journal::JournalOptions opts;
  opts.before_sync_for_test = [&] {
    if (syncs++ == 0) {
      std::unique_lock lock(gate_mu);
      gate_cv.wait_for(lock, 20s, [&] { return open; });
    }
  };
  openJournal(std::move(opts));
  worker_ = makeWorker(R"({"per_poll":5})");
  worker_->start(std::nullopt);
  ASSERT_TRUE(worker_->waitStarted(5s));

  // While batch 1 (records 1..5) is held in its sync, batch 2 is polled; nothing is committed.
  EXPECT_TRUE(waitFor([&] { return probe_.polls >= 2; })) << "the worker did not poll while the batch synced";
  {
    std::lock_guard lock(probe_.mu);
    EXPECT_TRUE(probe_.commits.empty());
    EXPECT_TRUE(probe_.persisted.empty());
    // Only one batch is appended and not committed: batch 2 waits for batch 1.
    EXPECT_LE(probe_.polls, 2);
  }
  EXPECT_EQ(journal_->headSeq(), 0u);
  {
    std::lock_guard lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  EXPECT_TRUE(waitFor([&] { return probe_.commits.size() >= 3; }));
  ASSERT_TRUE(worker_->stop(5s).isOk());
  std::lock_guard lock(probe_.mu);
  EXPECT_EQ(probe_.commits.front(), 5);
  EXPECT_TRUE(probe_.violations.empty()) << probe_.violations.front();
}

TEST_F(WorkerTest, CommitsInOrderBehindDurabilityAndStopCommitsTheBatchInFlight) {
  openJournal();
  worker_ = makeWorker(R"({"per_poll":7})");
  worker_->start(std::nullopt);
  ASSERT_TRUE(worker_->waitStarted(5s));
  EXPECT_TRUE(waitFor([&] { return probe_.commits.size() >= 50; }));
  ASSERT_TRUE(worker_->stop(5s).isOk());
  std::lock_guard lock(probe_.mu);
  EXPECT_TRUE(probe_.violations.empty()) << probe_.violations.front();
  // Everything appended was committed before the source stopped: no batch is left uncommitted.
  EXPECT_EQ(static_cast<uint64_t>(probe_.commits.back()), journal_->headSeq());
  EXPECT_EQ(worker_->committedOffset(), std::to_string(probe_.commits.back()));
  EXPECT_EQ(probe_.commits.back() % 7, 0);
}

TEST_F(WorkerTest, AFailedSyncCommitsNothingItDidNotMakeDurable) {
  std::atomic<int> syncs{0};
  journal::JournalOptions opts;
  opts.sync_fault_for_test = [&] {
    return ++syncs >= 4 ? Status(StatusCode::kTransient, "injected fdatasync failure") : Status::ok();
  };
  openJournal(std::move(opts));
  worker_ = makeWorker(R"({"per_poll":4})");
  worker_->start(std::nullopt);
  ASSERT_TRUE(worker_->waitStarted(5s));
  EXPECT_TRUE(waitFor([&] {
    for (const auto& s : statuses_) {
      if (s.find("injected fdatasync failure") != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << "the failed sync was not reported";
  std::this_thread::sleep_for(100ms);  // retries run against the failed journal meanwhile
  ASSERT_TRUE(worker_->stop(5s).isOk());
  std::lock_guard lock(probe_.mu);
  EXPECT_TRUE(probe_.violations.empty()) << probe_.violations.front();
  ASSERT_FALSE(probe_.commits.empty());
  EXPECT_LE(static_cast<uint64_t>(probe_.commits.back()), journal_->headSeq());
  EXPECT_LE(probe_.commits.back(), 3 * 4);  // three syncs succeeded
}

TEST_F(WorkerTest, AStopThatOverrunsIsAbandonedWithinItsTime) {
  openJournal();
  WorkerOptions options;
  options.command_timeout = 300ms;
  worker_ = makeWorker(R"({"per_poll":3,"stop_delay_ms":1500})", options);
  worker_->start(std::nullopt);
  ASSERT_TRUE(worker_->waitStarted(5s));
  EXPECT_TRUE(waitFor([&] { return probe_.commits.size() >= 2; }));

  auto t0 = std::chrono::steady_clock::now();
  Status s = worker_->stop(options.command_timeout);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(s.code(), StatusCode::kTransient) << s.toString();
  EXPECT_NE(s.message().find("abandoned"), std::string::npos) << s.message();
  EXPECT_LT(took, 1200ms) << "stop waited for the connector";

  // The abandoned worker keeps itself alive until its thread ends, then goes.
  std::weak_ptr<Worker> weak = worker_;
  worker_.reset();
  EXPECT_FALSE(weak.expired());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!weak.expired() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(weak.expired()) << "the abandoned worker never ended";
}

}  // namespace
}  // namespace streamhost::runtime
