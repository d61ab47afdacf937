#include "controller/scheduling_controller.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/pod_analysis.h"
#include "controller/replica_scheduling_plan.h"
#include "controller/scheduling_status.h"
#include "federated_types/keys.h"
#include "federated_types/scheduling_preference.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;

// How long to wait for a member's workload cache to fill before planning again.
constexpr absl::Duration kCacheRecheck = absl::Seconds(1);
// How often an RSP whose member cannot be read (no rights, no such kind) is planned again.
constexpr absl::Duration kProblemRecheck = absl::Seconds(30);

kube::GroupVersionResource DeploymentsResource() {
  return {"apps", "v1", "deployments", true, "Deployment"};
}
kube::GroupVersionResource ReplicaSetsResource() {
  return {"apps", "v1", "replicasets", true, "ReplicaSet"};
}
kube::GroupVersionResource PodsResource() { return {"", "v1", "pods", true, "Pod"}; }

std::string KeyOf(const rapidjson::Value& object) {
  const rapidjson::Value* metadata = json::Find(object, "metadata");
  if (metadata == nullptr) return "";
  return absl::StrCat(json::GetString(*metadata, "namespace"), "/",
                      json::GetString(*metadata, "name"));
}

// Registry keys are cluster names (no '/'); RSP keys are "ns/name".
bool IsClusterKey(const std::string& key) { return key.find('/') == std::string::npos; }

std::string FormatReplicas(const std::map<std::string, int64_t>& replicas) {
  return absl::StrJoin(replicas, ", ", absl::PairFormatter("="));
}

}  // namespace

SchedulingController::SchedulingController(kube::Client& host, ClusterRegistry& registry,
                                           MetricsRegistry& metrics, EventRecorder& events,
                                           SchedulingControllerOptions options, Clock& clock)
    : host_(host),
      registry_(registry),
      events_(events),
      options_(std::move(options)),
      clock_(clock),
      rsps_([&] {
        kube::InformerOptions io;
        io.gvr = ReplicaSchedulingPreferencesResource();
        io.ns = options_.ns;
        return std::make_unique<kube::Informer>(host, io, clock);
      }()),
      deployments_([&] {
        kube::InformerOptions io;
        io.gvr = FederatedDeploymentsResource();
        io.ns = options_.ns;
        return std::make_unique<kube::Informer>(host, io, clock);
      }()),
      replica_sets_([&] {
        kube::InformerOptions io;
        io.gvr = FederatedReplicaSetsResource();
        io.ns = options_.ns;
        return std::make_unique<kube::Informer>(host, io, clock);
      }()),
      federated_namespaces_([&] {
        kube::InformerOptions io;
        io.gvr = FederatedNamespacesResource();
        io.ns = options_.ns;
        return std::make_unique<kube::Informer>(host, io, clock);
      }()),
      reconciler_([this](const std::string& key) { return Reconcile(key); }),
      pool_(reconciler_, metrics,
            [this] {
              WorkerPoolOptions o;
              o.name = "replicaschedulingpreference";
              o.workers = std::max(1, options_.workers);
              o.cache_sync_timeout = options_.cache_sync_timeout;
              o.caches.push_back(RegistrySyncSource(registry_));
              o.caches.push_back(InformerSyncSource("ReplicaSchedulingPreference informer", *rsps_));
              // Not the FederatedDeployment and FederatedReplicaSet informers: they start
              // with the first RSP (StartTargets), and a reconcile waits for its own.
              o.caches.push_back(
                  InformerSyncSource("FederatedNamespace informer", *federated_namespaces_));
              return o;
            }(),
            clock) {}

SchedulingController::~SchedulingController() { Stop(); }

