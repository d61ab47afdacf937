// What client-go reports to its metrics hook (k8s.io/client-go/tools/metrics RequestResult):
// one result per HTTP request a Transport sent, as (code, method, host). The controller
// manager turns them into KubeFed's `rest_client_requests_total{code,host,method}`
// (controller/client_metrics.h); kube/ knows nothing of Prometheus.
//
// Process-wide, as client-go's registration is: every Transport of the process (host and
// member clients alike) reports to every observer registered here.
#ifndef KFED_KUBE_REQUEST_METRICS_H_
#define KFED_KUBE_REQUEST_METRICS_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace kfed::kube {

// `code` is the HTTP status as decimal text, or "<error>" when no response came (client-go's
// value); `method` the HTTP verb ("GET", ...); `host` the server's "host:port" as in its URL.
// Called on the requesting thread; must be cheap and must not block or send requests.
using RequestResultObserver =
    std::function<void(absl::string_view code, absl::string_view method, absl::string_view host)>;

// Returns an id for RemoveRequestResultObserver. Thread-safe.
int AddRequestResultObserver(RequestResultObserver observer);
// When it returns, the observer is not running and never will. Thread-safe.
void RemoveRequestResultObserver(int id);

// Reports one request's result to every observer (Transport calls this once per attempt on
// the wire, retries included; a watch when its response ends). `http_status` 0: no response.
void ReportRequestResult(int http_status, absl::string_view method, absl::string_view host);

// "host:port" (or "host") of `server_url` ("https://host:port/prefix").
std::string RequestHost(absl::string_view server_url);

}  // namespace kfed::kube

#endif  // KFED_KUBE_REQUEST_METRICS_H_
