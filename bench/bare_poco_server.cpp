// The ceiling for the API benchmark: a Poco HTTPServer whose one handler
// answers a fixed JSON body, on the same thread settings as streamhostd.
// Usage: bare_poco_server [PORT] [BODY_FILE]; the body is the file's content
// when given (so a list page can be compared with the same bytes), else a
// small object.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <istream>
#include <string>

namespace {

std::string g_body = R"({"data":{"id":"x","type":"bench","attributes":{}}})";

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    std::string body;
    char buf[4096];
    while (req.stream().read(buf, sizeof buf) || req.stream().gcount() > 0) {
      body.append(buf, static_cast<size_t>(req.stream().gcount()));
    }
    resp.setContentType("application/json");
    resp.setContentLength64(static_cast<Poco::Int64>(g_body.size()));
    resp.send() << g_body;
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

}  // namespace

int main(int argc, char** argv) {
  uint16_t port = argc > 1 ? static_cast<uint16_t>(std::atoi(argv[1])) : 18999;
  if (argc > 2) {
    std::ifstream in(argv[2], std::ios::binary);
    if (!in) {
      std::cerr << "cannot read " << argv[2] << "\n";
      return 1;
    }
    g_body.assign(std::istreambuf_iterator<char>(in), {});
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port), 128);
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(16);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  Poco::Net::HTTPServer server(new Factory, socket, params);
  server.start();
  std::cout << "bare poco server on 127.0.0.1:" << port << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  server.stopAll(true);
  return 0;
}