void SchedulingController::Start() {
  auto by_key = [this](const kube::ObjectPtr& o) {
    StartTargets();
    pool_.Add(KeyOf(*o));
  };
  kube::EventHandlers handlers{
      by_key, [by_key](const kube::ObjectPtr&, const kube::ObjectPtr& o) { by_key(o); }, by_key};
  rsps_->AddEventHandler(handlers);
  // A target's change matters only to the RSP of the same name: without one (most
  // FederatedDeployments) nothing is queued. An RSP created later queues itself and reads the
  // target from the cache.
  auto by_target = [this](const kube::ObjectPtr& o) {
    const rapidjson::Value* metadata = json::Find(*o, "metadata");
    if (metadata == nullptr) return;
    if (rsps_->Get(json::GetString(*metadata, "namespace"), json::GetString(*metadata, "name")) ==
        nullptr) {
      return;
    }
    pool_.Add(KeyOf(*o));
  };
  kube::EventHandlers target_handlers{
      by_target, [by_target](const kube::ObjectPtr&, const kube::ObjectPtr& o) { by_target(o); },
      by_target};
  deployments_->AddEventHandler(target_handlers);
  replica_sets_->AddEventHandler(target_handlers);
  // Once a target cache has synced, the RSPs that waited for it are planned.
  deployments_->AddSyncedCallback([this] { EnqueueAll(absl::ZeroDuration()); });
  replica_sets_->AddSyncedCallback([this] { EnqueueAll(absl::ZeroDuration()); });
  // A FederatedNamespace's selector matters to every RSP of its namespace that intersects.
  auto by_namespace = [this](const kube::ObjectPtr& o) {
    const rapidjson::Value* metadata = json::Find(*o, "metadata");
    if (metadata == nullptr) return;
    for (const kube::ObjectPtr& rsp : rsps_->List(json::GetString(*metadata, "namespace"))) {
      pool_.Add(KeyOf(*rsp));
    }
  };
  federated_namespaces_->AddEventHandler(
      {by_namespace,
       [by_namespace](const kube::ObjectPtr&, const kube::ObjectPtr& o) { by_namespace(o); },
       by_namespace});
  rsps_->Start();
  federated_namespaces_->Start();
  feed_.Start();
  LOG(INFO) << "ReplicaSchedulingPreference controller started (feature gate "
               "SchedulerPreferences enabled)";
}

void SchedulingController::StartTargets() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_ || targets_started_) return;
    targets_started_ = true;
  }
  // Without an RSP nothing reads them: a second cache of every FederatedDeployment beside the
  // sync controller's (10,000 objects: ~4 MB, and each event decoded twice) only from now on.
  LOG(INFO) << "ReplicaSchedulingPreference controller: an RSP exists, watching "
               "FederatedDeployments and FederatedReplicaSets";
  deployments_->Start();
  replica_sets_->Start();
}

void SchedulingController::Stop() {
  std::map<std::string, std::unique_ptr<Member>> members;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  feed_.Stop();  // no reconcile runs after this
  {
    absl::MutexLock lock(&mu_);
    members.swap(members_);
  }
  for (auto& [name, m] : members) {
    for (auto& [kind, informer] : m->workloads) informer->Stop();
  }
  for (kube::Informer* i :
       {rsps_.get(), deployments_.get(), replica_sets_.get(), federated_namespaces_.get()}) {
    i->Stop();
  }
}

std::map<std::string, RspDistribution> SchedulingController::Distributions() const {
  absl::MutexLock lock(&mu_);
  return distributions_;
}

void SchedulingController::EnqueueAll(absl::Duration delay) {
  for (const kube::ObjectPtr& rsp : rsps_->List()) pool_.AddAfter(KeyOf(*rsp), delay);
}

bool SchedulingController::SyncMember(const std::string& cluster) {
  std::shared_ptr<const MemberCluster> member = registry_.Get(cluster);
  const bool usable = member != nullptr && member->client != nullptr && member->ready;
  std::unique_ptr<Member> old;
  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return false;
    auto it = members_.find(cluster);
    if (!usable) {
      // Not Ready (or gone): its replicas go elsewhere; its caches are dropped and rebuilt
      // on return, so nothing is planned from what it showed before it went away.
      if (it != members_.end()) {
        old = std::move(it->second);
        members_.erase(it);
        changed = true;
      }
    } else if (it == members_.end() || it->second->client_generation != member->client_generation) {
      auto fresh = std::make_unique<Member>();
      fresh->client = member->client;
      fresh->client_generation = member->client_generation;
      fresh->labels = member->labels;
      if (it != members_.end()) old = std::move(it->second);
      members_[cluster] = std::move(fresh);
      changed = true;
    } else if (it->second->labels != member->labels) {
      it->second->labels = member->labels;
      changed = true;  // a selector may now pick it, or not
    }
  }
  if (old != nullptr) {
    for (auto& [kind, informer] : old->workloads) informer->Stop();
  }
  return changed;
}

