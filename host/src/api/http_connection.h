#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace streamhost::api {

/// What became of a request's body once its answer was written.
enum class BodyFate { kConsumed, kLeftUnread };

/// Answers one request whose head has been read. It must consume or discard
/// the declared body before it sends (see discardBody) and report whether
/// some of it is still on the wire, in which case the connection is closed.
using RequestServer = std::function<BodyFate(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

/// Per-connection limits (see HttpServerOptions).
struct ConnectionLimits {
  size_t max_connections = 4096;
  size_t max_per_client = 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{60000};
};

/// State shared by the server and its live connections; outlives them all.
/// Each live connection has its own thread, so an idle or slow client holds
/// only its own; the limits bound how many there are, and deadlines bound how
/// long a request head or body may take to arrive.
struct ConnectionHub {
  Poco::Net::HTTPServerParams::Ptr params;
  Poco::Net::Context::Ptr tls;  ///< null: plain HTTP
  RequestServer serve;
  ConnectionLimits limits;
  std::atomic<bool> stopping{false};

  /// Where a connection is: waiting for a request, receiving its head or
  /// body (each with a deadline), or being answered (no deadline).
  enum class Phase { kIdle, kHead, kBody, kHandling };

  /// Registers a new connection (in phase kHead); 0 when a limit refuses it,
  /// with the sentence in `why`.
  uint64_t admit(const Poco::Net::StreamSocket& socket, std::string& why);
  void leave(uint64_t ticket);
  void setPhase(uint64_t ticket, Phase phase);
  /// Whether the connection's head or body deadline passed (and its reads were cut).
  bool expired(uint64_t ticket);
  /// Cuts the receive side of connections past their deadline: their blocked
  /// reads end, and an answer can still be written.
  void expireOverdue();
  /// Shuts down live sockets (only those waiting between requests when
  /// `idle_only`): blocked reads return and those connections end.
  void abort(bool idle_only);
  size_t liveCount();

 private:
  struct Live {
    Poco::Net::StreamSocket socket;
    std::string client;
    Phase phase = Phase::kHead;
    std::chrono::steady_clock::time_point deadline;
    bool expired = false;
  };
  std::mutex mu_;
  std::map<uint64_t, Live> live_;
  std::map<std::string, size_t> per_client_;
  uint64_t next_ = 0;
};

/// The request this thread is answering has been read: its deadlines no
/// longer apply while the handler runs (a long-poll may wait).
void markRequestHandling();
/// What is left of the request body is read next: the body deadline applies again.
void markRequestBody();

/// Connections that run HTTP/1.1 keep-alive over `hub` (TLS sniffed first
/// when `hub->tls` is set). Unlike Poco's own HTTPServerConnection, every
/// answer it writes itself (malformed or oversized head, plain HTTP on the
/// TLS port, a head that times out) is a JSON error, and a connection whose
/// request body was left unread is closed after a lingering drain.
Poco::Net::TCPServerConnectionFactory::Ptr makeConnectionFactory(std::shared_ptr<ConnectionHub> hub);

/// Reads and drops what is left of the request body, at most `limit` bytes.
/// Returns false when more remains (the connection must then be closed).
/// A request without Content-Length or chunked encoding has no body.
bool discardBody(Poco::Net::HTTPServerRequest& request, int64_t limit);

/// "req_" + 16 hex digits.
std::string newRequestId();

}  // namespace streamhost::api
