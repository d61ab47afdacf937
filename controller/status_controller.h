// KubeFed v0.10's status controller (pkg/controller/status) on the reconciler runtime: for a
// FederatedTypeConfig whose statusCollection is Enabled and which names a statusType (KubeFed
// runs it only for `services`, and only while the feature gate RawResourceStatusCollection is
// Disabled: federated_types::TypeConfig::ServiceStatusCollectionEnabled), it keeps one
// <statusType> object (FederatedServiceStatus, core.kubefed.io/v1alpha1) per federated object,
// with the same namespace and name:
//
//   clusterStatus: [{clusterName, status: <the member object's status>}]
//
// one entry per Ready member cluster, sorted by name; `status` left out where the member holds
// no managed copy (or its status is empty). The object is owned by the federated object
// (ownerReferences), so Kubernetes' garbage collector removes it with it; the controller never
// deletes. Written only when clusterStatus changed: at rest, no writes.
//
// It sits beside the type's sync controller (controller/sync_controller.h), not inside it: it
// reads that controller's member caches (ClusterWorkers: one managed-label informer per
// member) and listens to their changes, and watches on the host only the Federated<Kind> and
// the status type. The FTC controller (type_config_controller.h) starts it after the sync
// controller and stops it before.
//
// Threads: a WorkerPool named after the status kind in lower case ("federatedservicestatus",
// KubeFed's worker name), KubeFedConfig spec.statusController.maxConcurrentReconciles workers;
// two host informers. Handlers (host informers, member caches, cluster registry) only enqueue.
#ifndef KFED_CONTROLLER_STATUS_CONTROLLER_H_
#define KFED_CONTROLLER_STATUS_CONTROLLER_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "controller/cluster_registry.h"
#include "controller/cluster_workers.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/worker_pool.h"
#include "federated_types/type_config.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "rapidjson/document.h"

namespace kfed::controller {

struct StatusControllerOptions {
  // Must have a status_type (ServiceStatusCollectionEnabled()).
  federated_types::TypeConfig type_config;
  std::string kubefed_namespace = "kube-federation-system";
  bool limited_scope = false;  // watch only kubefed_namespace
  int workers = 1;             // KubeFedConfig spec.statusController.maxConcurrentReconciles
  absl::Duration cache_sync_timeout = absl::Minutes(5);
  std::string field_manager = "kfed";
};

// The clusterStatus array for a federated object from the member objects (pure).
// `members`: ready cluster name -> the member object (nullptr: none in that cluster).
rapidjson::Document ClusterStatusOf(
    const std::map<std::string, const rapidjson::Value*>& members);

class StatusController {
 public:
  // All borrowed; `members` (the type's sync controller's member caches) must outlive Stop().
  StatusController(kube::Client& host, ClusterRegistry& registry, ClusterWorkers& members,
                   MetricsRegistry& metrics, StatusControllerOptions options,
                   Clock& clock = Clock::Real());
  ~StatusController();  // Stop()
  StatusController(const StatusController&) = delete;
  StatusController& operator=(const StatusController&) = delete;

  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops listening, the pool and the informers; joins them. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // One pass over federated key "ns/name" (public for tests): reads the caches, creates or
  // updates the status object. Requeue while a ready member's cache is still syncing (its
  // first list has not failed: a member that cannot be read is listed without status rather
  // than holding the object back).
  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key);

  // The pool's caches (host informers, cluster list) have synced; for tests.
  bool WaitForCachesSynced() const { return pool_.WaitForCachesSynced(); }

 private:
  void OnRegistryChanged() ABSL_LOCKS_EXCLUDED(mu_);
  void EnqueueAll();

  kube::Client& host_;
  ClusterRegistry& registry_;
  ClusterWorkers& members_;
  const StatusControllerOptions options_;
  const kube::GroupVersionResource status_gvr_;
  Clock& clock_;
  kube::Informer federated_;
  kube::Informer statuses_;
  FuncReconciler reconciler_;
  WorkerPool pool_;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  int registry_listener_ ABSL_GUARDED_BY(mu_) = -1;
  int member_listener_ ABSL_GUARDED_BY(mu_) = -1;
  // The ready clusters last seen: a change re-queues every object (KubeFed:
  // ClusterAvailable / ClusterUnavailable).
  std::set<std::string> ready_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_STATUS_CONTROLLER_H_
