#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <atomic>
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

/// State shared by the server and its live connections; outlives them all.
struct ConnectionHub {
  Poco::Net::HTTPServerParams::Ptr params;
  Poco::Net::Context::Ptr tls;  ///< null: plain HTTP
  RequestServer serve;
  std::atomic<bool> stopping{false};

  /// Registers a live socket so stop() can cut it; returns its ticket.
  uint64_t enter(const Poco::Net::StreamSocket& socket);
  void leave(uint64_t ticket);
  /// Marks a connection as answering a request (true) or waiting for one.
  void setBusy(uint64_t ticket, bool busy);
  /// Shuts down live sockets (only those waiting between requests when
  /// `idle_only`): blocked reads return and those connections end.
  void abort(bool idle_only);

 private:
  struct Live {
    Poco::Net::StreamSocket socket;
    bool busy = false;
  };
  std::mutex mu_;
  std::map<uint64_t, Live> live_;
  uint64_t next_ = 0;
};

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
