#include "ingest_handler.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <set>
#include <streamhost/plugin_sdk.hpp>

#include "body.h"

namespace streamhost::plugins::webhook {
namespace {

// A pending id whose request never reached commit or abort (the host died
// between them) is forgotten after this long.
constexpr int64_t kPendingLimitMs = 5 * 60 * 1000;

std::string stateKey(const std::string& id) { return "evt:" + id; }

}  // namespace

std::string errorBody(std::string_view code, std::string_view message, std::string_view reason) {
  std::string body = "{\"error\":{\"code\":" + sdk::jsonQuote(code) + ",\"message\":" + sdk::jsonQuote(message);
  if (!reason.empty()) {
    body += ",\"reason\":" + sdk::jsonQuote(reason);
  }
  return body + "}}";
}

IngestHandler::IngestHandler(WebhookConfig config, StateStore& state) : config_(std::move(config)), state_(state) {}

void IngestHandler::start(std::string_view resume_offset) {
  last_ms_ = 0;
  counter_ = 0;
  size_t dash = resume_offset.find('-');
  if (dash == std::string_view::npos) {
    return;
  }
  int64_t ms = 0;
  uint64_t n = 0;
  auto a = std::from_chars(resume_offset.data(), resume_offset.data() + dash, ms);
  auto b = std::from_chars(resume_offset.data() + dash + 1, resume_offset.data() + resume_offset.size(), n);
  if (a.ec == std::errc() && b.ec == std::errc()) {
    last_ms_ = ms;
    counter_ = n;
  }
}

std::string IngestHandler::nextOffset(int64_t received_ms) {
  last_ms_ = std::max(last_ms_, received_ms);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%013" PRId64 "-%010" PRIu64, last_ms_, ++counter_);
  return buf;
}

void IngestHandler::dropStale(int64_t now_ms) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now_ms - it->second.created_ms > kPendingLimitMs) {
      for (const auto& id : it->second.ids) {
        pending_ids_.erase(id);
      }
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

Answer IngestHandler::handle(const IncomingRequest& req, int64_t now_ms, std::vector<OutRecord>& out) {
  out.clear();
  if (static_cast<int64_t>(req.body.size()) > config_.max_body_bytes) {
    return {413, 0,
            errorBody("payload_too_large", "the body exceeds max_body_bytes (" +
                                               std::to_string(config_.max_body_bytes) + ")")};
  }
  if (auto why = verifyRequest(config_.auth, req.header, req.body, now_ms)) {
    return {401, 0, errorBody("unauthorized", *why)};
  }
  // Without an event-id pointer, schemes whose senders name each delivery
  // in a header dedup by it (a redelivery carries the same id).
  const char* id_header = !config_.event_id.empty()                        ? nullptr
                          : config_.auth.scheme == AuthScheme::kStandard ? "webhook-id"
                          : config_.auth.scheme == AuthScheme::kGithub   ? "X-GitHub-Delivery"
                                                                          : nullptr;
  BodyError error;
  auto records = parseBody(req.content_type, req.body, config_.event_id, error,
                           static_cast<size_t>(config_.max_records_per_request));
  if (!records) {
    const char* code = error.status == 415 ? "unsupported_media_type"
                       : error.status == 413 ? "payload_too_large"
                                             : "validation_error";
    return {error.status, 0, errorBody(code, error.message, error.status == 400 ? "invalid_body" : "")};
  }
  std::optional<std::string_view> delivery = id_header != nullptr ? req.header(id_header) : std::nullopt;
  if (delivery && !delivery->empty()) {
    std::string id(*delivery);
    for (size_t i = 0; i < records->size(); ++i) {
      (*records)[i].event_id = records->size() == 1 ? id : id + "#" + std::to_string(i);
    }
  }
  dropStale(now_ms);
  std::set<std::string> seen;
  std::vector<BodyRecord*> fresh;
  size_t duplicates = 0;
  for (auto& r : *records) {
    if (!r.event_id) {
      fresh.push_back(&r);
      continue;
    }
    if (pending_ids_.count(*r.event_id) != 0) {
      return {409, 1, errorBody("conflict", "event " + *r.event_id + " is being stored; retry shortly", "in_progress")};
    }
    if (!seen.insert(*r.event_id).second || state_.get(stateKey(*r.event_id))) {
      ++duplicates;
      continue;
    }
    fresh.push_back(&r);
  }
  if (fresh.empty()) {
    return {200, 0, "{\"status\":\"duplicate\",\"accepted\":0,\"duplicates\":" + std::to_string(duplicates) + "}"};
  }
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& name : config_.keep_headers) {
    if (auto v = req.header(name)) {
      headers.emplace_back(name, std::string(*v));
    }
  }
  Pending pending{{}, now_ms};
  for (BodyRecord* r : fresh) {
    OutRecord o;
    o.key = r->event_id.value_or("");
    o.value = std::move(r->value);
    o.offset = nextOffset(req.received_at_ms);
    o.ts_ms = req.received_at_ms;
    o.headers = headers;
    if (r->event_id) {
      pending.ids.push_back(*r->event_id);
    }
    out.push_back(std::move(o));
  }
  if (!pending.ids.empty()) {
    const std::string& last = out.back().offset;
    for (const auto& id : pending.ids) {
      pending_ids_[id] = last;
    }
    pending_[last] = std::move(pending);
  }
  return {202, 0,
          "{\"status\":\"accepted\",\"accepted\":" + std::to_string(out.size()) +
              ",\"duplicates\":" + std::to_string(duplicates) + "}"};
}

void IngestHandler::commit(std::string_view offset, int64_t now_ms) {
  // commit(offset) covers every request up to it: with requests in flight
  // together the host commits only the newest, once. Offsets sort as text in
  // arrival order, which is also journal order.
  while (!pending_.empty() && pending_.begin()->first <= offset) {
    auto it = pending_.begin();
    for (const auto& id : it->second.ids) {
      state_.put(stateKey(id), "1", config_.dedup_ttl_seconds * 1000);
      pending_ids_.erase(id);
    }
    pending_.erase(it);
  }
  dropStale(now_ms);
}

void IngestHandler::abort(std::string_view offset) {
  auto it = pending_.find(std::string(offset));
  if (it == pending_.end()) {
    return;
  }
  for (const auto& id : it->second.ids) {
    pending_ids_.erase(id);
  }
  pending_.erase(it);
}

}  // namespace streamhost::plugins::webhook
