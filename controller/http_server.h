// The controller manager's HTTP endpoints: /healthz, /readyz and /metrics (Prometheus text),
// served by cpp-httplib on its own thread pool. Later the dashboard is served here too.
#ifndef KFED_CONTROLLER_HTTP_SERVER_H_
#define KFED_CONTROLLER_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/metrics.h"

namespace httplib {
class Server;
}

namespace kfed::controller {

class HttpServer {
 public:
  // `readiness` returns OK when the process is ready (caches synced), else why not; it is
  // called on a server thread and must not block. `metrics` must outlive the server.
  HttpServer(const MetricsRegistry* metrics, std::function<absl::Status()> readiness);
  ~HttpServer();

  // Binds `address` ("host:port", ":port" for all interfaces, port 0 for any) and starts
  // serving. Returns the bound port.
  absl::StatusOr<int> Start(const std::string& address);
  void Stop();

  // Registers an extra GET handler before Start (e.g. the dashboard).
  void Get(
      const std::string& pattern,
      std::function<void(const std::string& path, std::string* body, std::string* content_type)>
          handler);

 private:
  const MetricsRegistry* metrics_;
  std::function<absl::Status()> readiness_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// Splits "host:port" / ":port"; an empty host means all interfaces.
absl::StatusOr<std::pair<std::string, int>> ParseListenAddress(const std::string& address);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_HTTP_SERVER_H_
