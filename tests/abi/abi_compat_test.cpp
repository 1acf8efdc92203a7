// ABI 1.1 through the real loader and Connector: plugins built for 1.0 run in
// this host, 1.1 plugins run on a host that announces 1.0, and the 1.1 calls
// (batch emit, long push answers, abort, plugin-wide state and shutdown) do
// what the header says.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "runtime/push_stream.h"
#include "runtime/store_plugin_state.h"
#include "journal/journal.h"
#include "metrics/stream_metrics.h"
#include "plugins/connector.h"
#include "plugins/plugin_loader.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace streamhost::plugins {
namespace {

namespace fs = std::filesystem;

struct Loaded {
  PluginRegistry registry;
  PluginReport report;
};

std::unique_ptr<Loaded> loadFrom(const fs::path& dir, uint32_t host_version = SH_ABI_VERSION) {
  auto l = std::make_unique<Loaded>();
  l->report = PluginLoader(dir, host_version).loadAll(l->registry);
  return l;
}

fs::path scenario(const std::string& name) { return fs::path(ABI_FIXTURE_DIR) / name; }

InstanceOptions options(std::string config = "{}") {
  InstanceOptions o;
  o.stream_id = "str_1";
  o.stream_name = "s";
  o.config_json = std::move(config);
  return o;
}

PushRequest pushOf(std::string body) {
  PushRequest req;
  req.method = "POST";
  req.content_type = "application/json";
  req.body = std::move(body);
  return req;
}

TEST(AbiCompatTest, APluginBuiltAgainstThe10HeaderRunsInThisHost) {
  auto l = loadFrom(scenario("frozen_1_0"));
  const SourceTypeInfo* t = l->registry.findSourceType("frozen_source");
  ASSERT_NE(t, nullptr) << l->report.toText();
  auto c = Connector::create(*t, options());
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  ASSERT_TRUE((*c)->start("").isOk());
  RecordBatch batch(10, 1024);
  ASSERT_TRUE((*c)->poll(batch, 10, 0).isOk());
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.records()[0].key, "k");
  EXPECT_EQ(batch.records()[0].offset, "1");
  EXPECT_EQ(batch.records()[0].flags, 0u);  // a 1.0 record has no flags field
  EXPECT_TRUE((*c)->stop().isOk());
}

// The good fixture emits with one emitBatch call: one host call on a 1.1
// host, one emit per record on a host that announces 1.0.
TEST(AbiCompatTest, APluginBuiltAgainstThe11HeaderLoadsAndHasNoTypedOffsets) {
  auto l = loadFrom(scenario("frozen_1_1"));
  const SourceTypeInfo* t = l->registry.findSourceType("frozen_11_source");
  ASSERT_NE(t, nullptr) << l->report.toText();
  EXPECT_EQ(t->vtable->offset_to_json, nullptr);
  EXPECT_EQ(t->vtable->source_health, nullptr);
  auto c = Connector::create(*t, options());
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_FALSE((*c)->hasSourceHealth());
  for (const Status& s : {(*c)->offsetToJson("1").status(), (*c)->offsetFromJson("{}").status(),
                          (*c)->offsetReset().status(), (*c)->sourceHealth("").status()}) {
    EXPECT_EQ(s.code(), StatusCode::kNotImplemented) << s.toString();
  }
}

TEST(AbiCompatTest, AnSdkSourceWithoutTypedOffsetsAnswersNotImplemented) {
  auto l = loadFrom(scenario("good"));
  ASSERT_FALSE(l->registry.sourceTypeNames().empty()) << l->report.toText();
  const SourceTypeInfo* t = l->registry.findSourceType(l->registry.sourceTypeNames().front());
  ASSERT_NE(t->vtable->offset_to_json, nullptr);  // the SDK fills every 1.2 call
  auto c = Connector::create(*t, options());
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  auto typed = (*c)->offsetToJson("1");
  EXPECT_EQ(typed.status().code(), StatusCode::kNotImplemented) << typed.status().toString();
  EXPECT_NE(typed.status().message().find("no typed offsets"), std::string::npos);
}

TEST(AbiCompatTest, DatagenTypesItsOffsetsThroughTheAbi) {
  auto l = loadFrom(STREAMHOST_TEST_PLUGIN_DIR);
  const SourceTypeInfo* t = l->registry.findSourceType("datagen");
  ASSERT_NE(t, nullptr) << l->report.toText();
  auto c = Connector::create(*t, options(R"({"rate_per_second":0,"max_records":0,"payload_bytes":8})"));
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  auto typed = (*c)->offsetToJson("41");
  ASSERT_TRUE(typed.isOk()) << typed.status().toString();
  EXPECT_EQ(*typed, R"({"n":41})");
  EXPECT_EQ(*(*c)->offsetToJson(""), "null");
  auto token = (*c)->offsetFromJson(R"({"n":7})");
  ASSERT_TRUE(token.isOk()) << token.status().toString();
  EXPECT_EQ(*token, "7");
  auto bad = (*c)->offsetFromJson(R"({"n":7,"x":1})");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "x");
}

