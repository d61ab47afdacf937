// The ReplicaSchedulingPreference controller: KubeFed v0.10's schedulingpreference controller
// and replica scheduler (pkg/controller/schedulingpreference, pkg/schedulingtypes) on the
// reconciler runtime. An RSP <ns>/<name> spreads the replicas of the FederatedDeployment or
// FederatedReplicaSet <ns>/<name> (spec.targetKind) over the Ready member clusters: the pure
// plan (controller/replica_scheduling_plan.h) decides spec.placement.clusters and a
// /spec/replicas override per cluster, and this controller writes them to the target with a
// merge patch carrying the resourceVersion it planned from (only when they change).
//
// Inputs, all read from caches except pods:
//   - host informers: RSPs, FederatedDeployments, FederatedReplicaSets, FederatedNamespaces
//     (for intersectWithClusterSelector), all namespaces or the KubeFed namespace when the
//     federation is namespace-scoped;
//   - per Ready member (ClusterRegistry): informers on its Deployments or ReplicaSets (those
//     of a kind some RSP targets) with label kubefed.io/managed=true (what the sync
//     controller propagated);
//   - pods: listed on demand, in the workload's namespace by its spec.selector.matchLabels,
//     only for a member whose workload has spec.replicas != status.readyReplicas. This is
//     what KubeFed does (its pod informer is started but only its client is used): a
//     steady-state workload costs no pod traffic, and watching every member's pods would
//     cache the largest kind of every cluster for a few rollouts. While some pods are
//     unschedulable but not yet for the 60 s threshold the RSP is planned again 10 s later
//     (KubeFed's StatusNeedsRecheck), so capacity changes are seen within the threshold + 10 s.
//
// Triggers, as in KubeFed: an RSP event enqueues it; an event of a target or of a member
// Deployment/ReplicaSet enqueues the RSP with its namespace and name; a member becoming Ready
// or not Ready (or changing labels or credentials) re-plans every RSP after 1 s.
//
// Deliberate differences from KubeFed, each reported as an Event on the RSP (and a log line)
// instead of silence: an RSP that does not parse (unknown targetKind, negative totalReplicas,
// maxReplicas below minReplicas, ...) -> InvalidPreference; a missing target ->
// TargetNotFound; replicas that no cluster may take (every maxReplicas reached) ->
// ReplicasUnplaced. Nothing is ever deleted, and a deleted RSP leaves the target's last
// placement and overrides as they are (KubeFed: the same; RSPs have no finalizer). A member
// whose capacity estimate is negative (more unschedulable pods than spec.replicas, e.g.
// during a rollout) is treated as capacity 0: KubeFed used the negative number and could
// write a negative /spec/replicas override.
//
// Threads: a WorkerPool (controller/worker_pool.h) keyed "ns/name" of RSPs; informer handlers
// and the registry listener only enqueue. Member informers are created and stopped by the
// pool (cluster keys, and RSP keys on first use of a kind), under mu_, and started and
// stopped outside it.
#ifndef KFED_CONTROLLER_SCHEDULING_CONTROLLER_H_
#define KFED_CONTROLLER_SCHEDULING_CONTROLLER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_key_feed.h"
#include "controller/cluster_registry.h"
#include "controller/events.h"
#include "controller/metrics.h"
#include "controller/pod_analysis.h"
#include "controller/reconciler.h"
#include "controller/worker_pool.h"
#include "federated_types/kubefed_config.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "status/store.h"

