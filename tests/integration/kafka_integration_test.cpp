// The kafka source against librdkafka's mock cluster in its own process:
// formats, headers, tombstones, start positions, stop/start, pause, a broker
// going down, SIGKILL, and what delete does with the consumer group.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "integration/stream_test_helpers.h"
#include "journal/journal_manager.h"
#include "support/kafka_mock.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

// A member joining a non-empty mock group waits session.timeout.ms - 1 s.
constexpr const char* kFastGroup = R"("client_properties":{"session.timeout.ms":"6000","max.poll.interval.ms":"7000",)"
                                   R"("heartbeat.interval.ms":"500"})";

class KafkaTest : public ::testing::Test {
 protected:
  KafkaTest() = default;
  explicit KafkaTest(DaemonOptions options) : daemon_(std::move(options)) {}
  void SetUp() override {
    ASSERT_TRUE(daemon_.start());
    pipeline_ = createPipeline(api(), "k");
    HttpResponse c = api().post("/api/connections", R"({"name":"mock","type":"kafka","config":{"bootstrap_servers":")" +
                                                        mock_.bootstraps() + R"("}})");
    ASSERT_EQ(c.status, 201) << c.describe();
    connection_ = c.json["data"]["id"].str();
  }
  void TearDown() override { daemon_.printLogIfFailed(); }

  HttpClient api() const { return daemon_.client(); }

  HttpResponse createStream(const std::string& name, const std::string& config) {
    return api().post("/api/streams", "{\"name\":" + jsonQuote(name) + ",\"sourceType\":\"kafka\",\"pipelineId\":" +
                                          jsonQuote(pipeline_) + ",\"connectionId\":" + jsonQuote(connection_) +
                                          ",\"config\":" + config + "}");
  }
  std::string startStream(const std::string& name, const std::string& config) {
    HttpResponse r = createStream(name, config);
    EXPECT_EQ(r.status, 201) << r.describe();
    std::string id = r.json["data"]["id"].str();
    HttpResponse s = api().post("/api/streams/" + id + "/start");
    EXPECT_EQ(s.status, 200) << s.describe();
    EXPECT_TRUE(waitForStatus(api(), id, "running", 20s));
    return id;
  }
  static std::vector<KafkaMessage> numbered(int from, int to, int partitions) {
    std::vector<KafkaMessage> out;
    for (int i = from; i < to; ++i) {
      KafkaMessage m;
      m.key = "k" + std::to_string(i);
      m.value = "{\"n\":" + std::to_string(i) + "}";
      m.partition = i % partitions;
      out.push_back(std::move(m));
    }
    return out;
  }
  /// n of every event, with repeats.
  std::multiset<int64_t> numbers() {
    std::multiset<int64_t> out;
    for (const auto& e : allEvents(api(), pipeline_)) {
      out.insert(e["value"]["n"].integer());
    }
    return out;
  }

  KafkaMock mock_;
  DaemonHarness daemon_;
  std::string pipeline_;
  std::string connection_;
};

TEST_F(KafkaTest, ConnectionTestSaysBrokersClusterAndTopics) {
  mock_.createTopic("visible", 2);
  HttpResponse t = api().post("/api/connections/" + connection_ + "/test");
  ASSERT_EQ(t.status, 200) << t.describe();
  const Json& a = t.json["data"]["attributes"];
  EXPECT_TRUE(a["ok"].boolean()) << t.body;
  std::string m = a["message"].str();
  EXPECT_NE(m.find("3 brokers answer."), std::string::npos) << m;
  EXPECT_NE(m.find("The cluster id is "), std::string::npos) << m;
  EXPECT_NE(m.find("topic"), std::string::npos) << m;

  HttpResponse bad = api().post("/api/connections", R"({"name":"nowhere","type":"kafka","config":{)"
                                                    R"("bootstrap_servers":"127.0.0.1:1"}})");
  ASSERT_EQ(bad.status, 201) << bad.describe();
  HttpResponse t2 = api().post("/api/connections/" + bad.json["data"]["id"].str() + "/test");
  ASSERT_EQ(t2.status, 200) << t2.describe();
  EXPECT_FALSE(t2.json["data"]["attributes"]["ok"].boolean()) << t2.body;
  EXPECT_NE(t2.json["data"]["attributes"]["message"].str().find("127.0.0.1:1"), std::string::npos) << t2.body;
}

