#include "api_versions.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

namespace streamhost::kafka {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool waitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) {
    return false;
  }
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) == 1 && (p.revents & events) != 0;
}

bool readAll(int fd, uint8_t* out, size_t n, std::chrono::steady_clock::time_point deadline) {
  size_t got = 0;
  while (got < n) {
    if (!waitFor(fd, POLLIN, deadline)) {
      return false;
    }
    ssize_t r = ::recv(fd, out + got, n - got, 0);
    if (r <= 0) {
      return false;
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

int16_t be16(const uint8_t* p) { return static_cast<int16_t>((p[0] << 8) | p[1]); }
int32_t be32(const uint8_t* p) {
  return static_cast<int32_t>((static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
                              (static_cast<uint32_t>(p[2]) << 8) | p[3]);
}

std::optional<std::set<int16_t>> askOne(const std::string& host, const std::string& port,
                                        std::chrono::steady_clock::time_point deadline, std::string& why) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    why = host + ":" + port + ": " + gai_strerror(rc);
    return std::nullopt;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  Fd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0 ||
      (::connect(fd.get(), res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) ||
      !waitFor(fd.get(), POLLOUT, deadline)) {
    why = host + ":" + port + ": cannot connect";
    return std::nullopt;
  }
  // ApiVersions v0: size, api_key 18, api_version 0, correlation id, client id.
  const char client[] = "streamhost";
  std::vector<uint8_t> req = {0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 1, 0, static_cast<uint8_t>(sizeof client - 1)};
  req.insert(req.end(), client, client + sizeof client - 1);
  uint32_t size = htonl(static_cast<uint32_t>(req.size() - 4));
  std::memcpy(req.data(), &size, 4);
  if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    why = host + ":" + port + ": cannot send";
    return std::nullopt;
  }
  uint8_t head[4];
  if (!readAll(fd.get(), head, 4, deadline)) {
    why = host + ":" + port + ": no answer to ApiVersions";
    return std::nullopt;
  }
  int32_t len = be32(head);
  if (len < 10 || len > (1 << 20)) {
    why = host + ":" + port + ": malformed ApiVersions answer";
    return std::nullopt;
  }
  std::vector<uint8_t> body(static_cast<size_t>(len));
  if (!readAll(fd.get(), body.data(), body.size(), deadline)) {
    why = host + ":" + port + ": short ApiVersions answer";
    return std::nullopt;
  }
  // correlation id (4), error code (2), array count (4), then 6 bytes per API.
  int16_t error = be16(body.data() + 4);
  int32_t count = be32(body.data() + 6);
  if (error != 0 || count < 0 || 10 + static_cast<size_t>(count) * 6 > body.size()) {
    why = host + ":" + port + ": ApiVersions answered error " + std::to_string(error);
    return std::nullopt;
  }
  std::set<int16_t> keys;
  for (int32_t i = 0; i < count; ++i) {
    keys.insert(be16(body.data() + 10 + static_cast<size_t>(i) * 6));
  }
  return keys;
}

}  // namespace

std::optional<std::set<int16_t>> supportedApis(const std::string& bootstrap_servers, int timeout_ms,
                                               std::string& why) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t pos = 0;
  while (pos < bootstrap_servers.size()) {
    size_t end = bootstrap_servers.find(',', pos);
    std::string server = bootstrap_servers.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? bootstrap_servers.size() : end + 1;
    if (auto scheme = server.find("://"); scheme != std::string::npos) {
      server = server.substr(scheme + 3);
    }
    size_t colon = server.rfind(':');
    if (colon == std::string::npos) {
      continue;
    }
    if (auto keys = askOne(server.substr(0, colon), server.substr(colon + 1), deadline, why)) {
      return keys;
    }
  }
  if (why.empty()) {
    why = "no host:port in bootstrap_servers";
  }
  return std::nullopt;
}

}  // namespace streamhost::kafka
