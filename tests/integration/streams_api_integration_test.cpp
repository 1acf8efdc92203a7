// The Streams API against a real streamhostd with the datagen plugin.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "integration/stream_test_helpers.h"

namespace streamhost::testing {
namespace {

bool isRfc3339Z(const std::string& s) {
  static const std::regex re(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z)");
  return std::regex_match(s, re);
}

bool isStreamId(const std::string& s) {
  static const std::regex re("str_[0-9a-z]{26}");
  return std::regex_match(s, re);
}

class StreamsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.start());
    c_ = std::make_unique<HttpClient>(daemon_.client());
    pipeline_ = createPipeline(*c_, "main");
    ASSERT_FALSE(pipeline_.empty());
  }

  const HttpClient& c() const { return *c_; }

  /// POSTs `body` and asserts a 400 validation error on `field`.
  void expectInvalid(const std::string& body, const std::string& field, const std::string& message_part = {}) {
    HttpResponse r = c().post("/api/streams", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.describe();
    EXPECT_EQ(r.errorCode(), "validation_error") << r.describe();
    EXPECT_EQ(r.json["error"]["field"].str(), field) << body << " -> " << r.describe();
    if (!message_part.empty()) {
      EXPECT_NE(r.json["error"]["message"].str().find(message_part), std::string::npos) << r.describe();
    }
  }

  std::string body(const std::string& name, const std::string& type, const std::string& pipeline,
                   const std::string& config = "{}") const {
    return "{\"name\":" + jsonQuote(name) + ",\"sourceType\":" + jsonQuote(type) +
           ",\"pipelineId\":" + jsonQuote(pipeline) + ",\"config\":" + config + "}";
  }

  DaemonHarness daemon_{DaemonOptions{{"--set", "limits.api_requests_per_second=0"}}};
  std::unique_ptr<HttpClient> c_;
  std::string pipeline_;
};

TEST_F(StreamsApiTest, CreateAnswers201WithTheContractsAttributes) {
  HttpResponse r = postDatagenStream(c(), "orders.v1", pipeline_, "{\"rate_per_second\":5,\"payload_bytes\":4}");
  ASSERT_EQ(r.status, 201) << r.describe();
  const Json& d = r.json["data"];
  EXPECT_EQ(d["type"].str(), "stream");
  EXPECT_TRUE(isStreamId(d["id"].str())) << d["id"].str();
  const Json& a = d["attributes"];
  EXPECT_EQ(a["name"].str(), "orders.v1");
  EXPECT_EQ(a["source_type"].str(), "datagen");
  EXPECT_EQ(a["pipeline_id"].str(), pipeline_);
  EXPECT_TRUE(a.has("connection_id") && a["connection_id"].isNull());
  EXPECT_EQ(a["status"].str(), "created");
  EXPECT_EQ(a["config"]["rate_per_second"].integer(), 5);
  EXPECT_EQ(a["config"]["payload_bytes"].integer(), 4);
  EXPECT_TRUE(a.has("last_error") && a["last_error"].isNull());
  EXPECT_TRUE(a.has("committed_offset") && a["committed_offset"].isNull());
  EXPECT_FALSE(a.has("ingest_url")) << "datagen is not a push source";
  EXPECT_TRUE(isRfc3339Z(a["created_at"].str())) << a["created_at"].str();
  EXPECT_TRUE(isRfc3339Z(a["updated_at"].str())) << a["updated_at"].str();
  EXPECT_TRUE(a.has("started_at") && a["started_at"].isNull());

  HttpResponse got = c().get("/api/streams/" + d["id"].str());
  ASSERT_EQ(got.status, 200) << got.describe();
  EXPECT_EQ(got.json["data"].dump(), d.dump());
  EXPECT_EQ(c().get("/api/streams/str_00000000000000000000000000").errorCode(), "not_found");
}

