#include "server/http/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace etcd::metrics {
namespace {

TEST(MetricsTest, RendersPrometheusTextSortedByName) {
  Registry r;
  Counter* c = r.AddCounter("b_total", "A counter.");
  Gauge* g = r.AddGauge("a_gauge", "A gauge.");
  r.AddGaugeFunc("c_func", "Read when rendered.", [] { return 2.5; });
  c->Inc();
  c->Inc(2);
  g->Set(-4);
  EXPECT_EQ(r.Render(),
            "# HELP a_gauge A gauge.\n# TYPE a_gauge gauge\na_gauge -4\n"
            "# HELP b_total A counter.\n# TYPE b_total counter\nb_total 3\n"
            "# HELP c_func Read when rendered.\n# TYPE c_func gauge\nc_func 2.5\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  Histogram* h = r.AddHistogram("lat_seconds", "Latency.", {0.1, 1});
  h->Observe(0.05);
  h->Observe(0.1);  // on a bound: counted in that bucket (le)
  h->Observe(0.5);
  h->Observe(7);
  EXPECT_EQ(r.Render(),
            "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{le=\"0.1\"} 2\n"
            "lat_seconds_bucket{le=\"1\"} 3\n"
            "lat_seconds_bucket{le=\"+Inf\"} 4\n"
            "lat_seconds_sum 7.65\n"
            "lat_seconds_count 4\n");
}

TEST(MetricsTest, LabelledSeriesAreCreatedOnFirstUseAndEscaped) {
  Registry r;
  auto* f = r.AddCounterFamily("calls_total", "Calls.", {"code", "method"});
  f->Get({"OK", "Put"})->Inc();
  f->Get({"OK", "Put"})->Inc();
  f->Get({"Unknown", "a\"b"})->Inc();
  auto* h = r.AddHistogramFamily("rtt_seconds", "RTT.", {"To"}, {1});
  h->Get({"abc"})->Observe(0.5);
  EXPECT_EQ(r.Render(),
            "# HELP calls_total Calls.\n# TYPE calls_total counter\n"
            "calls_total{code=\"OK\",method=\"Put\"} 2\n"
            "calls_total{code=\"Unknown\",method=\"a\\\"b\"} 1\n"
            "# HELP rtt_seconds RTT.\n# TYPE rtt_seconds histogram\n"
            "rtt_seconds_bucket{To=\"abc\",le=\"1\"} 1\n"
            "rtt_seconds_bucket{To=\"abc\",le=\"+Inf\"} 1\n"
            "rtt_seconds_sum{To=\"abc\"} 0.5\n"
            "rtt_seconds_count{To=\"abc\"} 1\n");
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  Registry r;
  Counter* c = r.AddCounter("n_total", "N.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([c] {
      for (int i = 0; i < 10000; ++i) c->Inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->value(), 40000);
}

TEST(MetricsTest, ExponentialBucketsAsPrometheus) {
  EXPECT_EQ(ExponentialBuckets(0.001, 2, 4), (std::vector<double>{0.001, 0.002, 0.004, 0.008}));
}

}  // namespace
}  // namespace etcd::metrics
