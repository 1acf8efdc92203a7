#include "api/http_connection.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/TCPServerConnection.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <random>

#include "api/json.h"

namespace streamhost::api {
namespace {

// After an answer that left part of the body unread, the client may still be
// sending it; closing at once would reset the connection and could destroy the
// answer in the client's receive buffer. So the write side is shut and input
// drained for a moment first (a lingering close).
constexpr int64_t kLingerBytes = 4 << 20;
constexpr auto kLingerTime = std::chrono::seconds(2);

Poco::Logger& logger() { return Poco::Logger::get("streamhost.api"); }

/// Writes a whole JSON error answer straight to the socket and ends the connection.
void writeRawError(Poco::Net::StreamSocket& socket, int status, const std::string& code, const std::string& message) {
  std::string id = newRequestId();
  ApiResponse r = errorResponse(status, code, message, "", id);
  std::string reason = Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  std::string text = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                     "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) +
                     "\r\nX-Request-Id: " + id + "\r\nConnection: close\r\n\r\n" + r.body;
  try {
    socket.sendBytes(text.data(), static_cast<int>(text.size()));
  } catch (const Poco::Exception&) {
    // The peer is gone; nothing more to tell it.
  }
}

void lingeringClose(Poco::Net::StreamSocket& socket) {
  try {
    socket.shutdownSend();
    socket.setReceiveTimeout(Poco::Timespan(0, 200000));
    auto deadline = std::chrono::steady_clock::now() + kLingerTime;
    int64_t drained = 0;
    char buf[16384];
    while (drained < kLingerBytes && std::chrono::steady_clock::now() < deadline) {
      int n = socket.receiveBytes(buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      drained += n;
    }
  } catch (const Poco::Exception&) {
    // Timed out or reset: either way the connection is done.
  }
}

// The connection this thread serves, for markRequestHandling()/markRequestBody().
struct Current {
  ConnectionHub* hub = nullptr;
  uint64_t ticket = 0;
};
thread_local Current t_current;

class ApiConnection : public Poco::Net::TCPServerConnection {
 public:
  ApiConnection(const Poco::Net::StreamSocket& socket, std::shared_ptr<ConnectionHub> hub)
      : Poco::Net::TCPServerConnection(socket), hub_(std::move(hub)) {}

  void run() override {
    try {
      if (auto s = secured()) {
        t_current = Current{hub_.get(), ticket_};
        serveAll(*s);
        t_current = Current{};
      }
    } catch (const Poco::Exception& e) {
      t_current = Current{};
      logger().debug("connection ended: %s", e.displayText());
    }
    hub_->leave(ticket_);
  }

  void setTicket(uint64_t ticket) { ticket_ = ticket; }

  /// The socket to speak HTTP on: the accepted one, or TLS over it. A client
  /// that speaks plain HTTP to the TLS port gets a JSON answer saying so.
  std::optional<Poco::Net::StreamSocket> secured() {
    Poco::Net::StreamSocket plain = socket();
    if (!hub_->tls) {
      return plain;
    }
    unsigned char first = 0;
    plain.setReceiveTimeout(hub_->params->getTimeout());
    int n = plain.receiveBytes(&first, 1, MSG_PEEK);
    if (n <= 0) {
      return std::nullopt;
    }
    if (first != 0x16) {  // not a TLS handshake record
      writeRawError(plain, 400, "validation_error",
                    "this port speaks HTTPS; a plain HTTP request was sent to it (use https://)");
      lingeringClose(plain);
      return std::nullopt;
    }
    try {
      return Poco::Net::SecureStreamSocket::attach(plain, hub_->tls);
    } catch (const Poco::Exception& e) {
      // A failed handshake can only be answered by the TLS alert OpenSSL sent.
      logger().information("TLS handshake failed client=%s error=\"%s\"", plain.peerAddress().toString(),
                           e.displayText());
      return std::nullopt;
    }
  }

  void serveAll(Poco::Net::StreamSocket& socket) {
    Poco::Net::HTTPServerSession session(socket, hub_->params);
    while (!hub_->stopping && session.hasMoreRequests()) {
      hub_->setPhase(ticket_, ConnectionHub::Phase::kHead);
      Poco::Net::HTTPServerResponseImpl response(session);
      std::optional<Poco::Net::HTTPServerRequestImpl> request;
      try {
        request.emplace(response, session, hub_->params.get());
      } catch (const Poco::Net::NoMessageException&) {
        return;  // the client closed between requests (or sent nothing in time)
      } catch (const Poco::Net::MessageException& e) {
        if (hub_->expired(ticket_)) {
          writeRawError(socket, 408, "request_timeout", headTimeoutMessage());
          return;
        }
        writeRawError(socket, 400, "validation_error",
                      "malformed or oversized request head: " + e.message() +
                          " (at most 100 header fields of 8 KiB each)");
        lingeringClose(socket);
        return;
      } catch (const Poco::TimeoutException&) {
        writeRawError(socket, 408, "request_timeout", "the request head did not arrive in time");
        return;
      }
      if (hub_->expired(ticket_)) {
        // Cut at the deadline, the parser took the end of input for the end of the head.
        writeRawError(socket, 408, "request_timeout", headTimeoutMessage());
        return;
      }
      hub_->setPhase(ticket_, ConnectionHub::Phase::kBody);
      response.setVersion(request->getVersion());
      response.setKeepAlive(hub_->params->getKeepAlive() && request->getKeepAlive() && session.canKeepAlive());
      if (request->getExpectContinue()) {
        response.sendContinue();
      }
      BodyFate fate = hub_->serve(*request, response);
      hub_->setPhase(ticket_, ConnectionHub::Phase::kIdle);
      if (fate == BodyFate::kLeftUnread || hub_->expired(ticket_)) {
        lingeringClose(socket);
        return;
      }
      session.setKeepAlive(response.getKeepAlive() && session.canKeepAlive());
      if (!response.getKeepAlive()) {
        return;
      }
    }
  }

  std::string headTimeoutMessage() const {
    return "the request head did not arrive within " + std::to_string(hub_->limits.header_timeout.count()) +
           " ms (http.header_timeout_ms)";
  }

  uint64_t ticket_ = 0;
  std::shared_ptr<ConnectionHub> hub_;
};

/// Answers 503 and closes: a connection over a limit.
class RefusedConnection : public Poco::Net::TCPServerConnection {
 public:
  RefusedConnection(const Poco::Net::StreamSocket& socket, std::string why, Poco::Net::Context::Ptr tls)
      : Poco::Net::TCPServerConnection(socket), why_(std::move(why)), tls_(std::move(tls)) {}
  void run() override {
    try {
      Poco::Net::StreamSocket s = socket();
      s.setReceiveTimeout(Poco::Timespan(1, 0));
      s.setSendTimeout(Poco::Timespan(1, 0));
      if (tls_) {
        s = Poco::Net::SecureStreamSocket::attach(s, tls_);
      }
      writeRawError(s, 503, "unavailable", why_);
      lingeringClose(s);
    } catch (const Poco::Exception&) {
      // The client is gone or its TLS handshake failed: nothing to tell it.
    }
  }

 private:
  std::string why_;
  Poco::Net::Context::Ptr tls_;
};

class ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit ConnectionFactory(std::shared_ptr<ConnectionHub> hub) : hub_(std::move(hub)) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    std::string why;
    uint64_t ticket = hub_->admit(socket, why);
    if (ticket == 0) {
      return new RefusedConnection(socket, why, hub_->tls);
    }
    auto* c = new ApiConnection(socket, hub_);
    c->setTicket(ticket);
    return c;
  }

