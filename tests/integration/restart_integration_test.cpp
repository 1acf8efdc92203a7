// Streams across a daemon restart on the same data dir: after SIGTERM every
// status survives and running streams continue from their committed offset;
// after SIGKILL a running stream continues without a gap.
#include <gtest/gtest.h>

#include "integration/stream_test_helpers.h"

namespace streamhost::testing {
namespace {

constexpr const char* kConfig = "{\"rate_per_second\":300,\"payload_bytes\":4}";

struct Placed {
  std::string id;
  std::string pipeline;
};

/// A stream on a pipeline of its own, so its events are easy to follow.
Placed placeStream(const HttpClient& c, const std::string& name) {
  Placed p;
  p.pipeline = createPipeline(c, name + "-pl");
  p.id = createDatagenStream(c, name, p.pipeline, kConfig);
  return p;
}

::testing::AssertionResult startRunning(const HttpClient& c, const Placed& p) {
  HttpResponse r = c.post("/api/streams/" + p.id + "/start");
  if (r.status != 200) {
    return ::testing::AssertionFailure() << "start " << p.id << ": " << r.describe();
  }
  if (auto s = waitForStatus(c, p.id, "running"); !s) {
    return s;
  }
  return waitForHead(c, p.pipeline, 10);
}

std::string committedOffset(const HttpClient& c, const std::string& id) {
  return c.get("/api/streams/" + id).json["data"]["attributes"]["committed_offset"].str();
}

/// Polls until the stream reports a committed offset and returns it as a number (-1 on timeout).
int64_t waitForCommitted(const HttpClient& c, const std::string& id) {
  std::string offset;
  pollUntil(
      [&] {
        offset = committedOffset(c, id);
        return !offset.empty();
      },
      10s);
  return offset.empty() ? -1 : std::stoll(offset);
}

/// Events from index `from` on were all made after `committed`: a restart
/// resumes after the committed offset instead of replaying from the start.
::testing::AssertionResult noReplayOfCommitted(const std::vector<Json>& events, size_t from, int64_t committed) {
  for (size_t i = from; i < events.size(); ++i) {
    if (eventN(events[i]) <= committed) {
      return ::testing::AssertionFailure() << "event seq " << events[i]["seq"].integer() << " has n="
                                           << eventN(events[i]) << ", already committed (offset " << committed
                                           << ") before the restart";
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(RestartTest, EveryStatusSurvivesAGracefulRestart) {
  DaemonHarness daemon(DaemonOptions{{"--set", "limits.api_requests_per_second=0"}});
  ASSERT_TRUE(daemon.start());
  HttpClient c = daemon.client();
  Placed running = placeStream(c, "running");
  Placed paused = placeStream(c, "paused");
  Placed stopped = placeStream(c, "stopped");
  Placed created = placeStream(c, "created");
  ASSERT_TRUE(startRunning(c, running));
  ASSERT_TRUE(startRunning(c, paused));
  ASSERT_TRUE(startRunning(c, stopped));
  ASSERT_EQ(c.post("/api/streams/" + paused.id + "/pause").status, 200);
  ASSERT_EQ(c.post("/api/streams/" + stopped.id + "/stop").status, 200);
  const std::string stopped_offset = committedOffset(c, stopped.id);
  ASSERT_FALSE(stopped_offset.empty());
  const int64_t paused_head = headSeq(c, paused.pipeline);
  const int64_t stopped_head = headSeq(c, stopped.pipeline);

  const int64_t running_committed = waitForCommitted(c, running.id);
  ASSERT_GE(running_committed, 1) << "a running stream never reported a committed offset";
  const int64_t running_head_seen = headSeq(c, running.pipeline);
  ASSERT_TRUE(daemon.stop(SIGTERM));
  const int64_t running_head = headSeq(c, running.pipeline);
  EXPECT_EQ(running_head, 0) << "the old daemon still answers";
  ASSERT_TRUE(daemon.start());
  c = daemon.client();
  const int64_t head_at_restart = headSeq(c, running.pipeline);
  ASSERT_GE(head_at_restart, 10);
  ASSERT_TRUE(waitForStatus(c, running.id, "running"));
  ASSERT_TRUE(waitForHead(c, running.pipeline, head_at_restart + 30))
      << "the running stream did not continue after the restart";
  // No number is skipped across the restart (repeats would be allowed) and
  // nothing committed before it is made again.
  std::vector<Json> running_events = allEvents(c, running.pipeline);
  EXPECT_TRUE(contiguousAtLeastOnce(running_events));
  EXPECT_TRUE(noReplayOfCommitted(running_events, static_cast<size_t>(running_head_seen), running_committed));

  EXPECT_EQ(streamStatus(c, paused.id), "paused");
  EXPECT_EQ(streamStatus(c, stopped.id), "stopped");
  EXPECT_EQ(streamStatus(c, created.id), "created");
  EXPECT_EQ(committedOffset(c, stopped.id), stopped_offset);
  EXPECT_TRUE(c.get("/api/streams/" + created.id).json["data"]["attributes"]["started_at"].isNull());
  // By now the running stream has moved on; the others have not.
  EXPECT_EQ(headSeq(c, paused.pipeline), paused_head);
  EXPECT_EQ(headSeq(c, stopped.pipeline), stopped_head);
  EXPECT_EQ(headSeq(c, created.pipeline), 0);

  // Each can still move on from where it stood.
  HttpResponse resumed = c.post("/api/streams/" + paused.id + "/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.describe();
  ASSERT_TRUE(waitForStatus(c, paused.id, "running"));
  ASSERT_TRUE(waitForHead(c, paused.pipeline, paused_head + 10));
  EXPECT_TRUE(contiguousAtLeastOnce(allEvents(c, paused.pipeline)));

  ASSERT_EQ(c.post("/api/streams/" + stopped.id + "/start").status, 200);
  ASSERT_TRUE(waitForHead(c, stopped.pipeline, stopped_head + 10));
  std::vector<Json> stopped_events = allEvents(c, stopped.pipeline);
  EXPECT_TRUE(contiguousAtLeastOnce(stopped_events));
  EXPECT_EQ(eventN(stopped_events[static_cast<size_t>(stopped_head)]), std::stoll(stopped_offset) + 1);

  HttpResponse summary = c.get("/api/streams/summary");
  EXPECT_EQ(summary.json["data"]["attributes"]["by_status"]["running"].integer(), 3) << summary.describe();
  EXPECT_EQ(summary.json["data"]["attributes"]["by_status"]["created"].integer(), 1) << summary.describe();
  EXPECT_TRUE(daemon.stop(SIGTERM));
}

TEST(RestartTest, ARunningStreamContinuesWithoutAGapAfterSigkill) {
  DaemonHarness daemon(DaemonOptions{{"--set", "limits.api_requests_per_second=0"}});
  ASSERT_TRUE(daemon.start());
  HttpClient c = daemon.client();
  Placed s = placeStream(c, "crashy");
  ASSERT_TRUE(startRunning(c, s));
  ASSERT_TRUE(waitForHead(c, s.pipeline, 60));
  const int64_t committed = waitForCommitted(c, s.id);
  ASSERT_GE(committed, 1) << "a running stream never reported a committed offset";
  const int64_t head_seen = headSeq(c, s.pipeline);

  ASSERT_TRUE(daemon.restart(SIGKILL));
  c = daemon.client();
  const int64_t head_after_crash = headSeq(c, s.pipeline);
  EXPECT_GE(head_after_crash, 60) << "records reported durable were lost";
  ASSERT_TRUE(waitForStatus(c, s.id, "running"));
  ASSERT_TRUE(waitForHead(c, s.pipeline, head_after_crash + 60));
  std::vector<Json> events = allEvents(c, s.pipeline);
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i]["seq"].integer(), static_cast<int64_t>(i + 1)) << "journal sequence has a hole";
  }
  EXPECT_TRUE(contiguousAtLeastOnce(events));
  EXPECT_TRUE(noReplayOfCommitted(events, static_cast<size_t>(head_seen), committed));
  // The committed offset keeps moving after the crash.
  std::string offset = committedOffset(c, s.id);
  EXPECT_TRUE(pollUntil(
      [&] {
        std::string now = committedOffset(c, s.id);
        return !now.empty() && !offset.empty() && std::stoll(now) > std::stoll(offset);
      },
      10s));

  // A second crash in a row is no different.
  ASSERT_TRUE(daemon.restart(SIGKILL));
  c = daemon.client();
  const int64_t head2 = headSeq(c, s.pipeline);
  ASSERT_TRUE(waitForHead(c, s.pipeline, head2 + 30));
  EXPECT_TRUE(contiguousAtLeastOnce(allEvents(c, s.pipeline)));
}

}  // namespace
}  // namespace streamhost::testing