TEST(AbiCompatTest, BatchEmitWorksOnBothHostVersions) {
  for (uint32_t version : {SH_ABI_VERSION, SH_ABI_MAKE_VERSION(1, 0)}) {
    auto l = loadFrom(scenario("good"), version);
    const SourceTypeInfo* t = l->registry.findSourceType("good_source");
    ASSERT_NE(t, nullptr) << l->report.toText();
    auto c = Connector::create(*t, options(R"({"count":3,"ratio":0.5})"));
    ASSERT_TRUE(c.isOk()) << c.status().toString();
    ASSERT_TRUE((*c)->start("").isOk());
    RecordBatch batch(2, 1 << 20);  // room for 2 of the 3: the batch stops at the first refused
    ASSERT_TRUE((*c)->poll(batch, 3, 0).isOk());
    ASSERT_EQ(batch.size(), 2u) << version;
    EXPECT_EQ(batch.records()[0].key, "1");
    EXPECT_EQ(batch.records()[1].key, "2");
    EXPECT_EQ(batch.records()[1].headers.size(), 2u);
    EXPECT_EQ(batch.lastOffset(), std::optional<std::string>("2"));  // no checkpoint after a partial batch
    RecordBatch next(10, 1 << 20);
    ASSERT_TRUE((*c)->poll(next, 3, 0).isOk());
    ASSERT_EQ(next.size(), 3u);
    EXPECT_EQ(next.records()[0].key, "3");  // resumes after what was taken
    EXPECT_EQ(next.records()[2].flags, SH_REC_TX_END);
    EXPECT_EQ(next.lastOffset(), std::optional<std::string>("cp-5"));
  }
}

/// good_push's answer to a request for a 100 kB body, on a host of `version`.
PushResult bigAnswer(uint32_t version) {
  auto l = loadFrom(scenario("good"), version);
  auto c = Connector::create(*l->registry.findSourceType("good_push"), options());
  EXPECT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_TRUE((*c)->start("").isOk());
  RecordBatch batch(10, 1 << 20);
  auto res = (*c)->handleRequest(pushOf("big:100000"), batch);
  EXPECT_TRUE(res.isOk()) << res.status().toString();
  return res.isOk() ? *res : PushResult{};
}

TEST(AbiCompatTest, APushAnswerOver64KiBArrivesWhole) {
  PushResult res = bigAnswer(SH_ABI_VERSION);
  EXPECT_EQ(res.http_status, 202);
  ASSERT_EQ(res.body.size(), 100000u + 10u);
  EXPECT_EQ(res.body.substr(0, 8), "{\"pad\":\"");
  EXPECT_EQ(res.body.substr(res.body.size() - 2), "\"}");
}

TEST(AbiCompatTest, OnA10HostAnOverlongAnswerBecomesAShortErrorNeverACutOne) {
  PushResult res = bigAnswer(SH_ABI_MAKE_VERSION(1, 0));
  EXPECT_EQ(res.http_status, 500);
  EXPECT_EQ(res.body.rfind("{\"error\":{", 0), 0u) << res.body;
  EXPECT_EQ(res.body.back(), '}');
}

TEST(AbiCompatTest, PluginWideStateReachesCreateAndShutdownRunsBeforeUnload) {
  streamhost::testing::TempDir dir;
  fs::path marker = dir.path() / "c_shutdown";
  ::setenv("C_FIXTURE_SHUTDOWN_FILE", marker.c_str(), 1);
  {
    auto l = loadFrom(scenario("c_v11"));
    const SourceTypeInfo* t = l->registry.findSourceType("c_v11_source");
    ASSERT_NE(t, nullptr) << l->report.toText();
    auto c = Connector::create(*t, options());
    ASSERT_TRUE(c.isOk()) << c.status().toString();  // the fixture refuses create without its opaque
    EXPECT_FALSE(fs::exists(marker));
  }
  EXPECT_TRUE(fs::exists(marker)) << "shutdown was not called when the plugin was released";
  ::unsetenv("C_FIXTURE_SHUTDOWN_FILE");

  fs::path sdk_marker = dir.path() / "sdk_shutdown";
  ::setenv("GOOD_FIXTURE_SHUTDOWN_FILE", sdk_marker.c_str(), 1);
  loadFrom(scenario("good")).reset();
  EXPECT_TRUE(fs::exists(sdk_marker)) << "the SDK did not pass the plugin's shutdown";
  ::unsetenv("GOOD_FIXTURE_SHUTDOWN_FILE");
}

