// streamhostd as a system service: the configuration re-read on SIGHUP, and
// systemd's notify protocol (READY, RELOADING, STATUS, WATCHDOG, STOPPING)
// received on a real unix datagram socket.
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <thread>

#include "common/crypto.h"
#include "stream_test_helpers.h"
#include "support/daemon_harness.h"
#include "support/temp_dir.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

void writeFile(const std::filesystem::path& path, const std::string& text) {
  // Written beside and renamed, as an editor or a config manager would.
  std::filesystem::path tmp = path.string() + ".new";
  std::ofstream(tmp, std::ios::trunc) << text;
  std::filesystem::rename(tmp, path);
}

bool logHas(const DaemonHarness& d, const std::string& text) { return d.log().find(text) != std::string::npos; }

/// Waits until the log holds `text` `count` times.
bool waitForLog(const DaemonHarness& d, const std::string& text, size_t count = 1) {
  return pollUntil(
      [&] {
        std::string log = d.log();
        size_t n = 0;
        for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
          ++n;
        }
        return n >= count;
      },
      15s);
}

class ReloadTest : public ::testing::Test {
 protected:
  std::string yaml(int burst, bool metrics, bool with_key, const std::string& level, int threads) const {
    std::string y = "log:\n  level: " + level + "\nhttp:\n  threads: " + std::to_string(threads) +
                    "\nlimits:\n  api_requests_per_second: 100\n  api_burst: " + std::to_string(burst) +
                    "\nmetrics:\n  enabled: " + (metrics ? "true" : "false") + "\nauth:\n  api_keys:";
    if (with_key) {
      y += "\n    - name: ops\n      key_sha256: " + crypto::sha256Hex(file_key_) + "\n      scopes: [streams:read]\n";
    } else {
      y += " []\n";
    }
    return y;
  }

  TempDir dir_;
  std::filesystem::path config_ = dir_.path() / "streamhost.yaml";
  std::string file_key_ = "sk_a_key_granted_by_the_configuration_file";
};

TEST_F(ReloadTest, SighupAppliesLiveSettingsNamesTheOthersAndRefusesABadFile) {
  writeFile(config_, yaml(100, true, false, "information", 16));
  DaemonHarness d(DaemonOptions{{"--config", config_.string()}});
  ASSERT_TRUE(d.start());
  EXPECT_EQ(d.clientWithKey(file_key_).get("/api/plugins").status, 401);
  EXPECT_EQ(d.client().get("/api/plugins").header("X-RateLimit-Limit").value_or(""), "100");
  EXPECT_EQ(d.client().get("/metrics").status, 200);

  writeFile(config_, yaml(3, false, true, "debug", 8));
  ASSERT_TRUE(d.signal(SIGHUP));
  ASSERT_TRUE(waitForLog(d, "reload applied"));
  HttpResponse r = d.clientWithKey(file_key_).get("/api/plugins");
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.header("X-RateLimit-Limit").value_or(""), "3") << r.describe();
  r = d.client().get("/metrics");
  EXPECT_EQ(r.status, 404) << r.describe();
  EXPECT_NE(r.body.find("metrics.enabled"), std::string::npos) << r.describe();
  EXPECT_TRUE(logHas(d, "log.level information -> debug")) << d.log();
  EXPECT_TRUE(logHas(d, "auth.api_keys 0 keys -> 1 keys (added ops)")) << d.log();
  EXPECT_TRUE(logHas(d, "need a restart and are not in force yet: http.threads 16 -> 8")) << d.log();

  // A file that does not parse is refused with a sentence; what runs stays.
  writeFile(config_, yaml(3, false, true, "debug", 8) + "limits:\n  api_burst: lots\n");
  ASSERT_TRUE(d.signal(SIGHUP));
  ASSERT_TRUE(waitForLog(d, "reload refused, the running configuration stays"));
  writeFile(config_, "limits:\n  api_burst: lots\n");
  ASSERT_TRUE(d.signal(SIGHUP));
  ASSERT_TRUE(waitForLog(d, "reload refused, the running configuration stays", 2));
  EXPECT_TRUE(logHas(d, "'limits.api_burst' must be an integer, got 'lots'")) << d.log();
  r = d.clientWithKey(file_key_).get("/api/plugins");
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.header("X-RateLimit-Limit").value_or(""), "3") << r.describe();
  EXPECT_EQ(d.client().get("/metrics").status, 404);
  EXPECT_TRUE(d.alive());
  EXPECT_TRUE(d.stop());
}

/// The common name of the certificate the server presents on a new connection.
std::string presentedName(uint16_t port) {
  Poco::Net::Context::Ptr ctx =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_NONE);
  Poco::Net::SecureStreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port), ctx);
  socket.completeHandshake();
  return socket.peerCertificate().commonName();
}

void makeCert(const std::filesystem::path& dir, const std::string& name) {
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=" + name + " -days 1 -keyout " +
                    (dir / (name + ".key")).string() + " -out " + (dir / (name + ".crt")).string() +
                    " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl (Debian package openssl) must be installed";
}

