#include "controller/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace kfed::controller {
namespace {

TEST(MetricsTest, CounterAndGaugeRenderInTextFormat) {
  MetricsRegistry r;
  MetricFamily* total =
      r.Gauge("kubefedcluster_total", "Number of clusters by state.", {"state", "cluster"});
  total->Set({"ready", "member1"}, 1);
  total->Set({"offline", "member2"}, 1);
  MetricFamily* reconciles =
      r.Counter("controller_runtime_reconcile_total", "Reconciles.", {"controller", "result"});
  reconciles->Add({"sync", "success"});
  reconciles->Add({"sync", "success"}, 2);
  EXPECT_EQ(r.Render(),
            "# HELP controller_runtime_reconcile_total Reconciles.\n"
            "# TYPE controller_runtime_reconcile_total counter\n"
            "controller_runtime_reconcile_total{controller=\"sync\",result=\"success\"} 3\n"
            "# HELP kubefedcluster_total Number of clusters by state.\n"
            "# TYPE kubefedcluster_total gauge\n"
            "kubefedcluster_total{state=\"offline\",cluster=\"member2\"} 1\n"
            "kubefedcluster_total{state=\"ready\",cluster=\"member1\"} 1\n");
  total->Remove({"offline", "member2"});
  EXPECT_EQ(total->Value({"offline", "member2"}), 0);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry r;
  MetricFamily* h = r.Histogram("op_seconds", "Op latency.", {"action"}, {0.1, 1});
  h->Observe({"create"}, 0.05);
  h->Observe({"create"}, 0.5);
  h->Observe({"create"}, 5);
  EXPECT_EQ(r.Render(),
            "# HELP op_seconds Op latency.\n# TYPE op_seconds histogram\n"
            "op_seconds_bucket{action=\"create\",le=\"0.1\"} 1\n"
            "op_seconds_bucket{action=\"create\",le=\"1\"} 2\n"
            "op_seconds_bucket{action=\"create\",le=\"+Inf\"} 3\n"
            "op_seconds_sum{action=\"create\"} 5.55\n"
            "op_seconds_count{action=\"create\"} 3\n");
}

TEST(MetricsTest, LabelValuesAreEscapedAndFamiliesShared) {
  MetricsRegistry r;
  r.Counter("x", "h", {"l"})->Add({"a\"b\\c\nd"});
  EXPECT_EQ(r.Counter("x", "h", {"l"})->Value({"a\"b\\c\nd"}), 1);
  EXPECT_NE(r.Render().find("x{l=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos) << r.Render();
}

TEST(MetricsTest, ConcurrentRecordingIsExact) {
  MetricsRegistry r;
  MetricFamily* c = r.Counter("n", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([c] {
      for (int i = 0; i < 10000; ++i) c->Add({});
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->Value({}), 40000);
}

}  // namespace
}  // namespace kfed::controller
