// The console's static files as the daemon serves them: content types, the
// Content-Security-Policy, revalidation and gzip; paths that try to leave the
// assets directory; console.enabled: false; and the size of the built console.
#include <gtest/gtest.h>

#include <Poco/InflatingStream.h>
#include <Poco/StreamCopier.h>

#include <fstream>
#include <sstream>

#include "api/console_assets.h"
#include "support/daemon_harness.h"
#include "support/raw_http.h"

namespace streamhost::testing {
namespace {

void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string gunzip(const std::string& z) {
  std::istringstream in(z);
  Poco::InflatingInputStream inflate(in, Poco::InflatingStreamBuf::STREAM_GZIP);
  std::string out;
  Poco::StreamCopier::copyToString(inflate, out);
  return out;
}


class ConsoleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    assets_ = new std::filesystem::path(dir_->path() / "assets");
    writeFile(*assets_ / "index.html", "<!doctype html><title>console</title><script type=module src=app.js></script>");
    std::string js;
    for (int i = 0; i < 400; ++i) {
      js += "export const line" + std::to_string(i) + " = 'the same words again and again';\n";
    }
    writeFile(*assets_ / "app.js", js);
    writeFile(*assets_ / "sub" / "icon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
    writeFile(*assets_ / ".hidden.js", "hidden");
    writeFile(*assets_ / "notes.md", "not a console file type");
    writeFile(dir_->path() / "secret.txt", "TOPSECRET");
    std::filesystem::create_symlink(dir_->path() / "secret.txt", *assets_ / "link.txt");
    DaemonOptions options;
    options.extra_args = {"--set", "console.assets_dir=" + assets_->string()};
    daemon_ = new DaemonHarness(options);
    ASSERT_TRUE(daemon_->start());
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete assets_;
    delete dir_;
    daemon_ = nullptr;
  }
  void TearDown() override { daemon_->printLogIfFailed(); }

  static HttpResponse raw(const std::string& target, const std::string& headers = "") {
    RawHttpConnection c("127.0.0.1", daemon_->port());
    c.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n");
    return c.readResponse();
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::filesystem::path* assets_ = nullptr;
  static inline DaemonHarness* daemon_ = nullptr;
};

TEST_F(ConsoleTest, ServesTheFilesWithTheirTypesAndAStrictPolicy) {
  HttpResponse r = raw("/console");
  EXPECT_EQ(r.status, 301) << r.describe();
  EXPECT_EQ(r.header("Location").value_or(""), "/console/");

  r = raw("/console/");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.header("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<title>console</title>"), std::string::npos);
  std::string csp = r.header("Content-Security-Policy").value_or("");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
  EXPECT_EQ(r.header("X-Content-Type-Options").value_or(""), "nosniff");
  EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-cache");

  r = raw("/console/app.js");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.header("Content-Type").value_or(""), "text/javascript; charset=utf-8");
  EXPECT_FALSE(r.header("Content-Encoding"));
  std::string plain = r.body;
  std::string etag = r.header("ETag").value_or("");
  ASSERT_FALSE(etag.empty());

  r = raw("/console/app.js", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(r.status, 304) << r.describe();
  EXPECT_TRUE(r.body.empty());

  r = raw("/console/app.js", "Accept-Encoding: br, gzip, deflate\r\n");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.header("Content-Encoding").value_or(""), "gzip");
  EXPECT_EQ(r.header("Vary").value_or(""), "Accept-Encoding");
  EXPECT_LT(r.body.size(), plain.size() / 4);
  EXPECT_EQ(gunzip(r.body), plain);

  r = raw("/console/app.js", "Accept-Encoding: gzip;q=0\r\n");
  EXPECT_FALSE(r.header("Content-Encoding")) << "gzip;q=0 refuses gzip";

  r = raw("/console/sub/icon.svg");
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.header("Content-Type").value_or(""), "image/svg+xml");
  // The API's routes are untouched, and /v1 reaches the console too.
  EXPECT_EQ(raw("/v1/console/app.js").status, 200);
  EXPECT_EQ(raw("/healthz").status, 200);
}