TEST(ReloadTlsTest, SighupPresentsARenewedCertificateAndRefusesAKeyThatDoesNotMatch) {
  TempDir dir;
  makeCert(dir.path(), "first");
  makeCert(dir.path(), "second");
  std::filesystem::copy_file(dir.path() / "first.crt", dir.path() / "server.crt");
  std::filesystem::copy_file(dir.path() / "first.key", dir.path() / "server.key");
  writeFile(dir.path() / "streamhost.yaml", "tls:\n  cert_file: server.crt\n  key_file: server.key\n");
  DaemonOptions options{{"--config", (dir.path() / "streamhost.yaml").string()}};
  options.any_answer_is_ready = true;
  DaemonHarness d(options);
  ASSERT_TRUE(d.start());
  EXPECT_EQ(presentedName(d.port()), "first");

  // Renewed in place, as certbot does: same paths, new files.
  std::filesystem::copy_file(dir.path() / "second.crt", dir.path() / "server.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(dir.path() / "second.key", dir.path() / "server.key",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(d.signal(SIGHUP));
  ASSERT_TRUE(waitForLog(d, "TLS certificate re-read: subject /CN=second"));
  EXPECT_EQ(presentedName(d.port()), "second");

  // The old key beside the new certificate: refused, the second pair stays.
  std::filesystem::copy_file(dir.path() / "first.key", dir.path() / "server.key",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(d.signal(SIGHUP));
  ASSERT_TRUE(waitForLog(d, "reload refused, the running configuration stays"));
  EXPECT_TRUE(logHas(d, "is not the key of the certificate in")) << d.log();
  EXPECT_EQ(presentedName(d.port()), "second");
  EXPECT_TRUE(d.stop());
}

/// A unix datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  bool bound() const { return bound_; }
  const std::filesystem::path& path() const { return path_; }

  /// The next datagram holding `line` as one of its lines; every datagram
  /// received on the way is kept in `seen`.
  std::optional<std::string> waitFor(const std::string& line, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) {
        continue;
      }
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        continue;
      }
      std::string msg(buf, static_cast<size_t>(n));
      seen.push_back(msg);
      if (("\n" + msg + "\n").find("\n" + line + "\n") != std::string::npos) {
        return msg;
      }
    }
    return std::nullopt;
  }

  std::vector<std::string> seen;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool bound_ = false;
};

/// The value of `VAR=` in a notify datagram.
std::string field(const std::string& msg, const std::string& var) {
  size_t at = ("\n" + msg).find("\n" + var + "=");
  if (at == std::string::npos) {
    return {};
  }
  size_t start = at + var.size() + 1;
  return msg.substr(start, msg.find('\n', start) - start);
}

TEST(SystemdNotifyTest, ReadyWhenTheApiAnswersThenStatusWatchdogReloadingAndStopping) {
  TempDir dir;
  NotifySocket notify(dir.path() / "notify.sock");
  ASSERT_TRUE(notify.bound()) << std::strerror(errno);
  DaemonOptions options;
  options.env = {"NOTIFY_SOCKET=" + notify.path().string(), "WATCHDOG_USEC=400000"};
  DaemonHarness d(options);

  // READY=1 must mean the API answers: probe it the moment READY arrives.
  std::optional<std::string> ready;
  int readyz_at_ready = 0;
  std::thread listener([&] {
    ready = notify.waitFor("READY=1", 30s);
    if (ready) {
      std::string status = field(*ready, "STATUS");  // "listening on 127.0.0.1:PORT; ..."
      size_t colon = status.find(':');
      auto port = static_cast<uint16_t>(std::stoi(status.substr(colon + 1)));
      readyz_at_ready = HttpClient("127.0.0.1", port, "").get("/readyz").status;
    }
  });
  ASSERT_TRUE(d.start());
  listener.join();
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(readyz_at_ready, 200) << *ready;
  EXPECT_EQ(field(*ready, "MAINPID"), std::to_string(d.pid())) << *ready;
  EXPECT_NE(field(*ready, "STATUS").find("streams: 0 running, 0 paused"), std::string::npos) << *ready;

  // The watchdog is fed at half of WATCHDOG_USEC while the store answers.
  ASSERT_TRUE(notify.waitFor("WATCHDOG=1", 5s));
  ASSERT_TRUE(notify.waitFor("WATCHDOG=1", 5s));

  // STATUS= follows the streams.
  HttpClient c = d.client();
  std::string pl = createPipeline(c, "notify");
  std::string st = createDatagenStream(c, "gen", pl, "{\"rate_per_second\":10}");
  ASSERT_EQ(c.post("/api/streams/" + st + "/start").status, 200);
  bool running_seen = pollUntil(
      [&] {
        auto m = notify.waitFor("WATCHDOG=1", 1s);
        return std::any_of(notify.seen.begin(), notify.seen.end(), [](const std::string& s) {
          return s.find("STATUS=listening on") != std::string::npos && s.find("streams: 1 running") != std::string::npos;
        });
      },
      15s);
  EXPECT_TRUE(running_seen);

  ASSERT_TRUE(d.signal(SIGHUP));
  auto reloading = notify.waitFor("RELOADING=1", 10s);
  ASSERT_TRUE(reloading.has_value());
  EXPECT_FALSE(field(*reloading, "MONOTONIC_USEC").empty()) << *reloading;
  auto reloaded = notify.waitFor("READY=1", 10s);
  ASSERT_TRUE(reloaded.has_value());
  EXPECT_NE(field(*reloaded, "STATUS").find("reloaded: 0 changes applied"), std::string::npos) << *reloaded;

  ASSERT_TRUE(d.stop());
  auto stopping = notify.waitFor("STOPPING=1", 5s);
  ASSERT_TRUE(stopping.has_value());
  d.printLogIfFailed();
}

}  // namespace
}  // namespace streamhost::testing
