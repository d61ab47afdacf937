// The metric names a PromQL expression reads, for checking that dashboards and alert rules
// only use series the controller exposes (docs/grafana-dashboard.json,
// docs/prometheus-alerts.yaml; see docs/development.md).
//
// A metric name is an identifier used as a vector selector: bare (`up`), or followed by a
// label matcher or a range (`foo{a="b"}`, `foo[5m]`), or given as `{__name__="foo"}`. Not
// metric names: functions (an identifier followed by `(`), aggregation operators and the
// keywords (by, without, on, ignoring, group_left, group_right, bool, and, or, unless, offset,
// inf, nan) with the label lists after them, label names inside `{}`, ranges and durations,
// numbers, strings, and Grafana variables ($var, ${var}, [[var]]). Grafana's templating call
// label_values(metric, label) reads `metric`; label_values(label) reads none.
// Histogram series keep their suffix (`foo_bucket`): the caller decides what they stand for.
#ifndef KFED_BASE_PROMQL_H_
#define KFED_BASE_PROMQL_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kfed::promql {

// InvalidArgument naming the position for an unterminated string or unbalanced brackets.
absl::StatusOr<std::set<std::string>> MetricNames(absl::string_view expr);

}  // namespace kfed::promql

#endif  // KFED_BASE_PROMQL_H_
