// The Store contract, run against every backend that instantiates StoreContractTest.
#include <algorithm>
#include <set>

#include "unit/store/store_contract.h"

namespace streamhost::store::contract {

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreContractTest);

void StoreContractTest::SetUp() {
  Result<StorePtr> s = GetParam().open(dir_.str());
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  store_ = std::move(*s);
}

void StoreContractTest::reopen() {
  store_.reset();
  Result<StorePtr> s = GetParam().open(dir_.str());
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  store_ = std::move(*s);
}

PipelineRow StoreContractTest::pipeline(const std::string& id, const std::string& name, int64_t created_at) {
  PipelineRow p;
  p.id = id;
  p.name = name;
  p.retention_max_bytes = 1 << 20;
  p.retention_max_age_seconds = 3600;
  p.created_at = created_at;
  p.updated_at = created_at + 1;
  return p;
}

StreamRow StoreContractTest::stream(const std::string& id, const std::string& name, const std::string& pipeline_id,
                                    int64_t created_at) {
  StreamRow s;
  s.id = id;
  s.name = name;
  s.source_type = "datagen";
  s.pipeline_id = pipeline_id;
  s.config_json = R"({"rate":10})";
  s.created_at = created_at;
  s.updated_at = created_at;
  return s;
}

ConnectionRow StoreContractTest::connection(const std::string& id, const std::string& name, const std::string& type,
                                            int64_t created_at) {
  ConnectionRow c;
  c.id = id;
  c.name = name;
  c.type = type;
  c.config_json = R"({"host":"db.internal","port":5432})";
  c.secrets = {{"password", "pa\"ss\\word\n\xc3\xa9"}, {"token", "t0k"}};
  c.created_at = created_at;
  c.updated_at = created_at;
  return c;
}

void StoreContractTest::createMainPipeline() { ASSERT_TRUE(store_->createPipeline(pipeline("pl_main", "main")).isOk()); }

namespace {

bool mentions(const Status& s, const std::string& what) { return s.message().find(what) != std::string::npos; }

std::vector<std::string> ids(const std::vector<StreamRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    out.push_back(r.id);
  }
  return out;
}

TEST_P(StoreContractTest, PingSucceeds) { EXPECT_TRUE(store_->ping().isOk()); }

TEST_P(StoreContractTest, StreamRoundTripsEveryField) {
  createMainPipeline();
  ASSERT_TRUE(store_->createConnection(connection("conn_a", "a")).isOk());
  StreamRow full = stream("str_full", "full", "pl_main", 5);
  full.connection_id = "conn_a";
  full.status = "error";
  full.last_error = "boom";
  full.committed_offset = "0/16B3748";
  full.started_at = 7;
  full.updated_at = 9;
  ASSERT_TRUE(store_->createStream(full).isOk());
  ASSERT_TRUE(store_->createStream(stream("str_bare", "bare", "pl_main", 6)).isOk());

  Result<StreamRow> got = store_->getStream("str_full");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->name, "full");
  EXPECT_EQ(got->source_type, "datagen");
  EXPECT_EQ(got->pipeline_id, "pl_main");
  EXPECT_EQ(got->connection_id, "conn_a");
  EXPECT_EQ(got->config_json, R"({"rate":10})");
  EXPECT_EQ(got->status, "error");
  EXPECT_EQ(got->last_error, "boom");
  EXPECT_EQ(got->committed_offset, "0/16B3748");
  EXPECT_EQ(got->created_at, 5);
  EXPECT_EQ(got->updated_at, 9);
  EXPECT_EQ(got->started_at, 7);

  Result<StreamRow> bare = store_->getStream("str_bare");
  ASSERT_TRUE(bare.isOk());
  EXPECT_EQ(bare->status, "created");
  EXPECT_FALSE(bare->connection_id.has_value());
  EXPECT_FALSE(bare->last_error.has_value());
  EXPECT_FALSE(bare->committed_offset.has_value());
  EXPECT_FALSE(bare->started_at.has_value());
}

