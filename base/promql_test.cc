#include "base/promql.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kfed::promql {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Case {
  const char* expr;
  std::set<std::string> want;
};

TEST(PromqlMetricNamesTest, Table) {
  const Case cases[] = {
      {"up", {"up"}},
      {"up == 0", {"up"}},
      {"process_start_time_seconds{job=\"kfed\"}", {"process_start_time_seconds"}},
      {"rate(workqueue_adds_total[5m])", {"workqueue_adds_total"}},
      {"rate(workqueue_adds_total{name=~\"sync-.*\"}[5m:30s])", {"workqueue_adds_total"}},
      {"histogram_quantile(0.99, sum by (le, controller) "
       "(rate(controller_runtime_reconcile_time_seconds_bucket[10m])))",
       {"controller_runtime_reconcile_time_seconds_bucket"}},
      {"sum(rate(a_total[5m])) by (cluster) / sum(rate(b_total[5m])) by (cluster) > 0.1",
       {"a_total", "b_total"}},
      {"SUM WITHOUT (instance) (x)", {"x"}},
      {"max(kubefedcluster_total{state=\"notready\"}) by (cluster) == 1", {"kubefedcluster_total"}},
      {"sum(kubefedcluster_total{state!=\"ready\"}) or vector(0)", {"kubefedcluster_total"}},
      {"a * on (cluster) group_left (state) b", {"a", "b"}},
      {"a > bool 1 and b unless c", {"a", "b", "c"}},
      {"changes(process_start_time_seconds[1h]) >= 2", {"process_start_time_seconds"}},
      {"x offset 5m - x offset -1h30m", {"x"}},
      {"deriv(workqueue_depth[15m]) > 1e-3", {"workqueue_depth"}},
      {"{__name__=\"kfed_heap_bytes\", state=\"in_use\"}", {"kfed_heap_bytes"}},
      {"topk(5, count_values(\"version\", build_info))", {"build_info"}},
      {"quantile(0.9, rate(x[5m])) > Inf", {"x"}},
      {"absent(up{job=\"kfed\"}) # a comment naming not_a_metric", {"up"}},
      {"rate(rest_client_requests_total{code=~\"5..\"}[5m]) > 0", {"rest_client_requests_total"}},
      {"recording:rule:rate5m", {"recording:rule:rate5m"}},
      // Grafana.
      {"sum by (cluster) (kfed_member_queue_depth{cluster=~\"$cluster\"})",
       {"kfed_member_queue_depth"}},
      {"rate(x[$__rate_interval]) * ${factor} + [[legacy]]", {"x"}},
      {"label_values(kubefedcluster_total, cluster)", {"kubefedcluster_total"}},
      {"label_values(kubefedcluster_total{state=\"ready\", cluster=~\"a,b\"}, cluster)",
       {"kubefedcluster_total"}},
      {"label_values(cluster)", {}},
      {"vector(1)", {}},
      {"time() - 3600", {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::set<std::string>> got = MetricNames(c.expr);
    ASSERT_TRUE(got.ok()) << c.expr << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.expr;
  }
}

TEST(PromqlMetricNamesTest, StringsAndLabelNamesAreNotMetrics) {
  absl::StatusOr<std::set<std::string>> got =
      MetricNames("sum by (reason) (rate(errors_total{reason='Creation\\'Failed', x=\"y{z}\"}[5m]))");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("errors_total"));
}

TEST(PromqlMetricNamesTest, BadExpressionsAreErrorsNamingTheSpot) {
  for (const char* bad : {"rate(x[5m]", "x{a=\"b\"", "sum(x))", "x{a=\"unterminated}",
                          "rate(x[5m)]", "${unterminated"}) {
    absl::StatusOr<std::set<std::string>> got = MetricNames(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(got.status().message(), HasSubstr("at offset")) << bad;
    EXPECT_THAT(got.status().message(), HasSubstr(bad)) << bad;
  }
  absl::StatusOr<std::set<std::string>> empty = MetricNames("");
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(*empty, IsEmpty());
}

}  // namespace
}  // namespace kfed::promql
