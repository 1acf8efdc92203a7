#include "ingress/ingest_routes.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "api/json.h"

namespace streamhost::ingress {
namespace {

// Seconds a sender should wait before retrying a stream that is not running.
constexpr int kNotRunningRetrySeconds = 5;

api::ApiResponse withRetryAfter(api::ApiResponse r, int seconds) {
  r.headers.emplace_back("Retry-After", std::to_string(seconds));
  return r;
}

/// A plugin's error answer in the API's envelope: the contract's code for the
/// status, the plugin's message and field, and the plugin's own code, where it
/// differs, as `reason`. Third-party plugins cannot widen the set of codes.
api::ApiResponse normalizedError(int status, const std::string& body, const std::string& request_id) {
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
  const char* code = api::errorCodeForHttpStatus(status);
  return api::errorResponse(status, code, message, field, request_id, reason == code ? "" : reason);
}

class IngestRoute {
 public:
  explicit IngestRoute(IngestRouteDeps deps) : deps_(deps) {}

  api::ApiResponse handle(api::ApiRequest& req) const {
    const std::string id = req.params["stream_id"];
    plugins::PushRequest push;
    push.method = req.method;
    push.query = req.raw_query;
    push.content_type = req.content_type;
    push.headers = req.headers;
    push.body = std::move(req.body);
    push.remote_addr = req.remote_addr;
    push.received_at_ms = deps_.clock->nowMillis();
    auto result = deps_.runtime->push(id, push);
    if (!result) {
      return refused(id, result.status(), req.request_id);
    }
    count(id, outcomeOfStatus(result->http_status));
    api::ApiResponse r;
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
  api::ApiResponse refused(const std::string& id, const Status& s, const std::string& request_id) const {
    switch (s.code()) {
      case StatusCode::kNotFound: {
        auto row = deps_.streams->get(id);
        if (!row) {
          return api::errorResponse(404, "not_found", "no stream " + id + " accepts ingest requests", "", request_id);
        }
        count(id, IngestOutcome::kUnavailable);
        return withRetryAfter(api::errorResponse(503, "unavailable",
                                                 "stream " + id + " is " + row->status + "; it takes requests while running",
                                                 "", request_id, "not_running"),
                              kNotRunningRetrySeconds);
      }
      case StatusCode::kInvalidState:
        count(id, IngestOutcome::kUnavailable);
        return withRetryAfter(api::errorResponse(503, "unavailable", s.message(), "", request_id, "not_running"),
                              kNotRunningRetrySeconds);
      case StatusCode::kBackpressure:
        count(id, IngestOutcome::kThrottled);
        return withRetryAfter(api::errorResponse(429, "rate_limited", s.message(), "", request_id, "queue_full"), 1);
      case StatusCode::kTransient:
        count(id, IngestOutcome::kUnavailable);
        return withRetryAfter(api::errorResponse(503, "unavailable", s.message(), "", request_id, "transient"), 1);
      default:
        count(id, IngestOutcome::kRejected);
        return api::errorResponse(500, "internal_error", "the push source failed: " + s.message(), "", request_id);
    }
  }

  void count(const std::string& id, IngestOutcome outcome) const {
    deps_.runtime->ingestCounters().add(id, outcome);
    auto m = deps_.metrics->findStream(id);
    if (!m) {
      return;
    }
    int64_t now = deps_.clock->nowMillis();
    m->addRequest(now, outcome);
    if (outcome == IngestOutcome::kUnauthorized) {
      m->addError(now, metrics::ErrorKind::kUnauthorized);
    } else if (outcome == IngestOutcome::kRejected) {
      m->addError(now, metrics::ErrorKind::kRejected);
    } else if (outcome == IngestOutcome::kThrottled) {
      m->addError(now, metrics::ErrorKind::kThrottled);
    }
  }

  IngestRouteDeps deps_;
};

}  // namespace

void addIngestRoutes(api::Router& router, IngestRouteDeps deps) {
  auto route = std::make_shared<IngestRoute>(deps);
  router.add({"POST", "/ingest/{stream_id}", "", api::BodyKind::kRaw,
              [route](api::ApiRequest& req) { return route->handle(req); }});
}

}  // namespace streamhost::ingress
