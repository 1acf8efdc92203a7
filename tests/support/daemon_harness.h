#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/temp_dir.h"

namespace streamhost::testing {

/// How a DaemonHarness starts `streamhostd`.
struct DaemonOptions {
  /// Appended to every start, e.g. {"--set", "limits.api_burst=3"}.
  std::vector<std::string> extra_args;
  /// How long a start may take until /healthz answers.
  std::chrono::milliseconds start_timeout{20000};
  /// How long a SIGTERM may take until the process has exited.
  std::chrono::milliseconds stop_timeout{20000};
  /// Counts any HTTP answer on the port as started (for a TLS-only server,
  /// which answers the plain-HTTP probe with a 400).
  bool any_answer_is_ready = false;
  /// NAME=VALUE pairs added to the child's environment (e.g. NOTIFY_SOCKET, or
  /// an LD_PRELOAD shim; a sanitized build lets the ASan runtime stay first).
  std::vector<std::string> env;
};

/// Runs the real `streamhostd` (STREAMHOST_TEST_DAEMON) as a child process on
/// a free loopback port, with its own temp data dir and the build's plugin
/// dir (STREAMHOST_TEST_PLUGIN_DIR). Environment variables of the same names
/// override both, e.g. to test an installed daemon. It creates an admin key before the first
/// start. The child's stdout and stderr go to a log file that is printed when
/// the current test has failed. The destructor kills a child still running.
/// Not thread-safe: drive it from the test's main thread.
class DaemonHarness {
 public:
  explicit DaemonHarness(DaemonOptions options = {});
  ~DaemonHarness();
  DaemonHarness(const DaemonHarness&) = delete;
  DaemonHarness& operator=(const DaemonHarness&) = delete;

  /// Starts the daemon and waits until /healthz answers 200.
  ::testing::AssertionResult start();
  /// Sends `signal` and waits for the process to end (SIGKILL after stop_timeout).
  /// With SIGTERM, success means a clean exit with status 0.
  ::testing::AssertionResult stop(int signal = SIGTERM);
  /// stop(signal), then start() on the same data dir.
  ::testing::AssertionResult restart(int signal = SIGTERM);
  bool running() const { return pid_ > 0; }
  /// Sends `signal` (e.g. SIGHUP) and returns at once; false when not running.
  bool signal(int signal);
  /// Whether the child is still running (reaps it when it has exited).
  bool alive();
  pid_t pid() const { return pid_; }
  /// Options for the next start (env, extra args).
  DaemonOptions& options() { return options_; }

  /// Runs `streamhostd --data-dir D keys create --name N --scopes S` and returns the key.
  /// Works whether or not the daemon runs; empty (plus a test failure) when it fails.
  std::string createKey(const std::string& name, const std::string& scopes);

  /// Runs `streamhostd --data-dir D --plugin-dir P ARGS...` to its end (a
  /// command, not the daemon) and returns its exit status (-1 when it did not
  /// exit normally); `output` gets its stdout and stderr.
  int runCommand(const std::vector<std::string>& args, std::string& output);

  /// The admin key made at construction.
  const std::string& adminKey() const { return admin_key_; }
  uint16_t port() const { return port_; }
  /// A client for the current port sending the admin key.
  HttpClient client() const { return HttpClient("127.0.0.1", port_, admin_key_); }
  /// A client for the current port sending `key` ("" sends none).
  HttpClient clientWithKey(const std::string& key) const { return HttpClient("127.0.0.1", port_, key); }

  const std::filesystem::path& dataDir() const { return data_dir_; }
  /// Everything the child wrote so far, over all starts.
  std::string log() const;
  /// Prints the tail of the log to stderr when the current test has failed.
  /// The destructor does this too; a daemon shared by a suite calls it from TearDown().
  void printLogIfFailed() const;

 private:
  ::testing::AssertionResult startOnce(uint16_t port, bool& port_taken);
  /// Waits for the child to exit until `deadline`; true when it did (status in `wstatus`).
  bool waitExit(std::chrono::steady_clock::time_point deadline, int& wstatus);

  DaemonOptions options_;
  TempDir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  std::string admin_key_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

/// Polls `pred` every `interval` until it returns true or `timeout` passes; returns its last result.
template <typename Pred>
bool pollUntil(Pred pred, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace streamhost::testing
