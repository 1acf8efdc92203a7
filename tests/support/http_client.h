#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamhost::testing {

/// A parsed JSON document, detached from any parser library.
/// Lookups of absent keys or indexes yield a null value, so chains such as
/// `j["data"]["attributes"]["status"].str()` never throw.
class Json {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  Json() = default;
  /// Parses `text`; nullopt (with `error` filled when given) on malformed input.
  static std::optional<Json> parse(const std::string& text, std::string* error = nullptr);

  static Json makeBool(bool b);
  static Json makeInt(int64_t i);
  static Json makeDouble(double d);
  static Json makeString(std::string s);
  static Json makeArray(std::vector<Json> items);
  static Json makeObject(std::vector<std::pair<std::string, Json>> members);

  Type type() const { return type_; }
  bool isNull() const { return type_ == Type::kNull; }
  bool isString() const { return type_ == Type::kString; }
  bool isNumber() const { return type_ == Type::kInt || type_ == Type::kDouble; }
  bool isArray() const { return type_ == Type::kArray; }
  bool isObject() const { return type_ == Type::kObject; }
  bool isBool() const { return type_ == Type::kBool; }

  /// Member `key` of an object, else null.
  const Json& operator[](const std::string& key) const;
  const Json& operator[](const char* key) const { return (*this)[std::string(key)]; }
  /// Element `i` of an array, else null.
  const Json& operator[](size_t i) const;
  bool has(const std::string& key) const;
  /// Elements of an array or members of an object; 0 otherwise.
  size_t size() const { return items_.size(); }
  /// Member names of an object, in document order.
  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<Json>& items() const { return items_; }

  /// The string value; "" for non-strings.
  const std::string& str() const { return str_; }
  /// The numeric value as an integer (doubles truncated); 0 for non-numbers.
  int64_t integer() const;
  double number() const;
  bool boolean() const { return bool_; }

  /// Compact JSON text, for failure messages.
  std::string dump() const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string str_;
  std::vector<std::string> keys_;  // object member names, parallel to items_
  std::vector<Json> items_;
};

/// Quotes and escapes `s` as a JSON string literal.
std::string jsonQuote(const std::string& s);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// One HTTP exchange as seen by the client.
struct HttpResponse {
  /// 0 when no response arrived; `error` says why.
  int status = 0;
  std::string error;
  HeaderList headers;
  std::string body;
  /// The body parsed as JSON; null when it is not JSON.
  Json json;
  bool json_ok = false;

  /// The first header named `name` (case-insensitive).
  std::optional<std::string> header(const std::string& name) const;
  /// `error.code` of an error envelope, or "".
  const std::string& errorCode() const { return json["error"]["code"].str(); }
  /// Method, status and body, for assertion messages.
  std::string describe() const;
};

/// A small blocking HTTP/1.1 client. Every request opens its own
/// connection (`Connection: close`), so one client may be used from many
/// threads and never holds the server's shutdown on an idle keep-alive.
class HttpClient {
 public:
  /// @param api_key sent as `Authorization: Bearer <key>` when not empty.
  HttpClient(std::string host, uint16_t port, std::string api_key = {});

  /// Sends `body` with `content_type` (no Content-Type when empty) plus
  /// `headers`. Never throws: transport failures come back as status 0.
  HttpResponse request(const std::string& method, const std::string& path, const std::string& body = {},
                       const HeaderList& headers = {}, const std::string& content_type = "application/json") const;

  HttpResponse get(const std::string& path, const HeaderList& headers = {}) const {
    return request("GET", path, {}, headers);
  }
  HttpResponse post(const std::string& path, const std::string& body = {}, const HeaderList& headers = {}) const {
    return request("POST", path, body, headers);
  }
  HttpResponse patch(const std::string& path, const std::string& body, const HeaderList& headers = {}) const {
    return request("PATCH", path, body, headers);
  }
  HttpResponse del(const std::string& path, const HeaderList& headers = {}) const {
    return request("DELETE", path, {}, headers);
  }

  /// The same server with another key ("" sends none).
  HttpClient withKey(std::string api_key) const { return HttpClient(host_, port_, std::move(api_key)); }
  uint16_t port() const { return port_; }
  /// Per-request timeout; long polls need more than the default 10 s.
  void setTimeoutMs(int64_t ms) { timeout_ms_ = ms; }

 private:
  std::string host_;
  uint16_t port_;
  std::string api_key_;
  int64_t timeout_ms_ = 10000;
};

}  // namespace streamhost::testing
