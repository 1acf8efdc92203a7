// Opens N keep-alive connections to host:port, makes one GET /healthz on each
// so the server has accepted and served them, prints how many are held, then
// keeps them open and idle until stdin closes or it is killed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s HOST PORT N\n", argv[0]);
    return 2;
  }
  const char* host = argv[1];
  int port = std::atoi(argv[2]);
  int n = std::atoi(argv[3]);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &addr.sin_addr);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
  std::vector<int> fds;
  int answered = 0;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("connect");
      break;
    }
    fds.push_back(fd);
    timeval tv{2, 0};  // a server that queues the connection does not hold this tool
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
      continue;
    }
    char buf[4096];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    if (got > 12 && std::strncmp(buf + 9, "200", 3) == 0) {
      ++answered;
    }
  }
  std::printf("holding %zu connections (%d answered 200)\n", fds.size(), answered);
  std::fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (int fd : fds) {
    close(fd);
  }
  return 0;
}
