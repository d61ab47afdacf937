// The FederatedTypeConfig controller: starts one SyncController per enabled type at run time
// and stops it when the type is disabled or deleted (no restart of the process), keeps the
// core.kubefed.io/federated-type-config finalizer, and writes status.propagationController.
// For a type with service status collection (TypeConfig::ServiceStatusCollectionEnabled, and
// the feature gate RawResourceStatusCollection Disabled, as KubeFed) it also runs a
// StatusController (status_controller.h) on the sync controller's member caches, started
// after it and stopped before it, and writes status.statusController Running / NotRunning.
// Namespaced types wait until the `namespaces` type runs (they need FederatedNamespaces).
//
// Thread: one worker of a WorkerPool (controller/worker_pool.h) taking FTC names; the FTC
// informer's handlers only enqueue.
#ifndef KFED_CONTROLLER_TYPE_CONFIG_CONTROLLER_H_
#define KFED_CONTROLLER_TYPE_CONFIG_CONTROLLER_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/kubefed_resources.h"
#include "controller/reconciler.h"
#include "controller/status_controller.h"
#include "controller/sync_controller.h"
#include "controller/worker_pool.h"
#include "kube/informer.h"

namespace kfed::controller {

class TypeConfigController {
 public:
  // `base` supplies everything but the type config for each SyncController.
  TypeConfigController(kube::Client& host, ClusterRegistry& clusters, HostCaches caches,
                       MetricsRegistry& metrics, EventRecorder& events, SyncControllerOptions base,
                       Clock& clock = Clock::Real());
  ~TypeConfigController();

  void Start();
  void Stop();

  // Called by the manager when a FederatedNamespace changes.
  void OnFederatedNamespaceChanged(const std::string& ns) ABSL_LOCKS_EXCLUDED(mu_);
  // Names of the types whose sync controller runs.
  std::vector<std::string> Running() const ABSL_LOCKS_EXCLUDED(mu_);
  // Names of the types whose status controller runs.
  std::vector<std::string> StatusRunning() const ABSL_LOCKS_EXCLUDED(mu_);
  // Every running sync controller has synced its host and member caches.
  bool Synced() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::StatusOr<ReconcileResult> Reconcile(const std::string& name);
  absl::Status WriteStatus(const kube::ObjectPtr& ftc, bool running, bool status_running);
  absl::Status SetFinalizer(const kube::ObjectPtr& ftc, bool present);

  kube::Client& host_;
  ClusterRegistry& clusters_;
  HostCaches caches_;
  MetricsRegistry& metrics_;
  EventRecorder& events_;
  const SyncControllerOptions base_;
  Clock& clock_;
  std::unique_ptr<kube::Informer> informer_;
  FuncReconciler reconciler_;
  std::unique_ptr<WorkerPool> pool_;

  mutable absl::Mutex mu_;
  // FTC name -> running controller, and the spec it was started from.
  struct RunningType {
    std::unique_ptr<SyncController> controller;
    // Reads `controller`'s member caches: stopped first.
    std::unique_ptr<StatusController> status;
    std::string spec;
  };
  // Stops a type's controllers: the status controller, then the sync controller.
  static void StopType(RunningType& type);
  std::map<std::string, RunningType> running_ ABSL_GUARDED_BY(mu_);
  // Cluster-scoped types a namespace-scoped control plane does not run, logged once each.
  std::set<std::string> out_of_scope_logged_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_TYPE_CONFIG_CONTROLLER_H_