TEST_F(KafkaTest, BadConfigIsA400NamingTheField) {
  struct Case {
    std::string config;
    std::string field;
  };
  for (const Case& c : {Case{R"({"topics":["a"],"topic_pattern":"b.*"})", "config.topic_pattern"},
                        Case{R"({})", "config.topics"},
                        Case{R"({"topics":["a b"]})", "config.topics"},
                        Case{R"({"topic_pattern":"(unclosed"})", "config.topic_pattern"},
                        Case{R"({"topics":["a"],"value_format":"xml"})", "config.value_format"},
                        Case{R"({"topics":["a"],"start_from":"yesterday"})", "config.start_from"},
                        Case{R"({"topics":["a"],"start_from":{"timestamp_ms":-5}})", "config.start_from.timestamp_ms"},
                        Case{R"({"topics":["a"],"start_from":{"ts":5}})", "config.start_from.ts"},
                        Case{R"({"topics":["a"],"isolation_level":"dirty"})", "config.isolation_level"},
                        Case{R"({"topics":["a"],"client_properties":{"fetch.wait.max.ms":"soon"}})",
                             "config.client_properties.fetch.wait.max.ms"},
                        Case{R"({"topics":["a"],"client_properties":{"no.such.property":"1"}})",
                             "config.client_properties.no.such.property"},
                        Case{R"({"topics":["a"],"client_properties":{"enable.auto.commit":"true"}})",
                             "config.client_properties.enable.auto.commit"}}) {
    HttpResponse r = createStream("bad", c.config);
    EXPECT_EQ(r.status, 400) << c.config << " " << r.describe();
    EXPECT_EQ(r.json["error"]["field"].str(), c.field) << c.config << " " << r.describe();
  }
}

TEST_F(KafkaTest, RecordsKeepFormatsHeadersTombstonesAndResumeExactly) {
  mock_.createTopic("orders", 3);
  std::vector<KafkaMessage> first = numbered(0, 30, 3);
  first[0].headers = {{"trace", "abc"}, {"tenant", "t1"}};
  KafkaMessage tombstone;
  tombstone.key = "gone";
  tombstone.partition = 1;
  first.push_back(tombstone);
  KafkaMessage not_json;
  not_json.key = "raw";
  not_json.value = "plain text";
  not_json.partition = 2;
  first.push_back(not_json);
  mock_.produce("orders", first);

  std::string id = startStream("orders", std::string(R"({"topics":["orders"],)") + kFastGroup + "}");
  ASSERT_TRUE(waitForHead(api(), pipeline_, 32, 30s));
  std::vector<Json> events = allEvents(api(), pipeline_);
  ASSERT_EQ(events.size(), 32u);
  std::map<std::string, Json> by_key;
  for (const auto& e : events) {
    by_key[e["key"].str()] = e;
  }
  const Json& k0 = by_key["k0"];
  EXPECT_EQ(k0["value"]["n"].integer(), 0) << k0.dump();
  EXPECT_EQ(k0["offset"].str(), "orders/0@0") << k0.dump();
  EXPECT_EQ(k0["headers"]["trace"].str(), "abc") << k0.dump();
  EXPECT_EQ(k0["headers"]["tenant"].str(), "t1") << k0.dump();
  EXPECT_TRUE(by_key["gone"]["value"].isNull()) << by_key["gone"].dump();
  const Json& raw = by_key["raw"];
  EXPECT_EQ(raw["value_encoding"].str(), "base64") << raw.dump();
  EXPECT_NE(raw["headers"]["streamhost.format_error"].str().find("not JSON"), std::string::npos) << raw.dump();
  // Per partition, offsets in order.
  std::map<std::string, int64_t> last;
  for (const auto& e : events) {
    std::string off = e["offset"].str();
    std::string part = off.substr(0, off.find('@'));
    int64_t n = std::stoll(off.substr(off.find('@') + 1));
    EXPECT_TRUE(last.count(part) == 0 || n == last[part] + 1) << off;
    last[part] = n;
  }

  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  HttpResponse stopped = api().get("/api/streams/" + id);
  EXPECT_EQ(stopped.json["data"]["attributes"]["committed_offset"].str(), "orders/0@10,orders/1@11,orders/2@11")
      << stopped.body;
  // Kafka holds exactly what the pipeline holds, never more.
  std::map<int32_t, int64_t> committed = mock_.committed("streamhost-" + id, "orders", 3);
  EXPECT_EQ(committed, (std::map<int32_t, int64_t>{{0, 10}, {1, 11}, {2, 11}}));

  mock_.produce("orders", numbered(100, 130, 3));
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(waitForHead(api(), pipeline_, 62, 30s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(headSeq(api(), pipeline_), 62) << "records were read twice after a stop and start";
}

TEST_F(KafkaTest, TypedOffsetsAreCheckedSetAndResetAndStartFollowsThem) {
  mock_.createTopic("orders", 2);
  mock_.produce("orders", numbered(0, 20, 2));  // 10 messages per partition
  HttpResponse r = createStream("typed", std::string(R"({"topics":["orders"],)") + kFastGroup + "}");
  ASSERT_EQ(r.status, 201) << r.describe();
  std::string id = r.json["data"]["id"].str();
  const std::string path = "/api/streams/" + id + "/offsets";
  HttpResponse got = api().get(path);
  ASSERT_EQ(got.status, 200) << got.describe();
  EXPECT_TRUE(got.json["data"]["attributes"]["position"].isNull()) << got.describe();

  auto put = [&](const std::string& body) { return api().request("PUT", path, body); };
  struct Case {
    std::string body;
    std::string field;
  };
  for (const Case& c : {Case{R"({"partitions":[{"topic":"orders","partition":7,"offset":0}]})",
                             "partitions[0].partition"},
                        Case{R"({"partitions":[{"topic":"nope","partition":0,"offset":0}]})", "partitions[0].topic"},
                        Case{R"({"partitions":[{"topic":"orders","partition":0,"offset":11}]})",
                             "partitions[0].offset"},
                        Case{R"({"partitions":[{"topic":"orders","partition":0,"offset":1,"x":1}]})",
                             "partitions[0].x"},
                        Case{R"({"partitions":[]})", "partitions"},
                        Case{R"({"offsets":[]})", "offsets"}}) {
    HttpResponse bad = put(c.body);
    EXPECT_EQ(bad.status, 400) << c.body << " " << bad.describe();
    EXPECT_EQ(bad.json["error"]["field"].str(), c.field) << c.body << " " << bad.describe();
  }
  HttpResponse set = put(R"({"partitions":[{"topic":"orders","partition":0,"offset":5},)"
                         R"({"topic":"orders","partition":1,"offset":8}]})");
  ASSERT_EQ(set.status, 200) << set.describe();
  EXPECT_EQ(set.json["data"]["attributes"]["position"]["partitions"][size_t{1}]["offset"].integer(), 8) << set.describe();

  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(waitForHead(api(), pipeline_, 7, 30s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(numbers(), (std::multiset<int64_t>{10, 12, 14, 16, 17, 18, 19}));
  EXPECT_EQ(put(R"({"partitions":[{"topic":"orders","partition":0,"offset":0}]})").status, 409);

  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  got = api().get(path);
  EXPECT_EQ(got.json["data"]["attributes"]["position"]["partitions"][size_t{0}]["offset"].integer(), 10) << got.describe();
  HttpResponse reset = api().del(path);
  ASSERT_EQ(reset.status, 200) << reset.describe();
  EXPECT_TRUE(reset.json["data"]["attributes"]["position"].isNull());
  ASSERT_EQ(api().post("/api/streams/" + id + "/start").status, 200);
  ASSERT_TRUE(waitForHead(api(), pipeline_, 27, 30s)) << "a reset reads from start_from (earliest) again";
}

TEST_F(KafkaTest, TopicPatternHeadersOffAndIsolationLevels) {
  for (const char* t : {"ev.a", "ev.b", "other"}) {
    mock_.createTopic(t, 1);
  }
  std::vector<KafkaMessage> with_headers = numbered(0, 5, 1);
  for (auto& m : with_headers) {
    m.headers = {{"trace", "x"}};
  }
  mock_.produce("ev.a", with_headers);
  mock_.produce("ev.b", numbered(10, 15, 1));
  mock_.produce("other", numbered(20, 25, 1));
  mock_.produceInTransaction("ev.a", numbered(900, 903, 1), false);  // aborted
  mock_.produceInTransaction("ev.a", numbered(910, 912, 1), true);

  std::string pattern = startStream(
      "pattern", std::string(R"({"topic_pattern":"^ev\\..*","include_headers":false,)") + kFastGroup + "}");
  std::string dirty = startStream(
      "dirty", std::string(R"({"topics":["ev.a"],"isolation_level":"read_uncommitted",)") + kFastGroup + "}");
  // pattern: 5 + 5 + the 2 committed; dirty: 5 + 3 aborted + 2 committed.
  ASSERT_TRUE(waitForHead(api(), pipeline_, 22, 30s));
  std::this_thread::sleep_for(500ms);
  std::multiset<int64_t> from_pattern;
  std::multiset<int64_t> from_dirty;
  for (const auto& e : allEvents(api(), pipeline_)) {
    int64_t n = e["value"]["n"].integer();
    if (e["stream_id"].str() == pattern) {
      from_pattern.insert(n);
      EXPECT_EQ(e["headers"].size(), 0u) << "include_headers false kept headers: " << e.dump();
      EXPECT_EQ(e["offset"].str().rfind("ev.", 0), 0u) << e.dump();
    } else {
      EXPECT_EQ(e["stream_id"].str(), dirty) << e.dump();
      from_dirty.insert(n);
      if (n < 5) {
        EXPECT_EQ(e["headers"]["trace"].str(), "x") << "headers are kept by default: " << e.dump();
      }
    }
  }
  // The mock cluster keeps no list of aborted transactions, so a read_committed
  // consumer cannot skip them there; what differs is what reaches librdkafka.
  std::multiset<int64_t> without_aborted;
  for (int64_t n : from_pattern) {
    if (n < 900 || n > 902) {
      without_aborted.insert(n);
    }
  }
  EXPECT_EQ(without_aborted, (std::multiset<int64_t>{0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 910, 911}))
      << "^ev\\..* must match ev.a and ev.b, not other";
  EXPECT_EQ(from_dirty, (std::multiset<int64_t>{0, 1, 2, 3, 4, 900, 901, 902, 910, 911}));
  std::string log = daemon_.log();
  EXPECT_NE(log.find("stream=" + pattern + " consumer started group=streamhost-" + pattern +
                     " isolation.level=read_committed include_headers=false"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("stream=" + dirty + " consumer started group=streamhost-" + dirty +
                     " isolation.level=read_uncommitted include_headers=true"),
            std::string::npos);
}

TEST_F(KafkaTest, StartFromLatestAndATimestampSkipWhatIsThere) {
  mock_.createTopic("old", 1);
  mock_.produce("old", numbered(0, 10, 1));
  std::string latest = startStream("latest", std::string(R"({"topics":["old"],"start_from":"latest",)") + kFastGroup + "}");
  std::string later = startStream("later", std::string(R"({"topics":["old"],"start_from":{"timestamp_ms":)") +
                                               std::to_string(4102444800000) + "}," + kFastGroup + "}");
  // Both are members of their own groups now; only what comes next is read.
  std::this_thread::sleep_for(4s);
  mock_.produce("old", numbered(50, 55, 1));
  ASSERT_TRUE(waitForHead(api(), pipeline_, 10, 30s));
  std::this_thread::sleep_for(500ms);
  std::multiset<int64_t> got = numbers();
  EXPECT_EQ(got.size(), 10u);
  for (int64_t n : got) {
    EXPECT_GE(n, 50) << "an old message was read";
  }
  (void)latest;
  (void)later;
}

TEST_F(KafkaTest, PauseOutlivesMaxPollIntervalAndResumesAfterTheLastRecord) {
  mock_.createTopic("p", 2);
  mock_.produce("p", numbered(0, 20, 2));
  std::string id = startStream("p", std::string(R"({"topics":["p"],)") + kFastGroup + "}");
  ASSERT_TRUE(waitForHead(api(), pipeline_, 20, 30s));
  ASSERT_EQ(api().post("/api/streams/" + id + "/pause").status, 200);
  mock_.produce("p", numbered(20, 40, 2));
  std::this_thread::sleep_for(9s);  // longer than max.poll.interval.ms (7 s)
  EXPECT_EQ(headSeq(api(), pipeline_), 20) << "records arrived while paused";
  ASSERT_EQ(api().post("/api/streams/" + id + "/resume").status, 200);
  ASSERT_TRUE(waitForHead(api(), pipeline_, 40, 30s));
  std::this_thread::sleep_for(500ms);
  std::multiset<int64_t> got = numbers();
  EXPECT_EQ(got.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(got.count(i), 1u) << i;
  }
  EXPECT_EQ(streamStatus(api(), id), "running");
}

TEST_F(KafkaTest, ABrokerGoingDownLosesNothing) {
  mock_.createTopic("b", 3);
  mock_.produce("b", numbered(0, 300, 3));
  std::string id = startStream("b", std::string(R"({"topics":["b"],)") + kFastGroup + "}");
  ASSERT_TRUE(waitForHead(api(), pipeline_, 300, 30s));
  mock_.brokerDown(2);
  std::this_thread::sleep_for(2s);
  mock_.brokerUp(2);
  mock_.produce("b", numbered(300, 600, 3));
  ASSERT_TRUE(waitForHead(api(), pipeline_, 600, 60s));
  std::multiset<int64_t> got = numbers();
  for (int i = 0; i < 600; ++i) {
    EXPECT_GE(got.count(i), 1u) << "message " << i << " is missing";
  }
  EXPECT_NE(streamStatus(api(), id), "error");
}

TEST_F(KafkaTest, SigkillLosesNothingAndKafkaNeverRunsAheadOfTheJournal) {
  mock_.createTopic("crash", 3);
  mock_.produce("crash", numbered(0, 3000, 3));
  std::string id =
      startStream("crash", std::string(R"({"topics":["crash"],"max_batch_records":100,)") + kFastGroup + "}");
  ASSERT_TRUE(waitForHead(api(), pipeline_, 500, 30s));
  ASSERT_TRUE(daemon_.stop(SIGKILL));
  // What Kafka holds as committed was durable in the journal at the kill: read
  // the journal files themselves while the daemon is down.
  std::map<std::string, int64_t> journal_next;
  {
    journal::JournalManager journals(daemon_.dataDir(), journal::JournalOptions{});
    auto j = journals.open(pipeline_);
    ASSERT_TRUE(j.isOk()) << j.status().toString();
    uint64_t after = 0;
    while (true) {
      auto page = (*j)->read(after, 10000, 64u << 20);
      ASSERT_TRUE(page.isOk());
      if (page->entries.empty()) {
        break;
      }
      for (const auto& e : page->entries) {
        const std::string& off = e.record.offset;
        if (off.find(',') == std::string::npos && off.find('@') != std::string::npos) {
          std::string part = off.substr(0, off.find('@'));
          journal_next[part] = std::max<int64_t>(journal_next[part], std::stoll(off.substr(off.find('@') + 1)) + 1);
        }
        after = e.seq;
      }
    }
  }
  std::map<int32_t, int64_t> committed = mock_.committed("streamhost-" + id, "crash", 3);
  EXPECT_FALSE(committed.empty()) << "nothing was committed to Kafka before the kill";
  for (const auto& [p, next] : committed) {
    EXPECT_LE(next, journal_next["crash/" + std::to_string(p)]) << "partition " << p << " committed past the journal";
  }
  ASSERT_TRUE(daemon_.start());
  ASSERT_TRUE(waitForStatus(api(), id, "running", 30s));
  ASSERT_TRUE(waitForHead(api(), pipeline_, 3000, 60s));
  std::multiset<int64_t> got = numbers();
  size_t repeats = 0;
  for (int i = 0; i < 3000; ++i) {
    ASSERT_GE(got.count(i), 1u) << "message " << i << " is missing after SIGKILL";
    repeats += got.count(i) - 1;
  }
  EXPECT_LE(repeats, 3u * 100u) << "more than one batch per partition was read twice";
}

TEST_F(KafkaTest, DeleteKeepsAGroupTheClusterCannotDeleteAndANamedOne) {
  mock_.createTopic("d", 1);
  mock_.produce("d", numbered(0, 5, 1));
  std::string own = startStream("own", std::string(R"({"topics":["d"],)") + kFastGroup + "}");
  std::string named =
      startStream("named", std::string(R"({"topics":["d"],"group_id":"team-orders",)") + kFastGroup + "}");
  ASSERT_TRUE(waitForHead(api(), pipeline_, 10, 30s));
  HttpResponse d1 = api().del("/api/streams/" + own);
  ASSERT_EQ(d1.status, 200) << d1.describe();
  // The mock lacks DeleteGroups: asking for it would abort the daemon.
  EXPECT_NE(d1.json["meta"]["teardown"]["released"].dump().find("does not support deleting consumer groups"),
            std::string::npos)
      << d1.body;
  EXPECT_EQ(api().get("/healthz").status, 200) << "the daemon died deleting a group";
  HttpResponse d2 = api().del("/api/streams/" + named);
  ASSERT_EQ(d2.status, 200) << d2.describe();
  EXPECT_NE(d2.json["meta"]["teardown"]["released"].dump().find("named in config.group_id"), std::string::npos)
      << d2.body;
}

TEST_F(KafkaTest, TwoStreamsInOneGroupTogetherReadEverything) {
  mock_.createTopic("shared", 4);
  std::string cfg = std::string(R"({"topics":["shared"],"group_id":"both",)") + kFastGroup + "}";
  std::string a = startStream("a", cfg);
  std::string b = startStream("b", cfg);
  std::this_thread::sleep_for(8s);  // both joined, partitions split
  mock_.produce("shared", numbered(0, 400, 4));
  ASSERT_TRUE(waitForHead(api(), pipeline_, 400, 60s));
  std::multiset<int64_t> got = numbers();
  std::set<std::string> streams;
  for (const auto& e : allEvents(api(), pipeline_)) {
    streams.insert(e["stream_id"].str());
  }
  for (int i = 0; i < 400; ++i) {
    EXPECT_GE(got.count(i), 1u) << i;
  }
  EXPECT_EQ(streams.size(), 2u) << "one member read everything";
  (void)a;
  (void)b;
}

/// The host checks every stream's source health each 200 ms.
class KafkaHealthTest : public KafkaTest {
 protected:
  KafkaHealthTest() : KafkaTest(DaemonOptions{{"--set", "health.check_interval_ms=200"}}) {}
};

// The mock cluster keeps 5 MiB of a partition and deletes its oldest message
// sets beyond that, as retention does: a stopped stream's committed offset
// comes near the log start, then falls behind it.
TEST_F(KafkaHealthTest, ACommittedOffsetNearTheLogStartWarnsAndBehindItIsCritical) {
  mock_.createTopic("ret", 1);
  auto big = [](int n) {
    std::vector<KafkaMessage> out(static_cast<size_t>(n));
    for (auto& m : out) {
      m.value = std::string(20000, 'x');
      m.partition = 0;
    }
    return out;
  };
  mock_.produce("ret", big(100));
  std::string id = startStream("ret", std::string(R"({"topics":["ret"],"value_format":"string",)") + kFastGroup + "}");
  ASSERT_TRUE(waitForHead(api(), pipeline_, 100, 30s));
  ASSERT_EQ(api().post("/api/streams/" + id + "/stop").status, 200);
  HttpResponse off = api().get("/api/streams/" + id + "/offsets");
  ASSERT_EQ(off.json["data"]["attributes"]["position"]["partitions"][size_t{0}]["offset"].integer(), 100)
      << off.describe();
  Json a = attributesAfterAHealthCheck(api(), id);
  EXPECT_EQ(a["health"].str(), "ok") << a.dump();

  // Five messages a produce call, so the log start moves five at a time.
  auto [low, high] = mock_.watermarks("ret", 0);
  while (!(low > 0 && (100 - low) * 10 < high - low)) {
    ASSERT_LT(high, 2000) << "the mock kept every message: the log start never moved";
    mock_.produce("ret", big(5));
    std::tie(low, high) = mock_.watermarks("ret", 0);
  }
  ASSERT_LE(low, 100) << "produced past the warning window: low " << low << ", high " << high;
  a = attributesAfterAHealthCheck(api(), id);
  ASSERT_EQ(a["health"].str(), "warning") << "low " << low << ", high " << high << ": " << a.dump();
  EXPECT_NE(a["health_reasons"][size_t{0}].str().find("within 10 % of the log start " + std::to_string(low)),
            std::string::npos)
      << a.dump();
  off = api().get("/api/streams/" + id + "/offsets");
  EXPECT_EQ(off.json["data"]["attributes"]["source"]["partitions"][size_t{0}]["log_start"].integer(), low)
      << off.describe();

  while (low <= 100) {
    mock_.produce("ret", big(5));
    std::tie(low, high) = mock_.watermarks("ret", 0);
  }
  a = attributesAfterAHealthCheck(api(), id);
  EXPECT_EQ(a["health"].str(), "critical") << a.dump();
  EXPECT_NE(a["health_reasons"][size_t{0}].str().find(std::to_string(low - 100) + " messages were deleted"),
            std::string::npos)
      << "low " << low << ": " << a.dump();
  HttpResponse s = api().get("/api/streams/summary");
  EXPECT_EQ(s.json["data"]["attributes"]["by_health"]["critical"].integer(), 1) << s.describe();
  EXPECT_EQ(a["status"].str(), "stopped") << "the kafka check only reports";
}

}  // namespace
}  // namespace streamhost::testing
