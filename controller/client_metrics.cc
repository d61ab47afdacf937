#include "controller/client_metrics.h"

#include <string>

#include "kube/request_metrics.h"

namespace kfed::controller {

RestClientMetrics::RestClientMetrics(MetricsRegistry& metrics)
    : requests_(metrics.Counter("rest_client_requests_total",
                                "Number of HTTP requests, partitioned by status code, method, "
                                "and host.",
                                {"code", "method", "host"})) {
  MetricFamily* requests = requests_;
  observer_ = kube::AddRequestResultObserver(
      [requests](absl::string_view code, absl::string_view method, absl::string_view host) {
        requests->Add({std::string(code), std::string(method), std::string(host)});
      });
}

RestClientMetrics::~RestClientMetrics() { kube::RemoveRequestResultObserver(observer_); }

}  // namespace kfed::controller
