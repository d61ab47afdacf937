// The sync controller of one federated type (one enabled FederatedTypeConfig): keeps every
// member cluster holding what the type's Federated<Kind> objects say.
//
// Threads (all owned here, joined by Stop()):
// Every queue is drained by a WorkerPool (controller/worker_pool.h), which waits for the
// host caches before the first reconcile:
//   - finalizer workers take the keys of objects that lack kfed's finalizer from their own
//     queue and add it, with priority on the host client's limiter: nothing propagates before
//     the finalizer is in place, so these writes must not queue behind status writes;
//   - host workers take federated keys ("ns/name") from the host queue: deletion, fan-out
//     to the cluster queues, status and PropagatedVersion writes;
//   - per member cluster, workers take keys from that cluster's own queue, decide the
//     cluster's action from the caches (PlanPropagation/PlanDeletion with only_cluster) and
//     carry it out with the member's client (Dispatch), so a slow or dead member only delays
//     its own queue;
//   - informers: the host's Federated<Kind> (owned here), and per member the target type
//     filtered on the kubefed.io/managed label. Their handlers only enqueue keys, at once.
// A member's outcome that changes re-queues the key on the host queue, which writes status
// once no selected cluster is still in progress, and publishes every host pass's view of the
// object (per-cluster state, also while clusters are in progress) to the status store.
#ifndef KFED_CONTROLLER_SYNC_CONTROLLER_H_
#define KFED_CONTROLLER_SYNC_CONTROLLER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_registry.h"
#include "controller/dispatcher.h"
#include "controller/events.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/worker_pool.h"
#include "federated_types/type_config.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "status/store.h"

namespace kfed::controller {

// Host caches shared by all sync controllers (owned by the manager, started before them).
struct HostCaches {
  kube::Informer* federated_namespaces = nullptr;         // FederatedNamespace, all namespaces
  kube::Informer* propagated_versions = nullptr;          // PropagatedVersion
  kube::Informer* cluster_propagated_versions = nullptr;  // ClusterPropagatedVersion
  kube::Informer* namespaces = nullptr;                   // the host's Namespaces (for uids)
};

struct SyncControllerOptions {
  federated_types::TypeConfig type_config;
  std::string kubefed_namespace = "kube-federation-system";
  bool limited_scope = false;
  bool adopt_resources = true;
  int host_workers = 2;
  int cluster_workers = 4;
  std::string field_manager = "kfed";
  // Where each federated object's propagation state is published for the status API and
  // the dashboard (nullptr: nowhere). Must outlive the controller.
  status::StatusStore* status_store = nullptr;
};

class SyncController {
 public:
  SyncController(kube::Client& host, ClusterRegistry& clusters, HostCaches caches,
                 MetricsRegistry& metrics, EventRecorder& events, SyncControllerOptions options,
                 Clock& clock = Clock::Real());
  ~SyncController();
  SyncController(const SyncController&) = delete;
  SyncController& operator=(const SyncController&) = delete;

  void Start();
  // Stops informers and workers and joins them. Idempotent.
  void Stop();

  const federated_types::TypeConfig& type_config() const { return options_.type_config; }
  // The host Federated<Kind> informer has synced.
  bool HostSynced() const;
  // Every ready member's informer for this type has synced.
  bool MembersSynced() const;

  // A FederatedNamespace changed: objects in that namespace may be placed differently.
  void OnNamespacePlacementChanged(const std::string& ns);

 private:
  struct ClusterWorkers {
    std::string name;
    uint64_t client_generation = 0;
    std::shared_ptr<kube::Client> client;
    std::unique_ptr<kube::Informer> informer;
    std::unique_ptr<FuncReconciler> reconciler;
    std::unique_ptr<WorkerPool> pool;
  };
  // What kfed knows about one federated object's propagation, per cluster.
  struct ClusterRecord {
    DispatchOutcome last;
    bool has_outcome = false;
    // Counts the outcomes recorded in `last`: WriteStatus clears `last.wrote` only for the
    // outcomes it accounted for, not for one a worker recorded while the status was written.
    uint64_t outcome_seq = 0;
    // A write kfed made that the member cache may not show yet.
    Operation pending_op = Operation::kNone;
    std::string pending_resource_version;
    std::string pending_uid;
    absl::Time pending_since;
    // Seconds from the change seen to the last write that carried it (status API).
    double latency_seconds = 0;
  };
  struct ObjectState {
    std::string template_version;
    std::string overrides_version;
    std::map<std::string, std::string> versions;  // cluster -> version kfed wrote
    std::map<std::string, ClusterRecord> clusters;
    absl::Time observed;       // when the change being propagated was seen (for latency)
    std::string last_waiting;  // clusters a deletion waited for, last reported
  };

