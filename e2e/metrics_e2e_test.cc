// Every series docs/grafana-dashboard.json and docs/prometheus-alerts.yaml read exists in a
// real /metrics scrape of the controller on the local clusters, and the workqueue_* series
// are there as KubeFed v0.10 exposes them (controller-runtime v0.10's names, types, `name`
// label = the controller's name, buckets).
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/promql.h"
#include "base/testing.h"
#include "controller/monitoring_queries.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;
using ::kfed::controller::AlertRuleQueries;
using ::kfed::controller::DashboardQueries;
using ::kfed::controller::ExposedSampleNames;
using ::kfed::controller::MonitoringQuery;
using ::kfed::testing::ReadTextFileOrFail;
using ::kfed::testing::Runfile;

// The value of the sample `series` (`name{labels}` exactly as exposed), if present.
std::optional<double> Sample(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, series) || !absl::ConsumePrefix(&line, " ")) continue;
    double v = 0;
    if (absl::SimpleAtod(line, &v)) return v;
  }
  return std::nullopt;
}

// The values of `label` across the samples of `name` (a label that comes first).
std::set<std::string> LabelValues(const std::string& text, const std::string& name,
                                  const std::string& label) {
  std::set<std::string> values;
  const std::string prefix = StrCat(name, "{", label, "=\"");
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, prefix)) continue;
    values.insert(std::string(line.substr(0, line.find('"'))));
  }
  return values;
}

class MetricsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    ASSERT_GE(Clusters().members.size(), 1u);
    fed_ = &Federation::Get();
    ASSERT_GT(fed_->primary().pid, 0) << "the controller is not running";
  }

  absl::StatusOr<std::string> Scrape() { return fed_->Metrics(fed_->primary()); }

  Federation* fed_ = nullptr;
};

// Makes the events behind the counters and histograms that appear only once something
// happened (a member write, a failed one, a propagation), then waits until every metric the
// dashboard and the alert rules read is in the scrape.
TEST_F(MetricsE2eTest, EverySeriesTheDashboardAndAlertsReadIsScraped) {
  std::vector<MonitoringQuery> queries;
  absl::StatusOr<std::vector<MonitoringQuery>> dashboard =
      DashboardQueries(ReadTextFileOrFail(Runfile("docs/grafana-dashboard.json")));
  ASSERT_TRUE(dashboard.ok()) << dashboard.status();
  absl::StatusOr<std::vector<MonitoringQuery>> alerts =
      AlertRuleQueries(ReadTextFileOrFail(Runfile("docs/prometheus-alerts.yaml")));
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  for (const auto* list : {&*dashboard, &*alerts}) {
    for (const MonitoringQuery& q : *list) {
      queries.push_back({StrCat(list == &*dashboard ? "dashboard " : "alerts ", q.where), q.expr});
    }
  }
  // metric name -> where it is read
  std::map<std::string, std::vector<std::string>> wanted;
  for (const MonitoringQuery& q : queries) {
    absl::StatusOr<std::set<std::string>> names = promql::MetricNames(q.expr);
    ASSERT_TRUE(names.ok()) << q.where << ": " << names.status();
    for (const std::string& name : *names) wanted[name].push_back(q.where);
  }
  ASSERT_GE(wanted.size(), 20u);

  // One object that propagates everywhere, one that a member rejects (CreationFailed).
  const std::string ns = fed_->NewNamespace("metrics");
  const std::string good = UniqueName("metrics-ok");
  const std::string bad = UniqueName("metrics-rejected");
  std::string placement = "    clusters:\n";
  for (const std::string& member : Clusters().members) placement += StrCat("    - name: ", member, "\n");
  auto federated_config_map = [&](const std::string& name, const std::string& overrides) {
    return StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedConfigMap\nmetadata:\n",
                  "  name: ", name, "\n  namespace: ", ns,
                  "\nspec:\n  template:\n    data:\n      color: blue\n  placement:\n", placement,
                  overrides);
  };
  ASSERT_TRUE(Apply(Host(), federated_config_map(good, "")).ok());
  ASSERT_TRUE(Apply(Host(), federated_config_map(
                                bad, StrCat("  overrides:\n  - clusterName: ", Member(0),
                                            "\n    clusterOverrides: [{path: /data, value: 5}]\n")))
                  .ok());
  for (const std::string& member : Clusters().members) {
    absl::Status s = fed_->WaitForObject(member, {"configmap", good, "-n", ns},
                                         [](const rapidjson::Value&) { return absl::OkStatus(); });
    ASSERT_TRUE(s.ok()) << member << ": " << s;
  }

  std::string text;
  std::vector<std::string> missing;
  absl::Status all = WaitFor("every series of the dashboard and the alerts", absl::Seconds(90),
                             [&]() -> absl::Status {
                               absl::StatusOr<std::string> scraped = Scrape();
                               if (!scraped.ok()) return scraped.status();
                               text = *scraped;
                               const std::set<std::string> exposed = ExposedSampleNames(text);
                               missing.clear();
                               for (const auto& [name, where] : wanted) {
                                 if (!exposed.count(name)) {
                                   missing.push_back(
                                       StrCat(name, " (", absl::StrJoin(where, "; "), ")"));
                                 }
                               }
                               if (missing.empty()) return absl::OkStatus();
                               return absl::NotFoundError(
                                   StrCat("not in the scrape: ", absl::StrJoin(missing, ", ")));
                             });
  EXPECT_TRUE(all.ok()) << all;
  std::cout << "metrics_e2e: " << wanted.size() << " metric names read by "
            << queries.size() << " queries, all in the scrape: " << (missing.empty() ? "yes" : "no")
            << std::endl;
}

