// A failed fdatasync, injected by the fault shim into the real daemon: the
// pipeline shows failed, its streams go to error with the sentence, nothing
// hangs (pull, push, shutdown), and a restart recovers.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>

#include "faults/fault_test_util.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

// The first fdatasync of a segment is recovery's, when the pipeline is
// created; the second is the first group commit, which fails.
DaemonOptions failingSecondSegmentSync() {
  DaemonOptions o;
  o.env = {"LD_PRELOAD=" + faultShim(), "STREAMHOST_FAULT_FDATASYNC_FAIL_AT=2"};
  return o;
}

::testing::AssertionResult pipelineFailedWith(const HttpClient& c, const std::string& pl, std::string& sentence) {
  Json a;
  bool failed = pollUntil(
      [&] {
        a = pipelineAttributes(c, pl);
        return a["state"].str() == "failed";
      },
      10s);
  if (!failed) {
    return ::testing::AssertionFailure() << "pipeline state is '" << a["state"].str() << "'";
  }
  sentence = a["error"].str();
  if (sentence.find("failed sync") == std::string::npos || sentence.find("fdatasync") == std::string::npos) {
    return ::testing::AssertionFailure() << "pipeline error does not say the sync failed: " << sentence;
  }
  return ::testing::AssertionSuccess();
}

TEST(FsyncFaultTest, PullStreamGoesToErrorAndThePipelineShowsFailed) {
  DaemonHarness d(failingSecondSegmentSync());
  ASSERT_TRUE(d.start());
  HttpClient c = d.client();
  const std::string pl = createPipeline(c, "doomed");
  EXPECT_EQ(pipelineAttributes(c, pl)["state"].str(), "ok");
  const std::string st = createDatagenStream(c, "gen", pl);
  ASSERT_EQ(c.post("/api/streams/" + st + "/start").status, 200);

  std::string sentence;
  ASSERT_TRUE(pipelineFailedWith(c, pl, sentence));
  ASSERT_TRUE(waitForStatus(c, st, "error"));
  EXPECT_NE(streamAttributes(c, st)["last_error"].str().find(sentence), std::string::npos)
      << streamAttributes(c, st)["last_error"].str() << " does not carry: " << sentence;
  EXPECT_EQ(headSeq(c, pl), 0) << "nothing of a failed sync may be readable";
  HttpResponse list = c.get("/api/pipelines");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json["data"][size_t{0}]["attributes"]["state"].str(), "failed");

  // Only that pipeline: another one takes records as before.
  const std::string other = createPipeline(c, "healthy");
  const std::string gen2 = createDatagenStream(c, "gen2", other);
  ASSERT_EQ(c.post("/api/streams/" + gen2 + "/start").status, 200);
  EXPECT_TRUE(waitForHead(c, other, 1000));
  EXPECT_EQ(pipelineAttributes(c, other)["state"].str(), "ok");
}

TEST(FsyncFaultTest, PushRequestsGet503AndTheStreamGoesToError) {
  DaemonHarness d(failingSecondSegmentSync());
  ASSERT_TRUE(d.start());
  HttpClient c = d.client();
  const std::string pl = createPipeline(c, "doomed");
  const std::string hook = startBearerWebhook(c, "hook", pl);

  HttpResponse first = ingest(d, hook, R"({"w":1})");
  EXPECT_EQ(first.status, 503) << first.describe();
  std::string sentence;
  ASSERT_TRUE(pipelineFailedWith(c, pl, sentence));
  ASSERT_TRUE(waitForStatus(c, hook, "error"));
  EXPECT_NE(streamAttributes(c, hook)["last_error"].str().find(sentence), std::string::npos);
  // Later requests fail at once instead of waiting for a sync that never comes.
  for (int i = 0; i < 3; ++i) {
    HttpResponse again = ingest(d, hook, R"({"w":2})");
    EXPECT_EQ(again.status, 503) << again.describe();
  }
  EXPECT_EQ(headSeq(c, pl), 0);
}

TEST(FsyncFaultTest, ShutdownAfterAFailedSyncEndsAndARestartRecovers) {
  DaemonHarness d(failingSecondSegmentSync());
  ASSERT_TRUE(d.start());
  HttpClient c = d.client();
  const std::string pl = createPipeline(c, "doomed");
  const std::string gen = createDatagenStream(c, "gen", pl, R"({"rate_per_second":0,"max_records":2000})");
  const std::string hook = startBearerWebhook(c, "hook", pl);
  ASSERT_EQ(c.post("/api/streams/" + gen + "/start").status, 200);
  std::string sentence;
  ASSERT_TRUE(pipelineFailedWith(c, pl, sentence));
  EXPECT_EQ(ingest(d, hook, R"({"w":1})").status, 503);

  // SIGTERM: every stream stops, the journal closes and fails what is left; exit 0.
  ASSERT_TRUE(d.stop(SIGTERM));
  d.options().env.clear();
  ASSERT_TRUE(d.start());
  c = d.client();
  EXPECT_EQ(pipelineAttributes(c, pl)["state"].str(), "ok") << "reopening runs recovery";
  ASSERT_EQ(c.post("/api/streams/" + gen + "/start").status, 200);
  EXPECT_TRUE(waitForHead(c, pl, 2000));
  EXPECT_TRUE(contiguousAtLeastOnce(allEvents(c, pl)));
}

}  // namespace
}  // namespace streamhost::testing