/// A push stream whose journal is closed: every append fails after the
/// plugin has answered, so the host must abort the call.
class AbortTest : public ::testing::Test {
 protected:
  std::unique_ptr<runtime::PushStream> streamOf(const SourceTypeInfo& type, const std::string& config,
                                                PluginStateStore* state) {
    InstanceOptions o = options(config);
    o.state = state;
    auto c = Connector::create(type, o);
    EXPECT_TRUE(c.isOk()) << c.status().toString();
    auto j = journal::Journal::open(dir_.path() / "journal", journal::JournalOptions{});
    EXPECT_TRUE(j.isOk());
    journal::JournalSharedPtr journal(std::move(*j));
    journal->close();
    auto s = std::make_unique<runtime::PushStream>(
        "str_1", std::move(*c), journal, std::make_shared<metrics::StreamMetrics>(),
        runtime::StreamCallbacks{{}, [](const std::string&, uint64_t) { return Status::ok(); }}, runtime::PushOptions{}, clock_);
    EXPECT_TRUE(s->start(std::nullopt, false).isOk());
    return s;
  }

  streamhost::testing::TempDir dir_;
  SystemClock clock_;
};

TEST_F(AbortTest, AFailedJournalWriteAbortsThePluginsCall) {
  auto l = loadFrom(scenario("good"));
  const SourceTypeInfo* t = l->registry.findSourceType("good_push");
  ASSERT_NE(t, nullptr);
  InstanceOptions o = options();
  auto c = Connector::create(*t, o);
  ASSERT_TRUE(c.isOk());
  Connector* conn = c->get();
  auto j = journal::Journal::open(dir_.path() / "j2", journal::JournalOptions{});
  ASSERT_TRUE(j.isOk());
  journal::JournalSharedPtr journal(std::move(*j));
  journal->close();
  runtime::PushStream stream("str_1", std::move(*c), journal, std::make_shared<metrics::StreamMetrics>(),
                             runtime::StreamCallbacks{{}, [](const std::string&, uint64_t) { return Status::ok(); }}, runtime::PushOptions{}, clock_);
  ASSERT_TRUE(stream.start(std::nullopt, false).isOk());
  auto r = stream.push(pushOf("{}"));
  EXPECT_EQ(r.status().code(), StatusCode::kTransient) << r.status().toString();
  EXPECT_EQ(conn->context().counters().at("aborts"), 1);
}

TEST_F(AbortTest, NoCommitReachesThePluginWhenTheOffsetWasNotPersisted) {
  auto l = loadFrom(scenario("good"));
  auto c = Connector::create(*l->registry.findSourceType("good_push"), options());
  ASSERT_TRUE(c.isOk());
  Connector* conn = c->get();
  auto j = journal::Journal::open(dir_.path() / "j3", journal::JournalOptions{});
  ASSERT_TRUE(j.isOk());
  journal::JournalSharedPtr journal(std::move(*j));
  bool persist_ok = false;
  runtime::PushStream stream(
      "str_1", std::move(*c), journal, std::make_shared<metrics::StreamMetrics>(),
      runtime::StreamCallbacks{
          {}, [&](const std::string&, uint64_t) { return persist_ok ? Status::ok() : Status(StatusCode::kTransient, "disk full"); }},
      runtime::PushOptions{}, clock_);
  ASSERT_TRUE(stream.start(std::nullopt, false).isOk());
  auto first = stream.push(pushOf("{}"));
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(conn->context().counters().count("commits"), 0u) << "commit ran though the offset was not persisted";
  persist_ok = true;
  ASSERT_TRUE(stream.push(pushOf("{}")).isOk());
  EXPECT_EQ(conn->context().counters().at("commits"), 1);
  EXPECT_EQ(stream.committedOffset(), std::optional<std::string>("p2"));
}

// The webhook remembers an event id while its request is being stored; after
// a failed write it must forget it, or the sender's retry is refused 409.
TEST_F(AbortTest, AWebhookRetryAfterAFailedWriteIsStoredNotRefused) {
  auto l = loadFrom(STREAMHOST_TEST_PLUGIN_DIR);
  const SourceTypeInfo* t = l->registry.findSourceType("webhook");
  ASSERT_NE(t, nullptr) << l->report.toText();
  auto store = store::openSqliteStore((dir_.path() / "store.db").string(), std::string(32, 'k'));
  ASSERT_TRUE(store.isOk()) << store.status().toString();
  auto config = Connector::validateConfig(*t, R"({"auth":{"scheme":"none"},"event_id":"/id"})");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  runtime::StorePluginState state(**store);
  auto stream = streamOf(*t, config->json, &state);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = stream->push(pushOf(R"({"id":"e1"})"));
    // Both attempts reach the journal (and fail there); without abort the
    // second would be answered 409 by the plugin before that.
    ASSERT_FALSE(r.isOk()) << "attempt " << attempt << ": answered " << r->http_status << " " << r->body;
    EXPECT_EQ(r.status().code(), StatusCode::kTransient) << r.status().toString();
  }
}

}  // namespace
}  // namespace streamhost::plugins
