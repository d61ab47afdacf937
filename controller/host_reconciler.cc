#include "controller/host_reconciler.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "controller/status_assembly.h"
#include "federated_types/keys.h"
#include "federated_types/placement.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

HostReconciler::HostReconciler(kube::Client& host, const SyncControllerOptions& options,
                               const kube::Informer& federated, const PlanInputBuilder& inputs,
                               ClusterWorkers& workers, PropagationRecords& records,
                               VersionWriter& versions, StatusPublisher& publisher,
                               DeletionReconciler& deletion, Queues queues,
                               MetricFamily* reconcile_duration, Clock& clock)
    : host_(host),
      options_(options),
      federated_(federated),
      inputs_(inputs),
      workers_(workers),
      records_(records),
      versions_(versions),
      publisher_(publisher),
      deletion_(deletion),
      queues_(std::move(queues)),
      reconcile_duration_(reconcile_duration),
      clock_(clock),
      own_status_writes_([this](const std::string& key) {
        auto [ns, name] = SplitObjectKey(key);
        return federated_.Get(options_.type_config.FederatedNamespaced() ? ns : "", name);
      }) {}

absl::StatusOr<ReconcileResult> HostReconciler::Reconcile(const std::string& key) {
  const absl::Time start = clock_.Now();
  absl::StatusOr<ReconcileResult> result = ReconcileLive(key);
  reconcile_duration_->Observe({}, absl::ToDoubleSeconds(clock_.Now() - start));
  return result;
}

absl::StatusOr<ReconcileResult> HostReconciler::ReconcileLive(const std::string& key) {
  const ft::TypeConfig& type = options_.type_config;
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  kube::ObjectPtr fed = federated_.Get(type.FederatedNamespaced() ? fed_ns : "", fed_name);
  if (fed == nullptr) {
    own_status_writes_.Forget(key);
    // Member copies lose the managed label (MemberReconciler), never get deleted.
    publisher_.Unpublish(key);
    workers_.EnqueueAll(key);
    return ReconcileResult::Done();
  }
  // Right after kfed's own status write the cache is behind: its status is the one just
  // replaced and its resourceVersion stale, so a status write based on it repeats the last one
  // and fails with 409 Conflict. kfed's own write is the newer object then (a status write
  // changes neither spec nor metadata; a later write by anyone else has a larger
  // resourceVersion and wins once the cache shows it).
  fed = own_status_writes_.Latest(key, std::move(fed));
  if (HasDeletionTimestamp(*fed)) return deletion_.Reconcile(fed, key);
  if (type.IsNamespace() && ft::IsSystemNamespace(fed_name, options_.kubefed_namespace)) {
    return ReconcileResult::Done();
  }
  if (!HasFinalizer(*fed, ft::kSyncControllerFinalizer)) {
    // The finalizer workers add it; the update's own event brings the key back.
    queues_.add_finalizer(key);
    return ReconcileResult::Done();
  }
  workers_.EnqueueAll(key);
  return WriteStatus(fed, key);
}

absl::StatusOr<ReconcileResult> HostReconciler::WriteStatus(const kube::ObjectPtr& fed,
                                                            const std::string& key) {
  PlanInput input = inputs_.Build(fed, key);
  Plan plan = PlanPropagation(input.request);
  if (plan.ignored) {
    publisher_.Unpublish(key);
    return ReconcileResult::Done();
  }
  // A member cache still syncing: its workers retry, and so does this pass.
  const ReconcileResult done = plan.requeue ? ReconcileResult::Requeue() : ReconcileResult::Done();
  const ObjectRecord record = records_.Snapshot(key);
  const rapidjson::Value* current = json::Find(*fed, "status");
  StatusAssemblyInput in;
  in.plan = &plan;
  in.record = &record;
  in.current_status = current;
  in.generation = GenerationOf(fed.get());
  in.template_version = input.template_version;
  in.overrides_version = input.overrides_version;
  in.versions_ok = input.versions_ok;
  in.collect_remote_status = options_.CollectsRemoteStatus();
  for (const ClusterState& c : input.request.clusters) {
    in.member_generations[c.name] = GenerationOf(c.live);
    if (in.collect_remote_status && c.live != nullptr) {
      in.remote_statuses[c.name] = json::Find(*c.live, "status");
    }
  }
  in.now = clock_.Now();
  AssembledStatus status = AssembleStatus(in);

  if (status.pending) {
    // Status reflects finished work; the status API shows the work in progress. The
    // member's worker wakes this pass when done; look again after a while regardless (a key
    // already waiting keeps its earlier time).
    publisher_.Publish(fed, key, current, status.clusters);
    if (!plan.requeue) return ReconcileResult::RequeueAfter(status.recheck_after);
    queues_.recheck_after(key, status.recheck_after);
    return done;
  }
  publisher_.Publish(fed, key, &status.update.status, status.clusters);
  if (status.update.changed) {
    rapidjson::Document copy = json::Clone(*fed);
    json::Set(copy, "status", status.update.status, copy.GetAllocator());
    absl::StatusOr<kube::ObjectPtr> written =
        host_.UpdateStatus(FederatedResourceOf(options_.type_config), Meta(*fed, "namespace"), copy,
                           {options_.field_manager});
    if (!written.ok()) {
      own_status_writes_.Forget(key);
      if (kube::IsNotFound(written.status())) return ReconcileResult::Done();
      // A conflict (retried on the fresh object) or a transient failure.
      return RetriedError(
          written.status(),
          absl::StrCat("writing the status of ", DescribeObject(options_.type_config, key)));
    }
    own_status_writes_.Record(key, *written);
  }
  // The member writes are accounted for (in lastUpdateTime when status changed, or nothing to
  // show): clear them, or every member pass would wake the host again, forever. Only those
  // read above: a write recorded meanwhile must still wake the host once its cache shows it.
  records_.MarkAccounted(key, status.accounted);

  // PropagatedVersion: what kfed wrote where, so a restart does not rewrite everything. The
  // version workers write it after the statuses waiting for the host client (VersionWriter).
  if (status.record_versions) {
    versions_.Want(key, {fed, input.template_version, input.overrides_version, plan.selected,
                         status.versions});
  }
  return done;
}

}  // namespace kfed::controller
