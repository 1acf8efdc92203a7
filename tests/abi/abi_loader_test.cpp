// Fixture plugins through the real PluginLoader: what loads, what is refused,
// and what the report and the log say about it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "log_capture.h"
#include "plugins/plugin_loader.h"
#include "plugins/plugin_registry.h"
#include "support/temp_dir.h"

namespace streamhost::plugins {
namespace {

namespace fs = std::filesystem;

fs::path scenario(const std::string& name) { return fs::path(ABI_FIXTURE_DIR) / name; }
fs::path fixture(const std::string& dir, const std::string& name) { return scenario(dir) / (name + ".so"); }

struct Loaded {
  PluginRegistry registry;
  PluginReport report;
};

Loaded loadDir(const fs::path& dir) {
  Loaded out;
  out.report = PluginLoader(dir).loadAll(out.registry);
  return out;
}

const PluginReportEntry* entryFor(const PluginReport& report, const std::string& file_name) {
  for (const auto& e : report.entries) {
    if (fs::path(e.file).filename() == file_name) {
      return &e;
    }
  }
  return nullptr;
}

TEST(AbiLoaderTest, GoodPluginLoadsWithItsTypesAndKeys) {
  auto loaded = loadDir(scenario("good"));
  ASSERT_EQ(loaded.report.entries.size(), 1u);
  const auto& e = loaded.report.entries[0];
  EXPECT_TRUE(e.loaded) << e.reason;
  EXPECT_EQ(e.name, "good");
  EXPECT_EQ(e.version, "2.3.4");
  EXPECT_EQ(e.abi_version, "1.0");
  EXPECT_EQ(e.source_types, (std::vector<std::string>{"good_source", "good_push"}));
  EXPECT_EQ(e.connection_types, (std::vector<std::string>{"good_conn"}));

  const SourceTypeInfo* t = loaded.registry.findSourceType("good_source");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->supportsPause());
  EXPECT_FALSE(t->isPush());
  ASSERT_EQ(t->config_keys.size(), 3u);
  EXPECT_EQ(t->config_keys[0].name, "count");
  EXPECT_EQ(t->config_keys[0].type, SH_CFG_INT);
  EXPECT_EQ(t->config_keys[0].default_json, "3");
  EXPECT_TRUE(t->config_keys[1].secret());
  EXPECT_FALSE(t->config_keys[1].default_json.has_value());
  EXPECT_EQ(t->plugin->name(), "good");
  EXPECT_EQ(t->plugin->file(), fs::canonical(fixture("good", "good")).string());
  EXPECT_TRUE(loaded.registry.findSourceType("good_push")->isPush());
  EXPECT_NE(loaded.registry.findConnectionType("good_conn"), nullptr);
  EXPECT_EQ(loaded.registry.findSourceType("nope"), nullptr);
  EXPECT_EQ(loaded.registry.sourceTypeNames(), (std::vector<std::string>{"good_push", "good_source"}));
  Status unknown = loaded.registry.unknownSourceType("nope");
  EXPECT_EQ(unknown.field(), "sourceType");
  EXPECT_NE(unknown.message().find("available: good_push, good_source"), std::string::npos);
  EXPECT_NE(loaded.report.toJson().find("\"name\":\"good\""), std::string::npos);
}

TEST(AbiLoaderTest, WrongMajorIsRefusedNamingBothVersions) {
  testing::LogCapture log("streamhost.plugins");
  auto loaded = loadDir(scenario("wrong_major"));
  ASSERT_EQ(loaded.report.entries.size(), 1u);
  const auto& e = loaded.report.entries[0];
  EXPECT_FALSE(e.loaded);
  EXPECT_EQ(e.reason, "ABI major 2 (plugin) differs from 1 (host)");
  std::string file = fixture("wrong_major", "wrong_major").string();
  EXPECT_EQ(e.file, file);
  auto lines = log.matching({"plugin refused", "file=" + file, "ABI major 2 (plugin) differs from 1 (host)"});
  EXPECT_EQ(lines.size(), 1u);
  EXPECT_EQ(loaded.registry.findSourceType("wrong_major_source"), nullptr);
  EXPECT_NE(loaded.report.toText().find("refused file=" + file), std::string::npos);
}

TEST(AbiLoaderTest, NewerMinorIsRefusedNamingBothVersions) {
  testing::LogCapture log("streamhost.plugins");
  auto loaded = loadDir(scenario("newer_minor"));
  ASSERT_EQ(loaded.report.entries.size(), 1u);
  EXPECT_FALSE(loaded.report.entries[0].loaded);
  EXPECT_EQ(loaded.report.entries[0].reason,
            "the plugin requires ABI 1.3 and this host provides ABI 1.2; upgrade streamhost or use a build of the "
            "plugin for ABI 1.2");
  EXPECT_EQ(log.matching({"plugin refused", "newer_minor.so", "requires ABI 1.3", "provides ABI 1.2"}).size(), 1u);
}

TEST(AbiLoaderTest, OlderHostMinorIsAcceptedByNewerHost) {
  // The same 1.3 plugin is fine for a host that speaks 1.3.
  PluginRegistry registry;
  auto report = PluginLoader(scenario("newer_minor"), SH_ABI_MAKE_VERSION(1, 3)).loadAll(registry);
  ASSERT_EQ(report.loadedCount(), 1u) << report.toText();
  EXPECT_EQ(report.entries[0].abi_version, "1.3");
}

TEST(AbiLoaderTest, APluginBuiltAgainstTheFrozen10HeaderLoads) {
  auto loaded = loadDir(scenario("frozen_1_0"));
  ASSERT_EQ(loaded.report.loadedCount(), 1u) << loaded.report.toText();
  EXPECT_EQ(loaded.report.entries[0].abi_version, "1.0");
  EXPECT_NE(loaded.registry.findSourceType("frozen_source"), nullptr);
}

TEST(AbiLoaderTest, AnSdkPluginThatNeedsOnly10LoadsInA10Host) {
  // Built with the 1.1 headers; it uses 1.1 calls only where the host has them.
  PluginRegistry registry;
  auto report = PluginLoader(scenario("good"), SH_ABI_MAKE_VERSION(1, 0)).loadAll(registry);
  ASSERT_EQ(report.loadedCount(), 1u) << report.toText();
  EXPECT_EQ(report.entries[0].abi_version, "1.0");
}

TEST(AbiLoaderTest, APluginThatNeeds11IsRefusedByA10HostNamingBoth) {
  for (const char* dir : {"needs_1_1", "c_v11"}) {
    PluginRegistry registry;
    auto report = PluginLoader(scenario(dir), SH_ABI_MAKE_VERSION(1, 0)).loadAll(registry);
    ASSERT_EQ(report.entries.size(), 1u) << dir;
    EXPECT_FALSE(report.entries[0].loaded) << dir;
    EXPECT_NE(report.entries[0].reason.find("requires ABI 1.1"), std::string::npos) << report.entries[0].reason;
    EXPECT_NE(report.entries[0].reason.find("provides ABI 1.0"), std::string::npos) << report.entries[0].reason;

    PluginRegistry current;
    auto ok = PluginLoader(scenario(dir)).loadAll(current);
    ASSERT_EQ(ok.loadedCount(), 1u) << ok.toText();
    EXPECT_EQ(ok.entries[0].abi_version, "1.1") << dir;
  }
}

TEST(AbiLoaderTest, MissingEntrySymbolIsRefused) {
  testing::LogCapture log("streamhost.plugins");
  auto loaded = loadDir(scenario("no_entry"));
  ASSERT_EQ(loaded.report.entries.size(), 1u);
  EXPECT_FALSE(loaded.report.entries[0].loaded);
  EXPECT_EQ(loaded.report.entries[0].reason, "has no entry symbol streamhost_plugin_entry");
  EXPECT_EQ(log.matching({"plugin refused", "no_entry.so", "streamhost_plugin_entry"}).size(), 1u);
}

TEST(AbiLoaderTest, EntryErrorIsReportedWithThePluginsMessage) {
  testing::LogCapture log("streamhost.plugins");
  auto loaded = loadDir(scenario("entry_error"));
  ASSERT_EQ(loaded.report.entries.size(), 1u);
  EXPECT_FALSE(loaded.report.entries[0].loaded);
  EXPECT_EQ(loaded.report.entries[0].reason,
            "entry returned SH_ERR_UNSUPPORTED: this plugin needs libfixture 3, found none");
  EXPECT_EQ(log.matching({"plugin refused", "entry_error.so", "libfixture 3"}).size(), 1u);
}

TEST(AbiLoaderTest, DuplicateTypeRefusesTheLaterPluginNamingBothFiles) {
  testing::LogCapture log("streamhost.plugins");
  auto loaded = loadDir(scenario("duplicate"));
  ASSERT_EQ(loaded.report.entries.size(), 2u);
  const auto* a = entryFor(loaded.report, "dup_a.so");
  const auto* b = entryFor(loaded.report, "dup_b.so");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->loaded);
  EXPECT_FALSE(b->loaded);
  std::string a_real = fs::canonical(fixture("duplicate", "dup_a")).string();
  EXPECT_EQ(b->reason, "source type \"shared_type\" is already registered by " + a_real);
  EXPECT_EQ(log.matching({"plugin refused", "file=" + fixture("duplicate", "dup_b").string(), a_real}).size(), 1u);
  ASSERT_NE(loaded.registry.findSourceType("shared_type"), nullptr);
  EXPECT_EQ(loaded.registry.findSourceType("shared_type")->plugin->name(), "dup_a");
  EXPECT_EQ(loaded.registry.plugins().size(), 1u);
}