std::shared_ptr<kube::Informer> SchedulingController::WorkloadInformer(
    const std::string& cluster, const std::string& target_kind,
    std::shared_ptr<kube::Client>* client) {
  std::shared_ptr<kube::Informer> informer;
  {
    absl::MutexLock lock(&mu_);
    auto it = members_.find(cluster);
    if (stopped_ || it == members_.end()) return nullptr;
    *client = it->second->client;
    std::shared_ptr<kube::Informer>& slot = it->second->workloads[target_kind];
    if (slot != nullptr) return slot;
    kube::InformerOptions io;
    io.gvr = target_kind == ft::kFederatedDeploymentKind ? DeploymentsResource()
                                                         : ReplicaSetsResource();
    io.ns = options_.ns;
    io.label_selector = absl::StrCat(ft::kManagedLabel, "=", ft::kManagedLabelValueTrue);
    slot = std::make_shared<kube::Informer>(*it->second->client, io, clock_);
    // A member workload's event re-plans the RSP of the same namespace and name.
    auto enqueue = [this](const kube::ObjectPtr& o) { pool_.Add(KeyOf(*o)); };
    slot->AddEventHandler(
        {enqueue, [enqueue](const kube::ObjectPtr&, const kube::ObjectPtr& o) { enqueue(o); },
         enqueue});
    informer = slot;
  }
  // Outside the lock; if the member left meanwhile, this informer dies with the caller's
  // reference (its destructor stops it), and the leave re-plans the RSP.
  informer->Start();
  return informer;
}

void SchedulingController::Report(const std::string& key, const rapidjson::Value& rsp,
                                  const std::string& reason, const std::string& message) {
  {
    absl::MutexLock lock(&mu_);
    RspDistribution& d = distributions_[key];
    const std::string full = absl::StrCat(reason, ": ", message);
    if (d.problem == full) return;
    d.problem = full;
    d.problem_reason = reason;
    d.problem_message = message;
  }
  LOG(WARNING) << "ReplicaSchedulingPreference " << key << ": " << reason << ": " << message;
  events_.Record(rsp, /*warning=*/true, reason, message);
}

void SchedulingController::ClearProblem(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = distributions_.find(key);
  if (it == distributions_.end()) return;
  it->second.problem.clear();
  it->second.problem_reason.clear();
  it->second.problem_message.clear();
}

absl::StatusOr<ReconcileResult> SchedulingController::Reconcile(const std::string& key) {
  if (IsClusterKey(key)) {
    if (SyncMember(key)) EnqueueAll(options_.cluster_change_delay);
    return ReconcileResult::Done();
  }
  absl::StatusOr<ReconcileResult> result = ReconcilePreference(key);
  Publish(key);
  return result;
}

void SchedulingController::Publish(const std::string& key) {
  if (options_.status_store == nullptr) return;
  const std::vector<std::string> parts = absl::StrSplit(key, absl::MaxSplits('/', 1));
  std::optional<RspDistribution> d;
  {
    absl::MutexLock lock(&mu_);
    auto it = distributions_.find(key);
    if (it != distributions_.end()) d = it->second;
  }
  if (!d.has_value()) {
    options_.status_store->RemoveSchedulingPreference(parts[0], parts[1]);
    return;
  }
  options_.status_store->UpsertSchedulingPreference(
      SchedulingPreferenceStatus(parts[0], parts[1], *d));
}

