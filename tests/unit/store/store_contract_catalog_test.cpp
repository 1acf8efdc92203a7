// The Store contract for pipelines, connections, API keys, plugin state and reopening.
#include "unit/store/store_contract.h"

namespace streamhost::store::contract {
namespace {

bool mentions(const Status& s, const std::string& what) { return s.message().find(what) != std::string::npos; }

TEST_P(StoreContractTest, PipelineRoundTripAndErrors) {
  ASSERT_TRUE(store_->createPipeline(pipeline("pl_1", "orders", 10)).isOk());
  Result<PipelineRow> got = store_->getPipeline("pl_1");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->name, "orders");
  EXPECT_EQ(got->retention_max_bytes, 1 << 20);
  EXPECT_EQ(got->retention_max_age_seconds, 3600);
  EXPECT_EQ(got->created_at, 10);
  EXPECT_EQ(got->updated_at, 11);

  Status dup = store_->createPipeline(pipeline("pl_2", "orders"));
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(mentions(dup, "'orders'")) << dup.message();
  EXPECT_EQ(store_->createPipeline(pipeline("pl_1", "fresh")).code(), StatusCode::kAlreadyExists);

  Result<PipelineRow> missing = store_->getPipeline("pl_nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(missing.status(), "pl_nope"));
  EXPECT_EQ(store_->deletePipeline("pl_nope").code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, ReferencedPipelineCannotBeDeleted) {
  ASSERT_TRUE(store_->createPipeline(pipeline("pl_1", "orders")).isOk());
  ASSERT_TRUE(store_->createStream(stream("str_1", "feeder", "pl_1")).isOk());
  Status s = store_->deletePipeline("pl_1");
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_TRUE(mentions(s, "pl_1")) << s.message();
  EXPECT_TRUE(mentions(s, "str_1")) << s.message();
  EXPECT_TRUE(store_->getPipeline("pl_1").isOk());
  ASSERT_TRUE(store_->deleteStream("str_1").isOk());
  EXPECT_TRUE(store_->deletePipeline("pl_1").isOk());
  EXPECT_EQ(store_->getPipeline("pl_1").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, ListPipelinesPagesNewestFirst) {
  for (const auto& [id, at] : std::vector<std::pair<std::string, int64_t>>{
           {"pl_a", 1}, {"pl_b", 2}, {"pl_c", 2}, {"pl_d", 3}}) {
    ASSERT_TRUE(store_->createPipeline(pipeline(id, id, at)).isOk());
  }
  Result<std::vector<PipelineRow>> first = store_->listPipelines(std::nullopt, 3);
  ASSERT_TRUE(first.isOk());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].id, "pl_d");
  EXPECT_EQ((*first)[1].id, "pl_c");
  EXPECT_EQ((*first)[2].id, "pl_b");
  Result<std::vector<PipelineRow>> rest = store_->listPipelines(PageKey{2, "pl_b"}, 3);
  ASSERT_TRUE(rest.isOk());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].id, "pl_a");
}

TEST_P(StoreContractTest, ConnectionRoundTripsSecrets) {
  ConnectionRow c = connection("conn_1", "warehouse");
  ASSERT_TRUE(store_->createConnection(c).isOk());
  Result<ConnectionRow> got = store_->getConnection("conn_1");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->name, "warehouse");
  EXPECT_EQ(got->type, "postgres");
  EXPECT_EQ(got->config_json, c.config_json);
  EXPECT_EQ(got->secrets, c.secrets);
  EXPECT_EQ(got->created_at, 1000);

  ConnectionRow empty = connection("conn_2", "nosecrets");
  empty.secrets.clear();
  ASSERT_TRUE(store_->createConnection(empty).isOk());
  EXPECT_TRUE(store_->getConnection("conn_2")->secrets.empty());
}

