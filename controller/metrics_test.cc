#include "controller/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace kfed::controller {
namespace {

// Families sorted by name, series by label values; prometheus-cpp writes each series' labels
// sorted by label name.
TEST(MetricsTest, CounterAndGaugeRenderInTextFormat) {
  MetricsRegistry r;
  MetricFamily* total =
      r.Gauge("kubefedcluster_total", "Number of clusters by state.", {"state", "cluster"});
  total->Set({"ready", "member1"}, 1);
  total->Set({"offline", "member2"}, 1);
  total->Add({"offline", "member2"}, -0.5);
  MetricFamily* reconciles =
      r.Counter("controller_runtime_reconcile_total", "Reconciles.", {"controller", "result"});
  reconciles->Add({"sync", "success"});
  reconciles->Add({"sync", "success"}, 2);
  reconciles->Add({"sync", "requeue"});
  r.Gauge("joined_cluster_total", "Number of joined clusters.")->Set({}, 2);
  EXPECT_EQ(r.Render(),
            "# HELP controller_runtime_reconcile_total Reconciles.\n"
            "# TYPE controller_runtime_reconcile_total counter\n"
            "controller_runtime_reconcile_total{controller=\"sync\",result=\"requeue\"} 1\n"
            "controller_runtime_reconcile_total{controller=\"sync\",result=\"success\"} 3\n"
            "# HELP joined_cluster_total Number of joined clusters.\n"
            "# TYPE joined_cluster_total gauge\n"
            "joined_cluster_total 2\n"
            "# HELP kubefedcluster_total Number of clusters by state.\n"
            "# TYPE kubefedcluster_total gauge\n"
            "kubefedcluster_total{cluster=\"member1\",state=\"ready\"} 1\n"
            "kubefedcluster_total{cluster=\"member2\",state=\"offline\"} 0.5\n");
  EXPECT_EQ(reconciles->Value({"sync", "success"}), 3);
  EXPECT_EQ(total->Value({"offline", "member2"}), 0.5);
  EXPECT_EQ(total->Value({"unknown", "member3"}), 0);
}

TEST(MetricsTest, RemoveDropsOneSeries) {
  MetricsRegistry r;
  MetricFamily* total =
      r.Gauge("kubefedcluster_total", "Number of clusters by state.", {"state", "cluster"});
  total->Set({"ready", "member1"}, 1);
  total->Set({"offline", "member2"}, 1);
  total->Remove({"offline", "member2"});
  total->Remove({"offline", "never-there"});
  EXPECT_EQ(total->Value({"offline", "member2"}), 0);
  EXPECT_EQ(total->Value({"ready", "member1"}), 1);
  EXPECT_EQ(r.Render(),
            "# HELP kubefedcluster_total Number of clusters by state.\n"
            "# TYPE kubefedcluster_total gauge\n"
            "kubefedcluster_total{cluster=\"member1\",state=\"ready\"} 1\n");

  // A removed series starts again from zero.
  MetricFamily* writes = r.Counter("kfed_member_writes_total", "Writes.", {"cluster", "action"});
  writes->Add({"member1", "create"}, 5);
  writes->Remove({"member1", "create"});
  writes->Add({"member1", "create"});
  EXPECT_EQ(writes->Value({"member1", "create"}), 1);

  MetricFamily* h = r.Histogram("kfed_propagation_latency_seconds", "Latency.", {"cluster"});
  h->Observe({"member1"}, 0.2);
  h->Observe({"member2"}, 0.2);
  h->Remove({"member1"});
  EXPECT_EQ(h->Value({"member1"}), 0);
  EXPECT_EQ(h->Value({"member2"}), 1);
  EXPECT_EQ(r.Render().find("kfed_propagation_latency_seconds_count{cluster=\"member1\"}"),
            std::string::npos)
      << r.Render();
  EXPECT_NE(r.Render().find("kfed_propagation_latency_seconds_count{cluster=\"member2\"} 1\n"),
            std::string::npos)
      << r.Render();
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry r;
  // Buckets given out of order are sorted.
  MetricFamily* h = r.Histogram("op_seconds", "Op latency.", {"action"}, {1, 0.25});
  h->Observe({"create"}, 0.125);
  h->Observe({"create"}, 0.5);
  h->Observe({"create"}, 5);
  h->Observe({"create"}, 0.25);  // le is inclusive
  EXPECT_EQ(r.Render(),
            "# HELP op_seconds Op latency.\n# TYPE op_seconds histogram\n"
            "op_seconds_count{action=\"create\"} 4\n"
            "op_seconds_sum{action=\"create\"} 5.875\n"
            "op_seconds_bucket{action=\"create\",le=\"0.25\"} 2\n"
            "op_seconds_bucket{action=\"create\",le=\"1\"} 3\n"
            "op_seconds_bucket{action=\"create\",le=\"+Inf\"} 4\n");
  EXPECT_EQ(h->Value({"create"}), 4);
}

TEST(MetricsTest, DefaultBucketsAndUnlabelledHistogram) {
  MetricsRegistry r;
  MetricFamily* h = r.Histogram("reconcile_federated_resources_duration_seconds",
                                "Time taken to reconcile a federated resource on the host.", {});
  h->Observe({}, 0.003);
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE reconcile_federated_resources_duration_seconds histogram\n"),
            std::string::npos);
  const std::string prefix = "reconcile_federated_resources_duration_seconds_bucket{le=\"";
  std::string want;
  int cumulative = 0;
  for (const char* le : {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                         "1", "2.5", "5", "10", "30", "60", "+Inf"}) {
    if (std::string(le) == "0.005") cumulative = 1;
    want += prefix + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  EXPECT_NE(text.find(want), std::string::npos) << text;
  EXPECT_NE(text.find("reconcile_federated_resources_duration_seconds_sum 0.003\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("reconcile_federated_resources_duration_seconds_count 1\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, FamilyWithoutSeriesIsNotRendered) {
  MetricsRegistry r;
  r.Counter("kfed_heap_trims_total", "Trims.", {});
  r.Gauge("kfed_member_queue_depth", "Depth.", {"cluster", "type"});
  EXPECT_EQ(r.Render(), "");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscapedAndFamiliesShared) {
  MetricsRegistry r;
  r.Counter("x", "a \\ help\nline", {"l"})->Add({"a\"b\\c\nd"});
  MetricFamily* again = r.Counter("x", "h", {"l"});
  EXPECT_EQ(again->Value({"a\"b\\c\nd"}), 1);
  EXPECT_EQ(r.Render(),
            "# HELP x a \\\\ help\\nline\n"
            "# TYPE x counter\n"
            "x{l=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, FamilyRendersAlone) {
  MetricsRegistry r;
  MetricFamily* writes =
      r.Counter("kfed_member_writes_total", "Writes to member clusters.", {"cluster", "action"});
  r.Gauge("other", "Other.")->Set({}, 1);
  writes->Add({"member2", "update"});
  writes->Add({"member1", "create"}, 2);
  std::string out;
  writes->Render(&out);
  EXPECT_EQ(out,
            "# HELP kfed_member_writes_total Writes to member clusters.\n"
            "# TYPE kfed_member_writes_total counter\n"
            "kfed_member_writes_total{action=\"create\",cluster=\"member1\"} 2\n"
            "kfed_member_writes_total{action=\"update\",cluster=\"member2\"} 1\n");
  EXPECT_EQ(writes->name(), "kfed_member_writes_total");
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

// A series removed while other threads record into it: no use after free (the recording may
// land before or after the removal).
TEST(MetricsTest, ConcurrentRemoveAndRecord) {
  MetricsRegistry r;
  MetricFamily* g = r.Gauge("kfed_member_queue_depth", "Depth.", {"cluster", "type"});
  MetricFamily* h = r.Histogram("h_seconds", "h", {"cluster"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([g, h] {
      for (int i = 0; i < 5000; ++i) {
        g->Set({"member1", "configmaps"}, i);
        h->Observe({"member1"}, 0.01);
      }
    });
  }
  threads.emplace_back([g, h, &r] {
    for (int i = 0; i < 5000; ++i) {
      g->Remove({"member1", "configmaps"});
      h->Remove({"member1"});
      if (i % 500 == 0) r.Render();
    }
  });
  for (auto& t : threads) t.join();
  g->Set({"member1", "configmaps"}, 7);
  EXPECT_EQ(g->Value({"member1", "configmaps"}), 7);
}

}  // namespace
}  // namespace kfed::controller
