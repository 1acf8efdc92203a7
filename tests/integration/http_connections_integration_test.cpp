// Many clients at once, as the server sees them over real sockets: idle
// keep-alive connections and long-polls hold only their own thread, slow heads
// and bodies are cut at their deadlines, and connections over a limit get a
// 503 at once instead of waiting in a queue.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "integration/stream_test_helpers.h"
#include "support/raw_http.h"

namespace streamhost::testing {
namespace {

using namespace std::chrono_literals;

std::string get(const std::string& path, const std::string& key = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         (key.empty() ? std::string() : "Authorization: Bearer " + key + "\r\n") + "\r\n";
}

std::vector<std::unique_ptr<RawHttpConnection>> openIdle(uint16_t port, size_t n) {
  std::vector<std::unique_ptr<RawHttpConnection>> conns;
  for (size_t i = 0; i < n; ++i) {
    auto c = std::make_unique<RawHttpConnection>("127.0.0.1", port, 20000);
    c->send(get("/healthz"));
    HttpResponse r = c->readResponse();
    EXPECT_EQ(r.status, 200) << "connection " << i << ": " << r.error;
    conns.push_back(std::move(c));
  }
  return conns;
}

TEST(HttpConnectionsTest, IdleKeepAliveConnectionsAndLongPollsDoNotHoldUpOthers) {
  DaemonHarness daemon(DaemonOptions{{"--set", "limits.api_requests_per_second=0"}});
  ASSERT_TRUE(daemon.start());
  HttpClient api = daemon.client();
  api.setTimeoutMs(5000);

  // 200 keep-alive connections that made a request and now sit idle.
  auto idle = openIdle(daemon.port(), 200);
  EXPECT_EQ(api.get("/api/streams").status, 200) << "a new client waited behind idle connections";

  // 100 long-polls waiting for the next record, and a webhook sender.
  std::string pl = createPipeline(api, "conns");
  HttpResponse created = api.post("/api/streams", "{\"name\":\"hook\",\"sourceType\":\"webhook\",\"pipelineId\":" +
                                                     jsonQuote(pl) + ",\"config\":{\"auth\":{\"scheme\":\"none\"}}}");
  ASSERT_EQ(created.status, 201) << created.describe();
  std::string hook = created.json["data"]["id"].str();
  ASSERT_EQ(api.post("/api/streams/" + hook + "/start").status, 200);
  ASSERT_TRUE(waitForStatus(api, hook, "running"));
  std::vector<std::unique_ptr<RawHttpConnection>> polls;
  for (int i = 0; i < 100; ++i) {
    polls.push_back(std::make_unique<RawHttpConnection>("127.0.0.1", daemon.port(), 20000));
    polls.back()->send(get("/api/pipelines/" + pl + "/events?after=0&wait_ms=15000", daemon.adminKey()));
  }
  std::this_thread::sleep_for(200ms);  // the polls are waiting in the server
  HttpResponse accepted = daemon.clientWithKey("").request("POST", "/ingest/" + hook, R"({"a":1})");
  EXPECT_EQ(accepted.status, 202) << accepted.describe() << accepted.error;
  // Each long-poll is then answered with that record.
  for (auto& p : polls) {
    HttpResponse r = p->readResponse();
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.json["data"].size(), 1u) << r.body;
  }
  // The idle connections still serve requests.
  for (size_t i = 0; i < idle.size(); i += 20) {
    idle[i]->send(get("/healthz"));
    EXPECT_EQ(idle[i]->readResponse().status, 200);
  }
}

TEST(HttpConnectionsTest, ConnectionsOverTheServerLimitAre503AtOnce) {
  DaemonHarness daemon(DaemonOptions{{"--set", "http.max_connections=12"}});
  ASSERT_TRUE(daemon.start());
  auto held = openIdle(daemon.port(), 12);
  RawHttpConnection extra("127.0.0.1", daemon.port(), 5000);
  extra.send(get("/healthz"));
  HttpResponse r = extra.readResponse();
  EXPECT_EQ(r.status, 503) << r.error;
  EXPECT_EQ(r.errorCode(), "unavailable") << r.body;
  EXPECT_NE(r.body.find("http.max_connections"), std::string::npos) << r.body;
  EXPECT_TRUE(extra.closedByPeer());

  held.pop_back();  // one leaves; a newcomer is served again
  EXPECT_TRUE(pollUntil(
      [&] {
        RawHttpConnection again("127.0.0.1", daemon.port(), 5000);
        again.send(get("/healthz"));
        return again.readResponse().status == 200;
      },
      5s));
}

TEST(HttpConnectionsTest, ConnectionsOverTheClientLimitAre503) {
  DaemonHarness daemon(DaemonOptions{{"--set", "http.max_connections_per_client=5"}});
  ASSERT_TRUE(daemon.start());
  auto held = openIdle(daemon.port(), 5);
  RawHttpConnection extra("127.0.0.1", daemon.port(), 5000);
  extra.send(get("/healthz"));
  HttpResponse r = extra.readResponse();
  EXPECT_EQ(r.status, 503) << r.error;
  EXPECT_NE(r.body.find("http.max_connections_per_client"), std::string::npos) << r.body;
}

// A client that sends its request a byte at a time, never stalling long
// enough for the per-read timeout, is cut at the whole head's or body's deadline.
TEST(HttpConnectionsTest, SlowHeadsAndBodiesAreAnswered408AtTheirDeadline) {
  DaemonHarness daemon(DaemonOptions{{"--set", "http.header_timeout_ms=600", "--set", "http.body_timeout_ms=600",
                                      "--set", "limits.http_read_timeout_ms=5000"}});
  ASSERT_TRUE(daemon.start());

  auto drip = [](RawHttpConnection& c, std::string first, std::atomic<bool>& stop) {
    return std::thread([&c, first, &stop] {
      try {
        c.send(first);
        while (!stop) {
          c.send("X");
          std::this_thread::sleep_for(100ms);
        }
      } catch (const std::exception&) {
        // The server closed the connection.
      }
    });
  };
  // Slowloris: many slow heads at once do not block a normal client meanwhile.
  std::vector<std::unique_ptr<RawHttpConnection>> slow;
  std::vector<std::thread> drips;
  std::atomic<bool> stop{false};
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawHttpConnection>("127.0.0.1", daemon.port(), 10000));
    drips.push_back(drip(*slow.back(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", stop));
  }
  HttpClient api = daemon.client();
  api.setTimeoutMs(5000);
  EXPECT_EQ(api.get("/api/streams").status, 200);

  RawHttpConnection body("127.0.0.1", daemon.port(), 10000);
  drips.push_back(drip(body,
                       "POST /api/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Authorization: Bearer " + daemon.adminKey() + "\r\nContent-Length: 1000\r\n\r\n",
                       stop));

  HttpResponse head_answer = slow.front()->readResponse();
  EXPECT_EQ(head_answer.status, 408) << head_answer.error;
  EXPECT_EQ(head_answer.errorCode(), "request_timeout") << head_answer.body;
  EXPECT_NE(head_answer.body.find("600 ms"), std::string::npos) << head_answer.body;
  HttpResponse body_answer = body.readResponse();
  EXPECT_EQ(body_answer.status, 408) << body_answer.error;
  EXPECT_EQ(body_answer.errorCode(), "request_timeout") << body_answer.body;
  stop = true;
  for (auto& t : drips) {
    t.join();
  }
}

}  // namespace
}  // namespace streamhost::testing
