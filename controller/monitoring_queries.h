// The PromQL that kfed's monitoring files run: every panel query and template variable of
// docs/grafana-dashboard.json and every rule of docs/prometheus-alerts.yaml, so that tests can
// check that each series they read exists (//controller:grafana_dashboard_test against the
// sources, //e2e:metrics_e2e_test against a real /metrics scrape).
#ifndef KFED_CONTROLLER_MONITORING_QUERIES_H_
#define KFED_CONTROLLER_MONITORING_QUERIES_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kfed::controller {

struct MonitoringQuery {
  std::string where;  // e.g. `panel "Queue depth"`, `alert KubeFedReconcileErrors`
  std::string expr;
};

// Every "expr" (panel targets) and "definition" (template variables) of a Grafana dashboard.
absl::StatusOr<std::vector<MonitoringQuery>> DashboardQueries(absl::string_view json);

// Every rule's expr of a Prometheus rule file, after checking the file's shape as Prometheus
// loads it: `groups` (names unique), each with `rules`; each rule has `alert` or `record`
// (not both) and a non-empty `expr`; `for` / `keep_firing_for` are durations (alerts only);
// `labels` and `annotations` map names to strings; no other keys. InvalidArgument naming the
// group and rule otherwise.
absl::StatusOr<std::vector<MonitoringQuery>> AlertRuleQueries(absl::string_view yaml);

// The sample names a /metrics text exposes (`name{...} v` and `name v` lines).
std::set<std::string> ExposedSampleNames(absl::string_view metrics_text);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MONITORING_QUERIES_H_
