// The controller manager's HTTP endpoints: /healthz, /readyz and /metrics (Prometheus text),
// served by cpp-httplib on its own thread pool, plus handlers registered with Get (the
// dashboard and its API on the metrics server).
#ifndef KFED_CONTROLLER_HTTP_SERVER_H_
#define KFED_CONTROLLER_HTTP_SERVER_H_

#include <functional>
#include <map>
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

struct HttpRequest {
  std::string path;                           // without the query
  std::map<std::string, std::string> params;  // decoded query parameters (first value wins)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
};

// Called on a server thread; may block (e.g. a long poll) but holds that thread meanwhile.
using HttpHandler = std::function<void(const HttpRequest& request, HttpResponse* response)>;

class HttpServer {
 public:
  // Threads serving requests: long polls of the dashboard each hold one while they wait.
  static constexpr int kThreads = 32;

  // `readiness` returns OK when the process is ready (caches synced), else why not; it is
  // called on a server thread and must not block. `metrics` must outlive the server.
  HttpServer(const MetricsRegistry* metrics, std::function<absl::Status()> readiness);
  ~HttpServer();

  // Binds `address` ("host:port", ":port" for all interfaces, port 0 for any) and starts
  // serving. Returns the bound port.
  absl::StatusOr<int> Start(const std::string& address);
  void Stop();

  // Registers an extra GET handler before Start. `pattern` is a regular expression matched
  // against the whole path; handlers registered earlier (and /healthz, /readyz, /metrics)
  // win, so a catch-all goes last.
  void Get(const std::string& pattern, HttpHandler handler);

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
