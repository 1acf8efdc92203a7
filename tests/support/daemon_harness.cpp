#include "support/daemon_harness.h"
#include "support/free_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

extern char** environ;

namespace streamhost::testing {
namespace {

constexpr size_t kLogTailChars = 24000;
constexpr int kPortAttempts = 5;


/// The environment variable `name`, else `fallback` (the build's own path).
std::string fromEnv(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

std::string daemonPath() { return fromEnv("STREAMHOST_TEST_DAEMON", STREAMHOST_TEST_DAEMON); }
std::string pluginDir() { return fromEnv("STREAMHOST_TEST_PLUGIN_DIR", STREAMHOST_TEST_PLUGIN_DIR); }

/// The environment without STREAMHOST_* settings, which would override the
/// flags, and with no config file unless a test passes --config: a package
/// installed on the test machine must not change what the tests run.
std::vector<std::string> childEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "STREAMHOST_", 11) != 0) {
      env.emplace_back(*e);
    }
  }
  env.emplace_back("STREAMHOST_CONFIG=/dev/null");
  return env;
}

std::vector<char*> cStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

/// Forks and execs `args` with stdout to `stdout_fd` and stderr to `stderr_fd`; returns the pid or -1.
pid_t spawn(std::vector<std::string> args, int stdout_fd, int stderr_fd, const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> env = childEnvironment();
  for (const auto& e : extra_env) {
    // A variable given here replaces an inherited one of the same name.
    const std::string name = e.substr(0, e.find('=') + 1);
    env.erase(std::remove_if(env.begin(), env.end(), [&](const std::string& v) { return v.rfind(name, 0) == 0; }),
              env.end());
    env.push_back(e);
#if defined(__SANITIZE_ADDRESS__)
    if (e.rfind("LD_PRELOAD=", 0) == 0) {
      // The ASan runtime must come first among loaded libraries; the daemon
      // loads it as its first dependency, so only the order check is off.
      std::string opts = "ASAN_OPTIONS=verify_asan_link_order=0";
      for (auto it = env.begin(); it != env.end(); ++it) {
        if (it->rfind("ASAN_OPTIONS=", 0) == 0) {
          opts = *it + ":verify_asan_link_order=0";
          env.erase(it);
          break;
        }
      }
      env.push_back(opts);
    }
#endif
  }
  std::vector<char*> argv = cStrings(args);
  std::vector<char*> envp = cStrings(env);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here on. A test process that dies
    // (a crash, a ctest timeout) takes its daemon with it, instead of leaving
    // it to run streams into the temp dir unwatched.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(stdout_fd, STDOUT_FILENO);
    ::dup2(stderr_fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

std::string describeWaitStatus(int wstatus) {
  if (WIFEXITED(wstatus)) {
    return "exited with status " + std::to_string(WEXITSTATUS(wstatus));
  }
  if (WIFSIGNALED(wstatus)) {
    return std::string("killed by signal ") + strsignal(WTERMSIG(wstatus));
  }
  return "ended with wait status " + std::to_string(wstatus);
}

}  // namespace

DaemonHarness::DaemonHarness(DaemonOptions options)
    : options_(std::move(options)), data_dir_(dir_.path() / "data"), log_path_(dir_.path() / "daemon.log") {
  admin_key_ = createKey("admin", "admin");
}

DaemonHarness::~DaemonHarness() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int wstatus = 0;
    ::waitpid(pid_, &wstatus, 0);
    pid_ = -1;
  }
  printLogIfFailed();
}

void DaemonHarness::printLogIfFailed() const {
  if (!::testing::Test::HasFailure()) {
    return;
  }
  std::string text = log();
  if (text.size() > kLogTailChars) {
    text = "...\n" + text.substr(text.size() - kLogTailChars);
  }
  std::cerr << "----- streamhostd log (" << log_path_.string() << ") -----\n"
            << text << "----- end of streamhostd log -----\n";
}

std::string DaemonHarness::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string DaemonHarness::createKey(const std::string& name, const std::string& scopes) {
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int pipe_fds[2];
  if (log_fd < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "cannot prepare key creation: " << std::strerror(errno);
    return {};
  }
  pid_t pid = spawn({daemonPath(), "--data-dir", data_dir_.string(), "--plugin-dir", pluginDir(), "keys", "create",
                     "--name", name, "--scopes", scopes},
                    pipe_fds[1], log_fd);
  ::close(pipe_fds[1]);
  ::close(log_fd);
  std::string out;
  char buf[512];
  ssize_t n = 0;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(pipe_fds[0]);
  int wstatus = 0;
  if (pid < 0 || ::waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    ADD_FAILURE() << "streamhostd keys create --name " << name << " failed: " << describeWaitStatus(wstatus)
                  << "\n" << log();
    return {};
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) {
    out.pop_back();
  }
  if (out.rfind("sk_", 0) != 0) {
    ADD_FAILURE() << "keys create printed '" << out << "', not a key";
  }
  return out;
}

