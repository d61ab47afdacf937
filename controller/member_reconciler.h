// One member cluster's pass over one federated key, on that cluster's workers
// (ClusterWorkers): plan this cluster's action from the caches (PlanPropagation, or
// PlanDeletion for an object being deleted, with only_cluster), hold back while the member
// cache has not shown kfed's own last write (WriteExpectations), carry the action out with
// the member's client (Dispatch), record the outcome (PropagationRecords), and wake the host
// pass when the object's status may change. A federated object that vanished without its
// finalizer running only loses the managed label on its copies.
#ifndef KFED_CONTROLLER_MEMBER_RECONCILER_H_
#define KFED_CONTROLLER_MEMBER_RECONCILER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "controller/cluster_workers.h"
#include "controller/dispatcher.h"
#include "controller/events.h"
#include "controller/metrics.h"
#include "controller/plan_input.h"
#include "controller/propagation_records.h"
#include "controller/reconciler.h"
#include "controller/sync_options.h"
#include "controller/write_expectations.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace kfed::controller {

class MemberReconciler {
 public:
  // Families registered by the sync controller (labels in brackets).
  struct Metrics {
    MetricFamily* dispatch_duration = nullptr;    // {action}
    MetricFamily* propagation_latency = nullptr;  // {cluster}
    MetricFamily* member_writes = nullptr;        // {cluster, action}
    MetricFamily* member_errors = nullptr;        // {cluster, reason}
  };
  // Wakes the host pass of a federated key (adds it to the host queue).
  using WakeHostFunc = std::function<void(const std::string& key)>;

  // All borrowed. `federated` is the host cache of the type's Federated<Kind>.
  MemberReconciler(const SyncControllerOptions& options, const kube::Informer& federated,
                   const PlanInputBuilder& inputs, const ClusterWorkers& workers,
                   PropagationRecords& records, WriteExpectations& expectations,
                   EventRecorder& events, Metrics metrics, WakeHostFunc wake_host,
                   Clock& clock = Clock::Real());

  // Done, Requeue (a member cache still syncing), or an error when a write failed in a way
  // worth retrying (the outcome is recorded for status either way).
  absl::StatusOr<ReconcileResult> Reconcile(const std::string& cluster, kube::Client& client,
                                            const std::string& key);

 private:
  DispatchContext Context(const std::string& key) const;
  // The federated object is gone: unlabel the member copy, delete nothing.
  absl::StatusOr<ReconcileResult> Unmanage(const std::string& cluster, kube::Client& client,
                                           const std::string& key);
  // Counts, logs and reports (Event) an outcome of `action`.
  void Report(const std::string& cluster, const std::string& key, const rapidjson::Value& fed,
              const ClusterAction& action, const DispatchOutcome& outcome, absl::Time observed);

  const SyncControllerOptions& options_;
  const kube::Informer& federated_;
  const PlanInputBuilder& inputs_;
  const ClusterWorkers& workers_;
  PropagationRecords& records_;
  WriteExpectations& expectations_;
  EventRecorder& events_;
  const Metrics metrics_;
  const WakeHostFunc wake_host_;
  Clock& clock_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MEMBER_RECONCILER_H_
