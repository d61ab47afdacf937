#include "controller/member_reconciler.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "glog/logging.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;
namespace {

// The error to retry a failed write with: the request's code; the KubeFed status and the
// outcome's message ("UpdateFailed: updating ns/name: ..."). The worker pool's log line adds
// the cluster (its name) and the key.
absl::Status WriteError(const DispatchOutcome& outcome) {
  const absl::StatusCode code =
      outcome.error.ok() ? absl::StatusCode::kUnknown : outcome.error.code();
  return RetriedError(absl::Status(code, outcome.message), outcome.status);
}

}  // namespace

MemberReconciler::MemberReconciler(const SyncControllerOptions& options,
                                   const kube::Informer& federated, const PlanInputBuilder& inputs,
                                   const ClusterWorkers& workers, PropagationRecords& records,
                                   WriteExpectations& expectations, EventRecorder& events,
                                   Metrics metrics, WakeHostFunc wake_host, Clock& clock)
    : options_(options),
      federated_(federated),
      inputs_(inputs),
      workers_(workers),
      records_(records),
      expectations_(expectations),
      events_(events),
      metrics_(metrics),
      wake_host_(std::move(wake_host)),
      clock_(clock) {}

DispatchContext MemberReconciler::Context(const std::string& key) const {
  const ft::TypeConfig& type = options_.type_config;
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  DispatchContext ctx;
  ctx.type_config = &type;
  ctx.target = TargetResourceOf(type);
  ctx.namespace_ = type.TargetNamespaced() ? fed_ns : "";
  ctx.name = fed_name;
  ctx.adopt_resources = options_.adopt_resources;
  ctx.field_manager = options_.field_manager;
  return ctx;
}

absl::StatusOr<ReconcileResult> MemberReconciler::Unmanage(const std::string& cluster,
                                                           kube::Client& client,
                                                           const std::string& key) {
  // The federated object is gone without kfed's finalizer having run (e.g. removed by hand):
  // its member copy stops being managed, as in KubeFed. Nothing is deleted.
  records_.Forget(key);
  expectations_.Forget(key);
  const DispatchContext ctx = Context(key);
  kube::ObjectPtr live = workers_.Lookup(cluster, ctx.namespace_, ctx.name).live;
  if (live == nullptr || IsExplicitlyUnmanaged(*live)) return ReconcileResult::Done();
  ClusterAction unlabel;
  unlabel.cluster = cluster;
  unlabel.op = Operation::kRemoveManagedLabel;
  unlabel.live_resource_version = Meta(*live, "resourceVersion");
  DispatchOutcome out = Dispatch(client, unlabel, ctx);
  if (out.wrote) {
    LOG(INFO) << "removed label " << ft::kManagedLabel << " from " << key << " in " << cluster;
  }
  if (out.retry) return WriteError(out);
  return ReconcileResult::Done();
}

