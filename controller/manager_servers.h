// kfed-controller-manager's servers: /healthz and /readyz (plain HTTP on their own address,
// or on the metrics server when both addresses are the same), the metrics server (/metrics,
// the dashboard and its HTTP API; TLS unless --insecure-local) and the gRPC status API, with
// the memory trimmer that runs beside them.
//
// Ownership and threads: the Manager owns one and borrows it the metrics registry, the status
// store and the access control, which outlive it. Start() runs once, on Manager::Run's thread;
// StopStatusServer() and Stop() run on the thread that stops the manager (after Start()
// returned). The servers' own threads call `readiness` (which must not block), read the
// store and authenticate callers through `access`.
#ifndef KFED_CONTROLLER_MANAGER_SERVERS_H_
#define KFED_CONTROLLER_MANAGER_SERVERS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/http_server.h"
#include "controller/memory_trimmer.h"
#include "controller/metrics.h"
#include "kube/pki.h"
#include "status/access.h"
#include "status/service.h"
#include "status/store.h"

namespace kfed::controller {

// The serving part of ManagerOptions (see there).
struct ServingOptions {
  std::string healthz_addr;
  std::string metrics_addr;
  std::string status_addr;  // "" disables the gRPC status API
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string cert_dir;
  bool insecure_local = false;
};

class ManagerServers {
 public:
  ManagerServers(ServingOptions options, MetricsRegistry& metrics, status::StatusStore& store,
                 status::AccessControl& access, std::function<absl::Status()> readiness);
  ~ManagerServers();  // Stop()s, then the status server ends with it
  ManagerServers(const ManagerServers&) = delete;
  ManagerServers& operator=(const ManagerServers&) = delete;

  // Loads or makes the TLS material, binds every address and serves. Errors name the flag
  // (a bad address, a certificate that does not load, a port in use). Once.
  absl::Status Start();
  // The gRPC status API once Start() started it; null before, or when it is disabled. Starts
  // NOT_SERVING: whoever decides readiness tells it (StatusServer::SetServing).
  status::StatusServer* status_server() const { return status_server_.get(); }
  // Ends the status streams and long polls and stops the gRPC server. Idempotent.
  void StopStatusServer();
  // Stops the memory trimmer and the HTTP servers (after this nothing calls `readiness`).
  // Idempotent.
  void Stop();

  // 0 until Start() binds them. Any thread.
  int healthz_port() const { return healthz_port_.load(); }
  int metrics_port() const { return metrics_port_.load(); }
  int status_port() const { return status_port_.load(); }

 private:
  const ServingOptions options_;
  MetricsRegistry& metrics_;
  status::StatusStore& store_;
  status::AccessControl& access_;
  const std::function<absl::Status()> readiness_;

  std::unique_ptr<HttpServer> healthz_server_;
  std::unique_ptr<HttpServer> metrics_server_;
  // Returns the heap freed after bursts to the system; exports kfed_heap_bytes.
  std::unique_ptr<MemoryTrimmer> memory_trimmer_;
  std::unique_ptr<status::StatusServer> status_server_;
  std::atomic<int> healthz_port_{0};
  std::atomic<int> metrics_port_{0};
  std::atomic<int> status_port_{0};
};

// The TLS material both servers use: the PEM files given (--tls-cert-file and --tls-key-file
// go together), else a self-signed certificate made now and, with a `cert_dir`, written there
// as tls.crt, tls.key and ca.crt for clients to trust. kInvalidArgument naming the flag.
absl::StatusOr<kube::ServingCertificate> LoadOrMakeServingCertificate(
    const ServingOptions& options);

// For --insecure-local: `address` ("host:port" or ":port") on loopback (":port" becomes
// 127.0.0.1:port); INVALID_ARGUMENT naming the flag's rule for any other host.
absl::StatusOr<std::string> LoopbackAddress(const std::string& address);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MANAGER_SERVERS_H_
