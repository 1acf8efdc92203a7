#pragma once

#include <Poco/Net/StreamSocket.h>

#include <cstdint>
#include <string>

#include "support/http_client.h"

namespace streamhost::testing {

/// One TCP connection to the server on which the test writes the exact bytes
/// of requests and reads answers one at a time, so keep-alive framing (what
/// the server does with a body it did not need) can be observed.
class RawHttpConnection {
 public:
  RawHttpConnection(const std::string& host, uint16_t port, int64_t timeout_ms = 10000);

  /// Writes `bytes` as they are.
  void send(const std::string& bytes);
  /// Reads one answer (head plus Content-Length body). Status 0 with `error`
  /// set when the connection closed or timed out first.
  HttpResponse readResponse();
  /// True when the server has closed the connection (EOF within the timeout).
  bool closedByPeer();

 private:
  bool fill();

  Poco::Net::StreamSocket socket_;
  std::string buf_;
};

/// Whether `text` is well-formed UTF-8 (RFC 3629).
bool isValidUtf8(const std::string& text);

}  // namespace streamhost::testing
