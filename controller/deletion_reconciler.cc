#include "controller/deletion_reconciler.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/finalizer_reconciler.h"
#include "controller/object_meta.h"
#include "controller/status_assembly.h"
#include "federated_types/keys.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

DeletionReconciler::DeletionReconciler(kube::Client& host, const SyncControllerOptions& options,
                                       const PlanInputBuilder& inputs, ClusterWorkers& workers,
                                       PropagationRecords& records, WriteExpectations& expectations,
                                       const PropagatedVersionStore& versions,
                                       StatusPublisher& publisher, EventRecorder& events)
    : host_(host),
      options_(options),
      inputs_(inputs),
      workers_(workers),
      records_(records),
      expectations_(expectations),
      versions_(versions),
      publisher_(publisher),
      events_(events) {}

absl::StatusOr<ReconcileResult> DeletionReconciler::Reconcile(const kube::ObjectPtr& fed,
                                                              const std::string& key) {
  if (!HasFinalizer(*fed, ft::kSyncControllerFinalizer)) return ReconcileResult::Done();
  PlanInput input = inputs_.Build(fed, key);
  DeletionPlan plan = PlanDeletion(input.request);
  if (!plan.done()) {
    DeletionView view = AssembleDeletionView(plan, records_.Snapshot(key));
    publisher_.Publish(fed, key, json::Find(*fed, "status"), view.clusters);
    workers_.EnqueueAll(key);
    if (records_.SetWaiting(key, view.waiting)) {
      events_.Record(
          *fed, false, std::string(ft::kEventWaitForRemovalInCluster),
          absl::StrCat("Waiting for managed resources to be removed from the following clusters: ",
                       view.waiting));
    }
    // Clusters that are down give no events: check again with backoff.
    return plan.waiting.empty() ? ReconcileResult::Done() : ReconcileResult::Requeue();
  }
  // A member write may still be landing a copy no cache shows yet: wait for it (the
  // member's cache event re-queues the clusters, and this pass comes back).
  if (expectations_.Busy(key)) {
    workers_.EnqueueAll(key);
    return ReconcileResult::Requeue();
  }
  // Versions are an optimisation: a record left behind only costs its owner's garbage
  // collection.
  if (absl::Status deleted = versions_.Delete(key); !deleted.ok()) VLOG(1) << deleted;
  absl::Status removed = SetSyncFinalizer(host_, options_, *fed, /*present=*/false).status();
  if (!removed.ok() && !kube::IsNotFound(removed)) {
    return RetriedError(removed, absl::StrCat("removing the finalizer from ",
                                              DescribeObject(options_.type_config, key)));
  }
  records_.Forget(key);
  expectations_.Forget(key);
  publisher_.Unpublish(key);
  LOG(INFO) << DescribeObject(options_.type_config, key) << " deleted"
            << (plan.orphan ? " (member objects orphaned)" : " from every cluster");
  return ReconcileResult::Done();
}

}  // namespace kfed::controller
