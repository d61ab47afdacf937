// The host pass over a federated object being deleted that still carries kfed's finalizer,
// on the host workers. The member workers delete (or, with kubefed.io/orphan, unlabel) the
// copies (MemberReconciler); this pass fans the key out to them, shows the clusters it waits
// for in the status API and, when they change, in a WaitForRemovalInCluster event; once no
// copy is left it deletes the PropagatedVersion and removes the finalizer. Clusters that are
// down send no events, so while any is waited for the key is retried with backoff.
#ifndef KFED_CONTROLLER_DELETION_RECONCILER_H_
#define KFED_CONTROLLER_DELETION_RECONCILER_H_

#include <string>

#include "absl/status/statusor.h"
#include "controller/cluster_workers.h"
#include "controller/events.h"
#include "controller/plan_input.h"
#include "controller/propagated_version_store.h"
#include "controller/propagation_records.h"
#include "controller/reconciler.h"
#include "controller/status_publisher.h"
#include "controller/sync_options.h"
#include "controller/write_expectations.h"
#include "kube/client.h"

namespace kfed::controller {

class DeletionReconciler {
 public:
  // All borrowed.
  DeletionReconciler(kube::Client& host, const SyncControllerOptions& options,
                     const PlanInputBuilder& inputs, ClusterWorkers& workers,
                     PropagationRecords& records, WriteExpectations& expectations,
                     const PropagatedVersionStore& versions, StatusPublisher& publisher,
                     EventRecorder& events);

  // `fed` (key `key`) has a deletionTimestamp. Done once the finalizer is removed (or was
  // never there); Requeue while clusters are waited for; an error when removing the
  // finalizer failed.
  absl::StatusOr<ReconcileResult> Reconcile(const kube::ObjectPtr& fed, const std::string& key);

 private:
  kube::Client& host_;
  const SyncControllerOptions& options_;
  const PlanInputBuilder& inputs_;
  ClusterWorkers& workers_;
  PropagationRecords& records_;
  WriteExpectations& expectations_;
  const PropagatedVersionStore& versions_;
  StatusPublisher& publisher_;
  EventRecorder& events_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_DELETION_RECONCILER_H_
