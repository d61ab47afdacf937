// The host pass over one federated key, on the host workers. For an object being deleted,
// the DeletionReconciler. Otherwise: fan the key out to every member cluster's queue; then,
// from the plan and the member workers' outcomes (AssembleStatus), publish the object's state
// to the status API and, once no cluster is in flight, write its status and PropagatedVersion
// when they changed (the record through the VersionWriter, which writes it on its own workers
// after every status). While a cluster is in flight it looks again after kPendingStatusRecheck.
// An object that vanished leaves the status API, and its member copies lose the managed label
// (MemberReconciler).
#ifndef KFED_CONTROLLER_HOST_RECONCILER_H_
#define KFED_CONTROLLER_HOST_RECONCILER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "controller/cluster_workers.h"
#include "controller/deletion_reconciler.h"
#include "controller/metrics.h"
#include "controller/own_writes.h"
#include "controller/plan_input.h"
#include "controller/propagation_records.h"
#include "controller/reconciler.h"
#include "controller/status_publisher.h"
#include "controller/sync_options.h"
#include "controller/version_writer.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace kfed::controller {

class HostReconciler : public Reconciler {
 public:
  struct Queues {
    // Adds a key to the finalizer queue (an object without kfed's finalizer).
    std::function<void(const std::string& key)> add_finalizer;
    // Adds a key to the host queue after a delay (kept when already waiting for less).
    std::function<void(const std::string& key, absl::Duration delay)> recheck_after;
  };

  // All borrowed. `federated` is the host cache of the type's Federated<Kind>;
  // `reconcile_duration` the reconcile_federated_resources_duration_seconds histogram.
  HostReconciler(kube::Client& host, const SyncControllerOptions& options,
                 const kube::Informer& federated, const PlanInputBuilder& inputs,
                 ClusterWorkers& workers, PropagationRecords& records,
                 VersionWriter& versions, StatusPublisher& publisher,
                 DeletionReconciler& deletion, Queues queues, MetricFamily* reconcile_duration,
                 Clock& clock = Clock::Real());

  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key) override;

 private:
  absl::StatusOr<ReconcileResult> ReconcileLive(const std::string& key);
  // Status of a live federated object with kfed's finalizer, and what its PropagatedVersion
  // should hold (to the VersionWriter).
  absl::StatusOr<ReconcileResult> WriteStatus(const kube::ObjectPtr& fed, const std::string& key);

  kube::Client& host_;
  const SyncControllerOptions& options_;
  const kube::Informer& federated_;
  const PlanInputBuilder& inputs_;
  ClusterWorkers& workers_;
  PropagationRecords& records_;
  VersionWriter& versions_;
  StatusPublisher& publisher_;
  DeletionReconciler& deletion_;
  const Queues queues_;
  MetricFamily* const reconcile_duration_;
  Clock& clock_;
  // The federated objects' status writes the cache has yet to show.
  OwnWrites own_status_writes_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_HOST_RECONCILER_H_
