#include "api/json.h"

#include <Poco/JSON/Parser.h>

#include <ctime>

#include "common/json_writer.h"
#include "common/json_syntax.h"

namespace streamhost::api {
namespace {

// Every response body goes through JsonWriter, so the one UTF-8 check there
// covers messages, ids, names and plugin text alike.
void writeVar(JsonWriter& w, const Poco::Dynamic::Var& v);

void writeObject(JsonWriter& w, const Poco::JSON::Object& o) {
  w.beginObject();
  for (const auto& name : o.getNames()) {
    w.key(name);
    writeVar(w, o.get(name));
  }
  w.endObject();
}

void writeArray(JsonWriter& w, const Poco::JSON::Array& a) {
  w.beginArray();
  for (const auto& item : a) {
    writeVar(w, item);
  }
  w.endArray();
}

void writeVar(JsonWriter& w, const Poco::Dynamic::Var& v) {
  const std::type_info& t = v.type();
  if (v.isEmpty()) {
    w.null();
  } else if (t == typeid(Poco::JSON::Object::Ptr)) {
    const auto& o = v.extract<Poco::JSON::Object::Ptr>();
    o ? writeObject(w, *o) : (void)w.null();
  } else if (t == typeid(Poco::JSON::Array::Ptr)) {
    const auto& a = v.extract<Poco::JSON::Array::Ptr>();
    a ? writeArray(w, *a) : (void)w.null();
  } else if (t == typeid(Poco::JSON::Object)) {
    writeObject(w, v.extract<Poco::JSON::Object>());
  } else if (t == typeid(Poco::JSON::Array)) {
    writeArray(w, v.extract<Poco::JSON::Array>());
  } else if (t == typeid(std::string)) {
    w.string(v.extract<std::string>());
  } else if (t == typeid(bool)) {
    w.boolean(v.extract<bool>());
  } else if (v.isInteger()) {
    v.isSigned() ? (void)w.number(v.convert<int64_t>()) : (void)w.number(v.convert<uint64_t>());
  } else if (v.isNumeric()) {
    w.number(v.convert<double>());
  } else {
    w.string(v.convert<std::string>());
  }
}

}  // namespace

JsonObject newObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }
JsonArray newArray() { return new Poco::JSON::Array(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string toJson(const Poco::Dynamic::Var& value) {
  JsonWriter w;
  writeVar(w, value);
  return w.take();
}

Result<Poco::Dynamic::Var> parseJson(const std::string& text) {
  if (auto err = checkJsonSyntax(text)) {
    return invalidArgument("malformed JSON: " + err->describe(), "body");
  }
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text);
  } catch (const Poco::Exception& e) {
    // Syntax was checked; what is left is e.g. an integer too large for 64 bits.
    return invalidArgument("malformed JSON: " + e.message(), "body");
  }
}

Result<JsonObject> parseJsonObject(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalidArgument("request body is empty; a JSON object is required", "body");
  }
  auto v = parseJson(body);
  if (!v) {
    return v.status();
  }
  if (v->type() != typeid(Poco::JSON::Object::Ptr)) {
    return invalidArgument("request body must be a JSON object", "body");
  }
  return v->extract<Poco::JSON::Object::Ptr>();
}

ApiResponse jsonResponse(int http_status, const Poco::Dynamic::Var& body) {
  ApiResponse r;
  r.status = http_status;
  r.body = toJson(body);
  return r;
}

ApiResponse errorResponse(int http_status, const std::string& code, const std::string& message,
                          const std::string& field, const std::string& request_id, const std::string& reason) {
  JsonObject e = newObject();
  e->set("code", code);
  e->set("message", message);
  if (!field.empty()) {
    e->set("field", field);
  }
  if (!reason.empty()) {
    e->set("reason", reason);
  }
  e->set("request_id", request_id);
  JsonObject root = newObject();
  root->set("error", e);
  return jsonResponse(http_status, root);
}

int httpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidConfig:
    case StatusCode::kUnsupported: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kConflict:
    case StatusCode::kBusy:
    case StatusCode::kInvalidState: return 409;
    case StatusCode::kGone: return 410;
    case StatusCode::kNotImplemented: return 501;
    case StatusCode::kTransient:
    case StatusCode::kBackpressure: return 503;
    case StatusCode::kFatal:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

const char* errorCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidConfig:
    case StatusCode::kUnsupported: return "validation_error";
    case StatusCode::kUnauthenticated: return "unauthorized";
    case StatusCode::kPermissionDenied: return "forbidden";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kAlreadyExists:
    case StatusCode::kConflict:
    case StatusCode::kBusy: return "conflict";
    case StatusCode::kInvalidState: return "invalid_state";
    case StatusCode::kGone: return "gone";
    case StatusCode::kNotImplemented: return "not_implemented";
    case StatusCode::kTransient:
    case StatusCode::kBackpressure: return "unavailable";
    default: return "internal_error";
  }
}

const char* errorCodeForHttpStatus(int status) {
  switch (status) {
    case 400: return "validation_error";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 409: return "conflict";
    case 410: return "gone";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 429: return "rate_limited";
    case 501: return "not_implemented";
    case 503: return "unavailable";
    default: return status < 500 ? "validation_error" : "internal_error";
  }
}

ApiResponse statusResponse(const Status& status, const std::string& request_id) {
  return errorResponse(httpStatusFor(status.code()), errorCodeFor(status.code()), status.message(), status.field(),
                       request_id);
}

JsonObject resourceObject(const std::string& type, const std::string& id, const JsonObject& attributes) {
  JsonObject d = newObject();
  d->set("id", id);
  d->set("type", type);
  d->set("attributes", attributes);
  return d;
}

ApiResponse resourceResponse(int http_status, const std::string& type, const std::string& id,
                             const JsonObject& attributes, const JsonObject& meta) {
  JsonObject root = newObject();
  root->set("data", resourceObject(type, id, attributes));
  if (meta) {
    root->set("meta", meta);
  }
  return jsonResponse(http_status, root);
}

std::string formatTime(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(unix_ms % 1000));
  return out;
}

}  // namespace streamhost::api
