// The ClusterSet of KEP-2149: one kfed federation is one ClusterSet, and every member carries
// two ClusterProperty objects (about.k8s.io/v1alpha1, cluster-scoped) that say so:
//   cluster.clusterset.k8s.io = the member's cluster ID: the UID of its kube-system namespace
//                               (what `kfedctl join` records in kfed.io/cluster-id)
//   clusterset.k8s.io         = the ClusterSet's name (--clusterset-name)
// This controller keeps them in every joined, Ready member: creates them, reverts edits and
// deletions of the ones it wrote (label app.kubernetes.io/managed-by=kfed), and never touches
// properties another tool wrote; `kfedctl join` installs the CRD and grants kfed the rights,
// `kfedctl unjoin` removes kfed's properties.
//
// IDs are unique in the set: a second member reporting an ID already held by another (the
// same cluster joined under two names) gets no properties and an error in the log naming
// both, until one of them leaves. A member whose kube-system namespace was recreated (a
// rebuilt cluster behind the same KubeFedCluster) is a new member: its properties get the new
// UID, and the log says that the KubeFedCluster's recorded ID differs.
//
// Threads: a WorkerPool (controller/worker_pool.h) keyed by cluster name; the cluster
// registry's listener and each member's ClusterProperty informer only enqueue.
#ifndef KFED_CONTROLLER_CLUSTERSET_CONTROLLER_H_
#define KFED_CONTROLLER_CLUSTERSET_CONTROLLER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_key_feed.h"
#include "controller/member_table.h"
#include "controller/cluster_registry.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/worker_pool.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace kfed::controller {

struct ClusterSetOptions {
  // The ClusterSet's name: the value of every member's clusterset.k8s.io property.
  std::string name = "kfed";
  std::string field_manager = "kfed";
  int workers = 2;
  // KubeFedConfig spec.controllerDuration.cacheSyncTimeout (worker_pool.h).
  absl::Duration cache_sync_timeout = absl::Minutes(5);
};

// The ClusterSet's view of one member, for the status API and tests.
struct ClusterSetMember {
  std::string cluster_id;  // "" until read
  // Why the member carries no (or not kfed's) properties: "" when it does.
  std::string problem;
};

class ClusterSetController {
 public:
  ClusterSetController(ClusterRegistry& registry, MetricsRegistry& metrics,
                       ClusterSetOptions options, Clock& clock = Clock::Real());
  ~ClusterSetController();  // Stop()s
  ClusterSetController(const ClusterSetController&) = delete;
  ClusterSetController& operator=(const ClusterSetController&) = delete;

  void Start();
  void Stop();

  // Cluster name -> its state, for every member seen.
  std::map<std::string, ClusterSetMember> Members() const ABSL_LOCKS_EXCLUDED(mu_);

  // Validates a ClusterSet name (a DNS-1123 subdomain, as any object name or label value).
  static absl::Status ValidateName(const std::string& name);

 private:
  struct Member {
    uint64_t client_generation = 0;
    std::shared_ptr<kube::Client> client;
    std::unique_ptr<kube::Informer> informer;
    ClusterSetMember state;
  };

  absl::StatusOr<ReconcileResult> Reconcile(const std::string& cluster);
  // Creates or restores one property; returns the value it now holds in the member.
  absl::StatusOr<std::string> EnsureProperty(const std::string& cluster, kube::Client& client,
                                             const kube::Informer& informer,
                                             const std::string& name, const std::string& value,
                                             bool keep_foreign);
  void SetProblem(const std::string& cluster, std::string problem) ABSL_LOCKS_EXCLUDED(mu_);

  ClusterRegistry& registry_;
  const ClusterSetOptions options_;
  Clock& clock_;
  FuncReconciler reconciler_;
  WorkerPool pool_;
  // Every member's name into pool_, at Start() and on each registry change.
  ClusterKeyFeed feed_{registry_, pool_};

  mutable absl::Mutex mu_;
  MemberTable<Member> members_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLUSTERSET_CONTROLLER_H_
