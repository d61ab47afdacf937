// KubeFed v0.10's rest client series, as controller-runtime v0.10 registers client-go's
// request-result hook: `rest_client_requests_total{code,host,method}` ("Number of HTTP
// requests, partitioned by status code, method, and host."), counted for every request of
// every kube::Transport in the process (host and member clients, each attempt on the wire).
//
// controller-runtime v0.10 does not register client-go's latency histogram
// (rest_client_request_latency_seconds{verb,url}: deprecated upstream for its URL
// cardinality), so KubeFed v0.10 exposes none and neither does kfed; kfed's own
// kfed_dispatch_duration_seconds and controller_runtime_reconcile_time_seconds cover latency.
#ifndef KFED_CONTROLLER_CLIENT_METRICS_H_
#define KFED_CONTROLLER_CLIENT_METRICS_H_

#include "controller/metrics.h"

namespace kfed::controller {

// Counts requests into `metrics` while it exists (kube/request_metrics.h observer).
class RestClientMetrics {
 public:
  explicit RestClientMetrics(MetricsRegistry& metrics);
  ~RestClientMetrics();  // unregisters, waiting for a count in progress
  RestClientMetrics(const RestClientMetrics&) = delete;
  RestClientMetrics& operator=(const RestClientMetrics&) = delete;

 private:
  MetricFamily* requests_;
  int observer_ = -1;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLIENT_METRICS_H_
