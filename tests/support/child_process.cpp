#include "support/child_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

namespace streamhost::testing {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail(const std::string& text, size_t n) {
  return text.size() > n ? "..." + text.substr(text.size() - n) : text;
}

pid_t spawnLogged(const std::vector<std::string>& args, const std::filesystem::path& out_path,
                  const SpawnOptions& options) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& s : copy) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  std::string cwd = options.cwd.string();
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    return -1;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    if (options.own_process_group) {
      ::setpgid(0, 0);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_fd);
  return pid;
}

int waitExit(pid_t pid, std::optional<std::chrono::milliseconds> timeout) {
  if (pid <= 0) {
    return -1;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  while (true) {
    int st = 0;
    pid_t r = ::waitpid(pid, &st, timeout ? WNOHANG : 0);
    if (r == pid) {
      return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    if (r < 0 && errno != EINTR) {
      return -1;
    }
    if (timeout && std::chrono::steady_clock::now() >= deadline) {
      return -2;
    }
    if (timeout) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace streamhost::testing