  // The caches every host and member pass reads before it may decide anything.
  std::vector<CacheSyncSource> DecisionCaches() const;
  // Adds kfed's finalizer where NeedsFinalizer says so.
  absl::StatusOr<ReconcileResult> ReconcileFinalizer(const std::string& key);
  // Whether kfed's finalizer is still to be added (live, not a system namespace, no finalizer).
  bool NeedsFinalizer(const rapidjson::Value& fed) const;
  // Returns whether to retry the key with backoff.
  bool ReconcileHost(const std::string& key);
  bool ReconcileCluster(const std::string& cluster, kube::Client& client, const std::string& key);

  void OnClustersChanged(const std::string& cluster);
  void EnsureClusterWorkers(const std::string& cluster) ABSL_LOCKS_EXCLUDED(mu_);
  void StopClusterWorkers(std::unique_ptr<ClusterWorkers> workers);
  void EnqueueAllClusters(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  void EnqueueHost(const std::string& key, bool observed_change);
  void EnqueueAllHost();

  // Builds the plan request over every registered cluster from the caches.
  struct RequestParts;
  std::unique_ptr<RequestParts> BuildRequest(const kube::ObjectPtr& fed, const std::string& key)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Status and PropagatedVersion for a live federated object; returns whether to retry.
  bool WriteStatus(const kube::ObjectPtr& fed, const std::string& key);
  bool HandleDeletion(const kube::ObjectPtr& fed, const std::string& key);

  // The status API: the object as the store shows it (without clusters), publishing, and
  // GetObject's rendering for one cluster (the store's renderer for this type).
  status::v1::FederatedObject PublishedObject(const kube::ObjectPtr& fed,
                                              const std::string& key) const;
  void Publish(status::v1::FederatedObject object);
  void Unpublish(const std::string& key);
  absl::StatusOr<status::RenderResult> Render(const std::string& ns, const std::string& name,
                                              const std::string& cluster);
  absl::Status EnsureFinalizer(const kube::ObjectPtr& fed, bool present,
                               kube::RequestPriority priority = kube::RequestPriority::kNormal);

  std::string KeyForMember(const rapidjson::Value& member) const;
  kube::GroupVersionResource FederatedResource() const;
  kube::GroupVersionResource TargetResource() const;
  kube::GroupVersionResource VersionResource() const;

  kube::Client& host_;
  ClusterRegistry& clusters_;
  HostCaches caches_;
  MetricsRegistry& metrics_;
  EventRecorder& events_;
  const SyncControllerOptions options_;
  Clock& clock_;

  std::unique_ptr<kube::Informer> federated_informer_;
  FuncReconciler host_reconciler_;
  std::unique_ptr<WorkerPool> host_pool_;
  FuncReconciler finalizer_reconciler_;
  std::unique_ptr<WorkerPool> finalizer_pool_;
  int registry_listener_ = -1;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::unique_ptr<ClusterWorkers>> workers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ObjectState> objects_ ABSL_GUARDED_BY(mu_);

  MetricFamily* dispatch_duration_;
  MetricFamily* reconcile_duration_;
  MetricFamily* reconcile_total_;
  MetricFamily* propagation_latency_;
  MetricFamily* queue_depth_;
  MetricFamily* member_writes_;
  MetricFamily* member_errors_;
};

// "ns/name" (or "name" when cluster-scoped) and back.
std::string ObjectKey(absl::string_view ns, absl::string_view name);
std::pair<std::string, std::string> SplitObjectKey(absl::string_view key);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_SYNC_CONTROLLER_H_
