// The sync controller of one federated type (one enabled FederatedTypeConfig): keeps every
// member cluster holding what the type's Federated<Kind> objects say. It wires together:
//   - ClusterWorkers (cluster_workers.h): per member, an informer on the target type and a
//     WorkerPool on that cluster's own queue, running MemberReconciler (member_reconciler.h):
//     plan the cluster's action, carry it out, record the outcome;
//   - a WorkerPool on the host queue running HostReconciler (host_reconciler.h): fan-out,
//     status writes (status_assembly.h), deletion (deletion_reconciler.h);
//   - a WorkerPool on the version queue running VersionWriter (version_writer.h): the
//     PropagatedVersion records (propagated_version_store.h), at low priority on the host
//     client's limiter;
//   - a WorkerPool on the finalizer queue running FinalizerReconciler (finalizer_reconciler.h);
//   - the state shared between them: PropagationRecords (outcomes, versions written, latency)
//     and WriteExpectations (member writes the caches may not show yet), each behind its own
//     mutex; PlanInputBuilder reads the caches into a plan's input;
//   - StatusPublisher (status_publisher.h): the status API's view and rendering of the type.
//
// Threads (all owned here, joined by Stop()); every pool waits for the host caches before
// its first reconcile:
//   - finalizer workers add kfed's finalizer to new objects, with priority on the host
//     client's limiter: nothing propagates before it is in place, so these writes must not
//     queue behind status writes;
//   - host workers take federated keys ("ns/name") from the host queue;
//   - two version workers write the records the host workers asked for, after every
//     finalizer and status write waiting for the host client;
//   - per member cluster, workers take keys from that cluster's own queue, so a slow or dead
//     member only delays its own keys;
//   - informers: the host's Federated<Kind> (owned here), and per member the target type
//     filtered on the kubefed.io/managed label. Their handlers only enqueue keys, at once.
// A member's outcome that changes re-queues the key on the host queue, which writes status
// once no selected cluster is still in progress, and publishes every host pass's view of the
// object (per-cluster state, also while clusters are in progress) to the status store.
#ifndef KFED_CONTROLLER_SYNC_CONTROLLER_H_
#define KFED_CONTROLLER_SYNC_CONTROLLER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_registry.h"
#include "controller/cluster_workers.h"
#include "controller/deletion_reconciler.h"
#include "controller/events.h"
#include "controller/finalizer_reconciler.h"
#include "controller/host_reconciler.h"
#include "controller/member_reconciler.h"
#include "controller/metrics.h"
#include "controller/object_meta.h"
#include "controller/plan_input.h"
#include "controller/propagated_version_store.h"
#include "controller/propagation_records.h"
#include "controller/status_publisher.h"
#include "controller/sync_options.h"
#include "controller/version_writer.h"
#include "controller/worker_pool.h"
#include "controller/write_expectations.h"
#include "federated_types/type_config.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace kfed::controller {

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

  // The member caches of this type (one managed-label informer per member), for another
  // controller of the type to read and listen to (the status controller) instead of watching
  // every member again. Valid until this controller is destroyed; stop the reader first.
  ClusterWorkers& member_caches() { return cluster_workers_; }

 private:
  // The caches every host and member pass reads before it may decide anything.
  std::vector<CacheSyncSource> DecisionCaches() const;
  void OnClustersChanged(const std::string& cluster);
  // The host saw `key` change (`observed_change`: starts the latency clock) or must look again.
  void EnqueueHost(const std::string& key, bool observed_change);
  void EnqueueAllHost();
  // Every federated object's key, from the host cache.
  std::vector<std::string> FederatedKeys() const;

  kube::Client& host_;
  ClusterRegistry& clusters_;
  const HostCaches caches_;
  const SyncControllerOptions options_;
  Clock& clock_;

  // Registered here (docs/grafana-dashboard.json charts them; grafana_dashboard_test reads
  // this file's registrations).
  MetricFamily* const dispatch_duration_;
  MetricFamily* const reconcile_duration_;
  MetricFamily* const propagation_latency_;
  MetricFamily* const queue_depth_;
  MetricFamily* const member_writes_;
  MetricFamily* const member_errors_;

  // Members are built in this order and destroyed in reverse; the threads that use them are
  // all joined by Stop() (called by the destructor) first.
  kube::Informer federated_informer_;
  PropagationRecords records_;
  WriteExpectations expectations_;
  PropagatedVersionStore versions_;
  ClusterWorkers cluster_workers_;
  PlanInputBuilder inputs_;
  StatusPublisher publisher_;
  MemberReconciler member_reconciler_;
  DeletionReconciler deletion_;
  VersionWriter version_writer_;
  HostReconciler host_reconciler_;
  FinalizerReconciler finalizer_reconciler_;
  WorkerPool host_pool_;
  WorkerPool finalizer_pool_;
  WorkerPool version_pool_;
  int registry_listener_ = -1;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_SYNC_CONTROLLER_H_
