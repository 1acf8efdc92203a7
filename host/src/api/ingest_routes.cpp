#include "api/ingest_routes.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "api/json.h"

namespace streamhost::api {
namespace {

// Seconds a sender should wait before retrying a stream that is not running.
constexpr int kNotRunningRetrySeconds = 5;

ApiResponse withRetryAfter(ApiResponse r, int seconds) {
  r.headers.emplace_back("Retry-After", std::to_string(seconds));
  return r;
}

/// A plugin's error answer in the API's envelope: the contract's code for the
/// status, the plugin's message and field, and the plugin's own code, where it
/// differs, as `reason`. Third-party plugins cannot widen the set of codes.
ApiResponse normalizedError(int status, const std::string& body, const std::string& request_id) {
  std::string message = "the push source refused the request";
  std::string field;
  std::string reason;
  try {
    auto v = Poco::JSON::Parser().parse(body);
    auto obj = v.extract<Poco::JSON::Object::Ptr>();
    if (auto err = obj->getObject("error")) {
      message = err->optValue<std::string>("message", message);
      field = err->optValue<std::string>("field", "");
      reason = err->optValue<std::string>("reason", err->optValue<std::string>("code", ""));
    }
  } catch (const Poco::Exception&) {
    // Not a JSON error body: the status alone speaks.
  }
  const char* code = errorCodeForHttpStatus(status);
  return errorResponse(status, code, message, field, request_id, reason == code ? "" : reason);
}

class IngestRoute {
 public:
  explicit IngestRoute(IngestRouteDeps deps) : deps_(deps) {}

  ApiResponse handle(ApiRequest& req) const {
    const std::string id = req.params["stream_id"];
    // Ingest has no API key, so the per-stream bucket is what stands between
    // a flood and the push source (and the journal behind it).
    if (deps_.limiter != nullptr && deps_.limiter->enabled()) {
      RateLimiter::Decision d = deps_.limiter->take("ingest:" + id);
      if (!d.allowed) {
        if (deps_.metrics != nullptr && deps_.metrics->findStream(id)) {
          count(id, runtime::IngestOutcome::kThrottled);
        }
        return withRetryAfter(errorResponse(429, "rate_limited",
                                            "stream " + id + " takes at most limits.ingest_requests_per_second "
                                            "requests; retry after " + std::to_string(d.retry_after) + " s",
                                            "", req.request_id, "rate_limit"),
                              static_cast<int>(d.retry_after));
      }
    }
    plugins::PushRequest push;
    push.method = req.method;
    push.query = req.raw_query;
    push.content_type = req.content_type;
    push.headers = req.headers;
    push.body = std::move(req.body);
    push.remote_addr = req.remote_addr;
    push.received_at_ms = deps_.clock->nowMillis();
    auto result = deps_.streams->push(id, push);
    if (!result) {
      return refused(id, result.status(), req.request_id);
    }
    count(id, runtime::outcomeOfStatus(result->http_status));
    ApiResponse r;
    r.status = result->http_status;
    r.body = result->body.empty() ? "{}" : result->body;
    if (r.status >= 400) {
      r = normalizedError(r.status, r.body, req.request_id);
    }
    if (result->retry_after_seconds > 0) {
      r.headers.emplace_back("Retry-After", std::to_string(result->retry_after_seconds));
    }
    return r;
  }

 private:
  ApiResponse refused(const std::string& id, const Status& s, const std::string& request_id) const {
    switch (s.code()) {
      case StatusCode::kNotFound: {
        auto row = deps_.streams->get(id);
        if (!row) {
          return errorResponse(404, "not_found", "no stream " + id + " accepts ingest requests", "", request_id);
        }
        count(id, runtime::IngestOutcome::kUnavailable);
        return withRetryAfter(errorResponse(503, "unavailable",
                                                 "stream " + id + " is " + row->status + "; it takes requests while running",
                                                 "", request_id, "not_running"),
                              kNotRunningRetrySeconds);
      }
      case StatusCode::kInvalidState:
        count(id, runtime::IngestOutcome::kUnavailable);
        return withRetryAfter(errorResponse(503, "unavailable", s.message(), "", request_id, "not_running"),
                              kNotRunningRetrySeconds);
      case StatusCode::kBackpressure:
        count(id, runtime::IngestOutcome::kThrottled);
        return withRetryAfter(errorResponse(429, "rate_limited", s.message(), "", request_id, "queue_full"), 1);
      case StatusCode::kTransient:
        count(id, runtime::IngestOutcome::kUnavailable);
        return withRetryAfter(errorResponse(503, "unavailable", s.message(), "", request_id, "transient"), 1);
      default:
        count(id, runtime::IngestOutcome::kRejected);
        return errorResponse(500, "internal_error", "the push source failed: " + s.message(), "", request_id);
    }
  }

  void count(const std::string& id, runtime::IngestOutcome outcome) const { deps_.streams->countIngest(id, outcome); }

  IngestRouteDeps deps_;
};

}  // namespace

void addIngestRoutes(Router& router, IngestRouteDeps deps) {
  auto route = std::make_shared<IngestRoute>(deps);
  router.add({"POST", "/ingest/{stream_id}", "", BodyKind::kRaw,
              [route](ApiRequest& req) { return route->handle(req); }});
}

}  // namespace streamhost::api
