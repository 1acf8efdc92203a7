#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "support/daemon_harness.h"
#include "support/http_client.h"

namespace streamhost::testing {

using namespace std::chrono_literals;

/// Creates a pipeline and returns its id ("" plus a test failure when refused).
inline std::string createPipeline(const HttpClient& c, const std::string& name) {
  HttpResponse r = c.post("/api/pipelines", "{\"name\":" + jsonQuote(name) + "}");
  EXPECT_EQ(r.status, 201) << r.describe();
  return r.json["data"]["id"].str();
}

/// POSTs a datagen stream with `config_json` (an object literal).
inline HttpResponse postDatagenStream(const HttpClient& c, const std::string& name, const std::string& pipeline_id,
                                      const std::string& config_json = "{\"rate_per_second\":0,\"max_records\":0}") {
  return c.post("/api/streams", "{\"name\":" + jsonQuote(name) + ",\"sourceType\":\"datagen\",\"pipelineId\":" +
                                    jsonQuote(pipeline_id) + ",\"config\":" + config_json + "}");
}

/// Creates a datagen stream and returns its id ("" plus a test failure when refused).
inline std::string createDatagenStream(const HttpClient& c, const std::string& name, const std::string& pipeline_id,
                                       const std::string& config_json = "{\"rate_per_second\":0,\"max_records\":0}") {
  HttpResponse r = postDatagenStream(c, name, pipeline_id, config_json);
  EXPECT_EQ(r.status, 201) << r.describe();
  return r.json["data"]["id"].str();
}

inline std::string streamStatus(const HttpClient& c, const std::string& id) {
  return c.get("/api/streams/" + id).json["data"]["attributes"]["status"].str();
}

/// The stream's attributes once a source health check that began after this
/// call has run (health_checked_at moved twice), or at once in error.
inline Json attributesAfterAHealthCheck(const HttpClient& c, const std::string& id) {
  auto attributes = [&] { return c.get("/api/streams/" + id).json["data"]["attributes"]; };
  std::string before = attributes()["health_checked_at"].str();
  Json a;
  int changes = 0;
  pollUntil(
      [&] {
        a = attributes();
        std::string at = a["health_checked_at"].str();
        if (at != before) {
          before = at;
          ++changes;
        }
        return changes >= 2 || a["status"].str() == "error";
      },
      10s, std::chrono::milliseconds(50));
  return a;
}

/// Polls the stream until it has `status`; false (with the last status in the failure) on timeout.
inline ::testing::AssertionResult waitForStatus(const HttpClient& c, const std::string& id, const std::string& status,
                                                std::chrono::milliseconds timeout = 10s) {
  std::string last;
  bool ok = pollUntil(
      [&] {
        last = streamStatus(c, id);
        return last == status;
      },
      timeout);
  if (ok) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "stream " << id << " is '" << last << "', not '" << status << "' after "
                                       << timeout.count() << " ms";
}

/// One page of pipeline events after `after`.
inline HttpResponse eventsPage(const HttpClient& c, const std::string& pipeline_id, uint64_t after, int limit = 10000,
                               int wait_ms = 0) {
  std::string path = "/api/pipelines/" + pipeline_id + "/events?after=" + std::to_string(after) +
                     "&limit=" + std::to_string(limit);
  if (wait_ms > 0) {
    path += "&wait_ms=" + std::to_string(wait_ms);
  }
  return c.get(path);
}

/// Every event of the pipeline present now, oldest first.
inline std::vector<Json> allEvents(const HttpClient& c, const std::string& pipeline_id) {
  std::vector<Json> out;
  uint64_t after = 0;
  while (true) {
    HttpResponse r = eventsPage(c, pipeline_id, after);
    if (r.status != 200) {
      ADD_FAILURE() << "events of " << pipeline_id << ": " << r.describe();
      return out;
    }
    const Json& data = r.json["data"];
    if (data.size() == 0) {
      return out;
    }
    for (const auto& e : data.items()) {
      out.push_back(e);
    }
    after = static_cast<uint64_t>(r.json["meta"]["next_after"].integer());
  }
}

/// The pipeline's head sequence number.
inline int64_t headSeq(const HttpClient& c, const std::string& pipeline_id) {
  return eventsPage(c, pipeline_id, 0, 1).json["meta"]["head_seq"].integer();
}

/// Polls until the pipeline holds at least `count` events.
inline ::testing::AssertionResult waitForHead(const HttpClient& c, const std::string& pipeline_id, int64_t count,
                                              std::chrono::milliseconds timeout = 10s) {
  int64_t head = 0;
  if (pollUntil(
          [&] {
            head = headSeq(c, pipeline_id);
            return head >= count;
          },
          timeout)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "pipeline " << pipeline_id << " has " << head << " events, wanted "
                                       << count << " within " << timeout.count() << " ms";
}

/// The datagen record number carried in an event's value.
inline int64_t eventN(const Json& event) { return event["value"]["n"].integer(); }

/// Checks at-least-once delivery of one datagen stream: the numbers start at
/// 1 and never jump forward by more than one (repeats after a restart are fine).
inline ::testing::AssertionResult contiguousAtLeastOnce(const std::vector<Json>& events) {
  int64_t max_seen = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    int64_t n = eventN(events[i]);
    if (n < 1 || n > max_seen + 1) {
      return ::testing::AssertionFailure() << "event " << i << " (seq " << events[i]["seq"].integer()
                                           << ") has n=" << n << " after max n=" << max_seen << ": a gap";
    }
    max_seen = std::max(max_seen, n);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace streamhost::testing