 private:
  std::shared_ptr<ConnectionHub> hub_;
};

}  // namespace

uint64_t ConnectionHub::admit(const Poco::Net::StreamSocket& socket, std::string& why) {
  std::string client;
  try {
    client = socket.peerAddress().host().toString();
  } catch (const Poco::Exception&) {
    client = "?";  // already reset by the peer; it leaves at once
  }
  std::lock_guard lock(mu_);
  if (live_.size() >= limits.max_connections) {
    why = "the server has " + std::to_string(live_.size()) +
          " open connections, its limit (http.max_connections); retry later";
    return 0;
  }
  size_t& mine = per_client_[client];
  if (mine >= limits.max_per_client) {
    why = "this client address has " + std::to_string(mine) +
          " open connections, the limit per client (http.max_connections_per_client); reuse one or retry later";
    return 0;
  }
  ++mine;
  live_.emplace(++next_, Live{socket, client, Phase::kHead,
                              std::chrono::steady_clock::now() + limits.header_timeout, false});
  return next_;
}

void ConnectionHub::leave(uint64_t ticket) {
  std::lock_guard lock(mu_);
  auto it = live_.find(ticket);
  if (it == live_.end()) {
    return;
  }
  auto pc = per_client_.find(it->second.client);
  if (pc != per_client_.end() && --pc->second == 0) {
    per_client_.erase(pc);
  }
  live_.erase(it);
}