TEST_P(StoreContractTest, ConnectionErrors) {
  ASSERT_TRUE(store_->createConnection(connection("conn_1", "warehouse")).isOk());
  Status dup = store_->createConnection(connection("conn_2", "warehouse"));
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(mentions(dup, "'warehouse'")) << dup.message();
  EXPECT_EQ(store_->createConnection(connection("conn_1", "other")).code(), StatusCode::kAlreadyExists);
  Result<ConnectionRow> missing = store_->getConnection("conn_nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(missing.status(), "conn_nope"));
  EXPECT_EQ(store_->updateConnection(connection("conn_nope", "x")).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->deleteConnection("conn_nope").code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, UpdateConnectionReplacesNameConfigAndSecrets) {
  ASSERT_TRUE(store_->createConnection(connection("conn_1", "warehouse")).isOk());
  ASSERT_TRUE(store_->createConnection(connection("conn_2", "lake")).isOk());
  ConnectionRow c = connection("conn_1", "warehouse2");
  c.config_json = R"({"host":"new"})";
  c.secrets = {{"password", "rotated"}};
  c.updated_at = 2000;
  ASSERT_TRUE(store_->updateConnection(c).isOk());
  Result<ConnectionRow> got = store_->getConnection("conn_1");
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->name, "warehouse2");
  EXPECT_EQ(got->config_json, R"({"host":"new"})");
  EXPECT_EQ(got->secrets, c.secrets);
  EXPECT_EQ(got->updated_at, 2000);
  EXPECT_EQ(got->created_at, 1000);
  c.name = "lake";
  Status taken = store_->updateConnection(c);
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(mentions(taken, "'lake'")) << taken.message();
}

TEST_P(StoreContractTest, ReferencedConnectionCannotBeDeleted) {
  ASSERT_TRUE(store_->createPipeline(pipeline("pl_1", "p")).isOk());
  ASSERT_TRUE(store_->createConnection(connection("conn_1", "warehouse")).isOk());
  StreamRow s = stream("str_1", "cdc", "pl_1");
  s.connection_id = "conn_1";
  ASSERT_TRUE(store_->createStream(s).isOk());
  Status del = store_->deleteConnection("conn_1");
  EXPECT_EQ(del.code(), StatusCode::kConflict);
  EXPECT_TRUE(mentions(del, "str_1")) << del.message();
  ASSERT_TRUE(store_->deleteStream("str_1").isOk());
  EXPECT_TRUE(store_->deleteConnection("conn_1").isOk());
  EXPECT_EQ(store_->getConnection("conn_1").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, ListConnectionsFiltersByTypeAndPages) {
  ASSERT_TRUE(store_->createConnection(connection("conn_a", "a", "postgres", 1)).isOk());
  ASSERT_TRUE(store_->createConnection(connection("conn_b", "b", "kafka", 2)).isOk());
  ASSERT_TRUE(store_->createConnection(connection("conn_c", "c", "postgres", 2)).isOk());
  ASSERT_TRUE(store_->createConnection(connection("conn_d", "d", "postgres", 3)).isOk());
  auto names = [](const Result<std::vector<ConnectionRow>>& r) {
    std::vector<std::string> out;
    if (r.isOk()) {
      for (const auto& c : *r) {
        out.push_back(c.id);
      }
    }
    return out;
  };
  EXPECT_EQ(names(store_->listConnections(std::nullopt, std::nullopt, 10)),
            (std::vector<std::string>{"conn_d", "conn_c", "conn_b", "conn_a"}));
  EXPECT_EQ(names(store_->listConnections("postgres", std::nullopt, 2)),
            (std::vector<std::string>{"conn_d", "conn_c"}));
  EXPECT_EQ(names(store_->listConnections("postgres", PageKey{2, "conn_c"}, 2)),
            (std::vector<std::string>{"conn_a"}));
  EXPECT_EQ(names(store_->listConnections(std::nullopt, PageKey{2, "conn_c"}, 10)),
            (std::vector<std::string>{"conn_b", "conn_a"}));
  Result<std::vector<ConnectionRow>> listed = store_->listConnections("kafka", std::nullopt, 10);
  ASSERT_TRUE(listed.isOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].secrets.at("token"), "t0k");
}

TEST_P(StoreContractTest, ApiKeysAreFoundByHashAndListedNewestFirst) {
  ApiKeyRow admin{"key_1", "admin", std::string(64, 'a'), {"admin"}, 10};
  ApiKeyRow reader{"key_2", "reader", std::string(64, 'b'), {"streams:read", "pipelines:read"}, 20};
  ASSERT_TRUE(store_->createApiKey(admin).isOk());
  ASSERT_TRUE(store_->createApiKey(reader).isOk());
  Result<ApiKeyRow> found = store_->findApiKeyByHash(std::string(64, 'b'));
  ASSERT_TRUE(found.isOk()) << found.status().toString();
  EXPECT_EQ(found->id, "key_2");
  EXPECT_EQ(found->name, "reader");
  EXPECT_EQ(found->scopes, reader.scopes);
  EXPECT_EQ(found->created_at, 20);
  EXPECT_EQ(store_->findApiKeyByHash(std::string(64, 'c')).status().code(), StatusCode::kNotFound);

  ApiKeyRow same_hash{"key_3", "copy", std::string(64, 'a'), {}, 30};
  EXPECT_EQ(store_->createApiKey(same_hash).code(), StatusCode::kAlreadyExists);

  Result<std::vector<ApiKeyRow>> all = store_->listApiKeys();
  ASSERT_TRUE(all.isOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "key_2");
  EXPECT_EQ((*all)[1].id, "key_1");

  ASSERT_TRUE(store_->deleteApiKey("key_2").isOk());
  EXPECT_EQ(store_->findApiKeyByHash(std::string(64, 'b')).status().code(), StatusCode::kNotFound);
  Status gone = store_->deleteApiKey("key_2");
  EXPECT_EQ(gone.code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(gone, "key_2"));
}

TEST_P(StoreContractTest, StateIsPerStreamOverwritableAndDeletable) {
  createMainPipeline();
  ASSERT_TRUE(store_->createStream(stream("str_1", "one", "pl_main")).isOk());
  ASSERT_TRUE(store_->createStream(stream("str_2", "two", "pl_main")).isOk());
  std::string binary("\x00\x01\xff", 3);
  ASSERT_TRUE(store_->putState("str_1", "k", binary, 0).isOk());
  ASSERT_TRUE(store_->putState("str_2", "k", "other", 0).isOk());
  EXPECT_EQ(store_->getState("str_1", "k", 1).value(), binary);
  EXPECT_EQ(store_->getState("str_2", "k", 1).value(), "other");
  EXPECT_FALSE(store_->getState("str_1", "absent", 1).value().has_value());

  ASSERT_TRUE(store_->putState("str_1", "k", "", 0).isOk());
  EXPECT_EQ(store_->getState("str_1", "k", 1).value(), std::string());
  ASSERT_TRUE(store_->deleteState("str_1", "k").isOk());
  EXPECT_FALSE(store_->getState("str_1", "k", 1).value().has_value());
  EXPECT_TRUE(store_->deleteState("str_1", "k").isOk());
  EXPECT_EQ(store_->getState("str_2", "k", 1).value(), "other");

  Status orphan = store_->putState("str_nope", "k", "v", 0);
  EXPECT_EQ(orphan.code(), StatusCode::kNotFound);
  EXPECT_TRUE(mentions(orphan, "str_nope"));
}

TEST_P(StoreContractTest, ExpiredStateIsIgnoredAndRefreshable) {
  createMainPipeline();
  ASSERT_TRUE(store_->createStream(stream("str_1", "one", "pl_main")).isOk());
  ASSERT_TRUE(store_->putState("str_1", "dedup", "1", 1000).isOk());
  EXPECT_EQ(store_->getState("str_1", "dedup", 999).value(), "1");
  EXPECT_FALSE(store_->getState("str_1", "dedup", 1000).value().has_value());
  EXPECT_FALSE(store_->getState("str_1", "dedup", 500'000).value().has_value());
  // An expired key can be written again and lives by its new expiry.
  ASSERT_TRUE(store_->putState("str_1", "dedup", "2", 600'000).isOk());
  EXPECT_EQ(store_->getState("str_1", "dedup", 599'999).value(), "2");
  ASSERT_TRUE(store_->putState("str_1", "forever", "x", 0).isOk());
  EXPECT_EQ(store_->getState("str_1", "forever", int64_t{1} << 60).value(), "x");
}

TEST_P(StoreContractTest, DataSurvivesReopen) {
  createMainPipeline();
  ASSERT_TRUE(store_->createConnection(connection("conn_1", "warehouse")).isOk());
  StreamRow s = stream("str_1", "one", "pl_main");
  s.connection_id = "conn_1";
  ASSERT_TRUE(store_->createStream(s).isOk());
  ASSERT_TRUE(store_->setCommittedOffset("str_1", "0/FF", 5).isOk());
  ASSERT_TRUE(store_->putState("str_1", "k", "v", 0).isOk());
  ASSERT_TRUE(store_->createApiKey({"key_1", "admin", std::string(64, 'a'), {"admin"}, 1}).isOk());

  reopen();
  EXPECT_EQ(store_->getStream("str_1")->committed_offset, "0/FF");
  EXPECT_EQ(store_->getPipeline("pl_main")->name, "main");
  Result<ConnectionRow> c = store_->getConnection("conn_1");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->secrets, connection("conn_1", "warehouse").secrets);
  EXPECT_EQ(store_->getState("str_1", "k", 1).value(), "v");
  EXPECT_EQ(store_->findApiKeyByHash(std::string(64, 'a'))->scopes, std::vector<std::string>{"admin"});
  EXPECT_EQ(store_->createStream(stream("str_2", "one", "pl_main")).code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace streamhost::store::contract
