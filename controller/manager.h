// kfed-controller-manager: wires the host client, KubeFedConfig, leader election, the shared
// host caches, the cluster controller and the FederatedTypeConfig controller, the status store
// they publish to, and serves /healthz, /readyz, /metrics, the dashboard with its HTTP API
// (on the metrics server) and the gRPC status API.
// Here: the controllers' lifecycle (started on leadership, stopped before the Lease is
// released), leader election and readiness. Elsewhere: reading the KubeFedConfig
// (kubefed_config_loader.h) and the servers with their TLS material (manager_servers.h).
#ifndef KFED_CONTROLLER_MANAGER_H_
#define KFED_CONTROLLER_MANAGER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/cancellation.h"
#include "controller/client_metrics.h"
#include "controller/cluster_controller.h"
#include "controller/cluster_registry.h"
#include "controller/clusterset_controller.h"
#include "controller/events.h"
#include "controller/kubefed_resources.h"
#include "controller/manager_servers.h"
#include "controller/mcs_controller.h"
#include "controller/metrics.h"
#include "controller/process_metrics.h"
#include "controller/readiness.h"
#include "controller/scheduling_controller.h"
#include "controller/type_config_controller.h"
#include "federated_types/kubefed_config.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "status/access.h"
#include "status/service.h"
#include "status/store.h"

namespace kfed::controller {

struct ManagerOptions {
  std::string kubefed_namespace = "kube-federation-system";
  std::string healthz_addr = ":8080";
  std::string metrics_addr = ":9090";
  // The gRPC status API ("" disables it).
  std::string status_addr = ":9091";
  // TLS of the metrics server (/metrics, the dashboard and its API) and of the status API:
  // these PEM files, else a self-signed certificate made at start (written to cert_dir as
  // tls.crt, tls.key and ca.crt when set, so that clients can trust it).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string cert_dir;
  // Plain HTTP and gRPC instead, on loopback addresses only (hack/up.sh). Authentication and
  // authorization apply all the same.
  bool insecure_local = false;
  bool leader_elect = true;
  std::string identity;     // default: hostname_pid
  int host_workers = 0;     // 0: KubeFedConfig syncController.maxConcurrentReconciles, at least 4
  int cluster_workers = 4;  // per member cluster and type
  double member_qps = 100;
  int member_burst = 200;
  // How long one request to a member may take. A write that gets no answer in time is
  // reported with KubeFed's CreationTimedOut / UpdateTimedOut / DeletionTimedOut /
  // LabelRemovalTimedOut; the default is KubeFed's dispatch timeout.
  absl::Duration member_request_timeout = absl::Seconds(30);
  // Events are written by a background recorder at most this fast (merged while waiting).
  double event_qps = 20;
  int event_burst = 100;
  // The ClusterSet the federation forms (controller/clusterset_controller.h).
  std::string clusterset_name = "kfed";
  // Where Multi-Cluster Services' ClusterSetIPs come from (controller/mcs_controller.h).
  std::string clusterset_ip_range = McsOptions().clusterset_ip_range;
  // KubeFed's --kubefed-config: read the KubeFedConfig from this YAML file instead of the
  // host (nothing is written to the host).
  std::string kubefed_config_file;
  // The chart's --kubefed-config-checksum: Run() first waits (up to
  // kKubeFedConfigChecksumWait, controller/kubefed_config_loader.h) until KubeFedConfig `kubefed`
  // carries this value in its annotation kfed.io/chart-checksum, i.e. holds the settings this Pod
  // was rendered with. Helm applies custom resources after Deployments: read at once, a Pod of an
  // upgrade ran with the previous settings (or, on install, created KubeFed's defaults). Empty: no
  // wait.
  std::string kubefed_config_checksum;
};

class Manager {
 public:
  // `events` (optional) is a second host client for Events only, so that they never take the
  // request budget of the controllers' writes; null: Events use `host`. `reviews` likewise
  // for the status readers' TokenReviews and SubjectAccessReviews.
  Manager(std::unique_ptr<kube::Client> host, ManagerOptions options,
          std::unique_ptr<kube::Client> events = nullptr,
          std::unique_ptr<kube::Client> reviews = nullptr);
  ~Manager();

  // Reads (or creates) KubeFedConfig `kubefed`, starts serving, campaigns for leadership and
  // runs the controllers while leading. Returns when `stop` is cancelled (OK) or leadership is
  // lost (an error: the process should exit so a fresh one campaigns again). Call once.
  // `stop` may be cancelled from any thread but a signal handler: with leader election, that
  // thread stops the controllers and then has the Lease released, before its Cancel()
  // returns. No thread Run() started outlives it, except the servers' (the destructor's).
  absl::Status Run(const CancellationToken& stop);

  // What /readyz and the gRPC health service answer: OK for a standby (ready to take over);
  // for the leader, OK once the KubeFedCluster and type caches have synced and every cluster
  // was probed once. Any thread.
  absl::Status Readiness() const ABSL_LOCKS_EXCLUDED(mu_);
  // Pushes changes of Readiness() to observers (the gRPC health service is one): the inputs
  // (leadership, the controllers' caches syncing, clusters probed or changing readiness)
  // report to it as they change; nothing polls.
  ReadinessNotifier& readiness() { return readiness_; }
  // Whether this replica leads (and runs the controllers). Any thread.
  bool IsLeading() const ABSL_LOCKS_EXCLUDED(mu_);

