#include "support/http_client.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>

#include <cstdio>
#include <strings.h>

namespace streamhost::testing {
namespace {

Json fromVar(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) {
    return Json();
  }
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto obj = v.extract<Poco::JSON::Object::Ptr>();
    std::vector<std::string> names;
    obj->getNames(names);
    std::vector<std::pair<std::string, Json>> members;
    for (const auto& n : names) {
      members.emplace_back(n, fromVar(obj->get(n)));
    }
    return Json::makeObject(std::move(members));
  }
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    auto arr = v.extract<Poco::JSON::Array::Ptr>();
    std::vector<Json> items;
    for (size_t i = 0; i < arr->size(); ++i) {
      items.push_back(fromVar(arr->get(static_cast<unsigned>(i))));
    }
    return Json::makeArray(std::move(items));
  }
  if (v.isBoolean()) {
    return Json::makeBool(v.convert<bool>());
  }
  if (v.isString()) {
    return Json::makeString(v.convert<std::string>());
  }
  if (v.isInteger()) {
    return Json::makeInt(v.convert<int64_t>());
  }
  if (v.isNumeric()) {
    return Json::makeDouble(v.convert<double>());
  }
  return Json::makeString(v.convert<std::string>());
}

const Json& nullJson() {
  static const Json kNull;
  return kNull;
}

}  // namespace

std::optional<Json> Json::parse(const std::string& text, std::string* error) {
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return fromVar(parser.parse(text));
  } catch (const Poco::Exception& e) {
    if (error != nullptr) {
      *error = e.displayText();
    }
  } catch (const std::exception& e) {
    if (error != nullptr) {
      *error = e.what();
    }
  }
  return std::nullopt;
}

Json Json::makeBool(bool b) {
  Json j;
  j.type_ = Type::kBool;
  j.bool_ = b;
  return j;
}

Json Json::makeInt(int64_t i) {
  Json j;
  j.type_ = Type::kInt;
  j.int_ = i;
  j.double_ = static_cast<double>(i);
  return j;
}

Json Json::makeDouble(double d) {
  Json j;
  j.type_ = Type::kDouble;
  j.double_ = d;
  j.int_ = static_cast<int64_t>(d);
  return j;
}

Json Json::makeString(std::string s) {
  Json j;
  j.type_ = Type::kString;
  j.str_ = std::move(s);
  return j;
}

Json Json::makeArray(std::vector<Json> items) {
  Json j;
  j.type_ = Type::kArray;
  j.items_ = std::move(items);
  return j;
}

Json Json::makeObject(std::vector<std::pair<std::string, Json>> members) {
  Json j;
  j.type_ = Type::kObject;
  for (auto& [k, v] : members) {
    j.keys_.push_back(k);
    j.items_.push_back(std::move(v));
  }
  return j;
}

const Json& Json::operator[](const std::string& key) const {
  if (type_ == Type::kObject) {
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == key) {
        return items_[i];
      }
    }
  }
  return nullJson();
}

const Json& Json::operator[](size_t i) const {
  if (type_ == Type::kArray && i < items_.size()) {
    return items_[i];
  }
  return nullJson();
}

bool Json::has(const std::string& key) const {
  for (const auto& k : keys_) {
    if (k == key) {
      return true;
    }
  }
  return false;
}

int64_t Json::integer() const { return isNumber() ? int_ : 0; }

double Json::number() const { return isNumber() ? double_ : 0.0; }

std::string Json::dump() const {
  switch (type_) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return bool_ ? "true" : "false";
    case Type::kInt:
      return std::to_string(int_);
    case Type::kDouble: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", double_);
      return buf;
    }
    case Type::kString:
      return jsonQuote(str_);
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < items_.size(); ++i) {
        out += (i ? "," : "") + items_[i].dump();
      }
      return out + "]";
    }
    case Type::kObject: {
      std::string out = "{";
      for (size_t i = 0; i < items_.size(); ++i) {
        out += (i ? "," : "") + jsonQuote(keys_[i]) + ":" + items_[i].dump();
      }
      return out + "}";
    }
  }
  return "null";
}

std::string jsonQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::optional<std::string> HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) {
      return v;
    }
  }
  return std::nullopt;
}

std::string HttpResponse::describe() const {
  if (status == 0) {
    return "no response: " + error;
  }
  constexpr size_t kMax = 2000;
  return "HTTP " + std::to_string(status) + " " + (body.size() > kMax ? body.substr(0, kMax) + "..." : body);
}

HttpClient::HttpClient(std::string host, uint16_t port, std::string api_key)
    : host_(std::move(host)), port_(port), api_key_(std::move(api_key)) {}

HttpResponse HttpClient::request(const std::string& method, const std::string& path, const std::string& body,
                                 const HeaderList& headers, const std::string& content_type) const {
  HttpResponse out;
  try {
    Poco::Net::HTTPClientSession session(host_, port_);
    session.setTimeout(Poco::Timespan(timeout_ms_ * 1000));
    session.setKeepAlive(false);
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(false);
    if (!api_key_.empty()) {
      req.set("Authorization", "Bearer " + api_key_);
    }
    bool sends_body = !body.empty() || (method != "GET" && method != "HEAD" && method != "DELETE");
    if (sends_body) {
      // Without a length the server would read a POST body until the connection closes.
      req.setContentLength64(static_cast<Poco::Int64>(body.size()));
      if (!content_type.empty()) {
        req.setContentType(content_type);
      }
    }
    for (const auto& [k, v] : headers) {
      req.set(k, v);
    }
    std::ostream& os = session.sendRequest(req);
    os.write(body.data(), static_cast<std::streamsize>(body.size()));
    Poco::Net::HTTPResponse resp;
    std::istream& is = session.receiveResponse(resp);
    Poco::StreamCopier::copyToString(is, out.body);
    out.status = static_cast<int>(resp.getStatus());
    for (const auto& [k, v] : resp) {
      out.headers.emplace_back(k, v);
    }
  } catch (const Poco::Exception& e) {
    out.status = 0;
    out.error = e.displayText();
    return out;
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
    return out;
  }
  if (auto j = Json::parse(out.body)) {
    out.json = std::move(*j);
    out.json_ok = true;
  }
  return out;
}

}  // namespace streamhost::testing