TEST(AbiLoaderTest, SymlinkOutOfTheDirectoryIsRefusedAndLoadingGoesOn) {
  streamhost::testing::TempDir tmp;
  fs::path dir = tmp.path() / "plugins";
  fs::create_directories(dir);
  fs::copy_file(fixture("good", "good"), dir / "good.so");
  fs::copy_file(fixture("wrong_major", "wrong_major"), dir / "wrong_major.so");
  fs::create_directories(tmp.path() / "elsewhere");
  fs::copy_file(fixture("outside", "outside"), tmp.path() / "elsewhere" / "outside.so");
  fs::create_symlink("../elsewhere/outside.so", dir / "evil.so");
  fs::create_symlink(fixture("outside", "outside"), dir / "evil_abs.so");
  fs::create_symlink("good.so", dir / "alias.so");  // inside: fine, but its types clash

  testing::LogCapture log("streamhost.plugins");
  auto loaded = loadDir(dir);
  ASSERT_EQ(loaded.report.entries.size(), 5u) << loaded.report.toText();
  const auto* evil = entryFor(loaded.report, "evil.so");
  ASSERT_NE(evil, nullptr);
  EXPECT_FALSE(evil->loaded);
  EXPECT_NE(evil->reason.find("outside the plugin directory"), std::string::npos) << evil->reason;
  EXPECT_NE(evil->reason.find("elsewhere/outside.so"), std::string::npos) << evil->reason;
  EXPECT_FALSE(entryFor(loaded.report, "evil_abs.so")->loaded);
  EXPECT_EQ(loaded.registry.findSourceType("outside_source"), nullptr);
  EXPECT_EQ(log.matching({"plugin refused", "evil.so", "outside the plugin directory"}).size(), 1u);
  // alias.so sorts first, so it wins and good.so is the later duplicate.
  EXPECT_TRUE(entryFor(loaded.report, "alias.so")->loaded);
  EXPECT_FALSE(entryFor(loaded.report, "good.so")->loaded);
  EXPECT_FALSE(entryFor(loaded.report, "wrong_major.so")->loaded);
  EXPECT_NE(loaded.registry.findSourceType("good_source"), nullptr);
  EXPECT_EQ(loaded.report.loadedCount(), 1u);
}