TEST_F(ConsoleTest, NothingOutsideTheKnownFilesIsServed) {
  for (const std::string target : {"/console/.hidden.js", "/console/notes.md", "/console/link.txt",
                                   "/console/sub", "/console/sub/", "/console/missing.js"}) {
    HttpResponse r = raw(target);
    EXPECT_EQ(r.status, 404) << target << ": " << r.describe();
    EXPECT_EQ(r.errorCode(), "not_found") << target;
    EXPECT_FALSE(r.header("Content-Security-Policy").value_or("").empty()) << target;
  }
  for (const std::string target :
       {"/console/../secret.txt", "/console/%2e%2e/secret.txt", "/console/..%2fsecret.txt",
        "/console/sub/../../secret.txt", "/console/%2E%2E%2F%2E%2E%2Fsecret.txt", "/console/.%2e/secret.txt",
        "/console/..%5csecret.txt", "/console/sub/%2e%2e/%2e%2e/secret.txt", "/console/./index.html",
        "/console/%00index.html", "/console//etc/passwd"}) {
    HttpResponse r = raw(target);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << target << ": " << r.describe();
    EXPECT_EQ(r.body.find("TOPSECRET"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  }
  HttpResponse r = raw("/console/%2e%2e/secret.txt");
  EXPECT_EQ(r.status, 400) << r.describe();
  EXPECT_EQ(r.json["error"]["field"].str(), "path") << r.describe();
}

TEST(ConsoleConfigTest, DisabledAnswers404AndMissingFilesAnswer503) {
  DaemonOptions off;
  off.extra_args = {"--set", "console.enabled=false"};
  DaemonHarness d(off);
  ASSERT_TRUE(d.start());
  HttpClient c = d.clientWithKey("");
  EXPECT_EQ(c.get("/console/").status, 404);
  EXPECT_EQ(c.get("/console/").errorCode(), "not_found");
  EXPECT_EQ(c.get("/console").status, 404);
  ASSERT_TRUE(d.stop());

  d.options().extra_args = {"--set", "console.assets_dir=" + (d.dataDir() / "no-such-dir").string()};
  ASSERT_TRUE(d.start());
  c = d.clientWithKey("");
  HttpResponse r = c.get("/console/");
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_NE(r.json["error"]["message"].str().find("console.assets_dir"), std::string::npos) << r.describe();
  EXPECT_EQ(c.get("/readyz").status, 200) << "a missing console does not make the daemon unready";
}

TEST(ConsoleConfigTest, UnknownConsoleKeysAreRefused) {
  DaemonOptions bad;
  bad.extra_args = {"--set", "console.enable=false"};
  DaemonHarness d(bad);
  EXPECT_FALSE(d.start());
  EXPECT_NE(d.log().find("console.enable"), std::string::npos) << d.log();
}

#ifdef STREAMHOST_TEST_CONSOLE_DIR
// The console as the build makes it: under 300 KB compressed, and no inline
// script or style that the policy would block.
TEST(BuiltConsoleTest, IsSmallAndHasNoInlineCode) {
  std::filesystem::path dir = STREAMHOST_TEST_CONSOLE_DIR;
  auto assets = api::ConsoleAssets::load(dir);
  ASSERT_TRUE(assets) << assets.status().message();
  EXPECT_LT((*assets)->compressedBytes(), 300 * 1024);
  ASSERT_NE((*assets)->find("vendor/uPlot.esm.js"), nullptr);
  ASSERT_NE((*assets)->find("vendor/uPlot.min.css"), nullptr);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    std::string rel = entry.path().lexically_relative(dir).generic_string();
    if (!entry.is_regular_file() || rel.rfind("vendor/", 0) == 0) {
      continue;
    }
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* banned : {"<script>", "<style", " style=", " onclick=", " onload=", "innerHTML",
                               "setAttribute('style'", "javascript:", "eval("}) {
      EXPECT_EQ(text.find(banned), std::string::npos) << rel << " contains " << banned;
    }
    if (rel.size() > 5 && rel.substr(rel.size() - 5) == ".html") {
      EXPECT_EQ(text.find("<script type=\"module\" src="), text.find("<script")) << rel << ": every script has a src";
    }
  }
}
#endif

}  // namespace
}  // namespace streamhost::testing