TEST_F(StreamsApiTest, CreateValidatesEachFieldInOrder) {
  expectInvalid("{\"sourceType\":\"datagen\",\"pipelineId\":\"" + pipeline_ + "\"}", "name");
  expectInvalid(body("bad name!", "datagen", pipeline_), "name");
  expectInvalid(body("", "datagen", pipeline_), "name");
  expectInvalid(body(std::string(129, 'a'), "datagen", pipeline_), "name");
  expectInvalid("{\"name\":\"s\",\"pipelineId\":\"" + pipeline_ + "\"}", "sourceType", "datagen");
  expectInvalid(body("s", "nope", pipeline_), "sourceType", "datagen");
  expectInvalid("{\"name\":\"s\",\"sourceType\":\"datagen\"}", "pipelineId");
  expectInvalid(body("s", "datagen", "pl_doesnotexist"), "pipelineId", "pl_doesnotexist");
  expectInvalid(body("s", "datagen", pipeline_, "{\"bogus\":1}"), "config.bogus");
  expectInvalid(body("s", "datagen", pipeline_, "{\"rate_per_second\":\"fast\"}"), "config.rate_per_second");
  expectInvalid(body("s", "datagen", pipeline_, "{\"rate_per_second\":-1}"), "config.rate_per_second");
  expectInvalid(body("s", "datagen", pipeline_, "{\"payload_bytes\":99999999}"), "config.payload_bytes");
  expectInvalid(body("s", "datagen", pipeline_, "5"), "config");
  expectInvalid("{\"name\":5,\"sourceType\":\"datagen\",\"pipelineId\":\"" + pipeline_ + "\"}", "name");
  // Earlier fields are reported first.
  expectInvalid(body("bad name!", "nope", "pl_nope", "{\"bogus\":1}"), "name");
  expectInvalid(body("s", "nope", "pl_nope", "{\"bogus\":1}"), "sourceType");
  expectInvalid(body("s", "datagen", "pl_nope", "{\"bogus\":1}"), "pipelineId");
  // A connection for a type that takes none.
  expectInvalid("{\"name\":\"s\",\"sourceType\":\"datagen\",\"pipelineId\":\"" + pipeline_ +
                    "\",\"connectionId\":\"conn_nope\"}",
                "connectionId");

  HttpResponse longest = c().post("/api/streams", body(std::string(128, 'a'), "datagen", pipeline_));
  EXPECT_EQ(longest.status, 201) << longest.describe();
  HttpResponse first = c().post("/api/streams", body("dup-name", "datagen", pipeline_));
  EXPECT_EQ(first.status, 201) << first.describe();
  HttpResponse dup = c().post("/api/streams", body("dup-name", "datagen", pipeline_));
  EXPECT_EQ(dup.status, 409) << dup.describe();
  EXPECT_EQ(dup.errorCode(), "conflict");
  // Only the two valid requests created anything.
  EXPECT_EQ(c().get("/api/streams").json["data"].size(), 2u);
}

TEST_F(StreamsApiTest, PatchRenamesAndReconfiguresOnlyWhenNotRunning) {
  std::string id = createDatagenStream(c(), "before", pipeline_, "{\"rate_per_second\":100}");
  std::string other = createDatagenStream(c(), "taken", pipeline_);
  HttpResponse renamed = c().patch("/api/streams/" + id, "{\"name\":\"after\"}");
  ASSERT_EQ(renamed.status, 200) << renamed.describe();
  EXPECT_EQ(renamed.json["data"]["attributes"]["name"].str(), "after");
  EXPECT_EQ(renamed.json["data"]["attributes"]["config"]["rate_per_second"].integer(), 100);
  EXPECT_GE(renamed.json["data"]["attributes"]["updated_at"].str(),
            renamed.json["data"]["attributes"]["created_at"].str());

  HttpResponse reconf = c().patch("/api/streams/" + id, "{\"config\":{\"rate_per_second\":7,\"max_records\":3}}");
  ASSERT_EQ(reconf.status, 200) << reconf.describe();
  HttpResponse got = c().get("/api/streams/" + id);
  EXPECT_EQ(got.json["data"]["attributes"]["name"].str(), "after");
  EXPECT_EQ(got.json["data"]["attributes"]["config"]["rate_per_second"].integer(), 7);
  EXPECT_EQ(got.json["data"]["attributes"]["config"]["max_records"].integer(), 3);

  HttpResponse clash = c().patch("/api/streams/" + id, "{\"name\":\"taken\"}");
  EXPECT_EQ(clash.status, 409) << clash.describe();
  EXPECT_EQ(clash.errorCode(), "conflict");
  HttpResponse bad = c().patch("/api/streams/" + id, "{\"config\":{\"rate_per_second\":-5}}");
  EXPECT_EQ(bad.status, 400) << bad.describe();
  EXPECT_EQ(bad.json["error"]["field"].str(), "config.rate_per_second");
  EXPECT_EQ(c().patch("/api/streams/" + id, "{\"name\":\"no way\"}").json["error"]["field"].str(), "name");
  EXPECT_EQ(c().patch("/api/streams/" + id, "{\"sourceType\":\"datagen\"}").status, 400);
  EXPECT_EQ(c().patch("/api/streams/str_00000000000000000000000000", "{\"name\":\"x\"}").status, 404);
  // The refused patches changed nothing.
  got = c().get("/api/streams/" + id);
  EXPECT_EQ(got.json["data"]["attributes"]["name"].str(), "after");
  EXPECT_EQ(got.json["data"]["attributes"]["config"]["rate_per_second"].integer(), 7);

  ASSERT_EQ(c().post("/api/streams/" + other + "/start").status, 200);
  ASSERT_TRUE(waitForStatus(c(), other, "running"));
  HttpResponse busy = c().patch("/api/streams/" + other, "{\"name\":\"renamed-while-running\"}");
  EXPECT_EQ(busy.status, 409) << busy.describe();
  EXPECT_EQ(busy.errorCode(), "invalid_state");
  EXPECT_NE(busy.json["error"]["message"].str().find("running"), std::string::npos) << busy.describe();
  EXPECT_EQ(c().get("/api/streams/" + other).json["data"]["attributes"]["name"].str(), "taken");
}

