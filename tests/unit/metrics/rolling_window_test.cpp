#include "metrics/rolling_window.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "metrics/metrics_registry.h"
#include "metrics/stream_metrics.h"

namespace streamhost::metrics {
namespace {

TEST(RollingWindowTest, SeriesHasFixedLengthAlignedBuckets) {
  RollingWindow w(1000, 60);
  w.addEvents(10'500, 3, 30);
  w.addEvents(10'900, 2, 20);
  w.addEvents(12'100, 1, 10);
  auto s = w.series(12'500);
  ASSERT_EQ(s.size(), 60u);
  EXPECT_EQ(s.back().start_ms, 12'000);
  EXPECT_EQ(s.back().events, 1);
  EXPECT_EQ(s[s.size() - 3].start_ms, 10'000);
  EXPECT_EQ(s[s.size() - 3].events, 5);
  EXPECT_EQ(s[s.size() - 3].bytes, 50);
  EXPECT_EQ(s[s.size() - 2].events, 0);
  EXPECT_EQ(w.total(12'500).events, 6);
}

TEST(RollingWindowTest, OldDataFallsOutOfTheWindow) {
  RollingWindow w(1000, 60);
  w.addEvents(0, 7, 70);
  EXPECT_EQ(w.total(59'999).events, 7);
  EXPECT_EQ(w.total(60'000).events, 0);
  // The slot is reused: writing 60 s later replaces, not adds.
  w.addEvents(60'000, 1, 1);
  EXPECT_EQ(w.total(60'000).events, 1);
}

TEST(RollingWindowTest, CountsErrorsByKind) {
  RollingWindow w(5000, 60);
  w.addError(1000, ErrorKind::kSource, 2);
  w.addError(6000, ErrorKind::kJournal, 1);
  Bucket t = w.total(6000);
  EXPECT_EQ(t.errorTotal(), 3);
  EXPECT_EQ(t.errors[static_cast<size_t>(ErrorKind::kSource)], 2);
  EXPECT_EQ(t.errors[static_cast<size_t>(ErrorKind::kJournal)], 1);
}

TEST(StreamMetricsTest, WindowsHaveTheContractsSeriesLengths) {
  StreamMetrics m;
  m.addEvents(1'000'000, 10, 100, 999'000);
  EXPECT_EQ(m.snapshot(Window::k1m, 1'000'000).series.size(), 60u);
  EXPECT_EQ(m.snapshot(Window::k5m, 1'000'000).series.size(), 60u);
  EXPECT_EQ(m.snapshot(Window::k1h, 1'000'000).series.size(), 60u);
  EXPECT_EQ(m.snapshot(Window::k24h, 1'000'000).series.size(), 96u);
  EXPECT_EQ(m.snapshot(Window::k24h, 1'000'000).total.events, 10);
  EXPECT_EQ(m.eventsTotal(), 10);
  EXPECT_EQ(m.lastEventAt(), 999'000);
  EXPECT_FALSE(parseWindow("2m").has_value());
  EXPECT_EQ(parseWindow("24h"), Window::k24h);
}

TEST(MetricsRegistryTest, PrometheusTextCarriesStreamAndHttpSeries) {
  MetricsRegistry reg;
  reg.stream("str_1")->addEvents(1000, 5, 50, 1000);
  reg.stream("str_1")->addError(1000, ErrorKind::kCommit);
  reg.recordHttpRequest("/api/streams", "GET", 200, 0.01);
  std::string text = reg.renderPrometheus({{"str_1", "a\"b", "datagen", "running"}});
  EXPECT_NE(text.find("streamhost_stream_events_total{stream_id=\"str_1\",stream=\"a\\\"b\",source_type=\"datagen\"} 5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kind=\"commit\"} 1"), std::string::npos);
  EXPECT_NE(text.find("status=\"running\"} 1"), std::string::npos);
  EXPECT_NE(text.find("status=\"paused\"} 0"), std::string::npos);
  EXPECT_NE(text.find("streamhost_http_requests_total{route=\"/api/streams\",method=\"GET\",code=\"200\"} 1"),
            std::string::npos);
}


TEST(SnapshotProgressTest, ReadsTablesFromTheGaugeConventionAndDropsAStaleEstimate) {
  const std::map<std::string, double> gauges{
      {"snapshot.table.public.orders.rows", 40},  {"snapshot.table.public.orders.rows_estimate", 100},
      {"snapshot.table.public.orders.done", 0},   {"snapshot.table.shop.items.rows", 70},
      {"snapshot.table.shop.items.rows_estimate", 50}, {"snapshot.table.shop.items.done", 0},
      {"snapshot.table.a.b.c.rows", 9},           {"snapshot.table.a.b.c.done", 1},
      {"snapshot.table.x.rows", std::nan("")},    {"snapshot.table.y.other", 3},
      {"snapshot_rows", 119},                     {"lag.t.0", 5}};
  const std::vector<TableProgress> t = snapshotProgress(gauges);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].table, "a.b.c");
  EXPECT_EQ(t[0].rows_done, 9);
  EXPECT_TRUE(t[0].done);
  EXPECT_EQ(t[0].rows_total, 9) << "a done table's total is what was read";
  EXPECT_EQ(t[1].table, "public.orders");
  EXPECT_EQ(t[1].rows_total, 100);
  EXPECT_FALSE(t[1].done);
  EXPECT_EQ(t[2].table, "shop.items");
  EXPECT_EQ(t[2].rows_done, 70);
  EXPECT_FALSE(t[2].rows_total.has_value()) << "an estimate below what was read is stale";
  EXPECT_TRUE(snapshotProgress({{"snapshot_rows", 3}}).empty());
}

}  // namespace
}  // namespace streamhost::metrics
