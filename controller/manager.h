// kfed-controller-manager: wires the host client, KubeFedConfig, leader election, the shared
// host caches, the cluster controller and the FederatedTypeConfig controller, the status store
// they publish to, and serves /healthz, /readyz, /metrics, the dashboard with its HTTP API
// (on the metrics server) and the gRPC status API.
#ifndef KFED_CONTROLLER_MANAGER_H_
#define KFED_CONTROLLER_MANAGER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "controller/cluster_controller.h"
#include "controller/cluster_registry.h"
#include "controller/events.h"
#include "controller/http_server.h"
#include "controller/kubefed_resources.h"
#include "controller/memory_trimmer.h"
#include "controller/metrics.h"
#include "controller/type_config_controller.h"
#include "federated_types/kubefed_config.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "status/service.h"
#include "status/store.h"

namespace kfed::controller {

struct ManagerOptions {
  std::string kubefed_namespace = "kube-federation-system";
  std::string healthz_addr = ":8080";
  std::string metrics_addr = ":9090";
  // The gRPC status API ("" disables it); TLS when both files are set, else plaintext.
  std::string status_addr = ":9091";
  std::string status_tls_cert_file;
  std::string status_tls_key_file;
  bool leader_elect = true;
  std::string identity;     // default: hostname_pid
  int host_workers = 0;     // 0: KubeFedConfig syncController.maxConcurrentReconciles, at least 4
  int cluster_workers = 4;  // per member cluster and type
  double member_qps = 100;
  int member_burst = 200;
  // Events are written by a background recorder at most this fast (merged while waiting).
  double event_qps = 20;
  int event_burst = 100;
};

class Manager {
 public:
  // `events` (optional) is a second host client for Events only, so that they never take the
  // request budget of the controllers' writes; null: Events use `host`.
  Manager(std::unique_ptr<kube::Client> host, ManagerOptions options,
          std::unique_ptr<kube::Client> events = nullptr);
  ~Manager();

  // Reads (or creates) KubeFedConfig `kubefed`, starts serving, campaigns for leadership and
  // runs the controllers while leading. Returns when `stop` is notified (OK) or leadership is
  // lost (an error: the process should exit so a fresh one campaigns again).
  absl::Status Run(const absl::Notification& stop);

  // For tests and the status API.
  MetricsRegistry& metrics() { return metrics_; }
  ClusterRegistry& clusters() { return registry_; }
  status::StatusStore& status_store() { return *status_store_; }
  int healthz_port() const { return healthz_port_; }
  int metrics_port() const { return metrics_port_; }
  int status_port() const { return status_port_; }

 private:
  absl::StatusOr<federated_types::KubeFedConfig> LoadKubeFedConfig();
  void StartControllers(const federated_types::KubeFedConfig& config);
  void StopControllers();
  absl::Status Readiness() const;

  std::unique_ptr<kube::Client> host_;
  std::unique_ptr<kube::Client> event_client_;
  const ManagerOptions options_;
  MetricsRegistry metrics_;
  ClusterRegistry registry_;
  // What the controllers publish for the status API and the dashboard.
  std::unique_ptr<status::StatusStore> status_store_;
  std::unique_ptr<HttpServer> healthz_server_;
  std::unique_ptr<HttpServer> metrics_server_;
  // Returns the heap freed after bursts to the system; exports kfed_heap_bytes.
  std::unique_ptr<MemoryTrimmer> memory_trimmer_;
  int healthz_port_ = 0;
  int metrics_port_ = 0;
  std::unique_ptr<status::StatusServer> status_server_;
  int status_port_ = 0;

  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<kube::Informer> federated_namespaces_;
  std::unique_ptr<kube::Informer> propagated_versions_;
  std::unique_ptr<kube::Informer> cluster_propagated_versions_;
  std::unique_ptr<kube::Informer> namespaces_;
  std::unique_ptr<ClusterController> cluster_controller_;
  std::unique_ptr<TypeConfigController> type_config_controller_;
  std::atomic<bool> leading_{false};
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MANAGER_H_
