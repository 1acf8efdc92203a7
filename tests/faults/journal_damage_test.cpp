// Damage recovery must not cut fails that pipeline only, says where and how to
// repair it, and `streamhostd journal verify|repair` repairs it without
// renumbering anything.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "faults/fault_test_util.h"

namespace streamhost::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

/// The segment file of `dir` with the highest first seq.
fs::path lastSegment(const fs::path& dir) {
  fs::path seg;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") {
      seg = std::max(seg, e.path());
    }
  }
  return seg;
}

CommandResult runJournalCommand(const DaemonHarness& d, const std::string& args) {
  const std::string cmd = std::string(STREAMHOST_TEST_DAEMON) + " --config /dev/null --data-dir " + d.dataDir().string() + " journal " +
                          args + " 2>&1";
  CommandResult out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return out;
  }
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    out.output.append(buf, n);
  }
  const int status = ::pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(JournalDamageTest, APipelineWithDamageBeforeItsTailFailsAloneAndIsRepairedWithoutRenumbering) {
  DaemonOptions o;
  // Uncompressed, 2000 records span several 64 KiB segments, so damage in the
  // last one leaves the earlier ones to keep.
  o.extra_args = {"--set", "journal.segment_bytes=65536", "--set", "journal.compression=none"};
  DaemonHarness d(o);
  ASSERT_TRUE(d.start());
  HttpClient c = d.client();
  const std::string pl = createPipeline(c, "damaged");
  const std::string other = createPipeline(c, "fine");
  const std::string gen = createDatagenStream(c, "gen", pl, R"({"rate_per_second":10000,"max_records":2000})");
  ASSERT_EQ(c.post("/api/streams/" + gen + "/start").status, 200);
  ASSERT_TRUE(waitForHead(c, pl, 2000));
  ASSERT_TRUE(d.stop(SIGTERM));

  // A flipped byte in the middle of the active segment: acknowledged records follow it.
  const fs::path dir = d.dataDir() / "journal" / pl;
  const fs::path seg = lastSegment(dir);
  const auto size = fs::file_size(seg);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x7f');
  }

  ASSERT_TRUE(d.start()) << "the daemon starts whatever one journal holds";
  c = d.client();
  Json a = pipelineAttributes(c, pl);
  EXPECT_EQ(a["state"].str(), "failed");
  const std::string why = a["error"].str();
  EXPECT_NE(why.find(seg.filename().string()), std::string::npos) << why;
  EXPECT_NE(why.find("at byte "), std::string::npos) << why;
  EXPECT_NE(why.find("streamhostd journal repair " + pl + " --quarantine"), std::string::npos) << why;
  EXPECT_EQ(pipelineAttributes(c, other)["state"].str(), "ok");
  EXPECT_TRUE(waitForStatus(c, gen, "error"));
  ASSERT_TRUE(d.stop(SIGTERM));
  EXPECT_EQ(fs::file_size(seg), size) << "nothing was cut";

  CommandResult verify = runJournalCommand(d, "verify " + pl);
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_NE(verify.output.find("DAMAGED"), std::string::npos) << verify.output;
  CommandResult dry = runJournalCommand(d, "repair " + pl);
  EXPECT_EQ(dry.exit_code, 1) << dry.output;
  EXPECT_TRUE(fs::exists(seg)) << "repair without --quarantine changes nothing";
  CommandResult repair = runJournalCommand(d, "repair " + pl + " --quarantine");
  ASSERT_EQ(repair.exit_code, 0) << repair.output;
  EXPECT_TRUE(fs::exists(dir / "quarantine" / seg.filename()));
  EXPECT_EQ(runJournalCommand(d, "verify " + pl).exit_code, 0);

  ASSERT_TRUE(d.start());
  c = d.client();
  EXPECT_EQ(pipelineAttributes(c, pl)["state"].str(), "ok");
  // Every record kept has its own number; the quarantined ones leave a gap.
  for (const auto& e : allEvents(c, pl)) {
    ASSERT_EQ(eventN(e), e["seq"].integer());
  }
  const std::string hook = startBearerWebhook(c, "hook", pl);
  ASSERT_EQ(ingest(d, hook, R"({"w":1})").status, 202);
  auto events = allEvents(c, pl);
  ASSERT_FALSE(events.empty());
  EXPECT_GT(events.back()["seq"].integer(), 2000) << "a quarantined number was reused";
}

// A crash tears only what was never synced. Damage in the last frame of
// records the stream committed (durable before the offset moved) looks like a
// torn tail, but cutting it would lose acknowledged records without a word.
TEST(JournalDamageTest, DamageInTheLastFrameOfAcknowledgedRecordsIsNotCutAsATornTail) {
  DaemonOptions o;
  o.extra_args = {"--set", "journal.compression=none"};
  DaemonHarness d(o);
  ASSERT_TRUE(d.start());
  HttpClient c = d.client();
  const std::string pl = createPipeline(c, "acked");
  const std::string gen = createDatagenStream(c, "gen", pl, R"({"rate_per_second":0,"max_records":500})");
  ASSERT_EQ(c.post("/api/streams/" + gen + "/start").status, 200);
  ASSERT_TRUE(waitForHead(c, pl, 500));
  ASSERT_TRUE(d.stop(SIGTERM));

  const fs::path dir = d.dataDir() / "journal" / pl;
  const fs::path seg = lastSegment(dir);
  const auto size = fs::file_size(seg);
  {
    // Inside the last record of the last frame: nothing valid follows it.
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size - 8));
    char b = 0;
    f.get(b);
    f.seekp(static_cast<std::streamoff>(size - 8));
    f.put(static_cast<char>(b ^ 0x5a));
  }

  ASSERT_TRUE(d.start());
  c = d.client();
  Json a = pipelineAttributes(c, pl);
  EXPECT_EQ(a["state"].str(), "failed") << a.dump();
  const std::string why = a["error"].str();
  EXPECT_NE(why.find("acknowledged as durable"), std::string::npos) << why;
  EXPECT_NE(why.find("streamhostd journal repair " + pl + " --quarantine"), std::string::npos) << why;
  EXPECT_TRUE(waitForStatus(c, gen, "error"));
  ASSERT_TRUE(d.stop(SIGTERM));
  EXPECT_EQ(fs::file_size(seg), size) << "nothing was cut";
}

}  // namespace
}  // namespace streamhost::testing
