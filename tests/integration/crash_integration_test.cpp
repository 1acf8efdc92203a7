// Crash safety of the ingest path: a datagen stream runs at full speed while
// the daemon is SIGKILLed at random moments and restarted on the same data
// dir; then the whole pipeline is read back. Nothing may be lost, and a kill
// may repeat at most the one batch that was in flight, right after the restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "integration/stream_test_helpers.h"

namespace streamhost::testing {
namespace {

constexpr int kKills = 10;
// WorkerOptions::max_batch_records (host/src/runtime/worker.h).
constexpr int64_t kMaxBatch = 4096;
// At full speed a round of 100-700 ms makes 10^5 records, and the events API
// serves about 10^4 events/s, so a round also ends after a random number of
// records (half a batch to four batches) to keep the read-back short.
constexpr int64_t kMinRoundRecords = kMaxBatch / 2;
constexpr int64_t kMaxRoundRecords = 4 * kMaxBatch;
constexpr const char* kConfig = "{\"rate_per_second\":0,\"max_records\":0,\"payload_bytes\":64}";
// About two full batches a segment, so kills also land around segment rolls.
constexpr const char* kSegmentBytes = "journal.segment_bytes=2097152";

using SteadyClock = std::chrono::steady_clock;

/// The seqs at which a restarted daemon may have appended its first record:
/// after the head read just before the kill, up to one past the head read once
/// the stream was running again.
struct RestartWindow {
  int64_t after;
  int64_t upto;
};

/// What the test keeps of each event.
struct Seen {
  int64_t seq;
  int64_t n;
};

struct Analysis {
  int64_t max_n = 0;
  int64_t duplicates = 0;
  int repeats = 0;  // restarts that repeated records
  int64_t largest_repeat = 0;
};

uint64_t testSeed() {
  if (const char* env = std::getenv("STREAMHOST_CRASH_SEED")) {
    return std::strtoull(env, nullptr, 10);
  }
  return std::random_device{}();
}

double secondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

/// Reads every event of the pipeline, 10000 a page, keeping seq and n; each
/// event's key and offset must be its n. `head` gets the last page's head_seq.
::testing::AssertionResult readPipeline(const HttpClient& c, const std::string& pipeline, std::vector<Seen>& out,
                                        int64_t& head) {
  uint64_t after = 0;
  while (true) {
    HttpResponse r = eventsPage(c, pipeline, after, 10000);
    if (r.status != 200) {
      return ::testing::AssertionFailure() << "events after " << after << ": " << r.describe();
    }
    head = r.json["meta"]["head_seq"].integer();
    if (r.json["meta"]["oldest_seq"].integer() != 1) {
      return ::testing::AssertionFailure() << "oldest_seq is not 1: " << r.json["meta"].dump();
    }
    const Json& data = r.json["data"];
    if (data.size() == 0) {
      return ::testing::AssertionSuccess();
    }
    for (const Json& e : data.items()) {
      Seen s{e["seq"].integer(), eventN(e)};
      const std::string n = std::to_string(s.n);
      if (e["key"].str() != n || e["offset"].str() != n) {
        return ::testing::AssertionFailure() << "event " << e.dump() << " has key/offset other than n";
      }
      out.push_back(s);
    }
    after = static_cast<uint64_t>(r.json["meta"]["next_after"].integer());
  }
}

/// Sequence numbers run 1..head without a hole.
::testing::AssertionResult seqContiguous(const std::vector<Seen>& events, int64_t head) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].seq != static_cast<int64_t>(i + 1)) {
      return ::testing::AssertionFailure() << "event " << i << " has seq " << events[i].seq << ": a hole in seq";
    }
  }
  if (static_cast<int64_t>(events.size()) != head) {
    return ::testing::AssertionFailure() << "read " << events.size() << " events but head_seq is " << head;
  }
  return ::testing::AssertionSuccess();
}

/// Checks the datagen numbers: each run between restarts counts up by one;
/// the only step that is not +1 is a step back to repeat the last records
/// before a kill, at most one batch, where a restarted daemon began appending,
/// at most once per restart; and together they cover exactly 1..max(n).
::testing::AssertionResult numbersCheck(const std::vector<Seen>& events, const std::vector<RestartWindow>& windows,
                                        Analysis& a) {
  if (events.empty() || events[0].n != 1) {
    return ::testing::AssertionFailure() << "the pipeline does not start with n=1";
  }
  std::vector<bool> window_used(windows.size(), false);
  int64_t max_seen = 1;
  for (size_t i = 1; i < events.size(); ++i) {
    const int64_t prev = events[i - 1].n;
    const int64_t n = events[i].n;
    const int64_t seq = events[i].seq;
    if (n == prev + 1) {
      max_seen = std::max(max_seen, n);
      continue;
    }
    if (n > prev + 1 || n < 1) {
      return ::testing::AssertionFailure() << "seq " << seq << " has n=" << n << " after n=" << prev << ": a gap";
    }
    const int64_t repeat = max_seen - n + 1;
    if (repeat > kMaxBatch) {
      return ::testing::AssertionFailure() << "seq " << seq << " goes back from n=" << max_seen << " to n=" << n
                                           << ", more than one batch (" << kMaxBatch << ")";
    }
    size_t w = 0;
    while (w < windows.size() && !(windows[w].after < seq && seq <= windows[w].upto)) {
      ++w;
    }
    if (w == windows.size()) {
      return ::testing::AssertionFailure() << "seq " << seq << " repeats n=" << n << ".." << max_seen
                                           << " but no restart began appending there";
    }
    if (window_used[w]) {
      return ::testing::AssertionFailure() << "restart " << w + 1 << " repeated records twice (seq " << seq << ")";
    }
    window_used[w] = true;
    ++a.repeats;
    a.largest_repeat = std::max(a.largest_repeat, repeat);
  }
  a.max_n = max_seen;
  std::vector<bool> present(static_cast<size_t>(max_seen) + 1, false);
  for (const Seen& s : events) {
    present[static_cast<size_t>(s.n)] = true;
  }
  for (int64_t n = 1; n <= max_seen; ++n) {
    if (!present[static_cast<size_t>(n)]) {
      return ::testing::AssertionFailure() << "n=" << n << " is missing";
    }
  }
  a.duplicates = static_cast<int64_t>(events.size()) - max_seen;
  return ::testing::AssertionSuccess();
}