TEST_F(StreamsApiTest, ListFiltersAndRejectsBadParameters) {
  std::string p2 = createPipeline(c(), "second");
  std::string a = createDatagenStream(c(), "a", pipeline_);
  std::string b = createDatagenStream(c(), "b", pipeline_);
  std::string z = createDatagenStream(c(), "z", p2, "{\"rate_per_second\":10}");
  ASSERT_EQ(c().post("/api/streams/" + z + "/start").status, 200);
  ASSERT_TRUE(waitForStatus(c(), z, "running"));

  auto ids = [&](const std::string& query) {
    HttpResponse r = c().get("/api/streams" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.describe();
    std::vector<std::string> out;
    for (const auto& s : r.json["data"].items()) {
      out.push_back(s["id"].str());
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(""), (V{z, b, a})) << "newest first";
  EXPECT_EQ(ids("?status=running"), V{z});
  EXPECT_EQ(ids("?status=created"), (V{b, a}));
  EXPECT_EQ(ids("?status=error"), V{});
  EXPECT_EQ(ids("?pipeline_id=" + pipeline_), (V{b, a}));
  EXPECT_EQ(ids("?source_type=datagen"), (V{z, b, a}));
  EXPECT_EQ(ids("?source_type=postgres"), V{});
  EXPECT_EQ(ids("?status=created&pipeline_id=" + p2), V{});
  EXPECT_EQ(ids("?status=running&pipeline_id=" + p2 + "&source_type=datagen"), V{z});
  EXPECT_EQ(ids("?limit=500"), (V{z, b, a}));
  EXPECT_EQ(c().get("/api/streams").json["meta"]["page"]["limit"].integer(), 50);
  EXPECT_TRUE(c().get("/api/streams").json["meta"]["page"]["cursor"].isNull());

  for (const char* q : {"?status=sleeping", "?limit=0", "?limit=501", "?limit=abc", "?limit=-1", "?limit=",
                               "?colour=red"}) {
    HttpResponse r = c().get(std::string("/api/streams") + q);
    EXPECT_EQ(r.status, 400) << q << ": " << r.describe();
    EXPECT_EQ(r.errorCode(), "validation_error") << q;
  }
  EXPECT_EQ(c().get("/api/streams?status=sleeping").json["error"]["field"].str(), "status");
  EXPECT_EQ(c().get("/api/streams?limit=501").json["error"]["field"].str(), "limit");

  HttpResponse page = c().get("/api/streams?limit=1");
  std::string cursor = page.json["meta"]["page"]["cursor"].str();
  ASSERT_FALSE(cursor.empty()) << page.describe();
  EXPECT_EQ(ids("?limit=1&cursor=" + cursor), V{b});
  std::string tampered = cursor;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {tampered, std::string("garbage"), cursor.substr(0, cursor.size() - 2)}) {
    HttpResponse r = c().get("/api/streams?limit=1&cursor=" + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.describe();
    EXPECT_EQ(r.json["error"]["field"].str(), "cursor") << r.describe();
  }
  // A cursor belongs to its query: reusing it under another filter is refused.
  HttpResponse foreign = c().get("/api/streams?limit=1&status=created&cursor=" + cursor);
  EXPECT_EQ(foreign.status, 400) << foreign.describe();
  HttpResponse pl_cursor = c().get("/api/pipelines?limit=1");
  std::string pc = pl_cursor.json["meta"]["page"]["cursor"].str();
  ASSERT_FALSE(pc.empty()) << pl_cursor.describe();
  EXPECT_EQ(c().get("/api/streams?cursor=" + pc).status, 400) << "a pipelines cursor is foreign to streams";
}

TEST_F(StreamsApiTest, PagesNeitherSkipNorRepeatWhileStreamsAreCreated) {
  constexpr int kInitial = 300;
  {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; i < kInitial; i += 4) {
          if (postDatagenStream(c(), "init-" + std::to_string(i), pipeline_).status != 201) {
            ++failures;
          }
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
    ASSERT_EQ(failures.load(), 0);
  }
  std::set<std::string> before;
  {
    std::string cursor;
    do {
      HttpResponse r = c().get("/api/streams?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
      ASSERT_EQ(r.status, 200) << r.describe();
      for (const auto& s : r.json["data"].items()) {
        before.insert(s["id"].str());
      }
      cursor = r.json["meta"]["page"]["cursor"].str();
    } while (!cursor.empty());
  }
  ASSERT_EQ(before.size(), static_cast<size_t>(kInitial));

  std::atomic<bool> done{false};
  std::atomic<int> created{0};
  std::atomic<int> create_failures{0};
  std::thread writer([&] {
    for (int i = 0; !done.load(); ++i) {
      if (postDatagenStream(c(), "late-" + std::to_string(i), pipeline_).status == 201) {
        ++created;
      } else {
        ++create_failures;
      }
    }
  });
  std::set<std::string> seen;
  std::vector<std::string> repeats;
  std::string cursor;
  int pages = 0;
  std::string last_created_at = "9999";
  do {
    HttpResponse r = c().get("/api/streams?limit=50" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_LE(r.json["data"].size(), 50u);
    for (const auto& s : r.json["data"].items()) {
      if (!seen.insert(s["id"].str()).second) {
        repeats.push_back(s["id"].str());
      }
      EXPECT_LE(s["attributes"]["created_at"].str(), last_created_at) << "not newest first";
      last_created_at = s["attributes"]["created_at"].str();
    }
    cursor = r.json["meta"]["page"]["cursor"].str();
    ++pages;
    // Give the writer time to interleave with the pages.
    pollUntil([&, n = created.load()] { return created.load() > n; }, 200ms, 1ms);
  } while (!cursor.empty() && pages < 100);
  done = true;
  writer.join();
  EXPECT_TRUE(repeats.empty()) << repeats.size() << " streams were seen twice, e.g. " << repeats.front();
  EXPECT_EQ(create_failures.load(), 0);
  EXPECT_GT(created.load(), 0) << "the writer never got a stream in while paging";
  size_t missing = 0;
  for (const auto& id : before) {
    missing += seen.count(id) == 0 ? 1 : 0;
  }
  EXPECT_EQ(missing, 0u) << "streams that existed before the first page were skipped";
  EXPECT_GE(pages, kInitial / 50);
}

TEST_F(StreamsApiTest, ConcurrentCreatesAndDeletesAllSucceed) {
  constexpr int kThreads = 5;
  constexpr int kPerThread = 10;
  std::mutex mu;
  std::set<std::string> kept;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = "c" + std::to_string(t) + "-" + std::to_string(i);
        HttpResponse r = postDatagenStream(c(), name, pipeline_);
        if (r.status != 201) {
          std::lock_guard lock(mu);
          failures.push_back(name + ": " + r.describe());
          continue;
        }
        std::string id = r.json["data"]["id"].str();
        if (i % 2 == 1) {
          HttpResponse d = c().del("/api/streams/" + id);
          if (d.status != 200 || d.json["data"]["id"].str() != id) {
            std::lock_guard lock(mu);
            failures.push_back("delete " + id + ": " + d.describe());
          }
          continue;
        }
        std::lock_guard lock(mu);
        kept.insert(id);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  HttpResponse list = c().get("/api/streams?limit=500");
  std::set<std::string> listed;
  for (const auto& s : list.json["data"].items()) {
    listed.insert(s["id"].str());
  }
  EXPECT_EQ(listed, kept);
  HttpResponse summary = c().get("/api/streams/summary");
  EXPECT_EQ(summary.json["data"]["attributes"]["total"].integer(), static_cast<int64_t>(kept.size()));
  EXPECT_EQ(summary.json["data"]["attributes"]["by_status"]["created"].integer(),
            static_cast<int64_t>(kept.size()));
}

/// The n of each datagen event of one pipeline, checking each event's shape on the way.
std::vector<int64_t> checkedNumbers(const std::vector<Json>& events, const std::string& stream_id) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < events.size(); ++i) {
    const Json& e = events[i];
    int64_t n = eventN(e);
    EXPECT_EQ(e["seq"].integer(), static_cast<int64_t>(i + 1)) << e.dump();
    EXPECT_EQ(e["stream_id"].str(), stream_id) << e.dump();
    EXPECT_EQ(e["key"].str(), std::to_string(n)) << e.dump();
    EXPECT_EQ(e["offset"].str(), std::to_string(n)) << e.dump();
    EXPECT_EQ(e["value"]["payload"].str(), "abcdefgh") << e.dump();
    EXPECT_EQ(e["value"].size(), 2u) << e.dump();
    EXPECT_FALSE(e.has("value_encoding")) << e.dump();
    EXPECT_TRUE(isRfc3339Z(e["ts"].str())) << e.dump();
    out.push_back(n);
  }
  return out;
}

TEST_F(StreamsApiTest, LifecycleFollowsTheStateMachineAndDeliversInOrder) {
  std::string id = createDatagenStream(c(), "life", pipeline_, "{\"rate_per_second\":400,\"payload_bytes\":8}");
  const std::string path = "/api/streams/" + id;
  auto expectInvalidState = [&](const std::string& action, const std::string& status) {
    HttpResponse r = c().post(path + "/" + action);
    EXPECT_EQ(r.status, 409) << action << " from " << status << ": " << r.describe();
    EXPECT_EQ(r.errorCode(), "invalid_state") << r.describe();
    EXPECT_NE(r.json["error"]["message"].str().find(status), std::string::npos) << r.describe();
  };
  expectInvalidState("stop", "created");
  expectInvalidState("pause", "created");
  expectInvalidState("resume", "created");

  HttpResponse started = c().post(path + "/start");
  ASSERT_EQ(started.status, 200) << started.describe();
  std::string st = started.json["data"]["attributes"]["status"].str();
  EXPECT_TRUE(st == "starting" || st == "running") << st;
  EXPECT_TRUE(isRfc3339Z(started.json["data"]["attributes"]["started_at"].str()));
  ASSERT_TRUE(waitForStatus(c(), id, "running"));
  HttpResponse again = c().post(path + "/start");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.json["data"]["attributes"]["status"].str(), "running");
  ASSERT_TRUE(waitForHead(c(), pipeline_, 20));

  HttpResponse paused = c().post(path + "/pause");
  ASSERT_EQ(paused.status, 200) << paused.describe();
  EXPECT_EQ(paused.json["data"]["attributes"]["status"].str(), "paused");
  EXPECT_EQ(c().post(path + "/pause").json["data"]["attributes"]["status"].str(), "paused");
  expectInvalidState("start", "paused");
  int64_t head_paused = headSeq(c(), pipeline_);
  // Nothing arrives while paused: a long poll past the head stays empty.
  HttpResponse idle = eventsPage(c(), pipeline_, static_cast<uint64_t>(head_paused), 100, 500);
  EXPECT_EQ(idle.json["data"].size(), 0u) << idle.describe();

  HttpResponse resumed = c().post(path + "/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.describe();
  EXPECT_EQ(resumed.json["data"]["attributes"]["status"].str(), "running");
  EXPECT_EQ(c().post(path + "/resume").json["data"]["attributes"]["status"].str(), "running");
  ASSERT_TRUE(waitForHead(c(), pipeline_, head_paused + 20));

  HttpResponse stopped = c().post(path + "/stop");
  ASSERT_EQ(stopped.status, 200) << stopped.describe();
  EXPECT_EQ(stopped.json["data"]["attributes"]["status"].str(), "stopped");
  const std::string committed = stopped.json["data"]["attributes"]["committed_offset"].str();
  ASSERT_FALSE(committed.empty()) << stopped.describe();
  HttpResponse stop_again = c().post(path + "/stop");
  EXPECT_EQ(stop_again.status, 200);
  EXPECT_EQ(stop_again.json["data"]["attributes"]["committed_offset"].str(), committed);
  expectInvalidState("resume", "stopped");
  expectInvalidState("pause", "stopped");

  std::vector<Json> first_run = allEvents(c(), pipeline_);
  std::vector<int64_t> numbers = checkedNumbers(first_run, id);
  ASSERT_FALSE(numbers.empty());
  for (size_t i = 0; i < numbers.size(); ++i) {
    ASSERT_EQ(numbers[i], static_cast<int64_t>(i + 1)) << "one uninterrupted run has neither gaps nor repeats";
  }
  EXPECT_EQ(std::to_string(numbers.back()), committed) << "stop commits exactly what is durable";

  ASSERT_EQ(c().post(path + "/start").status, 200);
  ASSERT_TRUE(waitForStatus(c(), id, "running"));
  const int64_t head_stopped = static_cast<int64_t>(first_run.size());
  ASSERT_TRUE(waitForHead(c(), pipeline_, head_stopped + 10));
  std::vector<Json> all = allEvents(c(), pipeline_);
  checkedNumbers(all, id);
  ASSERT_GT(all.size(), first_run.size());
  int64_t next_n = eventN(all[first_run.size()]);
  EXPECT_LE(next_n, std::stoll(committed) + 1) << "a restart must not skip records";
  EXPECT_GE(next_n, 1);
  EXPECT_TRUE(contiguousAtLeastOnce(all));
  ASSERT_EQ(c().post(path + "/stop").status, 200);
}

TEST_F(StreamsApiTest, MetricsCoverEachWindowAndGrowWhileRunning) {
  std::string id = createDatagenStream(c(), "metered", pipeline_, "{\"rate_per_second\":1000,\"payload_bytes\":16}");
  const std::string path = "/api/streams/" + id + "/metrics";
  HttpResponse idle = c().get(path);
  ASSERT_EQ(idle.status, 200) << idle.describe();
  EXPECT_EQ(idle.json["data"]["type"].str(), "stream_metrics");
  EXPECT_EQ(idle.json["data"]["attributes"]["window"].str(), "5m");
  EXPECT_EQ(idle.json["data"]["attributes"]["events"].integer(), 0);

  ASSERT_EQ(c().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(waitForHead(c(), pipeline_, 50));
  for (const auto& [window, points] : std::map<std::string, size_t>{{"1m", 60}, {"5m", 60}, {"1h", 60}, {"24h", 96}}) {
    HttpResponse r = c().get(path + "?window=" + window);
    ASSERT_EQ(r.status, 200) << window << ": " << r.describe();
    const Json& a = r.json["data"]["attributes"];
    EXPECT_EQ(a["window"].str(), window);
    EXPECT_EQ(a["series"].size(), points) << window;
    EXPECT_GT(a["events"].integer(), 0) << window;
    EXPECT_GT(a["bytes"].integer(), a["events"].integer()) << window;
    EXPECT_GE(a["events_per_second"].number(), 0.0);
    EXPECT_TRUE(a["errors"].has("total") && a["errors"].has("by_kind")) << a.dump();
    EXPECT_TRUE(a.has("consumer_lag") && a["consumer_lag"].has("records")) << a.dump();
    EXPECT_TRUE(isRfc3339Z(a["last_event_at"].str())) << a.dump();
    int64_t series_events = 0;
    std::string prev;
    for (const auto& p : a["series"].items()) {
      EXPECT_TRUE(isRfc3339Z(p["t"].str())) << p.dump();
      EXPECT_GT(p["t"].str(), prev) << "series points are oldest first";
      prev = p["t"].str();
      series_events += p["events"].integer();
    }
    EXPECT_GT(series_events, 0) << window;
  }
  int64_t first = c().get(path + "?window=1m").json["data"]["attributes"]["events"].integer();
  EXPECT_TRUE(pollUntil(
      [&] { return c().get(path + "?window=1m").json["data"]["attributes"]["events"].integer() > first; }, 5s));

  for (const char* bad : {"2h", "", "1M", "5"}) {
    HttpResponse r = c().get(path + "?window=" + bad);
    EXPECT_EQ(r.status, 400) << "window=" << bad << ": " << r.describe();
    EXPECT_EQ(r.json["error"]["field"].str(), "window");
  }
  EXPECT_EQ(c().get("/api/streams/str_00000000000000000000000000/metrics").status, 404);

  HttpResponse prom = c().get("/metrics");
  ASSERT_EQ(prom.status, 200);
  EXPECT_EQ(prom.header("Content-Type").value_or("").rfind("text/plain", 0), 0u);
  std::smatch m;
  std::regex line("streamhost_stream_events_total\\{[^}]*stream_id=\"" + id + "\"[^}]*\\} ([0-9]+)");
  ASSERT_TRUE(std::regex_search(prom.body, m, line)) << prom.body.substr(0, 3000);
  EXPECT_GT(std::stoll(m[1].str()), 0);
  EXPECT_NE(prom.body.find("streamhost_stream_status{"), std::string::npos);
}

TEST_F(StreamsApiTest, SummaryCountsEveryStatus) {
  HttpResponse empty = c().get("/api/streams/summary");
  ASSERT_EQ(empty.status, 200) << empty.describe();
  const Json& e = empty.json["data"];
  EXPECT_EQ(e["id"].str(), "summary");
  EXPECT_EQ(e["type"].str(), "stream_summary");
  for (const char* st : {"created", "starting", "running", "paused", "stopped", "error"}) {
    EXPECT_TRUE(e["attributes"]["by_status"].has(st)) << st;
    EXPECT_EQ(e["attributes"]["by_status"][st].integer(), 0) << st;
  }
  EXPECT_EQ(e["attributes"]["health"].str(), "healthy");

  createDatagenStream(c(), "c1", pipeline_);
  createDatagenStream(c(), "c2", pipeline_);
  std::string run = createDatagenStream(c(), "run", pipeline_, "{\"rate_per_second\":50}");
  std::string pau = createDatagenStream(c(), "pau", pipeline_, "{\"rate_per_second\":50}");
  std::string sto = createDatagenStream(c(), "sto", pipeline_, "{\"rate_per_second\":50}");
  for (const auto& id : {run, pau, sto}) {
    ASSERT_EQ(c().post("/api/streams/" + id + "/start").status, 200);
    ASSERT_TRUE(waitForStatus(c(), id, "running"));
  }
  ASSERT_EQ(c().post("/api/streams/" + pau + "/pause").status, 200);
  ASSERT_EQ(c().post("/api/streams/" + sto + "/stop").status, 200);
  HttpResponse r = c().get("/api/streams/summary");
  const Json& a = r.json["data"]["attributes"];
  EXPECT_EQ(a["total"].integer(), 5);
  EXPECT_EQ(a["by_status"]["created"].integer(), 2);
  EXPECT_EQ(a["by_status"]["running"].integer(), 1);
  EXPECT_EQ(a["by_status"]["paused"].integer(), 1);
  EXPECT_EQ(a["by_status"]["stopped"].integer(), 1);
  EXPECT_EQ(a["by_status"]["starting"].integer(), 0);
  EXPECT_EQ(a["by_status"]["error"].integer(), 0);
  EXPECT_EQ(a["by_status"].size(), 6u) << a["by_status"].dump();
  EXPECT_EQ(a["by_source_type"]["datagen"].integer(), 5);
  EXPECT_EQ(a["health"].str(), "healthy");
  EXPECT_TRUE(a.has("events_per_second") && a.has("errors_last_hour") && a.has("max_lag_seconds")) << a.dump();
  EXPECT_EQ(c().get("/api/streams/summary?x=1").status, 400);
}

TEST_F(StreamsApiTest, DeleteReturnsTheLastStateAndTeardown) {
  std::string idle = createDatagenStream(c(), "idle", pipeline_);
  std::string busy = createDatagenStream(c(), "busy", pipeline_, "{\"rate_per_second\":200}");
  ASSERT_EQ(c().post("/api/streams/" + busy + "/start").status, 200);
  ASSERT_TRUE(waitForStatus(c(), busy, "running"));
  ASSERT_TRUE(waitForHead(c(), pipeline_, 5));

  HttpResponse in_use = c().del("/api/pipelines/" + pipeline_);
  EXPECT_EQ(in_use.status, 409) << in_use.describe();
  EXPECT_EQ(in_use.errorCode(), "conflict");

  HttpResponse d1 = c().del("/api/streams/" + idle);
  ASSERT_EQ(d1.status, 200) << d1.describe();
  EXPECT_EQ(d1.json["data"]["id"].str(), idle);
  EXPECT_EQ(d1.json["data"]["attributes"]["status"].str(), "created");
  EXPECT_EQ(d1.json["data"]["attributes"]["name"].str(), "idle");
  EXPECT_TRUE(d1.json["meta"]["teardown"]["released"].isArray()) << d1.describe();
  EXPECT_EQ(d1.json["meta"]["teardown"]["errors"].size(), 0u) << d1.describe();

  HttpResponse d2 = c().del("/api/streams/" + busy);
  ASSERT_EQ(d2.status, 200) << d2.describe();
  EXPECT_EQ(d2.json["data"]["attributes"]["status"].str(), "stopped") << "a running stream is stopped first";
  EXPECT_FALSE(d2.json["data"]["attributes"]["committed_offset"].str().empty()) << d2.describe();
  EXPECT_TRUE(d2.json["meta"].has("teardown")) << d2.describe();

  for (const auto& id : {idle, busy}) {
    EXPECT_EQ(c().get("/api/streams/" + id).errorCode(), "not_found");
    EXPECT_EQ(c().del("/api/streams/" + id).status, 404);
    EXPECT_EQ(c().post("/api/streams/" + id + "/start").status, 404);
  }
  EXPECT_EQ(c().get("/api/streams").json["data"].size(), 0u);
  EXPECT_EQ(c().del("/api/streams/" + idle + "?force=maybe").status, 400);
  EXPECT_EQ(c().get("/metrics").body.find(busy), std::string::npos) << "deleted streams leave /metrics";
  // The name is free again, and the pipeline can go once nothing feeds it.
  EXPECT_EQ(postDatagenStream(c(), "idle", pipeline_).status, 201);
  std::string p2 = createPipeline(c(), "empty");
  EXPECT_EQ(c().del("/api/pipelines/" + p2).status, 200);
  EXPECT_EQ(c().get("/api/pipelines/" + p2).status, 404);
}

TEST_F(StreamsApiTest, PluginsListDatagenWithItsConfigKeys) {
  HttpResponse r = c().get("/api/plugins");
  ASSERT_EQ(r.status, 200) << r.describe();
  const Json* type = nullptr;
  for (const auto& p : r.json["data"].items()) {
    for (const auto& t : p["attributes"]["source_types"].items()) {
      if (t["name"].str() == "datagen") {
        type = &t;
        EXPECT_FALSE(p["attributes"]["version"].str().empty()) << p.dump();
        EXPECT_FALSE(p["attributes"]["abi_version"].str().empty()) << p.dump();
        EXPECT_NE(p["attributes"]["file"].str().find("datagen"), std::string::npos) << p.dump();
      }
    }
  }
  ASSERT_NE(type, nullptr) << "datagen is not loaded: " << r.describe();
  std::set<std::string> keys;
  for (const auto& k : (*type)["config_keys"].items()) {
    keys.insert(k["name"].str());
    EXPECT_EQ(k["type"].str(), "int") << k.dump();
    // Defaults are JSON values of the key's type, not their JSON text.
    EXPECT_TRUE(k["default"].isNumber()) << k.dump();
    if (k["name"].str() == "rate_per_second") {
      EXPECT_EQ(k["default"].integer(), 1000) << k.dump();
    }
  }
  EXPECT_EQ(keys, (std::set<std::string>{"rate_per_second", "max_records", "payload_bytes"}));
  EXPECT_FALSE((*type)["capabilities"]["needs_connection"].boolean());
  EXPECT_TRUE((*type)["capabilities"]["pause"].boolean());
  EXPECT_FALSE((*type)["capabilities"]["push"].boolean());
}

}  // namespace
}  // namespace streamhost::testing
