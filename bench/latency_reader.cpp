// Follows a pipeline's events through the long-poll and measures, per record,
// how long after its row was written it became readable: now minus the row's
// `commit_ts` column (epoch seconds from clock_timestamp(), same machine clock).
// Usage: latency_reader HOST PORT KEY PIPELINE_ID RECORDS [SKIP]
// Reads until RECORDS records have arrived or a row with a negative commit_ts
// (the end mark) does; the first SKIP are left out of the figures (warm-up).
// Prints "count p50_ms p99_ms max_ms".
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace {

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: latency_reader HOST PORT KEY PIPELINE_ID RECORDS [SKIP]\n";
    return 2;
  }
  const std::string host = argv[1];
  const auto port = static_cast<Poco::UInt16>(std::atoi(argv[2]));
  const std::string key = argv[3];
  const std::string pipeline = argv[4];
  const long want = std::atol(argv[5]);
  const long skip = argc > 6 ? std::atol(argv[6]) : 0;

  Poco::Net::HTTPClientSession session(host, port);
  session.setTimeout(Poco::Timespan(60, 0));
  session.setKeepAlive(true);
  std::vector<double> lat_ms;
  lat_ms.reserve(static_cast<size_t>(want));
  long seen = 0;
  long long after = 0;
  std::string body;
  bool end = false;
  while (seen < want && !end) {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET,
                               "/api/pipelines/" + pipeline + "/events?limit=10000&wait_ms=5000&after=" +
                                   std::to_string(after),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + key);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    body.assign(std::istreambuf_iterator<char>(in), {});
    const double now = nowSeconds();
    if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      std::cerr << "events answered " << resp.getStatus() << ": " << body << "\n";
      return 1;
    }
    static const std::string kTs = "\"commit_ts\":";
    for (size_t pos = body.find(kTs); pos != std::string::npos; pos = body.find(kTs, pos + 1)) {
      const char* p = body.c_str() + pos + kTs.size();
      if (*p == '"') {
        ++p;
      }
      double ts = std::strtod(p, nullptr);
      if (ts < 0) {
        end = true;
        break;
      }
      if (seen++ >= skip) {
        lat_ms.push_back((now - ts) * 1000.0);
      }
    }
    auto na = body.find("\"next_after\":");
    if (na != std::string::npos) {
      after = std::atoll(body.c_str() + na + 13);
    }
  }
  std::vector<double> copy = lat_ms;
  double p50 = percentile(copy, 0.50);
  double p99 = percentile(copy, 0.99);
  double max = lat_ms.empty() ? 0 : *std::max_element(lat_ms.begin(), lat_ms.end());
  std::printf("%zu %.1f %.1f %.1f\n", lat_ms.size(), p50, p99, max);
  return 0;
}
