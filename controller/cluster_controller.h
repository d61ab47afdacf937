// The KubeFedCluster controller: for each KubeFedCluster in the federation namespace, builds a
// client from its Secret and CA bundle, probes its health (/readyz, falling back to /healthz)
// every period with KubeFed's thresholds and timeout, writes Ready/Offline/ConfigMalformed
// conditions and status.kubernetesVersion (only when they change: an idle federation makes no
// writes), and publishes the cluster in the ClusterRegistry for the sync controllers and in
// the status store for the status API (which ignores publishes that change nothing).
//
// A Reconciler (controller/reconciler.h) on a WorkerPool; the key is the cluster's name. One
// reconcile is one probe step of that cluster (the health counters, clients and Kubernetes
// version carried from probe to probe live in a per-cluster state); it asks to run again after
// the health-check period (RequeueAfter), so the period is a timer of the queue, not a sleep.
// A cluster gone from the informer is cleaned up by its next reconcile ("unjoined"). Rotated
// credentials: a changed Secret or KubeFedCluster spec enqueues the cluster, whose reconcile
// rebuilds the client.
//
// Threads: `workers` pool workers (default 16), and the informers on KubeFedClusters and
// Secrets, whose handlers only enqueue cluster names. A probe of a dead cluster holds its
// worker for up to the health-check timeout (3 s by default, every period), so the pool has
// many more workers than it is busy on average: with 16, up to 15 clusters timing out at once
// delay no other cluster's probe (more than that and healthy clusters wait for a free worker,
// at most one timeout per period). Idle workers only wait on the queue.
#ifndef KFED_CONTROLLER_CLUSTER_CONTROLLER_H_
#define KFED_CONTROLLER_CLUSTER_CONTROLLER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_health.h"
#include "controller/cluster_registry.h"
#include "controller/kubefed_resources.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/worker_pool.h"
#include "federated_types/kubefed_config.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/informer.h"
#include "status/store.h"

namespace kfed::controller {

struct ClusterControllerOptions {
  std::string kubefed_namespace = "kube-federation-system";
  federated_types::KubeFedConfig config;  // health check period, thresholds, timeout
  double member_qps = 100;                // per member client
  int member_burst = 200;
  // Per request of the sync controllers' member clients (not of the health probes, which
  // use the KubeFedConfig's health-check timeout).
  absl::Duration member_request_timeout = absl::Seconds(30);
  std::string field_manager = "kfed";
  // Where each cluster's health, version, endpoint and labels are published for the status
  // API and the dashboard (nullptr: nowhere). Must outlive the controller.
  status::StatusStore* status_store = nullptr;
  // Probes that may run at once (see the file comment).
  int workers = 16;
  // Called after the registry was marked synced (every cluster probed once), on a worker;
  // must not block. Optional: the manager pushes its readiness (controller/readiness.h).
  std::function<void()> on_synced;
};

// Builds a member client from a config; a seam for tests. Called on a pool worker.
using ClientFactory =
    std::function<absl::StatusOr<std::shared_ptr<kube::Client>>(const kube::RestConfig& config)>;

class ClusterController {
 public:
  ClusterController(kube::Client& host, ClusterRegistry& registry, MetricsRegistry& metrics,
                    ClusterControllerOptions options, Clock& clock = Clock::Real(),
                    ClientFactory factory = nullptr);
  ~ClusterController();  // Stop()s

  // Once. Starts the informers and the workers.
  void Start();
  // Stops the workers (waiting for probes in progress) and the informers. Idempotent; the
  // registry keeps the clusters' last state.
  void Stop();
  // Both informers have synced. Thread-safe after Start().
  bool Synced() const;

 private:
  // What one cluster's reconciles carry from probe to probe. Only the reconcile of that
  // cluster reads or writes it (the queue never runs a key twice at once); the map that
  // holds it is guarded by mu_.
  struct ClusterState {
    ClusterState(int64_t failure_threshold, int64_t success_threshold)
        : health(failure_threshold, success_threshold) {}
    ClusterHealth health;
    // The KubeFedCluster spec and the Secret's resourceVersion the clients were built from.
    std::string built_from;
    std::shared_ptr<kube::Client> client;        // for the sync controllers
    std::shared_ptr<kube::Client> probe_client;  // health-check timeout, no retries
    uint64_t generation = 0;                     // bumped on every new client
    std::string kubernetes_version;
    std::string config_error;  // why no client could be built
    // A status write failed: write again at the next probe even if nothing changed.
    bool status_pending = false;
    // What our last status write returned, and the resourceVersion the cache showed then:
    // while the cache still shows it, it has not seen the write.
    kube::ObjectPtr written;
    std::string written_over;
  };

  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key);
  // One probe step of `name`: (re)build clients, probe, write status, publish.
  void Probe(const std::string& name, const kube::ObjectPtr& cluster, ClusterState& state);
  // The cluster left the informer: forget it everywhere.
  void Unjoin(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);
  // On joining: a Ready condition True in the KubeFedCluster's status (an earlier process's
  // probes) seeds `health` (ClusterHealth::Seed).
  void SeedFromHostStatus(const std::string& name, const rapidjson::Value& cluster,
                          ClusterHealth& health);
  // The registry is synced once every cluster in the informer has been probed once (with
  // no clusters: once the informers synced).
  void MarkSyncedIfAllProbed();
  // Enqueues the clusters whose spec.secretRef names `secret`.
  void EnqueueClustersUsing(const kube::ObjectPtr& secret);

  kube::Client& host_;
  ClusterRegistry& registry_;
  MetricsRegistry& metrics_;
  const ClusterControllerOptions options_;
  Clock& clock_;
  ClientFactory factory_;
  FuncReconciler reconciler_;
  // Set by Start() before any thread that reads them runs.
  std::unique_ptr<kube::Informer> clusters_informer_;
  std::unique_ptr<kube::Informer> secrets_informer_;
  std::unique_ptr<WorkerPool> pool_;

  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<ClusterState>> states_ ABSL_GUARDED_BY(mu_);

  MetricFamily* cluster_total_;
  MetricFamily* joined_total_;
  MetricFamily* health_duration_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLUSTER_CONTROLLER_H_