TEST(CrashTest, SigkillAtRandomMomentsLosesNothingAndRepeatsAtMostABatchPerKill) {
  const auto t0 = SteadyClock::now();
  const uint64_t seed = testSeed();
  std::printf("[crash] seed=%llu (STREAMHOST_CRASH_SEED=%llu repeats this run)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> delay_ms(100, 700);
  std::uniform_int_distribution<int64_t> round_records(kMinRoundRecords, kMaxRoundRecords);

  DaemonHarness daemon(DaemonOptions{{"--set", "limits.api_requests_per_second=0", "--set", kSegmentBytes}});
  ASSERT_TRUE(daemon.start());
  HttpClient c = daemon.client();
  const std::string pipeline = createPipeline(c, "crash");
  const std::string stream = createDatagenStream(c, "crash", pipeline, kConfig);
  ASSERT_FALSE(stream.empty());
  HttpResponse started = c.post("/api/streams/" + stream + "/start");
  ASSERT_EQ(started.status, 200) << started.describe();
  ASSERT_TRUE(waitForStatus(c, stream, "running"));

  std::vector<RestartWindow> windows;
  int64_t head_at_start = 0;  // head when the current process was seen running
  auto running_since = SteadyClock::now();
  int by_timer = 0;
  for (int k = 1; k <= kKills; ++k) {
    const auto kill_at = running_since + std::chrono::milliseconds(delay_ms(rng));
    const int64_t cap = head_at_start + round_records(rng);
    ASSERT_TRUE(waitForHead(c, pipeline, head_at_start + 1, 15s)) << "no progress before kill " << k;
    int64_t head = 0;
    bool reached = pollUntil(
        [&] {
          head = headSeq(c, pipeline);
          return head >= cap || SteadyClock::now() >= kill_at;
        },
        15s, 2ms);
    ASSERT_TRUE(reached);
    ASSERT_GT(head, head_at_start) << "no progress before kill " << k;
    by_timer += head < cap ? 1 : 0;

    ASSERT_TRUE(daemon.stop(SIGKILL)) << "kill " << k;
    ASSERT_TRUE(daemon.start()) << "restart after kill " << k;
    c = daemon.client();
    ASSERT_TRUE(waitForStatus(c, stream, "running", 15s)) << "after kill " << k;
    running_since = SteadyClock::now();
    const int64_t head_after = headSeq(c, pipeline);
    ASSERT_GE(head_after, head) << "kill " << k << " lost records that were reported durable";
    windows.push_back({head, head_after + 1});
    head_at_start = head_after;
  }
  ASSERT_TRUE(waitForHead(c, pipeline, head_at_start + 1, 15s)) << "no progress after the last restart";

  HttpResponse stopped = c.post("/api/streams/" + stream + "/stop");
  ASSERT_EQ(stopped.status, 200) << stopped.describe();
  ASSERT_EQ(streamStatus(c, stream), "stopped");
  const std::string committed = c.get("/api/streams/" + stream).json["data"]["attributes"]["committed_offset"].str();

  const auto read_start = SteadyClock::now();
  std::vector<Seen> events;
  int64_t head = 0;
  ASSERT_TRUE(readPipeline(c, pipeline, events, head));
  const double read_seconds = secondsSince(read_start);
  ASSERT_TRUE(seqContiguous(events, head));
  Analysis a;
  ASSERT_TRUE(numbersCheck(events, windows, a));
  EXPECT_LE(a.duplicates, kKills * kMaxBatch);
  EXPECT_LE(a.repeats, kKills);
  // A graceful stop commits the batch in flight: the offset is the last record.
  EXPECT_EQ(committed, std::to_string(events.back().n));

  std::printf(
      "[crash] kills=%d (timer %d, record cap %d) records=%zu max_n=%lld duplicates=%lld in %d repeats "
      "(largest %lld, bound %lld) read %zu events in %.1f s (%.0f/s) total %.1f s seed=%llu\n",
      kKills, by_timer, kKills - by_timer, events.size(), static_cast<long long>(a.max_n),
      static_cast<long long>(a.duplicates), a.repeats, static_cast<long long>(a.largest_repeat),
      static_cast<long long>(kKills * kMaxBatch), events.size(), read_seconds,
      static_cast<double>(events.size()) / read_seconds, secondsSince(t0), static_cast<unsigned long long>(seed));
  EXPECT_TRUE(daemon.stop(SIGTERM));
}

}  // namespace
}  // namespace streamhost::testing