namespace kfed::controller {

struct SchedulingControllerOptions {
  // "" : all namespaces; else only this one (KubeFedConfig scope Namespaced).
  std::string ns;
  std::string field_manager = "kfed";
  int workers = 2;
  // How long after a member changed readiness every RSP is planned again (KubeFed's
  // clusterAvailableDelay / clusterUnavailableDelay with minimizeLatency).
  absl::Duration cluster_change_delay = absl::Seconds(1);
  // How soon an RSP whose members have pods unschedulable for less than the threshold is
  // planned again.
  absl::Duration recheck_delay = absl::Seconds(10);
  // KubeFedConfig spec.controllerDuration.cacheSyncTimeout (worker_pool.h).
  absl::Duration cache_sync_timeout = absl::Minutes(5);
  // Where each RSP's distribution is published for the status API and the dashboard
  // (nullptr: nowhere). Must outlive the controller.
  status::StatusStore* status_store = nullptr;
};

// One RSP's last distribution, for tests and the status view (controller/scheduling_status.h).
struct RspDistribution {
  std::map<std::string, int64_t> replicas;  // by cluster, what the overrides say
  std::string problem;                      // the last warning, "" when none
  std::string problem_reason;               // its reason (Event reason), "" when none
  std::string problem_message;
  std::string target_kind;  // "" until the RSP parsed
  int64_t total_replicas = 0;
  // By cluster: what the member's Deployment/ReplicaSet said (spec.replicas,
  // status.readyReplicas) when the plan was made; clusters without a copy are absent.
  std::map<std::string, WorkloadReplicas> members;
  absl::Time last_plan = absl::InfinitePast();  // InfinitePast: never planned
};

class SchedulingController {
 public:
  // `host`, `registry`, `metrics` and `events` are borrowed and must outlive the controller.
  SchedulingController(kube::Client& host, ClusterRegistry& registry, MetricsRegistry& metrics,
                       EventRecorder& events, SchedulingControllerOptions options,
                       Clock& clock = Clock::Real());
  ~SchedulingController();  // Stop()s
  SchedulingController(const SchedulingController&) = delete;
  SchedulingController& operator=(const SchedulingController&) = delete;

  void Start();
  void Stop();

  // "ns/name" of each RSP planned -> its distribution.
  std::map<std::string, RspDistribution> Distributions() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // A member cluster's workload caches.
  struct Member {
    uint64_t client_generation = 0;
    k8s::Labels labels;
    std::shared_ptr<kube::Client> client;
    // By RSP target kind: the member's Deployments or ReplicaSets, made when an RSP first
    // targets that kind (a member role may grant only the kinds that are federated).
    // Shared: a reconcile planning from a member's cache keeps it while the member leaves.
    std::map<std::string, std::shared_ptr<kube::Informer>> workloads;
  };

  // Reconciles an RSP key (or a cluster key), then publishes the RSP's distribution.
  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key);
  absl::StatusOr<ReconcileResult> ReconcilePreference(const std::string& key);
  // Publishes distributions_[key] to the status store (removes it when absent).
  void Publish(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Keeps members_ in step with the registry; true when a change needs every RSP re-planned.
  bool SyncMember(const std::string& cluster) ABSL_LOCKS_EXCLUDED(mu_);
  void EnqueueAll(absl::Duration delay);
  // Starts the FederatedDeployment and FederatedReplicaSet informers, once: when the first
  // RSP is seen (before Stop()).
  void StartTargets() ABSL_LOCKS_EXCLUDED(mu_);
  // The member's workload informer for `target_kind`, made and started on first use; null
  // when the member is not Ready. `client` gets the member's client.
  std::shared_ptr<kube::Informer> WorkloadInformer(const std::string& cluster,
                                                   const std::string& target_kind,
                                                   std::shared_ptr<kube::Client>* client)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Records a warning Event and log line about `rsp` once per distinct message.
  void Report(const std::string& key, const rapidjson::Value& rsp, const std::string& reason,
              const std::string& message) ABSL_LOCKS_EXCLUDED(mu_);
  void ClearProblem(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);

  kube::Client& host_;
  ClusterRegistry& registry_;
  EventRecorder& events_;
  const SchedulingControllerOptions options_;
  Clock& clock_;
  std::unique_ptr<kube::Informer> rsps_;
  std::unique_ptr<kube::Informer> deployments_;
  std::unique_ptr<kube::Informer> replica_sets_;
  std::unique_ptr<kube::Informer> federated_namespaces_;
  FuncReconciler reconciler_;
  WorkerPool pool_;
  // Every member's name into pool_, at Start() and on each registry change.
  ClusterKeyFeed feed_{registry_, pool_};

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Member>> members_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RspDistribution> distributions_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool targets_started_ ABSL_GUARDED_BY(mu_) = false;
};

// The controller, started, when KubeFedConfig's featureGates enable SchedulerPreferences
// (KubeFed's default); null and a log line when the gate is Disabled: RSPs are then ignored
// (not even watched), as in KubeFed. `ns`: SchedulingControllerOptions::ns.
std::unique_ptr<SchedulingController> StartSchedulingControllerIfEnabled(
    const federated_types::KubeFedConfig& config, kube::Client& host, ClusterRegistry& registry,
    MetricsRegistry& metrics, EventRecorder& events, const std::string& ns,
    status::StatusStore* status_store = nullptr);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_SCHEDULING_CONTROLLER_H_
