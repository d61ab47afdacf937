#include "controller/monitoring_queries.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(MonitoringQueriesTest, DashboardPanelsAndVariables) {
  absl::StatusOr<std::vector<MonitoringQuery>> q = DashboardQueries(R"json({
    "templating": {"list": [{"name": "cluster", "definition": "label_values(up, cluster)"}]},
    "panels": [{"title": "Depth", "targets": [{"expr": "workqueue_depth"}, {"expr": "up"}]}]})json");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].expr, "label_values(up, cluster)");
  EXPECT_EQ((*q)[1].where, "panel \"Depth\"");
  EXPECT_EQ((*q)[1].expr, "workqueue_depth");
  EXPECT_FALSE(DashboardQueries("{").ok());
}

TEST(MonitoringQueriesTest, RuleFile) {
  absl::StatusOr<std::vector<MonitoringQuery>> q = AlertRuleQueries(R"yaml(
groups:
  - name: g
    rules:
      - alert: A
        expr: up == 0
        for: 1h30m
        labels: {severity: warning}
        annotations: {summary: "{{ $labels.instance }} down"}
      - record: job:up:sum
        expr: sum by (job) (up)
)yaml");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[0].where, "group g: alert A");
  EXPECT_EQ((*q)[0].expr, "up == 0");
  EXPECT_EQ((*q)[1].where, "group g: record job:up:sum");
}

TEST(MonitoringQueriesTest, BadRuleFilesNameTheRule) {
  const struct {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"rules: []", "groups"},
      {"groups: []", "groups"},
      {"groups: [{name: g, rules: []}]", "group g: no rules"},
      {"groups: [{name: g, rules: [{alert: A, expr: up}]}, {name: g, rules: [{alert: B, expr: up}]}]",
       "group g twice"},
      {"groups: [{name: g, rules: [{expr: up}]}]", "group g: rule 0: want one of alert or record"},
      {"groups: [{name: g, rules: [{alert: A, record: b, expr: up}]}]", "want one of"},
      {"groups: [{name: g, rules: [{alert: A}]}]", "group g: alert A: no expr"},
      {"groups: [{name: g, rules: [{alert: A, expr: up, for: 5 minutes}]}]",
       "alert A: for is not a duration"},
      {"groups: [{name: g, rules: [{alert: A, expr: up, severity: page}]}]", "unknown key severity"},
      {"groups: [{name: g, rules: [{alert: A, expr: up, labels: {a: {b: c}}}]}]",
       "labels.a is not a string"},
      {"groups: [{name: g, rules: [{record: r, expr: up, for: 5m}]}]", "for on a recording rule"},
      {"groups: [{name: g, rules: [{alert: A, expr: up}], interval: 1m, extra: 1}]",
       "group g: unknown key extra"},
      {"groups: [{name: g, rules: [{alert: A, expr: up]}", "line"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::vector<MonitoringQuery>> q = AlertRuleQueries(c.yaml);
    ASSERT_FALSE(q.ok()) << c.yaml;
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_THAT(q.status().message(), HasSubstr(c.error)) << c.yaml;
  }
}

TEST(MonitoringQueriesTest, ExposedSampleNames) {
  EXPECT_THAT(ExposedSampleNames("# HELP up x\n# TYPE up gauge\nup 1\n"
                                 "h_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count{a=\"b c\"} 2\n"),
              ElementsAre("h_bucket", "h_count", "h_sum", "up"));
}

}  // namespace
}  // namespace kfed::controller
