// The controller manager's HTTP endpoints: /healthz and /readyz (open, for probes), /metrics
// (Prometheus text, behind a guard that checks the caller's token: controller/manager.cc),
// served by cpp-httplib on its own thread pool over HTTPS or plain HTTP, plus handlers
// registered with Get (the dashboard and its API on the metrics server).
#ifndef KFED_CONTROLLER_HTTP_SERVER_H_
#define KFED_CONTROLLER_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/metrics.h"

namespace httplib {
class Server;
}

namespace kfed::controller {

struct HttpRequest {
  std::string path;                           // without the query
  std::map<std::string, std::string> params;  // decoded query parameters (first value wins)
  std::string authorization;                  // the Authorization header ("" when absent)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::map<std::string, std::string> headers;  // besides Content-Type
};

// Called on a server thread; may block (e.g. a long poll) but holds that thread meanwhile.
using HttpHandler = std::function<void(const HttpRequest& request, HttpResponse* response)>;

struct HttpServerOptions {
  // Both set: HTTPS with this certificate chain and key (PEM). Both empty: plain HTTP.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Serves /metrics from this registry (must outlive the server); null: no /metrics.
  const MetricsRegistry* metrics = nullptr;
  // Asked before /metrics is served: nullopt lets it through, a response answers instead
  // (401/403/503). Called on a server thread; may block on the host's reviews.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> metrics_guard;
};

class HttpServer {
 public:
  // Threads serving requests at most (started on demand, on_demand_thread_pool.h): long
  // polls of the dashboard each hold one while they wait.
  static constexpr int kThreads = 32;

  // `readiness` returns OK when the process is ready (caches synced), else why not; it is
  // called on a server thread and must not block. INVALID_ARGUMENT when the certificate or
  // key does not load (naming which).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(
      std::function<absl::Status()> readiness, HttpServerOptions options);
  ~HttpServer();

  bool tls() const { return tls_; }

  // Binds `address` ("host:port", ":port" for all interfaces, port 0 for any) and starts
  // serving. Returns the bound port.
  absl::StatusOr<int> Start(const std::string& address);
  void Stop();

  // Registers an extra GET handler before Start. `pattern` is a regular expression matched
  // against the whole path; handlers registered earlier (and /healthz, /readyz, /metrics)
  // win, so a catch-all goes last.
  void Get(const std::string& pattern, HttpHandler handler);

 private:
  HttpServer(std::function<absl::Status()> readiness, HttpServerOptions options,
             std::unique_ptr<httplib::Server> server, bool tls);

  const std::function<absl::Status()> readiness_;
  const HttpServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  const bool tls_;
  std::thread thread_;
};

// Splits "host:port" / ":port"; an empty host means all interfaces.
absl::StatusOr<std::pair<std::string, int>> ParseListenAddress(const std::string& address);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_HTTP_SERVER_H_
