#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/crypto.h"
#include "support/temp_dir.h"

namespace streamhost::config {
namespace {

std::filesystem::path write(const testing::TempDir& dir, const std::string& text) {
  auto p = dir.path() / "streamhost.yaml";
  std::ofstream(p) << text;
  return p;
}

TEST(ConfigTest, DefaultsWithoutAFile) {
  auto c = loadConfig({}, {}, {});
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->listenPort(), 8080);
  EXPECT_EQ(c->store, "sqlite");
  EXPECT_EQ(c->limits.api_max_body_bytes, 1 << 20);
}

TEST(ConfigTest, ReadsTheDocumentedKeysAndResolvesRelativePaths) {
  testing::TempDir dir;
  auto path = write(dir, R"(
listen: 0.0.0.0:9090
data_dir: data
plugin_dir: /opt/plugins
store: sqlite
auth:
  api_keys:
    - name: admin
      key_sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08
      scopes: [admin]
    - name: local
      key: secret
      scopes: [streams:read]
limits:
  api_requests_per_second: 5.5
  api_burst: 7
  api_max_body_bytes: 4096
)");
  auto c = loadConfig(path, {}, {});
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->listenHost(), "0.0.0.0");
  EXPECT_EQ(c->listenPort(), 9090);
  EXPECT_EQ(c->data_dir, dir.path() / "data");
  EXPECT_EQ(c->plugin_dir, "/opt/plugins");
  ASSERT_EQ(c->api_keys.size(), 2u);
  EXPECT_EQ(c->api_keys[0].key_sha256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  EXPECT_FALSE(c->api_keys[0].given_in_plaintext);
  EXPECT_EQ(c->api_keys[1].key_sha256, crypto::sha256Hex("secret"));
  EXPECT_TRUE(c->api_keys[1].given_in_plaintext);
  EXPECT_DOUBLE_EQ(c->limits.api_requests_per_second, 5.5);
  EXPECT_EQ(c->limits.api_burst, 7);
  // The rendered config never shows a plaintext key.
  EXPECT_EQ(renderConfig(*c).find("secret"), std::string::npos);
}

TEST(ConfigTest, EnvironmentOverridesFileAndFlagsOverrideEnvironment) {
  testing::TempDir dir;
  auto path = write(dir, "limits:\n  api_burst: 10\n");
  auto c = loadConfig(path, {{"STREAMHOST_LIMITS_API_BURST", "20"}, {"STREAMHOST_LISTEN", "127.0.0.1:1"}},
                      {{"limits.api_burst", "30"}});
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(c->limits.api_burst, 30);
  EXPECT_EQ(c->listen, "127.0.0.1:1");
  EXPECT_EQ(envNameFor("limits.api_burst"), "STREAMHOST_LIMITS_API_BURST");
}

TEST(ConfigTest, ErrorsNameTheKeyPath) {
  testing::TempDir dir;
  struct Case {
    std::string yaml;
    std::string field;
  };
  for (const auto& c : std::vector<Case>{
           {"listen: nowhere\n", "listen"},
           {"limits:\n  api_burst: many\n", "limits.api_burst"},
           {"limits:\n  nonsense: 1\n", "limits.nonsense"},
           {"auth:\n  api_keys:\n    - name: a\n      key_sha256: xyz\n", "auth.api_keys[0].key_sha256"},
           {"auth:\n  api_keys:\n    - key: k\n", "auth.api_keys[0].name"},
           {"store: mysql\n", "store"},
           {"log:\n  format: xml\n", "log.format"},
           {"journal:\n  compression: gzip\n", "journal.compression"},
           {"journal:\n  compression: ZSTD\n", "journal.compression"},
       }) {
    auto r = loadConfig(write(dir, c.yaml), {}, {});
    ASSERT_FALSE(r.isOk()) << c.yaml;
    EXPECT_EQ(r.status().field(), c.field) << c.yaml << " -> " << r.status().message();
  }
  auto r = loadConfig({}, {}, {{"no.such", "1"}});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().field(), "no.such");
}

TEST(ConfigTest, ConsoleKeysDefaultToOnAndTheInstalledFiles) {
  auto c = loadConfig({}, {}, {});
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_TRUE(c->console.enabled);
  EXPECT_EQ(c->console.assets_dir, defaultConsoleDir());
  EXPECT_FALSE(defaultConsoleDir().empty());

  testing::TempDir dir;
  auto r = loadConfig(write(dir, "console:\n  enabled: false\n  assets_dir: web\n"), {}, {});
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_FALSE(r->console.enabled);
  EXPECT_EQ(r->console.assets_dir, dir.path() / "web") << "relative to the file";
  EXPECT_EQ(flattenConfig(*r).at("console.enabled"), "false");
  EXPECT_NE(renderConfig(*r).find("console:\n  enabled: false"), std::string::npos);

  r = loadConfig(write(dir, "console:\n  enable: false\n"), {}, {});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().field(), "console.enable");
  r = loadConfig({}, {{"STREAMHOST_CONSOLE_ENABLED", "no"}}, {});
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_FALSE(r->console.enabled);
}

TEST(ConfigTest, JournalCompressionTakesNoneLz4OrZstd) {
  testing::TempDir dir;
  auto def = loadConfig({}, {}, {});
  ASSERT_TRUE(def.isOk());
  EXPECT_EQ(def->journal.compression, "lz4");
  auto none = loadConfig({}, {}, {{"journal.compression", "none"}});
  ASSERT_TRUE(none.isOk());
  EXPECT_EQ(none->journal.compression, "none");
  auto zstd = loadConfig(write(dir, "journal:\n  compression: zstd\n"), {}, {});
  ASSERT_TRUE(zstd.isOk()) << zstd.status().message();
  EXPECT_EQ(zstd->journal.compression, "zstd");
  auto lz4 = loadConfig(write(dir, "journal:\n  compression: lz4\n"), {}, {});
  ASSERT_TRUE(lz4.isOk());
  EXPECT_EQ(lz4->journal.compression, "lz4");
  auto bad = loadConfig({}, {}, {{"journal.compression", "snappy"}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().field(), "journal.compression");
  EXPECT_NE(bad.status().message().find("none, lz4 or zstd"), std::string::npos) << bad.status().message();
}

TEST(ConfigTest, MalformedYamlAndMissingFileAreClearErrors) {
  testing::TempDir dir;
  auto bad = loadConfig(write(dir, "listen: [unclosed\n"), {}, {});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("streamhost.yaml"), std::string::npos);
  auto missing = loadConfig(dir.path() / "nope.yaml", {}, {});
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace streamhost::config