TEST_P(StoreContractTest, CreateStreamRejectsDuplicatesAndMissingReferences) {
  createMainPipeline();
  ASSERT_TRUE(store_->createStream(stream("str_1", "orders", "pl_main")).isOk());
  Status dup_name = store_->createStream(stream("str_2", "orders", "pl_main"));
  EXPECT_EQ(dup_name.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(mentions(dup_name, "'orders'")) << dup_name.message();
  EXPECT_EQ(store_->createStream(stream("str_1", "other", "pl_main")).code(), StatusCode::kAlreadyExists);

  Status no_pipeline = store_->createStream(stream("str_3", "x", "pl_missing"));
  EXPECT_EQ(no_pipeline.code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(no_pipeline, "pl_missing")) << no_pipeline.message();
  StreamRow with_conn = stream("str_4", "y", "pl_main");
  with_conn.connection_id = "conn_missing";
  Status no_conn = store_->createStream(with_conn);
  EXPECT_EQ(no_conn.code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(no_conn, "conn_missing")) << no_conn.message();
}

TEST_P(StoreContractTest, MissingStreamIsNotFoundNamingTheId) {
  Result<StreamRow> r = store_->getStream("str_nope");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(r.status(), "str_nope"));
  EXPECT_EQ(store_->updateStream(stream("str_nope", "n", "pl_main")).code(), StatusCode::kNotFound);
  Status off = store_->setCommittedOffset("str_nope", "1", 1);
  EXPECT_EQ(off.code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(off, "str_nope"));
  EXPECT_EQ(store_->deleteStream("str_nope").code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, UpdateStreamReplacesMutableColumns) {
  createMainPipeline();
  ASSERT_TRUE(store_->createStream(stream("str_1", "one", "pl_main", 100)).isOk());
  ASSERT_TRUE(store_->createStream(stream("str_2", "two", "pl_main", 100)).isOk());
  StreamRow changed = stream("str_1", "uno", "pl_main", 100);
  changed.config_json = R"({"rate":99})";
  changed.status = "running";
  changed.last_error = "transient";
  changed.committed_offset = "42";
  changed.updated_at = 200;
  changed.started_at = 150;
  ASSERT_TRUE(store_->updateStream(changed).isOk());
  Result<StreamRow> got = store_->getStream("str_1");
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->name, "uno");
  EXPECT_EQ(got->config_json, R"({"rate":99})");
  EXPECT_EQ(got->status, "running");
  EXPECT_EQ(got->last_error, "transient");
  EXPECT_EQ(got->committed_offset, "42");
  EXPECT_EQ(got->updated_at, 200);
  EXPECT_EQ(got->started_at, 150);
  EXPECT_EQ(got->created_at, 100);

  changed.last_error.reset();
  changed.started_at.reset();
  ASSERT_TRUE(store_->updateStream(changed).isOk());
  got = store_->getStream("str_1");
  EXPECT_FALSE(got->last_error.has_value());
  EXPECT_FALSE(got->started_at.has_value());

  changed.name = "two";
  Status taken = store_->updateStream(changed);
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(mentions(taken, "'two'")) << taken.message();
}

TEST_P(StoreContractTest, SetCommittedOffsetTouchesOnlyOffsetAndUpdatedAt) {
  createMainPipeline();
  ASSERT_TRUE(store_->createStream(stream("str_1", "one", "pl_main", 100)).isOk());
  ASSERT_TRUE(store_->setCommittedOffset("str_1", "0/AB", 500).isOk());
  ASSERT_TRUE(store_->setCommittedOffset("str_1", "0/CD", 600).isOk());
  Result<StreamRow> got = store_->getStream("str_1");
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->committed_offset, "0/CD");
  EXPECT_EQ(got->updated_at, 600);
  EXPECT_EQ(got->name, "one");
  EXPECT_EQ(got->status, "created");
}

TEST_P(StoreContractTest, CommittedSeqMovesWithTheOffsetUnlessNoRecordCameWithIt) {
  createMainPipeline();
  ASSERT_TRUE(store_->createStream(stream("str_1", "one", "pl_main", 100)).isOk());
  EXPECT_EQ(store_->getStream("str_1")->committed_seq, 0u);
  ASSERT_TRUE(store_->setCommittedOffset("str_1", "0/AB", 500, 42).isOk());
  EXPECT_EQ(store_->getStream("str_1")->committed_seq, 42u);
  // An offset that advanced without records keeps the seq of the last record.
  ASSERT_TRUE(store_->setCommittedOffset("str_1", "0/CD", 600).isOk());
  Result<StreamRow> got = store_->getStream("str_1");
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->committed_offset, "0/CD");
  EXPECT_EQ(got->committed_seq, 42u);
}

