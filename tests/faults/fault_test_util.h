#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integration/stream_test_helpers.h"
#include "support/daemon_harness.h"
#include "support/http_client.h"

namespace streamhost::testing {

/// The shim's path (tests/faults/fault_shim.c), built beside these tests.
inline std::string faultShim() { return STREAMHOST_TEST_FAULT_SHIM; }

/// Attributes of a pipeline as GET /api/pipelines/{id} answers them.
inline Json pipelineAttributes(const HttpClient& c, const std::string& id) {
  HttpResponse r = c.get("/api/pipelines/" + id);
  EXPECT_EQ(r.status, 200) << r.describe();
  return r.json["data"]["attributes"];
}

inline Json streamAttributes(const HttpClient& c, const std::string& id) {
  return c.get("/api/streams/" + id).json["data"]["attributes"];
}

/// Creates and starts a webhook stream taking `Authorization: Bearer t`.
inline std::string startBearerWebhook(const HttpClient& c, const std::string& name, const std::string& pipeline_id) {
  HttpResponse r = c.post("/api/streams", "{\"name\":" + jsonQuote(name) +
                                              ",\"sourceType\":\"webhook\",\"pipelineId\":" + jsonQuote(pipeline_id) +
                                              R"(,"config":{"auth":{"scheme":"bearer","tokens":["t"]}}})");
  EXPECT_EQ(r.status, 201) << r.describe();
  const std::string id = r.json["data"]["id"].str();
  EXPECT_EQ(c.post("/api/streams/" + id + "/start").status, 200);
  EXPECT_TRUE(waitForStatus(c, id, "running"));
  return id;
}

inline HttpResponse ingest(const DaemonHarness& d, const std::string& id, const std::string& body) {
  HttpClient c = d.clientWithKey("");
  c.setTimeoutMs(20000);
  return c.request("POST", "/ingest/" + id, body, {{"Authorization", "Bearer t"}}, "application/json");
}

}  // namespace streamhost::testing
