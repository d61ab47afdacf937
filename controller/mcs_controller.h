// Multi-Cluster Services (KEP-1645, multicluster.x-k8s.io/v1alpha1 of sigs.k8s.io/mcs-api
// v0.5.2) on kfed's push model. A user creates a ServiceExport next to a Service in any
// member; this controller, keyed by "namespace/name":
//   - sets the ServiceExport's conditions Valid (Valid | NoService | InvalidServiceType),
//     Conflict (NoConflicts | PortConflict,TypeConflict,... naming the field; the oldest
//     export wins) and Ready (Exported | Failed | Pending);
//   - keeps a ServiceImport of the same name in every Ready member where the namespace
//     exists (type ClusterSetIP with an address from --clusterset-ip-range, or Headless;
//     ports merged; sessionAffinity; the exports' exportedLabels/exportedAnnotations;
//     status.clusters = the Ready exporting clusters' IDs, from the ClusterSet controller),
//     labelled app.kubernetes.io/managed-by=kfed;
//   - publishes there one EndpointSlice per EndpointSlice of each Ready exporting cluster
//     (controller/mcs_plan.h DeriveEndpointSlice), owned by that member's ServiceImport,
//     following endpoint changes;
//   - withdraws a cluster's endpoints while it is not Ready (the cluster controller's
//     thresholds decide when), and deletes what it created when the last export goes away.
// Safety: a member whose caches have not synced is never written; while a Ready member's
// exports cannot be read, nothing is deleted anywhere (a read failure never deletes); only
// objects carrying kfed's managed-by label are updated or deleted (a ServiceImport another
// tool made is left alone and named in the export's Ready message).
// A member without the mcs-api CRDs takes no part, the others go on: its discovery
// (GET /apis/multicluster.x-k8s.io/v1alpha1) is asked before any informer is made, the
// finding is logged once (INFO) and published as the member's state (NoCrds), and discovery
// is asked again every problem_recheck until the CRDs appear; then its informers start. CRDs
// removed later (its ServiceExport list answers 404) take it back to that state.
// Every reconcile publishes the service's view (McsServiceView: exports with their conditions,
// the ServiceImport, endpoint counts per source cluster, importing clusters) to the status
// store, where the status API and the dashboard list it (controller/mcs_view.h).
//
// Threads: a WorkerPool keyed by "ns/name" (services) and by cluster name (a member's
// discovery and informers, in mcs_member.cc; every service key is re-queued when the member's
// part changed). The registry's listener and the informers' handlers only enqueue. Each
// member has five informers: ServiceExports and ServiceImports, then (once the ServiceExport
// list answered) Services, EndpointSlices and Namespaces.
#ifndef KFED_CONTROLLER_MCS_CONTROLLER_H_
#define KFED_CONTROLLER_MCS_CONTROLLER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_key_feed.h"
#include "controller/cluster_registry.h"
#include "controller/mcs_plan.h"
#include "controller/mcs_view.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/worker_pool.h"
#include "kube/informer.h"
#include "status/store.h"

namespace kfed::controller {

struct McsOptions {
  // Where ClusterSetIPs come from: the reserved block 240.0.0.0/4 is never a Service CIDR
  // (Kubernetes' default is 10.96.0.0/12) nor routed on the internet.
  std::string clusterset_ip_range = "240.96.0.0/16";
  std::string field_manager = "kfed";
  int workers = 2;
  // How often a member that takes no part (no CRDs, no rights, list errors) is looked at again,
  // and how often a member that takes part is checked for CRDs that went away.
  absl::Duration problem_recheck = absl::Seconds(30);
  // KubeFedConfig spec.controllerDuration.cacheSyncTimeout (worker_pool.h).
  absl::Duration cache_sync_timeout = absl::Minutes(5);
  // Where each service's view and each member's state are published for the status API and
  // the dashboard (nullptr: nowhere).
  status::StatusStore* status_store = nullptr;
};

class McsController {
 public:
  // Cluster name -> cluster ID ("" while unknown): the ClusterSet controller's Members().
  using ClusterIds = std::function<std::map<std::string, std::string>()>;