  // For tests and the status API.
  MetricsRegistry& metrics() { return metrics_; }
  ClusterRegistry& clusters() { return registry_; }
  status::StatusStore& status_store() { return *status_store_; }
  // 0 until Run() serves. Any thread.
  int healthz_port() const { return servers_->healthz_port(); }
  int metrics_port() const { return servers_->metrics_port(); }
  int status_port() const { return servers_->status_port(); }

 private:
  // Once: does nothing after StopControllers().
  void StartControllers(const federated_types::KubeFedConfig& config)
      ABSL_LOCKS_EXCLUDED(lifecycle_mu_, mu_);
  // Idempotent; StartControllers() does nothing afterwards.
  void StopControllers() ABSL_LOCKS_EXCLUDED(lifecycle_mu_, mu_);
  // On settings_reporter_: writes KubeFedConfig `kubefed`'s SettingsHonoured condition
  // (kubefed_config_status.h) and, when it changed, a Warning Event on it.
  void ReportKubeFedConfigSettings(const federated_types::KubeFedConfig& config)
      ABSL_LOCKS_EXCLUDED(lifecycle_mu_);
  void SetLeading(bool leading) ABSL_LOCKS_EXCLUDED(mu_);
  // servers_->Start(), then the gRPC health service follows readiness_.
  absl::Status StartServing() ABSL_LOCKS_EXCLUDED(lifecycle_mu_);

  std::unique_ptr<kube::Client> host_;
  std::unique_ptr<kube::Client> event_client_;
  std::unique_ptr<kube::Client> review_client_;
  const ManagerOptions options_;
  MetricsRegistry metrics_;
  // KubeFed's rest_client_requests_total (every Transport of the process) and process_*
  // (/proc/self at each scrape), into metrics_; destroyed before it.
  RestClientMetrics rest_client_metrics_{metrics_};
  ProcessMetrics process_metrics_{metrics_};
  ReadinessNotifier readiness_;
  ClusterRegistry registry_;
  // Member readiness changes MembersSynced(): a registry listener tells readiness_.
  int registry_listener_ = -1;

  // What the controllers publish for the status API and the dashboard.
  std::unique_ptr<status::StatusStore> status_store_;
  // Who may read it (and /metrics): the host's TokenReview and SubjectAccessReview.
  std::unique_ptr<status::AccessReviewer> reviewer_;
  std::unique_ptr<status::AccessControl> access_;
  // /healthz, /readyz, /metrics, the dashboard and the status API (manager_servers.h).
  std::unique_ptr<ManagerServers> servers_;

  // Serializes starting and stopping the controllers, which happen on different threads
  // (the leader elector's, the one that cancels Run's `stop`, the destructor's). Held while
  // they start or join threads; nothing else takes it (Readiness reads mu_).
  absl::Mutex lifecycle_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  bool controllers_stopped_ ABSL_GUARDED_BY(lifecycle_mu_) = false;
  // The gRPC health service's subscription to readiness_ (-1: none); removed before the
  // status server stops.
  int health_observer_ ABSL_GUARDED_BY(lifecycle_mu_) = -1;
  std::unique_ptr<EventRecorder> events_ ABSL_GUARDED_BY(lifecycle_mu_);
  // Started by StartControllers (the leader) unless the KubeFedConfig came from a file; a few
  // host requests, off the elector's thread so that they never delay a Lease renewal. Joined
  // by StopControllers before it stops the event recorder.
  std::thread settings_reporter_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::unique_ptr<kube::Informer> federated_namespaces_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::unique_ptr<kube::Informer> propagated_versions_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::unique_ptr<kube::Informer> cluster_propagated_versions_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::unique_ptr<kube::Informer> namespaces_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::unique_ptr<ClusterController> cluster_controller_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::unique_ptr<TypeConfigController> type_config_controller_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::unique_ptr<ClusterSetController> clusterset_controller_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::unique_ptr<McsController> mcs_controller_ ABSL_GUARDED_BY(lifecycle_mu_);
  // Null: KubeFedConfig's SchedulerPreferences gate is Disabled.
  std::unique_ptr<SchedulingController> scheduling_controller_ ABSL_GUARDED_BY(lifecycle_mu_);

  // What Readiness() reads on the HTTP and gRPC threads.
  mutable absl::Mutex mu_;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  // Set once both controllers have started (before that their Synced() may not be called);
  // they live as long as the manager.
  const ClusterController* running_cluster_controller_ ABSL_GUARDED_BY(mu_) = nullptr;
  const TypeConfigController* running_type_config_controller_ ABSL_GUARDED_BY(mu_) = nullptr;
  // KubeFedConfig's PushReconciler gate is Disabled: no type controller to wait for.
  bool propagation_disabled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MANAGER_H_