absl::StatusOr<ReconcileResult> MemberReconciler::Reconcile(const std::string& cluster,
                                                            kube::Client& client,
                                                            const std::string& key) {
  const ft::TypeConfig& type = options_.type_config;
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  kube::ObjectPtr fed = federated_.Get(type.FederatedNamespaced() ? fed_ns : "", fed_name);
  if (fed == nullptr) return Unmanage(cluster, client, key);
  // Nothing is created before kfed's finalizer is on the federated object, so a deletion
  // always finds it; the host pass adds it and then fans the key out again.
  if (!HasFinalizer(*fed, ft::kSyncControllerFinalizer)) return ReconcileResult::Done();

  DispatchContext ctx = Context(key);
  ctx.federated_object = fed.get();
  PlanInput input = inputs_.Build(fed, key, cluster);

  std::vector<ClusterAction> actions;
  bool requeue = false;
  const bool deleting = HasDeletionTimestamp(*fed);
  if (deleting) {
    DeletionPlan plan = PlanDeletion(input.request);
    actions = std::move(plan.actions);
    absl::StatusOr<kube::DeleteOptions> options = ParseDeleteOptions(*fed);
    if (!options.ok()) {
      // Bad delete options: report, delete nothing.
      for (ClusterAction& a : actions) {
        if (a.op == Operation::kDelete) {
          a.op = Operation::kNone;
          a.status = std::string(ft::kDeletionFailed);
          a.message = std::string(options.status().message());
        }
      }
    } else {
      ctx.delete_options = *options;
    }
  } else {
    Plan plan = PlanPropagation(input.request);
    if (plan.ignored) return ReconcileResult::Done();
    actions = std::move(plan.actions);
    requeue = plan.requeue;  // the member cache has not synced yet
  }
  const ReconcileResult done = requeue ? ReconcileResult::Requeue() : ReconcileResult::Done();

  if (actions.empty()) {
    // Nothing to do or report here: forget a previous outcome so status drops the cluster.
    expectations_.Forget(key, cluster);
    if (records_.ForgetCluster(key, cluster)) wake_host_(key);
    return done;
  }
  const ClusterAction& action = actions.front();

  // Wait for the member cache to show kfed's own last write before acting again: acting on a
  // cache that has not caught up would create twice or undo a fresh update.
  if (const ClusterState* state = input.Cluster(cluster); state != nullptr) {
    if (!expectations_.CaughtUp(key, cluster, state->live) && action.op != Operation::kNone) {
      VLOG(3) << key << " in " << cluster << ": waiting for the cache to show kfed's last write";
      // The cache's own event re-queues the key; if it never comes (the object went away
      // meanwhile), the expectation lapses after kWriteExpectationTimeout and this retry acts.
      return ReconcileResult::RequeueAfter(kWriteExpectationTimeout);
    }
  }

  // The change this write carries was seen at `observed`; read it before writing, as the echo
  // of the write itself may arrive (and restart the clock) before the write returns.
  const absl::Time observed = records_.Observed(key);
  // A create or update in flight holds back the deletion pass (WriteExpectations::Busy); and
  // once it is marked, the federated object is read again: a deletion that began meanwhile is
  // seen here (the cache only moves forward), so no copy is written after the deletion pass
  // found every cluster clean.
  const bool writes_copy =
      !deleting && (action.op == Operation::kCreate || action.op == Operation::kUpdate);
  if (writes_copy) {
    expectations_.BeginWrite(key);
    kube::ObjectPtr now = federated_.Get(type.FederatedNamespaced() ? fed_ns : "", fed_name);
    if (now == nullptr || HasDeletionTimestamp(*now)) {
      expectations_.EndWrite(key);
      return ReconcileResult::Requeue();  // plan again, as a deletion
    }
  }
  const absl::Time start = clock_.Now();
  DispatchOutcome outcome = Dispatch(client, action, ctx);
  if (action.op != Operation::kNone) {
    metrics_.dispatch_duration->Observe({OperationName(action.op)},
                                        absl::ToDoubleSeconds(clock_.Now() - start));
  }
  if (outcome.wrote) {
    expectations_.Expect(key, cluster, action.op, outcome.resource_version,
                         action.op == Operation::kDelete ? action.live_uid : outcome.uid);
  }
  if (writes_copy) expectations_.EndWrite(key);
  MemberOutcome member;
  member.cluster = cluster;
  member.template_version = input.template_version;
  member.overrides_version = input.overrides_version;
  member.op = action.op;
  member.outcome = outcome;
  member.observed = observed;
  member.now = clock_.Now();
  if (options_.CollectsRemoteStatus()) {
    // A member status change (e.g. readyReplicas) wakes the host, which copies it into
    // status.clusters[].remoteStatus; an unchanged one wakes nothing (no writes at rest).
    const ClusterState* state = input.Cluster(cluster);
    const rapidjson::Value* remote =
        state != nullptr && state->live != nullptr ? json::Find(*state->live, "status") : nullptr;
    if (remote != nullptr && !remote->IsNull()) member.remote_status = json::Serialize(*remote);
  }
  const bool changed = records_.Record(key, member);
  Report(cluster, key, *fed, action, outcome, observed);
  if (changed || deleting) wake_host_(key);
  if (outcome.retry) return WriteError(outcome);
  return done;
}

void MemberReconciler::Report(const std::string& cluster, const std::string& key,
                              const rapidjson::Value& fed, const ClusterAction& action,
                              const DispatchOutcome& outcome, absl::Time observed) {
  const ft::TypeConfig& type = options_.type_config;
  if (action.op != Operation::kNone && !outcome.status.empty()) {
    metrics_.member_errors->Add({cluster, outcome.status});
  }
  if (outcome.wrote) {
    metrics_.member_writes->Add({cluster, OperationName(action.op)});
    if (observed != absl::Time()) {
      metrics_.propagation_latency->Observe({cluster},
                                            absl::ToDoubleSeconds(clock_.Now() - observed));
    }
  }
  if (!outcome.event_reason.empty()) {
    events_.RecordForCluster(
        fed, outcome.event_warning, outcome.event_reason,
        absl::StrCat(OperationName(action.op), " ", type.target_type.kind, " ", key), cluster,
        outcome.message);
  }
  // A failure to retry is logged by the worker pool with the error returned.
  if (!outcome.status.empty() && outcome.status != ft::kClusterNotReady && !outcome.retry) {
    VLOG(1) << DescribeObject(type, key) << " in " << cluster << ": " << outcome.status << ": "
            << outcome.message;
  }
}

}  // namespace kfed::controller