int DaemonHarness::runCommand(const std::vector<std::string>& args, std::string& output) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return -1;
  }
  std::vector<std::string> argv = {daemonPath(), "--data-dir", data_dir_.string(), "--plugin-dir", pluginDir()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = spawn(argv, pipe_fds[1], pipe_fds[1]);
  ::close(pipe_fds[1]);
  output.clear();
  char buf[512];
  ssize_t n = 0;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) {
      output.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(pipe_fds[0]);
  int wstatus = 0;
  if (pid < 0 || ::waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus)) {
    return -1;
  }
  return WEXITSTATUS(wstatus);
}

::testing::AssertionResult DaemonHarness::start() {
  if (pid_ > 0) {
    return ::testing::AssertionFailure() << "streamhostd is already running (pid " << pid_ << ")";
  }
  ::testing::AssertionResult last = ::testing::AssertionFailure() << "no free port found";
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    uint16_t port = pickFreePort();
    if (port == 0) {
      continue;
    }
    bool port_taken = false;
    last = startOnce(port, port_taken);
    if (last || !port_taken) {
      return last;
    }
  }
  return last;
}

::testing::AssertionResult DaemonHarness::startOnce(uint16_t port, bool& port_taken) {
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return ::testing::AssertionFailure() << "cannot open " << log_path_ << ": " << std::strerror(errno);
  }
  std::vector<std::string> args = {daemonPath(), "--data-dir", data_dir_.string(), "--plugin-dir", pluginDir(),
                                   "--listen",   "127.0.0.1:" + std::to_string(port)};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = spawn(args, log_fd, log_fd, options_.env);
  ::close(log_fd);
  if (pid_ < 0) {
    return ::testing::AssertionFailure() << "fork failed: " << std::strerror(errno);
  }
  port_ = port;
  // Our own admin key tells our daemon apart from another one that got the port first.
  HttpClient probe("127.0.0.1", port, admin_key_);
  probe.setTimeoutMs(2000);
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      std::string text = log();
      port_taken = text.find("cannot listen") != std::string::npos;
      return ::testing::AssertionFailure() << "streamhostd " << describeWaitStatus(wstatus)
                                           << " before it answered /healthz";
    }
    int health = probe.get("/healthz").status;
    if (options_.any_answer_is_ready ? health != 0 : health == 200 && probe.get("/api/plugins").status == 200) {
      return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int wstatus = 0;
  ::waitpid(pid_, &wstatus, 0);
  pid_ = -1;
  return ::testing::AssertionFailure() << "streamhostd did not answer /healthz on port " << port << " within "
                                       << options_.start_timeout.count() << " ms";
}

bool DaemonHarness::waitExit(std::chrono::steady_clock::time_point deadline, int& wstatus) {
  while (true) {
    pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

::testing::AssertionResult DaemonHarness::stop(int signal) {
  if (pid_ <= 0) {
    return ::testing::AssertionFailure() << "streamhostd is not running";
  }
  auto started = std::chrono::steady_clock::now();
  ::kill(pid_, signal);
  int wstatus = 0;
  if (!waitExit(started + options_.stop_timeout, wstatus)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &wstatus, 0);
    pid_ = -1;
    return ::testing::AssertionFailure() << "streamhostd did not exit within " << options_.stop_timeout.count()
                                         << " ms of signal " << signal << "; killed";
  }
  pid_ = -1;
  if (signal == SIGTERM && !(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)) {
    return ::testing::AssertionFailure() << "streamhostd " << describeWaitStatus(wstatus) << " after SIGTERM";
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return ::testing::AssertionSuccess() << "stopped in " << ms.count() << " ms";
}

bool DaemonHarness::signal(int signal) { return pid_ > 0 && ::kill(pid_, signal) == 0; }

bool DaemonHarness::alive() {
  if (pid_ <= 0) {
    return false;
  }
  int wstatus = 0;
  if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

::testing::AssertionResult DaemonHarness::restart(int signal) {
  if (auto s = stop(signal); !s) {
    return s;
  }
  return start();
}

}  // namespace streamhost::testing
