// docs/grafana-dashboard.json and docs/prometheus-alerts.yaml only read metrics the controller
// manager defines: every metric named in a panel query, a template variable or an alert rule
// is registered in the controller's sources, with the _bucket/_sum/_count series only for
// histograms. (//e2e:metrics_e2e_test checks the same names against a real scrape.)

// gcc 12 with -O1 and sanitizers reports a false -Wmaybe-uninitialized inside libstdc++'s
// <regex> (std::function in _NFA::_M_insert_*); clang does not know the flag.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/strip.h"
#include "base/promql.h"
#include "base/testing.h"
#include "controller/monitoring_queries.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::ReadTextFileOrFail;
using ::kfed::testing::Runfile;

// A file of the repository (a data dependency).
std::string Read(const std::string& path) { return ReadTextFileOrFail(Runfile(path)); }

// Metric name -> type ("Counter", "Gauge", "Histogram") as registered in the sources.
std::map<std::string, std::string> DefinedMetrics() {
  std::map<std::string, std::string> metrics;
  const std::regex registration(R"(\.(Counter|Gauge|Histogram)\(\s*\"([a-z_:][a-z0-9_:]*)\")");
  for (const char* source :
       {"controller/sync_controller.cc", "controller/cluster_controller.cc",
        "controller/worker_pool.cc", "controller/workqueue_metrics.cc",
        "controller/client_metrics.cc", "controller/process_metrics.cc",
        "controller/memory_trimmer.cc"}) {
    const std::string text = Read(source);
    for (std::sregex_iterator it(text.begin(), text.end(), registration), end; it != end; ++it) {
      metrics[(*it)[2]] = (*it)[1];
    }
  }
  return metrics;
}

// The metrics `queries` read (histograms by their base name), checking each against `defined`.
std::set<std::string> CheckQueries(const std::vector<MonitoringQuery>& queries,
                                   const std::map<std::string, std::string>& defined) {
  std::set<std::string> used;
  for (const MonitoringQuery& q : queries) {
    absl::StatusOr<std::set<std::string>> names = promql::MetricNames(q.expr);
    EXPECT_TRUE(names.ok()) << q.where << ": " << names.status();
    if (!names.ok()) continue;
    EXPECT_FALSE(names->empty()) << q.where << ": no metric in " << q.expr;
    for (const std::string& name : *names) {
      std::string base = name;
      bool histogram_series = false;
      for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
        absl::string_view stripped = name;
        if (absl::ConsumeSuffix(&stripped, suffix) && defined.count(std::string(stripped))) {
          base = std::string(stripped);
          histogram_series = true;
        }
      }
      auto it = defined.find(base);
      EXPECT_NE(it, defined.end())
          << q.where << ": metric " << name << " in " << q.expr << " is not defined";
      if (it == defined.end()) continue;
      if (histogram_series) {
        EXPECT_EQ(it->second, "Histogram") << q.where << ": " << name;
      } else {
        EXPECT_NE(it->second, "Histogram")
            << q.where << ": histogram " << name << " used without _bucket: " << q.expr;
      }
      used.insert(base);
    }
  }
  return used;
}

TEST(GrafanaDashboardTest, EveryChartedMetricExists) {
  const std::map<std::string, std::string> defined = DefinedMetrics();
  // The sources were read: the metrics the dashboard is built on are all there.
  for (const char* m :
       {"kfed_propagation_latency_seconds", "kfed_member_queue_depth", "kfed_member_writes_total",
        "kfed_member_errors_total", "controller_runtime_reconcile_total", "kubefedcluster_total",
        "workqueue_depth", "workqueue_adds_total", "process_start_time_seconds"}) {
    EXPECT_EQ(defined.count(m), 1u) << m;
  }
  absl::StatusOr<std::vector<MonitoringQuery>> queries =
      DashboardQueries(Read("docs/grafana-dashboard.json"));
  ASSERT_TRUE(queries.ok()) << queries.status();
  ASSERT_GE(queries->size(), 10u);
  const std::set<std::string> charted = CheckQueries(*queries, defined);
  // The issue's metrics are charted: latency, queue depth, errors, cluster health.
  for (const char* m :
       {"kfed_propagation_latency_seconds", "kfed_member_queue_depth", "kfed_member_errors_total",
        "controller_runtime_reconcile_total", "kubefedcluster_total", "kfed_member_writes_total"}) {
    EXPECT_EQ(charted.count(m), 1u) << m << " is not charted";
  }
}

TEST(PrometheusAlertsTest, EveryAlertedMetricExists) {
  absl::StatusOr<std::vector<MonitoringQuery>> rules =
      AlertRuleQueries(Read("docs/prometheus-alerts.yaml"));
  ASSERT_TRUE(rules.ok()) << rules.status();
  const std::set<std::string> alerted = CheckQueries(*rules, DefinedMetrics());
  // What a KubeFed operator alerts on.
  for (const char* m :
       {"kubefedcluster_total", "joined_cluster_total", "controller_runtime_reconcile_errors_total",
        "controller_runtime_reconcile_time_seconds", "workqueue_depth",
        "workqueue_unfinished_work_seconds", "workqueue_retries_total",
        "rest_client_requests_total", "process_start_time_seconds",
        "process_resident_memory_bytes"}) {
    EXPECT_EQ(alerted.count(m), 1u) << m << " has no alert";
  }
}

}  // namespace
}  // namespace kfed::controller