absl::StatusOr<ReconcileResult> SchedulingController::ReconcilePreference(
    const std::string& key) {
  const std::vector<std::string> parts = absl::StrSplit(key, absl::MaxSplits('/', 1));
  const std::string& ns = parts[0];
  const std::string& name = parts[1];
  kube::ObjectPtr rsp_object = rsps_->Get(ns, name);
  if (rsp_object == nullptr) {
    // Deleted: the target keeps its last placement and overrides (KubeFed's behaviour).
    absl::MutexLock lock(&mu_);
    distributions_.erase(key);
    return ReconcileResult::Done();
  }

  absl::StatusOr<ft::ReplicaSchedulingPreference> rsp =
      ft::ParseReplicaSchedulingPreference(*rsp_object);
  if (!rsp.ok()) {
    Report(key, *rsp_object, "InvalidPreference",
           absl::StrCat(rsp.status().message(), "; the target is left as it is"));
    return ReconcileResult::Done();  // the RSP's next change re-queues it
  }
  {
    absl::MutexLock lock(&mu_);
    RspDistribution& d = distributions_[key];
    d.target_kind = rsp->target_kind;
    d.total_replicas = rsp->total_replicas;
  }
  kube::Informer* targets = rsp->target_kind == ft::kFederatedDeploymentKind
                                ? deployments_.get()
                                : replica_sets_.get();
  if (!targets->HasSynced()) {
    // Started with the first RSP: its synced callback queues every RSP again. Nothing is
    // planned (not even TargetNotFound) from a cache that is still filling.
    StartTargets();
    return ReconcileResult::Done();
  }
  kube::ObjectPtr target = targets->Get(ns, name);
  if (target == nullptr) {
    Report(key, *rsp_object, "TargetNotFound",
           absl::StrCat(rsp->target_kind, " ", key,
                        " does not exist; its replicas are scheduled when it is created"));
    return ReconcileResult::Done();  // the target's creation re-queues it
  }

  // The Ready members and their workload caches.
  ReplicaSchedulingRequest request;
  request.preference = &*rsp;
  request.federated_object = target.get();
  kube::ObjectPtr fns = federated_namespaces_->Get(ns, ns);
  request.federated_namespace = fns.get();
  request.key = key;
  // The ready set comes from the registry (every cluster probed once before the first
  // reconcile), not from members_: a member whose key this pool has not handled yet must not
  // be planned out of the placement (at a restart that would delete its replicas). Its cache
  // is missing then, and the RSP waits for it below.
  for (const auto& member : registry_.Snapshot()) {
    if (member->ready && member->client != nullptr) {
      request.ready_clusters.push_back({member->name, member->labels});
    }
  }
  absl::StatusOr<std::vector<std::string>> clusters = SchedulingClusters(request);
  if (!clusters.ok()) {
    if (kube::IsNotFound(clusters.status())) return clusters.status();  // FederatedNamespace
    Report(key, *rsp_object, "InvalidTarget", std::string(clusters.status().message()));
    return ReconcileResult::Done();
  }
  if (clusters->empty()) {
    VLOG(1) << "ReplicaSchedulingPreference " << key << ": no ready cluster to schedule over";
    return ReconcileResult::Done();
  }

  const absl::Time now = clock_.Now();
  std::map<std::string, WorkloadReplicas> seen;  // what each member said
  for (const std::string& cluster : *clusters) {
    // A member that leaves meanwhile stops its informer; a stopped informer still answers
    // from its cache, and the leave re-plans this RSP.
    std::shared_ptr<kube::Client> client;
    std::shared_ptr<kube::Informer> informer = WorkloadInformer(cluster, rsp->target_kind, &client);
    // Not handled yet (its key is queued), or it left meanwhile (the leave re-plans).
    if (informer == nullptr) return ReconcileResult::RequeueAfter(kCacheRecheck);
    if (!informer->HasSynced()) {
      absl::Status list_error = informer->LastListError();
      if (kube::IsForbidden(list_error) || kube::IsNotFound(list_error)) {
        Report(key, *rsp_object, "MemberNotReadable",
               absl::StrCat("cluster ", cluster, ": cannot list the member's workloads: ",
                            list_error.message(),
                            " (kfed's member role comes from `kfedctl join`: enable the "
                            "federated type and join the cluster again)"));
        return ReconcileResult::RequeueAfter(kProblemRecheck);
      }
      return ReconcileResult::RequeueAfter(kCacheRecheck);
    }
    kube::ObjectPtr workload = informer->Get(ns, name);
    if (workload == nullptr) continue;  // no replicas there, no capacity limit known
    absl::StatusOr<WorkloadReplicas> replicas = ReadWorkloadReplicas(*workload);
    if (!replicas.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster ", cluster, ": ", replicas.status().message()));
    }
    seen[cluster] = *replicas;
    std::optional<PodAnalysis> pods;
    if (replicas->NeedsPodAnalysis()) {
      absl::StatusOr<k8s::Labels> selector = PodSelectorLabels(*workload);
      if (!selector.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cluster ", cluster, ": ", selector.status().message()));
      }
      kube::ListOptions lo;
      lo.label_selector = absl::StrJoin(*selector, ",", absl::PairFormatter("="));
      absl::StatusOr<kube::ObjectList> list = client->List(PodsResource(), ns, lo);
      if (!list.ok() && kube::IsForbidden(list.status())) {
        Report(key, *rsp_object, "MemberNotReadable",
               absl::StrCat("cluster ", cluster, ": cannot list pods for the capacity estimate: ",
                            list.status().message(),
                            " (members joined before kfed scheduled replicas lack `list pods`: "
                            "run `kfedctl join` for the cluster again)"));
        return ReconcileResult::RequeueAfter(kProblemRecheck);
      }
      if (!list.ok()) {
        return absl::Status(list.status().code(),
                            absl::StrCat("cluster ", cluster, ": listing pods: ",
                                         list.status().message()));
      }
      rapidjson::Document items(rapidjson::kArrayType);
      for (const kube::ObjectPtr& pod : list->items) {
        items.PushBack(rapidjson::Value(*pod, items.GetAllocator()), items.GetAllocator());
      }
      absl::StatusOr<PodAnalysis> analysis = AnalyzePods(items, now);
      if (!analysis.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cluster ", cluster, ": ", analysis.status().message()));
      }
      pods = *analysis;
    }
    MemberReplicaState state = EstimateMemberReplicas(*replicas, pods ? &*pods : nullptr);
    // Deliberate difference: KubeFed used a negative estimate as is.
    if (state.estimated_capacity && *state.estimated_capacity < 0) state.estimated_capacity = 0;
    request.members[cluster] = state;
  }

  absl::StatusOr<ReplicaSchedulingResult> result = PlanReplicaScheduling(request);
  if (!result.ok()) {
    Report(key, *rsp_object, "InvalidTarget", std::string(result.status().message()));
    return ReconcileResult::Done();
  }
  int64_t placed = 0;
  for (const auto& [cluster, n] : result->plan.replicas) placed += n;
  if (placed < rsp->total_replicas) {
    Report(key, *rsp_object, "ReplicasUnplaced",
           absl::StrCat(rsp->total_replicas - placed, " of ", rsp->total_replicas,
                        " replicas fit in no ready cluster (maxReplicas or capacity reached); "
                        "placed: ",
                        FormatReplicas(result->replicas)));
  } else {
    ClearProblem(key);
  }

  if (result->update_needed()) {
    rapidjson::Document patch = result->MergePatch();
    kube::PatchOptions po;
    po.field_manager = options_.field_manager;
    absl::StatusOr<kube::ObjectPtr> written =
        host_.Patch(targets == deployments_.get() ? FederatedDeploymentsResource()
                                                  : FederatedReplicaSetsResource(),
                    ns, name, kube::PatchType::kMerge, json::Serialize(patch), po);
    if (!written.ok()) {
      // A conflict means the cache is behind: the retry plans from the newer object.
      return absl::Status(written.status().code(),
                          absl::StrCat("updating ", rsp->target_kind, " ", key, ": ",
                                       written.status().message()));
    }
    LOG(INFO) << "ReplicaSchedulingPreference " << key << ": " << rsp->target_kind
              << " scheduled: " << FormatReplicas(result->replicas) << " (ready clusters "
              << absl::StrJoin(*clusters, ",") << "; " << DescribeMemberStates(request.members, seen)
              << ")";
    events_.Record(*rsp_object, /*warning=*/false, "ReplicasScheduled",
                   absl::StrCat(rsp->target_kind, " ", key, ": ",
                                FormatReplicas(result->replicas)));
  }
  {
    absl::MutexLock lock(&mu_);
    RspDistribution& d = distributions_[key];
    d.replicas = result->replicas;
    d.members = std::move(seen);
    d.last_plan = now;
  }
  if (result->needs_recheck) return ReconcileResult::RequeueAfter(options_.recheck_delay);
  return ReconcileResult::Done();
}

std::unique_ptr<SchedulingController> StartSchedulingControllerIfEnabled(
    const ft::KubeFedConfig& config, kube::Client& host, ClusterRegistry& registry,
    MetricsRegistry& metrics, EventRecorder& events, const std::string& ns,
    status::StatusStore* status_store) {
  if (!config.FeatureEnabled(ft::kFeatureSchedulerPreferences)) {
    LOG(INFO) << "feature gate " << ft::kFeatureSchedulerPreferences
              << " is Disabled: ReplicaSchedulingPreferences are ignored";
    return nullptr;
  }
  SchedulingControllerOptions options;
  options.ns = ns;
  options.cache_sync_timeout = config.cache_sync_timeout;
  options.status_store = status_store;
  auto controller =
      std::make_unique<SchedulingController>(host, registry, metrics, events, options);
  controller->Start();
  return controller;
}

}  // namespace kfed::controller
