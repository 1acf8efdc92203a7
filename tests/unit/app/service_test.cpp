// The pieces of the service that need no running daemon: what a reload
// applies, and the notify protocol's datagrams on a real unix socket.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "app/config_reload.h"
#include "app/systemd_notify.h"

namespace streamhost::app {
namespace {

TEST(ConfigReloadTest, LiveSettingsAreAppliedAndTheRestWaitForARestart) {
  config::Config a;
  config::Config b = a;
  b.log_level = "debug";
  b.limits.api_burst = 5;
  b.metrics.enabled = false;
  b.listen = "0.0.0.0:9000";
  b.journal.segment_bytes = 1 << 20;
  b.log_format = "json";
  b.api_keys.push_back({"ops", std::string(64, 'a'), {"streams:read"}, false});
  std::map<std::string, bool> live;
  for (const auto& c : diffConfigs(a, b)) {
    live[c.key] = c.live;
  }
  EXPECT_EQ(live.size(), 7u);
  EXPECT_TRUE(live["log.level"]);
  EXPECT_TRUE(live["limits.api_burst"]);
  EXPECT_TRUE(live["metrics.enabled"]);
  EXPECT_TRUE(live["auth.api_keys"]);
  EXPECT_FALSE(live["listen"]);
  EXPECT_FALSE(live["journal.segment_bytes"]);
  EXPECT_FALSE(live["log.format"]);
}

TEST(ConfigReloadTest, TlsFilesReloadLiveOnlyWhileTlsStaysOn) {
  config::Config plain;
  config::Config tls = plain;
  tls.tls = {"/etc/a.crt", "/etc/a.key"};
  config::Config renewed = tls;
  renewed.tls = {"/etc/b.crt", "/etc/b.key"};
  for (const auto& c : diffConfigs(plain, tls)) {
    EXPECT_FALSE(c.live) << c.key << ": turning TLS on needs a restart";
  }
  auto changes = diffConfigs(tls, renewed);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_TRUE(changes[0].live && changes[1].live);
  EXPECT_EQ(describeChanges(changes), "tls.cert_file /etc/a.crt -> /etc/b.crt; tls.key_file /etc/a.key -> /etc/b.key");
}

TEST(ConfigReloadTest, KeyChangesNameTheKeysAddedRemovedAndChanged) {
  config::Config a;
  a.api_keys = {{"ci", std::string(64, 'a'), {"streams:read"}, false},
                {"admin", std::string(64, 'b'), {"admin"}, false}};
  config::Config b;
  b.api_keys = {{"admin", std::string(64, 'c'), {"admin"}, false}, {"ops", std::string(64, 'd'), {"admin"}, false}};
  auto changes = diffConfigs(a, b);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(describeChanges(changes), "auth.api_keys 2 keys -> 2 keys (added ops; removed ci; changed admin)");
  EXPECT_TRUE(diffConfigs(a, a).empty());
}

/// Binds a datagram socket at `name` ("@x": abstract namespace) and returns its fd.
int bindDatagram(const std::string& name) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  if (name[0] == '@') {
    addr.sun_path[0] = '\0';
  } else {
    len += 1;
  }
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
  return fd;
}

std::string receive(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 2000) <= 0) {
    return "(nothing)";
  }
  char buf[1024];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "(error)";
}

TEST(SystemdNotifierTest, SendsOneDatagramPerMessageToAPathOrAnAbstractSocket) {
  std::string path = ::testing::TempDir() + "notify-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  int fd = bindDatagram(path);
  SystemdNotifier notify(path, std::chrono::microseconds(0));
  ASSERT_TRUE(notify.ready("listening\non 1"));
  EXPECT_EQ(receive(fd), "READY=1\nSTATUS=listening on 1\nMAINPID=" + std::to_string(::getpid()));
  ASSERT_TRUE(notify.stopping("bye"));
  EXPECT_EQ(receive(fd), "STOPPING=1\nSTATUS=bye");
  ::close(fd);
  ::unlink(path.c_str());

  std::string abstract = "@streamhost-notify-test-" + std::to_string(::getpid());
  fd = bindDatagram(abstract);
  SystemdNotifier to_abstract(abstract, std::chrono::microseconds(0));
  ASSERT_TRUE(to_abstract.watchdog());
  EXPECT_EQ(receive(fd), "WATCHDOG=1");
  ::close(fd);
}

TEST(SystemdNotifierTest, ReadsTheEnvironmentOnceAndIgnoresAWatchdogMeantForAnotherProcess) {
  ::setenv("NOTIFY_SOCKET", "@x", 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  SystemdNotifier n = SystemdNotifier::fromEnvironment();
  EXPECT_TRUE(n.active());
  EXPECT_EQ(n.watchdogInterval().count(), 3000000);
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);

  ::setenv("NOTIFY_SOCKET", "@x", 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", "1", 1);
  EXPECT_EQ(SystemdNotifier::fromEnvironment().watchdogInterval().count(), 0);

  SystemdNotifier none = SystemdNotifier::fromEnvironment();
  EXPECT_FALSE(none.active());
  EXPECT_FALSE(none.ready("x"));
}

}  // namespace
}  // namespace streamhost::app
