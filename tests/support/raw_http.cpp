#include "support/raw_http.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>

#include <strings.h>

#include <streamhost/sdk/utf8.hpp>

namespace streamhost::testing {

RawHttpConnection::RawHttpConnection(const std::string& host, uint16_t port, int64_t timeout_ms)
    : socket_(Poco::Net::SocketAddress(host, port)) {
  socket_.setReceiveTimeout(Poco::Timespan(timeout_ms * 1000));
}

void RawHttpConnection::send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    sent += static_cast<size_t>(socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent)));
  }
}

bool RawHttpConnection::fill() {
  char tmp[16384];
  try {
    int n = socket_.receiveBytes(tmp, sizeof tmp);
    if (n <= 0) {
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  } catch (const Poco::Exception&) {
    return false;
  }
}

HttpResponse RawHttpConnection::readResponse() {
  HttpResponse out;
  size_t head_end = std::string::npos;
  while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      out.error = "connection closed or timed out before an answer; had: " + buf_;
      return out;
    }
  }
  std::string head = buf_.substr(0, head_end);
  buf_.erase(0, head_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    out.error = "not an HTTP answer: " + status_line;
    return out;
  }
  out.status = std::stoi(status_line.substr(9, 3));
  size_t length = 0;
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    end = end == std::string::npos ? head.size() : end;
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (strcasecmp(name.c_str(), "Content-Length") == 0) {
        length = std::stoul(value);
      }
      out.headers.emplace_back(name, value);
    }
    pos = end + 2;
  }
  while (buf_.size() < length) {
    if (!fill()) {
      out.error = "connection closed in the middle of the body";
      out.status = 0;
      return out;
    }
  }
  out.body = buf_.substr(0, length);
  buf_.erase(0, length);
  if (auto j = Json::parse(out.body)) {
    out.json = std::move(*j);
    out.json_ok = true;
  }
  return out;
}

bool RawHttpConnection::closedByPeer() {
  if (!buf_.empty()) {
    return false;
  }
  char c = 0;
  try {
    return socket_.receiveBytes(&c, 1) == 0;
  } catch (const Poco::Net::ConnectionResetException&) {
    return true;
  } catch (const Poco::Exception&) {
    return false;
  }
}

bool isValidUtf8(const std::string& text) { return sdk::isValidUtf8(text); }

}  // namespace streamhost::testing