TEST_F(MetricsE2eTest, WorkqueueSeriesAsKubeFedExposesThem) {
  // Health checks requeue the kubefedcluster key every period (a retry, then an add): wait
  // until one went through the queue's metrics.
  std::string text;
  absl::Status retried = WaitFor("a kubefedcluster retry", absl::Seconds(90), [&]() -> absl::Status {
    absl::StatusOr<std::string> scraped = Scrape();
    if (!scraped.ok()) return scraped.status();
    text = *scraped;
    std::optional<double> v = Sample(text, "workqueue_retries_total{name=\"kubefedcluster\"}");
    return v.has_value() && *v > 0 ? absl::OkStatus()
                                   : absl::UnavailableError("workqueue_retries_total is 0 or absent");
  });
  ASSERT_TRUE(retried.ok()) << retried;

  for (const char* type : {"# TYPE workqueue_adds_total counter",
                           "# TYPE workqueue_retries_total counter",
                           "# TYPE workqueue_depth gauge",
                           "# TYPE workqueue_queue_duration_seconds histogram",
                           "# TYPE workqueue_work_duration_seconds histogram",
                           "# TYPE workqueue_unfinished_work_seconds gauge",
                           "# TYPE workqueue_longest_running_processor_seconds gauge"}) {
    EXPECT_TRUE(absl::StrContains(text, StrCat(type, "\n"))) << type;
  }

  // Every controller (controller_runtime_* label `controller`) has its queue's series under
  // the same `name`, KubeFed's names where KubeFed has the controller.
  const std::set<std::string> controllers =
      LabelValues(text, "controller_runtime_max_concurrent_reconciles", "controller");
  EXPECT_TRUE(controllers.count("federatedtypeconfig")) << absl::StrJoin(controllers, ", ");
  EXPECT_TRUE(controllers.count("kubefedcluster")) << absl::StrJoin(controllers, ", ");
  for (const std::string& c : controllers) {
    SCOPED_TRACE(c);
    for (const char* name : {"workqueue_adds_total", "workqueue_retries_total", "workqueue_depth",
                             "workqueue_unfinished_work_seconds",
                             "workqueue_longest_running_processor_seconds",
                             "workqueue_queue_duration_seconds_count",
                             "workqueue_work_duration_seconds_count"}) {
      EXPECT_TRUE(Sample(text, StrCat(name, "{name=\"", c, "\"}")).has_value()) << name;
    }
  }

  // The FTC controller handled the ten default FederatedTypeConfigs: adds, and every item
  // taken and finished went into the histograms, with controller-runtime's buckets.
  const std::optional<double> adds =
      Sample(text, "workqueue_adds_total{name=\"federatedtypeconfig\"}");
  ASSERT_TRUE(adds.has_value());
  EXPECT_GE(*adds, 10);
  const std::optional<double> taken =
      Sample(text, "workqueue_queue_duration_seconds_count{name=\"federatedtypeconfig\"}");
  ASSERT_TRUE(taken.has_value());
  EXPECT_GE(*taken, 10);
  for (const char* le : {"1e-08", "9.999999999999999e-06", "0.001", "1", "10", "+Inf"}) {
    EXPECT_TRUE(Sample(text, StrCat("workqueue_work_duration_seconds_bucket{name=\""
                                    "federatedtypeconfig\",le=\"",
                                    le, "\"}"))
                    .has_value())
        << le;
  }
  const std::optional<double> inf = Sample(
      text, "workqueue_work_duration_seconds_bucket{name=\"federatedtypeconfig\",le=\"+Inf\"}");
  const std::optional<double> count =
      Sample(text, "workqueue_work_duration_seconds_count{name=\"federatedtypeconfig\"}");
  ASSERT_TRUE(inf.has_value() && count.has_value());
  EXPECT_EQ(*inf, *count);
  EXPECT_GE(*count, 10);
  std::cout << "metrics_e2e: " << controllers.size() << " queues; federatedtypeconfig adds "
            << *adds << ", work items " << *count << std::endl;
}

}  // namespace
}  // namespace kfed::e2e
