#include "cdc_config.h"

#include <gtest/gtest.h>

#include <string>

#include "fake_host.h"

namespace streamhost::pgcdc {
namespace {

using testing::FakeHost;

/// The field named by the config error fromHost throws, or "" when it throws none.
std::string badField(FakeHost& fake) {
  try {
    CdcConfig::fromHost(fake.host(), "s1");
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), SH_ERR_INVALID_CONFIG) << e.what();
    return e.field();
  }
  return "";
}

std::string badField(const char* key, const char* json) {
  FakeHost fake;
  fake.config[key] = json;
  return badField(fake);
}

TEST(CdcConfigTest, DefaultSlotName) {
  EXPECT_EQ(defaultSlotName("abc"), "streamhost_abc");
  EXPECT_EQ(defaultSlotName("Stream-42.X"), "streamhost_stream_42_x");
  EXPECT_EQ(defaultSlotName(std::string(100, 'a')), "streamhost_" + std::string(52, 'a'));
  EXPECT_TRUE(isValidSlotName(defaultSlotName("6F9619FF-8B86-D011-B42D-00C04FC964FF")));
}

TEST(CdcConfigTest, SlotNames) {
  EXPECT_TRUE(isValidSlotName("abc_1"));
  EXPECT_TRUE(isValidSlotName(std::string(63, 'a')));
  EXPECT_FALSE(isValidSlotName(std::string(64, 'a')));
  EXPECT_FALSE(isValidSlotName(""));
  EXPECT_FALSE(isValidSlotName("Abc"));
  EXPECT_FALSE(isValidSlotName("a-b"));
  EXPECT_FALSE(isValidSlotName("a b"));
}

TEST(CdcConfigTest, Identifiers) {
  EXPECT_TRUE(isValidIdentifier("_x"));
  EXPECT_TRUE(isValidIdentifier("Pub$1"));
  EXPECT_TRUE(isValidIdentifier(std::string(63, 'p')));
  EXPECT_FALSE(isValidIdentifier(std::string(64, 'p')));
  EXPECT_FALSE(isValidIdentifier(""));
  EXPECT_FALSE(isValidIdentifier("1pub"));
  EXPECT_FALSE(isValidIdentifier("$pub"));
  EXPECT_FALSE(isValidIdentifier("a-b"));
  EXPECT_FALSE(isValidIdentifier("a.b"));
}