TEST_P(StoreContractTest, AnOperatorsOffsetIsStoredWithItsTimeAndSeqAndCanBeCleared) {
  createMainPipeline();
  ASSERT_TRUE(store_->createStream(stream("str_1", "one", "pl_main", 100)).isOk());
  EXPECT_FALSE(store_->getStream("str_1")->offset_changed_at.has_value());
  ASSERT_TRUE(store_->setCommittedOffset("str_1", "0/AB", 500, 42).isOk());
  EXPECT_EQ(store_->getStream("str_1")->committed_at, 500);
  EXPECT_FALSE(store_->getStream("str_1")->offset_changed_at.has_value());
  ASSERT_TRUE(store_->setOffsetByOperator("str_1", "0/10", 57, 700).isOk());
  Result<StreamRow> got = store_->getStream("str_1");
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->committed_offset, "0/10");
  EXPECT_EQ(got->committed_seq, 57u);
  EXPECT_EQ(got->offset_changed_at, 700);
  EXPECT_EQ(got->committed_at, 700);
  ASSERT_TRUE(store_->setOffsetByOperator("str_1", std::nullopt, 57, 800).isOk());
  got = store_->getStream("str_1");
  EXPECT_FALSE(got->committed_offset.has_value());
  EXPECT_EQ(got->offset_changed_at, 800);
  EXPECT_EQ(store_->setOffsetByOperator("str_nope", "1", 0, 1).code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, SetStreamStatusChangesOnlyLifecycleColumns) {
  createMainPipeline();
  StreamRow s = stream("str_1", "one", "pl_main", 100);
  s.committed_offset = "7";
  ASSERT_TRUE(store_->createStream(s).isOk());
  ASSERT_TRUE(store_->setStreamStatus("str_1", "running", std::nullopt, 300, 300).isOk());
  // A rename that lands between two status reports survives them.
  StreamRow renamed = s;
  renamed.name = "renamed";
  renamed.status = "running";
  renamed.started_at = 300;
  ASSERT_TRUE(store_->updateStream(renamed).isOk());
  ASSERT_TRUE(store_->setStreamStatus("str_1", "error", "disk full", std::nullopt, 400).isOk());
  Result<StreamRow> got = store_->getStream("str_1");
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->name, "renamed");
  EXPECT_EQ(got->status, "error");
  EXPECT_EQ(got->last_error, "disk full");
  EXPECT_EQ(got->started_at, 300);
  EXPECT_EQ(got->updated_at, 400);
  EXPECT_EQ(got->committed_offset, "7");
  ASSERT_TRUE(store_->setStreamStatus("str_1", "starting", std::nullopt, 500, 500).isOk());
  got = store_->getStream("str_1");
  EXPECT_FALSE(got->last_error.has_value());
  EXPECT_EQ(got->started_at, 500);
  Status missing = store_->setStreamStatus("str_nope", "running", std::nullopt, std::nullopt, 1);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(missing, "str_nope"));
}

TEST_P(StoreContractTest, DeleteStreamRemovesItAndItsState) {
  createMainPipeline();
  ASSERT_TRUE(store_->createStream(stream("str_1", "one", "pl_main")).isOk());
  ASSERT_TRUE(store_->putState("str_1", "k", "v", 0).isOk());
  ASSERT_TRUE(store_->deleteStream("str_1").isOk());
  EXPECT_EQ(store_->getStream("str_1").status().code(), StatusCode::kNotFound);
  // Re-creating under the same id starts with empty state.
  ASSERT_TRUE(store_->createStream(stream("str_1", "one", "pl_main")).isOk());
  Result<std::optional<std::string>> v = store_->getState("str_1", "k", 1);
  ASSERT_TRUE(v.isOk());
  EXPECT_FALSE(v->has_value());
}