TEST(AbiLoaderTest, AWorldWritableDirectoryIsRefusedWithASentence) {
  streamhost::testing::TempDir tmp;
  fs::path dir = tmp.path() / "plugins";
  fs::create_directories(dir);
  fs::copy_file(fixture("good", "good"), dir / "good.so");
  fs::permissions(dir, fs::perms::all);
  auto loaded = loadDir(dir);
  EXPECT_EQ(loaded.report.loadedCount(), 0u);
  EXPECT_EQ(loaded.registry.findSourceType("good_source"), nullptr);
  EXPECT_NE(loaded.report.error.find("writable by every user (mode 0777)"), std::string::npos)
      << loaded.report.error;
  EXPECT_NE(loaded.report.error.find("chmod o-w"), std::string::npos) << loaded.report.error;
  fs::permissions(dir, fs::perms::others_write, fs::perm_options::remove);
  EXPECT_EQ(loadDir(dir).report.loadedCount(), 1u);
}

TEST(AbiLoaderTest, AWorldWritableOrForeignPluginFileIsRefused) {
  streamhost::testing::TempDir tmp;
  fs::path dir = tmp.path() / "plugins";
  fs::create_directories(dir);
  fs::copy_file(fixture("good", "good"), dir / "good.so");
  fs::permissions(dir / "good.so", fs::perms::others_write, fs::perm_options::add);
  auto loaded = loadDir(dir);
  const auto* good = entryFor(loaded.report, "good.so");
  ASSERT_NE(good, nullptr) << loaded.report.toText();
  EXPECT_FALSE(good->loaded);
  EXPECT_NE(good->reason.find("writable by every user"), std::string::npos) << good->reason;

  fs::permissions(dir / "good.so", fs::perms::others_write, fs::perm_options::remove);
  if (::geteuid() == 0) {
    // Root can hand the file to another user: a file someone else owns is refused too.
    ASSERT_EQ(::chown((dir / "good.so").c_str(), 65534, 65534), 0);
    loaded = loadDir(dir);
    good = entryFor(loaded.report, "good.so");
    ASSERT_NE(good, nullptr);
    EXPECT_FALSE(good->loaded);
    EXPECT_NE(good->reason.find("owned by uid 65534"), std::string::npos) << good->reason;
    ASSERT_EQ(::chown((dir / "good.so").c_str(), 0, 0), 0);
  }
  EXPECT_EQ(loadDir(dir).report.loadedCount(), 1u);
}

TEST(AbiLoaderTest, MissingDirectoryIsAnErrorNotACrash) {
  streamhost::testing::TempDir tmp;
  auto loaded = loadDir(tmp.path() / "does-not-exist");
  EXPECT_TRUE(loaded.report.entries.empty());
  EXPECT_NE(loaded.report.error.find("cannot read plugin directory"), std::string::npos);
}

TEST(AbiLoaderTest, OlderShorterStructsAreReadByTheirSize) {
  auto loaded = loadDir(scenario("old_struct"));
  ASSERT_EQ(loaded.report.loadedCount(), 1u) << loaded.report.toText();
  const SourceTypeInfo* t = loaded.registry.findSourceType("old_source");
  ASSERT_NE(t, nullptr);
  // The trap behind the short struct must not be read as handle_request.
  EXPECT_EQ(t->vtable->handle_request, nullptr);
  EXPECT_NE(t->vtable->destroy, nullptr);
  ASSERT_EQ(t->config_keys.size(), 2u);
  EXPECT_EQ(t->config_keys[0].name, "level");
  EXPECT_EQ(t->config_keys[1].name, "secret_word");
  EXPECT_TRUE(t->config_keys[1].secret());
}

}  // namespace
}  // namespace streamhost::plugins