  // kInvalidArgument when the range is not an IPv4 CIDR.
  static absl::StatusOr<std::unique_ptr<McsController>> Create(ClusterRegistry& registry,
                                                               MetricsRegistry& metrics,
                                                               McsOptions options,
                                                               ClusterIds cluster_ids,
                                                               Clock& clock = Clock::Real());
  ~McsController();  // Stop()s
  McsController(const McsController&) = delete;
  McsController& operator=(const McsController&) = delete;

  void Start();
  void Stop();

  // "ns/name" -> what kfed made of it, for every service some member exports.
  std::map<std::string, McsServiceView> Services() const ABSL_LOCKS_EXCLUDED(mu_);
  // Cluster name -> its part in Multi-Cluster Services, for every usable member.
  std::map<std::string, McsMemberView> Members() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Member;

  McsController(ClusterRegistry& registry, MetricsRegistry& metrics, McsOptions options,
                ClusterIds cluster_ids, std::unique_ptr<mcs::ClusterSetIpAllocator> allocator,
                Clock& clock);

  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key);
  absl::StatusOr<ReconcileResult> ReconcileCluster(const std::string& cluster);
  absl::StatusOr<ReconcileResult> ReconcileService(const std::string& ns, const std::string& name);
  // Starts Services/EndpointSlices/Namespaces informers of `m` (once its exports synced).
  void StartSecondaryInformers(const std::string& cluster, Member& m);
  // Every service key any member's caches know of (exports, kfed's imports and slices).
  std::set<std::string> KnownKeys() const ABSL_LOCKS_EXCLUDED(mu_);
  // Records, for the allocator, the ClusterSetIPs kfed's ServiceImports already carry.
  void RecoverAllocations() ABSL_LOCKS_EXCLUDED(mu_);
  std::map<std::string, std::shared_ptr<Member>> MembersSnapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  // A member's state and problem (why it takes no part), logged when they change (a missing
  // CRD at INFO, other problems as warnings) and published. Returns whether they changed.
  bool SetState(const std::string& cluster, Member& m, absl::string_view state,
                std::string problem) ABSL_LOCKS_EXCLUDED(mu_, publish_mu_);
  void SetProblem(const std::string& cluster, Member& m, std::string problem)
      ABSL_LOCKS_EXCLUDED(mu_, publish_mu_) {
    SetState(cluster, m, kMcsUnreadable, std::move(problem));
  }
  std::string Problem(const Member& m) const ABSL_LOCKS_EXCLUDED(mu_);
  // Asks the placeholder `m`'s discovery for the mcs-api. Served: replaces `m` (in members_
  // and here) by a member with started informers and returns nullopt; else what the cluster's
  // reconcile returns (looked at again later).
  std::optional<ReconcileResult> DiscoverMcsApi(const std::string& cluster, bool ready,
                                                std::shared_ptr<Member>& m)
      ABSL_LOCKS_EXCLUDED(mu_);
  // A member of `client` with its ServiceExport and ServiceImport informers (not started).
  std::shared_ptr<Member> NewMemberWithInformers(std::shared_ptr<kube::Client> client,
                                                 uint64_t generation);
  // Every service key again, when `cluster`'s part changed (Ready, synced, problem).
  void RequeueServicesIfChanged(const std::string& cluster, Member& m, bool ready)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Publishes every member's state to the status store (in order: under publish_mu_).
  void PublishMembers() ABSL_LOCKS_EXCLUDED(mu_, publish_mu_);
  void PublishService(const std::string& ns, const std::string& name,
                      const McsServiceView* view) ABSL_LOCKS_EXCLUDED(mu_);

  ClusterRegistry& registry_;
  const McsOptions options_;
  const ClusterIds cluster_ids_;
  std::unique_ptr<mcs::ClusterSetIpAllocator> allocator_;
  Clock& clock_;
  FuncReconciler reconciler_;
  WorkerPool pool_;
  // Queues each member's name (its own key in pool_, beside the services' keys).
  ClusterKeyFeed feed_{registry_, pool_};

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Member>> members_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, McsServiceView> views_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  // Held while a member snapshot is published, so that publishes land in order.
  absl::Mutex publish_mu_ ABSL_ACQUIRED_BEFORE(mu_);
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MCS_CONTROLLER_H_
