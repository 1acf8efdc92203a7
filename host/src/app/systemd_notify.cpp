#include "app/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace streamhost::app {
namespace {

/// One line of a STATUS= value: the protocol separates variables by newlines.
std::string oneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return s;
}

}  // namespace

SystemdNotifier SystemdNotifier::fromEnvironment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  std::string path = socket != nullptr ? socket : "";
  std::chrono::microseconds watchdog{0};
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (usec != nullptr) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(usec, &end, 10);
    bool for_us = pid == nullptr || std::strtoll(pid, nullptr, 10) == static_cast<long long>(::getpid());
    if (end != usec && *end == '\0' && v > 0 && for_us) {
      watchdog = std::chrono::microseconds(v);
    }
  }
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  return SystemdNotifier(path, watchdog);
}

bool SystemdNotifier::send(const std::string& message) const {
  if (socket_.empty() || socket_.size() >= sizeof(sockaddr_un::sun_path) ||
      (socket_[0] != '/' && socket_[0] != '@')) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  if (socket_[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract namespace: no terminating NUL counts
  } else {
    len += 1;
  }
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  ssize_t n = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  ::close(fd);
  return n == static_cast<ssize_t>(message.size());
}

bool SystemdNotifier::ready(const std::string& status) const {
  return send("READY=1\nSTATUS=" + oneLine(status) + "\nMAINPID=" + std::to_string(::getpid()));
}

bool SystemdNotifier::reloading(const std::string& status) const {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  long long usec = static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=" + oneLine(status));
}

bool SystemdNotifier::stopping(const std::string& status) const {
  return send("STOPPING=1\nSTATUS=" + oneLine(status));
}

bool SystemdNotifier::status(const std::string& status) const { return send("STATUS=" + oneLine(status)); }

bool SystemdNotifier::watchdog() const { return send("WATCHDOG=1"); }

}  // namespace streamhost::app