TEST(CdcConfigTest, Quoting) {
  EXPECT_EQ(quoteIdent("t"), R"("t")");
  EXPECT_EQ(quoteIdent(R"(a"b)"), R"("a""b")");
  EXPECT_EQ(quoteLiteral("x"), "'x'");
  EXPECT_EQ(quoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(quoteLiteral(R"(a\b)"), R"('a\b')");
}

TEST(TablePatternTest, Wildcards) {
  TablePattern all_public{"public", "*"};
  EXPECT_TRUE(all_public.matches("public", "orders"));
  EXPECT_FALSE(all_public.matches("sales", "orders"));
  TablePattern any_orders{"*", "orders"};
  EXPECT_TRUE(any_orders.matches("sales", "orders"));
  EXPECT_FALSE(any_orders.matches("sales", "orders2"));
  TablePattern middle{"public", "ord*s"};
  EXPECT_TRUE(middle.matches("public", "ords"));
  EXPECT_TRUE(middle.matches("public", "orders_items"));
  EXPECT_FALSE(middle.matches("public", "order"));
  TablePattern exact{"public", "t"};
  EXPECT_TRUE(exact.matches("public", "t"));
  EXPECT_FALSE(exact.matches("public", "T"));
  EXPECT_FALSE(exact.matches("public", "tt"));
  TablePattern two_stars{"*", "a*b*c"};
  EXPECT_TRUE(two_stars.matches("x", "abxbc"));
  EXPECT_FALSE(two_stars.matches("x", "abxbcd"));
}

TEST(CdcConfigTest, WantsIncludeAndExclude) {
  CdcConfig c;
  EXPECT_TRUE(c.wants("any", "thing"));
  c.include = {{"public", "*"}, {"*", "orders"}};
  c.exclude = {{"public", "secret*"}};
  EXPECT_TRUE(c.wants("public", "users"));
  EXPECT_TRUE(c.wants("sales", "orders"));
  EXPECT_FALSE(c.wants("sales", "items"));
  EXPECT_FALSE(c.wants("public", "secrets"));
  c.include.clear();
  EXPECT_TRUE(c.wants("sales", "items"));
  EXPECT_FALSE(c.wants("public", "secret"));
}

TEST(CdcConfigTest, Defaults) {
  FakeHost fake;
  CdcConfig c = CdcConfig::fromHost(fake.host(), "ABC-1");
  EXPECT_EQ(c.slot_name, "streamhost_abc_1");
  EXPECT_EQ(c.publication, "streamhost_abc_1");
  EXPECT_TRUE(c.create_publication);
  EXPECT_TRUE(c.include.empty());
  EXPECT_TRUE(c.exclude.empty());
  EXPECT_EQ(c.snapshot_mode, SnapshotMode::kInitial);
  EXPECT_EQ(c.heartbeat_interval_ms, 10000);
  EXPECT_EQ(c.max_batch_rows, 4096);
  EXPECT_EQ(c.max_batch_bytes, 8388608);
}

TEST(CdcConfigTest, WithoutStreamIdDerivedNamesStayEmpty) {
  FakeHost fake;
  CdcConfig c = CdcConfig::fromHost(fake.host(), "");
  EXPECT_EQ(c.slot_name, "");
  EXPECT_EQ(c.publication, "");
}

TEST(CdcConfigTest, ReadsEveryKey) {
  FakeHost fake;
  fake.config = {{"slot_name", R"("my_slot")"},
                 {"publication", R"("MyPub")"},
                 {"create_publication", "false"},
                 {"include_tables", R"(["public.*", "*.orders"])"},
                 {"exclude_tables", R"(["public.secret"])"},
                 {"snapshot_mode", R"("never")"},
                 {"heartbeat_interval_ms", "0"},
                 {"max_batch_rows", "100000"},
                 {"max_batch_bytes", "1024"}};
  CdcConfig c = CdcConfig::fromHost(fake.host(), "s1");
  EXPECT_EQ(c.slot_name, "my_slot");
  EXPECT_EQ(c.publication, "MyPub");
  EXPECT_FALSE(c.create_publication);
  ASSERT_EQ(c.include.size(), 2u);
  EXPECT_EQ(c.include[0].space, "public");
  EXPECT_EQ(c.include[0].table, "*");
  EXPECT_EQ(c.include[1].space, "*");
  EXPECT_EQ(c.include[1].table, "orders");
  ASSERT_EQ(c.exclude.size(), 1u);
  EXPECT_EQ(c.exclude[0].table, "secret");
  EXPECT_EQ(c.snapshot_mode, SnapshotMode::kNever);
  EXPECT_EQ(c.heartbeat_interval_ms, 0);
  EXPECT_EQ(c.max_batch_rows, 100000);
  EXPECT_EQ(c.max_batch_bytes, 1024);
}

TEST(CdcConfigTest, NullMeansDefault) {
  FakeHost fake;
  fake.config = {{"slot_name", "null"}, {"include_tables", "null"}, {"max_batch_rows", "null"}};
  CdcConfig c = CdcConfig::fromHost(fake.host(), "s1");
  EXPECT_EQ(c.slot_name, "streamhost_s1");
  EXPECT_TRUE(c.include.empty());
  EXPECT_EQ(c.max_batch_rows, 4096);
}

TEST(CdcConfigTest, BadValuesNameTheirField) {
  EXPECT_EQ(badField("slot_name", R"("Upper")"), "slot_name");
  EXPECT_EQ(badField("slot_name", "5"), "slot_name");
  EXPECT_EQ(badField("publication", R"("1pub")"), "publication");
  EXPECT_EQ(badField("create_publication", R"("yes")"), "create_publication");
  EXPECT_EQ(badField("include_tables", R"("public.t")"), "include_tables");
  EXPECT_EQ(badField("include_tables", "[1]"), "include_tables");
  EXPECT_EQ(badField("include_tables", R"(["nodot"])"), "include_tables[0]");
  EXPECT_EQ(badField("include_tables", R"(["public.t", "pub-lic.t"])"), "include_tables[1]");
  EXPECT_EQ(badField("include_tables", R"(["public."])"), "include_tables[0]");
  EXPECT_EQ(badField("exclude_tables", R"(["a.b.c"])"), "exclude_tables[0]");
  EXPECT_EQ(badField("snapshot_mode", R"("sometimes")"), "snapshot_mode");
  EXPECT_EQ(badField("heartbeat_interval_ms", "-1"), "heartbeat_interval_ms");
  EXPECT_EQ(badField("max_batch_rows", "0"), "max_batch_rows");
  EXPECT_EQ(badField("max_batch_rows", "100001"), "max_batch_rows");
  EXPECT_EQ(badField("max_batch_rows", "1.5"), "max_batch_rows");
  EXPECT_EQ(badField("max_batch_bytes", "1023"), "max_batch_bytes");
  EXPECT_EQ(badField("max_batch_bytes", "268435457"), "max_batch_bytes");
}

TEST(CdcConfigTest, LongConfigValuesAreReadWhole) {
  FakeHost fake;
  std::string many = "[";
  for (int i = 0; i < 40; ++i) {
    many += (i > 0 ? ",\"public.table_" : "\"public.table_") + std::to_string(i) + "\"";
  }
  fake.config["include_tables"] = many + "]";
  CdcConfig c = CdcConfig::fromHost(fake.host(), "s1");
  ASSERT_EQ(c.include.size(), 40u);
  EXPECT_EQ(c.include[39].table, "table_39");
}

TEST(ConnSettingsTest, DefaultsAndDescribe) {
  FakeHost fake;
  fake.connection = {{"database", R"("db")"}, {"user", R"("u")"}, {"password", R"("pw")"}};
  ConnSettings s = ConnSettings::fromHost(fake.host());
  EXPECT_EQ(s.host, "localhost");
  EXPECT_EQ(s.port, 5432);
  EXPECT_EQ(s.sslmode, "require") << "the default must never fall back to plaintext";
  EXPECT_EQ(s.password, "pw");
  EXPECT_EQ(s.describe(), "u@localhost:5432/db");
}

TEST(ConnSettingsTest, BadValuesNameTheirField) {
  auto field = [](std::map<std::string, std::string> extra) -> std::string {
    FakeHost fake;
    fake.connection = {{"database", R"("db")"}, {"user", R"("u")"}};
    for (auto& [k, v] : extra) {
      fake.connection[k] = v;
    }
    try {
      ConnSettings::fromHost(fake.host());
    } catch (const sdk::Error& e) {
      return e.field();
    }
    return "";
  };
  EXPECT_EQ(field({}), "");
  EXPECT_EQ(field({{"database", R"("")"}}), "database");
  EXPECT_EQ(field({{"user", "null"}}), "user");
  EXPECT_EQ(field({{"host", R"("")"}}), "host");
  EXPECT_EQ(field({{"port", "0"}}), "port");
  EXPECT_EQ(field({{"port", "65536"}}), "port");
  EXPECT_EQ(field({{"sslmode", R"("sometimes")"}}), "sslmode");
  EXPECT_EQ(field({{"sslmode", R"("verify-full")"}}), "ssl_root_cert_pem");
  EXPECT_EQ(field({{"sslmode", R"("verify-ca")"}, {"ssl_root_cert_pem", R"("not a certificate")"}}),
            "ssl_root_cert_pem");
  EXPECT_EQ(field({{"sslmode", R"("verify-ca")"},
                   {"ssl_root_cert_pem", R"("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")"}}),
            "");
  EXPECT_EQ(field({{"sslmode", R"("disable")"}}), "");
}

}  // namespace
}  // namespace streamhost::pgcdc