TEST_P(StoreContractTest, ListStreamsIsNewestFirstWithIdBreakingTies) {
  createMainPipeline();
  // Three share created_at 200; ids decide among them.
  for (const auto& [id, at] : std::vector<std::pair<std::string, int64_t>>{
           {"str_a", 100}, {"str_c", 200}, {"str_b", 200}, {"str_d", 200}, {"str_e", 300}}) {
    ASSERT_TRUE(store_->createStream(stream(id, id + "_name", "pl_main", at)).isOk());
  }
  Result<std::vector<StreamRow>> all = store_->listStreams({}, std::nullopt, 50);
  ASSERT_TRUE(all.isOk()) << all.status().toString();
  EXPECT_EQ(ids(*all), (std::vector<std::string>{"str_e", "str_d", "str_c", "str_b", "str_a"}));

  // Pages of two, cut in the middle of the tie, visit each exactly once.
  std::vector<std::string> seen;
  std::optional<PageKey> after;
  for (int page = 0; page < 10; ++page) {
    Result<std::vector<StreamRow>> rows = store_->listStreams({}, after, 2);
    ASSERT_TRUE(rows.isOk());
    if (rows->empty()) {
      break;
    }
    EXPECT_LE(rows->size(), 2u);
    for (const auto& r : *rows) {
      seen.push_back(r.id);
    }
    after = PageKey{rows->back().created_at, rows->back().id};
  }
  EXPECT_EQ(seen, ids(*all));

  Result<std::vector<StreamRow>> tail = store_->listStreams({}, PageKey{200, "str_c"}, 50);
  ASSERT_TRUE(tail.isOk());
  EXPECT_EQ(ids(*tail), (std::vector<std::string>{"str_b", "str_a"}));
}

TEST_P(StoreContractTest, ListStreamsPagesDoNotShiftWhenNewStreamsArrive) {
  createMainPipeline();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store_->createStream(stream("str_" + std::to_string(i), "s" + std::to_string(i), "pl_main", 100 + i))
                    .isOk());
  }
  Result<std::vector<StreamRow>> first = store_->listStreams({}, std::nullopt, 2);
  ASSERT_TRUE(first.isOk());
  ASSERT_TRUE(store_->createStream(stream("str_new", "new", "pl_main", 999)).isOk());
  Result<std::vector<StreamRow>> second =
      store_->listStreams({}, PageKey{first->back().created_at, first->back().id}, 2);
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(ids(*first), (std::vector<std::string>{"str_3", "str_2"}));
  EXPECT_EQ(ids(*second), (std::vector<std::string>{"str_1", "str_0"}));
}

TEST_P(StoreContractTest, ListStreamsAndsFilters) {
  createMainPipeline();
  ASSERT_TRUE(store_->createPipeline(pipeline("pl_other", "other")).isOk());
  StreamRow a = stream("str_a", "a", "pl_main", 1);
  a.status = "running";
  StreamRow b = stream("str_b", "b", "pl_main", 2);
  b.status = "running";
  b.source_type = "webhook";
  StreamRow c = stream("str_c", "c", "pl_other", 3);
  c.status = "running";
  StreamRow d = stream("str_d", "d", "pl_main", 4);
  for (const auto& s : {a, b, c, d}) {
    ASSERT_TRUE(store_->createStream(s).isOk());
  }
  auto list = [&](StreamFilter f) {
    Result<std::vector<StreamRow>> r = store_->listStreams(f, std::nullopt, 50);
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.isOk() ? ids(*r) : std::vector<std::string>{};
  };
  EXPECT_EQ(list({"running", {}, {}}), (std::vector<std::string>{"str_c", "str_b", "str_a"}));
  EXPECT_EQ(list({{}, "datagen", {}}), (std::vector<std::string>{"str_d", "str_c", "str_a"}));
  EXPECT_EQ(list({{}, {}, "pl_other"}), (std::vector<std::string>{"str_c"}));
  EXPECT_EQ(list({"running", "datagen", "pl_main"}), (std::vector<std::string>{"str_a"}));
  EXPECT_EQ(list({"paused", {}, {}}), (std::vector<std::string>{}));
  Result<std::vector<StreamRow>> paged = store_->listStreams({"running", {}, {}}, PageKey{3, "str_c"}, 1);
  ASSERT_TRUE(paged.isOk());
  EXPECT_EQ(ids(*paged), (std::vector<std::string>{"str_b"}));
}

TEST_P(StoreContractTest, ListingRejectsNonPositiveLimit) {
  EXPECT_EQ(store_->listStreams({}, std::nullopt, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->listPipelines(std::nullopt, -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->listConnections(std::nullopt, std::nullopt, 0).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace streamhost::store::contract
