// docs/grafana-dashboard.json only charts metrics the controller manager defines: every metric
// named in a panel query (or a template variable) is registered in the controller's sources,
// with the _bucket/_sum/_count series only for histograms.

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

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "base/json.h"
#include "base/testing.h"

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
  for (const char* source : {"controller/sync_controller.cc", "controller/cluster_controller.cc"}) {
    const std::string text = Read(source);
    for (std::sregex_iterator it(text.begin(), text.end(), registration), end; it != end; ++it) {
      metrics[(*it)[2]] = (*it)[1];
    }
  }
  return metrics;
}

// Every "expr" (panel targets) and "definition" (template variables) in the dashboard.
void CollectQueries(const rapidjson::Value& v, std::vector<std::string>* out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      const std::string name = m.name.GetString();
      if ((name == "expr" || name == "definition") && m.value.IsString()) {
        out->push_back(m.value.GetString());
      } else {
        CollectQueries(m.value, out);
      }
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) CollectQueries(e, out);
  }
}

TEST(GrafanaDashboardTest, EveryChartedMetricExists) {
  const std::map<std::string, std::string> defined = DefinedMetrics();
  // The sources were read: the metrics the dashboard is built on are all there.
  for (const char* m :
       {"kfed_propagation_latency_seconds", "kfed_member_queue_depth", "kfed_member_writes_total",
        "kfed_member_errors_total", "controller_runtime_reconcile_total", "kubefedcluster_total"}) {
    EXPECT_EQ(defined.count(m), 1u) << m;
  }
  absl::StatusOr<rapidjson::Document> dashboard = json::Parse(Read("docs/grafana-dashboard.json"));
  ASSERT_TRUE(dashboard.ok()) << dashboard.status();
  std::vector<std::string> queries;
  CollectQueries(*dashboard, &queries);
  ASSERT_GE(queries.size(), 10u);

  // A metric name is an identifier directly followed by a selector or range ("{", "["), or
  // the first argument of label_values().
  const std::regex selector(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[\{\[])");
  const std::regex label_values(R"(label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*))");
  std::set<std::string> charted;
  for (const std::string& q : queries) {
    std::set<std::string> in_query;
    for (const std::regex* re : {&selector, &label_values}) {
      for (std::sregex_iterator it(q.begin(), q.end(), *re), end; it != end; ++it) {
        in_query.insert((*it)[1]);
      }
    }
    EXPECT_FALSE(in_query.empty()) << "no metric found in query: " << q;
    for (const std::string& name : in_query) {
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
      ASSERT_NE(it, defined.end())
          << "metric " << name << " in query " << q << " is not defined by the controller";
      if (histogram_series) {
        EXPECT_EQ(it->second, "Histogram") << name << " in " << q;
      } else {
        EXPECT_NE(it->second, "Histogram")
            << "histogram " << name << " used without _bucket: " << q;
      }
      charted.insert(base);
    }
  }
  // The issue's metrics are charted: latency, queue depth, errors, cluster health.
  for (const char* m :
       {"kfed_propagation_latency_seconds", "kfed_member_queue_depth", "kfed_member_errors_total",
        "controller_runtime_reconcile_total", "kubefedcluster_total", "kfed_member_writes_total"}) {
    EXPECT_EQ(charted.count(m), 1u) << m << " is not charted";
  }
}

}  // namespace
}  // namespace kfed::controller