void ConnectionHub::setPhase(uint64_t ticket, Phase phase) {
  std::lock_guard lock(mu_);
  auto it = live_.find(ticket);
  if (it == live_.end()) {
    return;
  }
  it->second.phase = phase;
  auto now = std::chrono::steady_clock::now();
  if (phase == Phase::kHead) {
    it->second.deadline = now + limits.header_timeout;
  } else if (phase == Phase::kBody) {
    it->second.deadline = now + limits.body_timeout;
  }
}

bool ConnectionHub::expired(uint64_t ticket) {
  std::lock_guard lock(mu_);
  auto it = live_.find(ticket);
  return it != live_.end() && it->second.expired;
}

void ConnectionHub::expireOverdue() {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  for (auto& [ticket, live] : live_) {
    bool timed = live.phase == Phase::kHead || live.phase == Phase::kBody;
    if (!timed || live.expired || now < live.deadline) {
      continue;
    }
    live.expired = true;
    try {
      live.socket.shutdownReceive();
    } catch (const Poco::Exception&) {
      // Already closed by its connection.
    }
  }
}

size_t ConnectionHub::liveCount() {
  std::lock_guard lock(mu_);
  return live_.size();
}

void markRequestHandling() {
  if (t_current.hub != nullptr) {
    t_current.hub->setPhase(t_current.ticket, ConnectionHub::Phase::kHandling);
  }
}

void markRequestBody() {
  if (t_current.hub != nullptr) {
    t_current.hub->setPhase(t_current.ticket, ConnectionHub::Phase::kBody);
  }
}

void ConnectionHub::abort(bool idle_only) {
  std::lock_guard lock(mu_);
  for (auto& [ticket, live] : live_) {
    if (idle_only && live.phase != Phase::kIdle) {
      continue;
    }
    try {
      live.socket.shutdown();
    } catch (const Poco::Exception&) {
      // Already closed by its connection.
    }
  }
}

Poco::Net::TCPServerConnectionFactory::Ptr makeConnectionFactory(std::shared_ptr<ConnectionHub> hub) {
  return new ConnectionFactory(std::move(hub));
}

bool discardBody(Poco::Net::HTTPServerRequest& request, int64_t limit) {
  if (!request.hasContentLength() && !request.getChunkedTransferEncoding()) {
    return true;
  }
  std::istream& in = request.stream();
  char buf[16384];
  int64_t dropped = 0;
  while (true) {
    if (dropped >= limit) {
      return in.good() && in.peek() == std::char_traits<char>::eof();
    }
    in.read(buf, static_cast<std::streamsize>(std::min<int64_t>(sizeof buf, limit - dropped)));
    if (in.gcount() <= 0) {
      break;
    }
    dropped += in.gcount();
    if (!in) {
      break;
    }
  }
  // A stream error (timeout, reset, bad chunk) leaves the framing unknown.
  return !in.bad();
}

std::string newRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[24];
  std::snprintf(buf, sizeof buf, "req_%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace streamhost::api
