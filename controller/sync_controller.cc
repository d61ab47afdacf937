#include "controller/sync_controller.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "controller/status.h"
#include "controller/status_publish.h"
#include "federated_types/keys.h"
#include "federated_types/placement.h"
#include "federated_types/render.h"
#include "federated_types/versions.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

namespace {

// How long a federated object's status may wait for a member write in flight before the host
// looks again on its own (see WriteStatus).
constexpr absl::Duration kPendingStatusRecheck = absl::Seconds(5);

// resourceVersions are opaque to clients in general, but every kube-apiserver backed by
// etcd issues increasing integers; kfed compares them only to know whether its own write
// has reached a cache yet, and treats anything unparsable as "caught up".
bool OlderThan(const std::string& rv, const std::string& than) {
  uint64_t a = 0, b = 0;
  if (!absl::SimpleAtoi(rv, &a) || !absl::SimpleAtoi(than, &b)) return false;
  return a < b;
}

std::string Describe(const ft::TypeConfig& type, const std::string& key) {
  return absl::StrCat(type.federated_type.kind, " ", key);
}

}  // namespace

std::string ObjectKey(absl::string_view ns, absl::string_view name) {
  return ns.empty() ? std::string(name) : absl::StrCat(ns, "/", name);
}

std::pair<std::string, std::string> SplitObjectKey(absl::string_view key) {
  size_t slash = key.find('/');
  if (slash == absl::string_view::npos) return {"", std::string(key)};
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

struct SyncController::RequestParts {
  PlanRequest request;
  std::vector<std::shared_ptr<const MemberCluster>> members;
  std::vector<kube::ObjectPtr> held;  // keeps the snapshots `request` points into alive
  std::string template_version;
  std::string overrides_version;
  bool versions_ok = false;  // both hashes computed (an empty template hashes to "")
  std::string member_namespace;
  std::string name;
};

SyncController::SyncController(kube::Client& host, ClusterRegistry& clusters, HostCaches caches,
                               MetricsRegistry& metrics, EventRecorder& events,
                               SyncControllerOptions options, Clock& clock)
    : host_(host),
      clusters_(clusters),
      caches_(caches),
      metrics_(metrics),
      events_(events),
      options_(std::move(options)),
      clock_(clock),
      host_reconciler_([this](const std::string& key) -> absl::StatusOr<ReconcileResult> {
        const absl::Time start = clock_.Now();
        const bool retry = ReconcileHost(key);
        reconcile_duration_->Observe({}, absl::ToDoubleSeconds(clock_.Now() - start));
        return retry ? ReconcileResult::Requeue() : ReconcileResult::Done();
      }),
      finalizer_reconciler_([this](const std::string& key) { return ReconcileFinalizer(key); }) {
  dispatch_duration_ = metrics_.Histogram(
      "dispatch_operation_duration_seconds",
      "Time taken by a create, update or delete in a member cluster.", {"action"});
  reconcile_duration_ =
      metrics_.Histogram("reconcile_federated_resources_duration_seconds",
                         "Time taken to reconcile a federated resource on the host.", {});
  reconcile_total_ =
      metrics_.Counter("controller_runtime_reconcile_total",
                       "Reconciliations per controller and result.", {"controller", "result"});
  propagation_latency_ = metrics_.Histogram(
      "kfed_propagation_latency_seconds",
      "From a change seen on the host (or a member drift) to the member write that applies it.",
      {"cluster"});
  queue_depth_ = metrics_.Gauge("kfed_member_queue_depth",
                                "Keys waiting in a member cluster's queue.", {"cluster", "type"});
  member_writes_ = metrics_.Counter("kfed_member_writes_total", "Writes to member clusters.",
                                    {"cluster", "action"});
  member_errors_ = metrics_.Counter(
      "kfed_member_errors_total",
      "Writes to member clusters that failed, by KubeFed status (CreationFailed, ...).",
      {"cluster", "reason"});
}

SyncController::~SyncController() { Stop(); }

kube::GroupVersionResource SyncController::FederatedResource() const {
  const ft::ApiResource& f = options_.type_config.federated_type;
  return {f.group, f.version, f.plural_name, options_.type_config.FederatedNamespaced(), f.kind};
}

kube::GroupVersionResource SyncController::TargetResource() const {
  const ft::ApiResource& t = options_.type_config.target_type;
  return {t.group, t.version, t.plural_name, t.scope == ft::Scope::kNamespaced, t.kind};
}

kube::GroupVersionResource SyncController::VersionResource() const {
  if (options_.type_config.FederatedNamespaced()) {
    return PropagatedVersionsResource();
  }
  return ClusterPropagatedVersionsResource();
}

void SyncController::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopped_) return;
    started_ = true;
  }
  kube::InformerOptions io;
  io.gvr = FederatedResource();
  if (options_.limited_scope && io.gvr.namespaced) io.ns = options_.kubefed_namespace;
  federated_informer_ = std::make_unique<kube::Informer>(host_, io, clock_);
  {
    WorkerPoolOptions host;
    host.name = "sync-" + options_.type_config.name;
    host.workers = std::max(1, options_.host_workers);
    host.caches = DecisionCaches();
    host_pool_ = std::make_unique<WorkerPool>(host_reconciler_, metrics_, std::move(host), clock_);
    // Up to four: one of them is nearly always waiting for the host limiter in a burst, so
    // the next token goes to a finalizer rather than to a status write.
    WorkerPoolOptions fin;
    fin.name = "finalizer-" + options_.type_config.name;
    fin.workers = std::min(4, std::max(1, options_.host_workers));
    fin.caches.push_back(InformerSyncSource(
        options_.type_config.federated_type.kind + " informer", *federated_informer_));
    finalizer_pool_ =
        std::make_unique<WorkerPool>(finalizer_reconciler_, metrics_, std::move(fin), clock_);
  }
  auto on_change = [this](const kube::ObjectPtr& object) {
    const std::string key = ObjectKey(Meta(*object, "namespace"), Meta(*object, "name"));
    if (NeedsFinalizer(*object)) finalizer_pool_->Add(key);
    EnqueueHost(key, /*observed_change=*/true);
    // Member writes start at once, not after the host pass: that pass may wait for the host
    // client's budget (status writes), and a backlog there must not hold up every member (a
    // stopped member multiplied status writes and delayed the others' updates by seconds).
    // Before the finalizer is in place only the host pass acts (ReconcileCluster checks).
    if (HasFinalizer(*object, ft::kSyncControllerFinalizer)) EnqueueAllClusters(key);
  };
  federated_informer_->AddEventHandler(
      {on_change,
       [on_change](const kube::ObjectPtr&, const kube::ObjectPtr& now) { on_change(now); },
       on_change});
  federated_informer_->Start();
  registry_listener_ =
      clusters_.AddListener([this](const std::string& name) { OnClustersChanged(name); });
  if (options_.status_store != nullptr) {
    const ft::TypeConfig& type = options_.type_config;
    status::TypeInfo info;
    info.federated_group = type.federated_type.group;
    info.federated_resource = type.federated_type.plural_name;
    info.namespaced = type.FederatedNamespaced();
    info.sensitivity = type.sensitive         ? status::Sensitivity::kAll
                       : type.TargetIsSecret() ? status::Sensitivity::kSecretData
                                               : status::Sensitivity::kNone;
    options_.status_store->SetRenderer(
        type.name, std::move(info),
        [this](const std::string& ns, const std::string& name, const std::string& cluster) {
          return Render(ns, name, cluster);
        });
  }
  for (const auto& member : clusters_.Snapshot()) EnsureClusterWorkers(member->name);
  host_pool_->Start();
  finalizer_pool_->Start();
  LOG(INFO) << "sync controller for " << options_.type_config.name << " started";
}

void SyncController::Stop() {
  std::map<std::string, std::unique_ptr<ClusterWorkers>> workers;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    workers.swap(workers_);
  }
  // No render runs once this returns.
  if (options_.status_store != nullptr)
    options_.status_store->RemoveRenderer(options_.type_config.name);
  if (registry_listener_ >= 0) clusters_.RemoveListener(registry_listener_);
  std::vector<std::thread> stopping;
  if (host_pool_) stopping.emplace_back([this] { host_pool_->Stop(); });
  if (finalizer_pool_) stopping.emplace_back([this] { finalizer_pool_->Stop(); });
  if (federated_informer_) stopping.emplace_back([this] { federated_informer_->Stop(); });
  for (auto& [name, w] : workers) {
    ClusterWorkers* raw = w.release();
    stopping.emplace_back(
        [this, raw] { StopClusterWorkers(std::unique_ptr<ClusterWorkers>(raw)); });
  }
  for (std::thread& t : stopping) t.join();
  // The type's objects leave the status API with it (no worker publishes any more).
  if (options_.status_store != nullptr)
    options_.status_store->RemoveType(options_.type_config.name);
  LOG(INFO) << "sync controller for " << options_.type_config.name << " stopped";
}

bool SyncController::HostSynced() const {
  return federated_informer_ != nullptr && federated_informer_->HasSynced();
}

bool SyncController::MembersSynced() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, w] : workers_) {
    auto member = clusters_.Get(name);
    if (member != nullptr && member->ready && !w->informer->HasSynced()) return false;
  }
  return true;
}

void SyncController::OnNamespacePlacementChanged(const std::string& ns) {
  if (federated_informer_ == nullptr) return;
  if (options_.type_config.IsNamespace()) {
    EnqueueHost(ObjectKey(ns, ns), /*observed_change=*/true);
    return;
  }
  for (const kube::ObjectPtr& o : federated_informer_->List(ns)) {
    EnqueueHost(ObjectKey(ns, Meta(*o, "name")), /*observed_change=*/true);
  }
}

// --- clusters ---------------------------------------------------------------------------

void SyncController::OnClustersChanged(const std::string& cluster) {
  EnsureClusterWorkers(cluster);
  EnqueueAllHost();
}

void SyncController::EnsureClusterWorkers(const std::string& cluster) {
  std::shared_ptr<const MemberCluster> member = clusters_.Get(cluster);
  std::unique_ptr<ClusterWorkers> old;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    auto it = workers_.find(cluster);
    const bool usable = member != nullptr && member->client != nullptr;
    if (it != workers_.end()) {
      if (usable && it->second->client_generation == member->client_generation) return;
      old = std::move(it->second);
      workers_.erase(it);
    }
    if (usable) {
      auto w = std::make_unique<ClusterWorkers>();
      w->name = cluster;
      w->client_generation = member->client_generation;
      w->client = member->client;
      const std::string type_name = options_.type_config.name;
      w->reconciler = std::make_unique<FuncReconciler>(
          [this, cluster, client = w->client.get()](const std::string& key)
              -> absl::StatusOr<ReconcileResult> {
            return ReconcileCluster(cluster, *client, key) ? ReconcileResult::Requeue()
                                                           : ReconcileResult::Done();
          });
      WorkerPoolOptions po;
      po.name = absl::StrCat("sync-", type_name, "@", cluster);
      po.workers = std::max(1, options_.cluster_workers);
      // The host caches only: a member whose own cache has not synced is the plan's business
      // (it skips the cluster and says so in the status).
      po.caches = DecisionCaches();
      po.on_take = [this, cluster, type_name](int length) {
        queue_depth_->Set({cluster, type_name}, static_cast<double>(length));
      };
      w->pool = std::make_unique<WorkerPool>(*w->reconciler, metrics_, std::move(po), clock_);
      kube::InformerOptions io;
      io.gvr = TargetResource();
      if (options_.limited_scope && io.gvr.namespaced) io.ns = options_.kubefed_namespace;
      // Every object carrying the label, "true" or "false": kfed must see explicitly
      // unmanaged objects to report ManagedLabelFalse; unlabelled objects stay invisible.
      io.label_selector = std::string(ft::kManagedLabel);
      w->informer = std::make_unique<kube::Informer>(*w->client, io, clock_);
      WorkerPool* pool = w->pool.get();
      auto enqueue = [this, pool](const kube::ObjectPtr& object) {
        const std::string key = KeyForMember(*object);
        {
          // A member change (drift, or the echo of kfed's own write) starts the latency clock
          // for whatever write follows from it.
          absl::MutexLock lock(&mu_);
          auto it = objects_.find(key);
          if (it != objects_.end()) it->second.observed = clock_.Now();
        }
        pool->Add(key);
      };
      w->informer->AddEventHandler(
          {enqueue, [enqueue](const kube::ObjectPtr&, const kube::ObjectPtr& now) { enqueue(now); },
           enqueue});
      w->informer->Start();
      w->pool->Start();
      workers_[cluster] = std::move(w);
      LOG(INFO) << options_.type_config.name << ": watching cluster " << cluster;
    }
  }
  if (old != nullptr) StopClusterWorkers(std::move(old));
}

void SyncController::StopClusterWorkers(std::unique_ptr<ClusterWorkers> workers) {
  workers->pool->Stop();
  workers->informer->Stop();
  queue_depth_->Remove({workers->name, options_.type_config.name});
}

std::string SyncController::KeyForMember(const rapidjson::Value& member) const {
  const std::string name = Meta(member, "name");
  if (options_.type_config.IsNamespace()) return ObjectKey(name, name);
  return ObjectKey(Meta(member, "namespace"), name);
}

void SyncController::EnqueueAllClusters(const std::string& key) {
  absl::MutexLock lock(&mu_);
  for (auto& [name, w] : workers_) w->pool->Add(key);
}

void SyncController::EnqueueHost(const std::string& key, bool observed_change) {
  if (observed_change) {
    absl::MutexLock lock(&mu_);
    objects_[key].observed = clock_.Now();
  }
  host_pool_->Add(key);
}

void SyncController::EnqueueAllHost() {
  if (federated_informer_ == nullptr) return;
  for (const kube::ObjectPtr& o : federated_informer_->List()) {
    host_pool_->Add(ObjectKey(Meta(*o, "namespace"), Meta(*o, "name")));
  }
}

// --- workers ----------------------------------------------------------------------------

std::vector<CacheSyncSource> SyncController::DecisionCaches() const {
  // Nothing is decided before the host caches and the cluster list are known.
  return {InformerSyncSource(options_.type_config.federated_type.kind + " informer",
                             *federated_informer_),
          RegistrySyncSource(clusters_),
          InformerSyncSource("FederatedNamespace informer", *caches_.federated_namespaces),
          InformerSyncSource("PropagatedVersion informer", *caches_.propagated_versions),
          InformerSyncSource("ClusterPropagatedVersion informer",
                             *caches_.cluster_propagated_versions),
          InformerSyncSource("Namespace informer", *caches_.namespaces)};
}

absl::StatusOr<ReconcileResult> SyncController::ReconcileFinalizer(const std::string& key) {
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  kube::ObjectPtr fed = federated_informer_->Get(
      options_.type_config.FederatedNamespaced() ? fed_ns : "", fed_name);
  if (fed == nullptr || !NeedsFinalizer(*fed)) return ReconcileResult::Done();
  absl::Status added = EnsureFinalizer(fed, /*present=*/true, kube::RequestPriority::kHigh);
  if (added.ok() || kube::IsNotFound(added)) return ReconcileResult::Done();
  // A conflict means the cache is behind: the newer object's event re-queues the key.
  events_.Record(*fed, true, std::string(ft::kEventEnsureFinalizerError),
                 std::string(added.message()));
  return absl::Status(added.code(), absl::StrCat("adding finalizer to ",
                                                 Describe(options_.type_config, key), ": ",
                                                 added.message()));
}

bool SyncController::NeedsFinalizer(const rapidjson::Value& fed) const {
  if (HasDeletionTimestamp(fed) || HasFinalizer(fed, ft::kSyncControllerFinalizer)) return false;
  if (options_.type_config.IsNamespace() &&
      ft::IsSystemNamespace(Meta(fed, "name"), options_.kubefed_namespace)) {
    return false;
  }
  return true;
}

std::unique_ptr<SyncController::RequestParts> SyncController::BuildRequest(
    const kube::ObjectPtr& fed, const std::string& key) {
  auto parts = std::make_unique<RequestParts>();
  const ft::TypeConfig& type = options_.type_config;
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  parts->name = fed_name;
  parts->member_namespace = type.TargetNamespaced() ? fed_ns : "";
  parts->held.push_back(fed);
  PlanRequest& r = parts->request;
  r.federated_object = fed.get();
  r.type_config = &options_.type_config;
  r.kubefed_namespace = options_.kubefed_namespace;
  r.limited_scope = options_.limited_scope;
  r.adopt_resources = options_.adopt_resources;

  if (type.IsNamespace()) {
    r.federated_namespace = fed.get();
    if (kube::ObjectPtr host_ns = caches_.namespaces->Get("", fed_name)) {
      r.host_namespace_uid = Meta(*host_ns, "uid");
      parts->held.push_back(host_ns);
    }
  } else if (type.TargetNamespaced()) {
    if (kube::ObjectPtr fns = caches_.federated_namespaces->Get(fed_ns, fed_ns)) {
      r.federated_namespace = fns.get();
      parts->held.push_back(fns);
    }
  }

  // Versions: the PropagatedVersion record, overridden by what this process wrote since.
  absl::StatusOr<std::string> tv = ft::TemplateVersion(*fed);
  absl::StatusOr<std::string> ov = ft::OverridesVersion(*fed);
  parts->template_version = tv.ok() ? *tv : "";
  parts->overrides_version = ov.ok() ? *ov : "";
  parts->versions_ok = tv.ok() && ov.ok();
  const std::string target_kind = type.target_type.kind;
  kube::Informer* pv_cache = type.FederatedNamespaced() ? caches_.propagated_versions
                                                        : caches_.cluster_propagated_versions;
  kube::ObjectPtr pv = pv_cache->Get(ft::PropagatedVersionNamespace(target_kind, fed_ns, fed_name),
                                     ft::PropagatedVersionName(target_kind, fed_name));
  if (pv != nullptr) {
    absl::StatusOr<ft::PropagatedVersionStatus> status = ft::ParsePropagatedVersionStatus(*pv);
    if (status.ok())
      r.recorded_versions =
          ft::RecordedVersions(*status, parts->template_version, parts->overrides_version);
  }

  parts->members = clusters_.Snapshot();
  absl::MutexLock lock(&mu_);
  auto state = objects_.find(key);
  if (state != objects_.end() && state->second.template_version == parts->template_version &&
      state->second.overrides_version == parts->overrides_version) {
    for (const auto& [cluster, version] : state->second.versions)
      r.recorded_versions[cluster] = version;
  }
  for (const auto& member : parts->members) {
    ClusterState c;
    c.name = member->name;
    c.labels = member->labels;
    c.ready = member->ready;
    c.not_ready_message = member->not_ready_message;
    auto w = workers_.find(member->name);
    if (w != workers_.end()) {
      c.synced = w->second->informer->HasSynced();
      if (!c.synced) {
        absl::Status error = w->second->informer->LastListError();
        if (!error.ok()) {
          c.sync_error = std::string(error.message());
          if (kube::IsForbidden(error)) {
            absl::StrAppend(&c.sync_error,
                            " (the member's RBAC does not grant this type to kfed: run `kfedctl "
                            "join` again after enabling a type, see docs/user-guide.md)");
          }
        }
      }
      if (kube::ObjectPtr live = w->second->informer->Get(parts->member_namespace, fed_name)) {
        c.live = live.get();
        parts->held.push_back(live);
      }
    }
    r.clusters.push_back(c);
  }
  return parts;
}

bool SyncController::ReconcileCluster(const std::string& cluster, kube::Client& client,
                                      const std::string& key) {
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  const ft::TypeConfig& type = options_.type_config;
  kube::ObjectPtr fed =
      federated_informer_->Get(type.FederatedNamespaced() ? fed_ns : "", fed_name);

  DispatchContext ctx;
  ctx.type_config = &type;
  ctx.target = TargetResource();
  ctx.namespace_ = type.TargetNamespaced() ? fed_ns : "";
  ctx.name = fed_name;
  ctx.adopt_resources = options_.adopt_resources;
  ctx.field_manager = options_.field_manager;

  if (fed == nullptr) {
    // The federated object is gone without kfed's finalizer having run (e.g. removed by
    // hand): its member copy stops being managed, as in KubeFed. Nothing is deleted.
    kube::ObjectPtr live;
    {
      absl::MutexLock lock(&mu_);
      objects_.erase(key);
      auto w = workers_.find(cluster);
      if (w != workers_.end()) live = w->second->informer->Get(ctx.namespace_, fed_name);
    }
    if (live == nullptr || IsExplicitlyUnmanaged(*live)) return false;
    ClusterAction unlabel;
    unlabel.cluster = cluster;
    unlabel.op = Operation::kRemoveManagedLabel;
    unlabel.live_resource_version = Meta(*live, "resourceVersion");
    DispatchOutcome out = Dispatch(client, unlabel, ctx);
    if (out.wrote)
      LOG(INFO) << "removed label " << ft::kManagedLabel << " from " << key << " in " << cluster;
    return out.retry;
  }

  std::unique_ptr<RequestParts> parts = BuildRequest(fed, key);
  parts->request.only_cluster = cluster;
  ctx.federated_object = fed.get();

  std::vector<ClusterAction> actions;
  bool requeue = false;
  const bool deleting = HasDeletionTimestamp(*fed);
  // Nothing is created before kfed's finalizer is on the federated object, so a deletion
  // always finds it; the host pass adds it and then fans the key out again.
  if (!HasFinalizer(*fed, ft::kSyncControllerFinalizer)) return false;
  if (deleting) {
    DeletionPlan plan = PlanDeletion(parts->request);
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
    Plan plan = PlanPropagation(parts->request);
    if (plan.ignored) return false;
    actions = std::move(plan.actions);
    requeue = plan.requeue;
  }

  const ClusterState* state = nullptr;
  for (const ClusterState& c : parts->request.clusters) {
    if (c.name == cluster) state = &c;
  }
  if (actions.empty()) {
    // Nothing to do or report here: forget a previous outcome so status drops the cluster.
    bool changed = false;
    {
      absl::MutexLock lock(&mu_);
      auto it = objects_.find(key);
      if (it != objects_.end()) changed = it->second.clusters.erase(cluster) > 0;
    }
    if (changed) EnqueueHost(key, false);
    return requeue;
  }
  ClusterAction& action = actions.front();

  // Wait for the member cache to show kfed's own last write before deciding again: acting
  // on a cache that has not caught up would create twice or undo a fresh update. Once the
  // cache shows the write (or something newer), the expectation is dropped.
  if (state != nullptr) {
    absl::MutexLock lock(&mu_);
    ClusterRecord& rec = objects_[key].clusters[cluster];
    const std::string live_rv = state->live ? Meta(*state->live, "resourceVersion") : "";
    const std::string live_uid = state->live ? Meta(*state->live, "uid") : "";
    bool stale = false;
    switch (rec.pending_op) {
      case Operation::kCreate:
      case Operation::kUpdate:
        stale = state->live == nullptr ? rec.pending_op == Operation::kCreate
                                       : OlderThan(live_rv, rec.pending_resource_version);
        break;
      case Operation::kDelete:
        stale = state->live != nullptr && live_uid == rec.pending_uid;
        break;
      default:
        break;
    }
    // A write the cache never shows (the object was removed at once) must not block forever.
    if (stale && clock_.Now() - rec.pending_since > absl::Seconds(30)) stale = false;
    if (stale && action.op != Operation::kNone) {
      VLOG(3) << key << " in " << cluster << ": waiting for the cache to show kfed's last write";
      return false;  // the cache's own event re-queues the key
    }
    if (!stale) rec.pending_op = Operation::kNone;
  }

  // The change this write carries was seen at `observed`; read it before writing, as the echo
  // of the write itself may arrive (and restart the clock) before the write returns.
  absl::Time observed;
  {
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(key);
    if (it != objects_.end()) observed = it->second.observed;
  }
  absl::Time start = clock_.Now();
  DispatchOutcome outcome = Dispatch(client, action, ctx);
  if (action.op != Operation::kNone) {
    dispatch_duration_->Observe({OperationName(action.op)},
                                absl::ToDoubleSeconds(clock_.Now() - start));
  }

  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    ObjectState& obj = objects_[key];
    if (obj.template_version != parts->template_version ||
        obj.overrides_version != parts->overrides_version) {
      obj.template_version = parts->template_version;
      obj.overrides_version = parts->overrides_version;
      obj.versions.clear();
    }
    if (!outcome.version.empty()) obj.versions[cluster] = outcome.version;
    if (action.op == Operation::kDelete || action.op == Operation::kRemoveManagedLabel) {
      obj.versions.erase(cluster);
    }
    ClusterRecord& rec = obj.clusters[cluster];
    if (outcome.wrote) {
      rec.pending_op = action.op;
      rec.pending_resource_version = outcome.resource_version;
      rec.pending_uid = action.op == Operation::kDelete ? action.live_uid : outcome.uid;
      rec.pending_since = clock_.Now();
    }
    // A write, and every pass until the host has written status after it, re-queue the host
    // key: the host writes status only once no selected cluster is in flight, so the pass that
    // first sees the write settled in the cache must wake it.
    changed = !rec.has_outcome || rec.last.status != outcome.status ||
              rec.last.message != outcome.message || outcome.wrote || rec.last.wrote;
    const bool keep_wrote = rec.last.wrote;
    rec.last = outcome;
    if (keep_wrote) rec.last.wrote = true;  // cleared by WriteStatus (resources_updated)
    rec.has_outcome = true;
    ++rec.outcome_seq;
    if (outcome.wrote && observed != absl::Time()) {
      rec.latency_seconds = absl::ToDoubleSeconds(clock_.Now() - observed);
    }
  }
  if (action.op != Operation::kNone && !outcome.status.empty()) {
    member_errors_->Add({cluster, outcome.status});
  }
  if (outcome.wrote) {
    member_writes_->Add({cluster, OperationName(action.op)});
    if (observed != absl::Time()) {
      propagation_latency_->Observe({cluster}, absl::ToDoubleSeconds(clock_.Now() - observed));
    }
  }
  if (!outcome.event_reason.empty()) {
    events_.RecordForCluster(
        *fed, outcome.event_warning, outcome.event_reason,
        absl::StrCat(OperationName(action.op), " ", type.target_type.kind, " ", key), cluster,
        outcome.message);
  }
  if (!outcome.status.empty() && outcome.status != ft::kClusterNotReady) {
    VLOG(1) << Describe(type, key) << " in " << cluster << ": " << outcome.status << ": "
            << outcome.message;
  }
  if (changed || deleting) EnqueueHost(key, false);
  return outcome.retry || requeue;
}

bool SyncController::ReconcileHost(const std::string& key) {
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  kube::ObjectPtr fed =
      federated_informer_->Get(options_.type_config.FederatedNamespaced() ? fed_ns : "", fed_name);
  if (fed == nullptr) {
    // Member copies lose the managed label (ReconcileCluster), never get deleted.
    Unpublish(key);
    EnqueueAllClusters(key);
    return false;
  }
  if (HasDeletionTimestamp(*fed)) return HandleDeletion(fed, key);
  if (options_.type_config.IsNamespace()) {
    auto [ns, name] = SplitObjectKey(key);
    if (ft::IsSystemNamespace(name, options_.kubefed_namespace)) return false;
  }
  if (!HasFinalizer(*fed, ft::kSyncControllerFinalizer)) {
    // The finalizer workers add it; the update's own event brings the key back.
    finalizer_pool_->Add(key);
    return false;
  }
  EnqueueAllClusters(key);
  return WriteStatus(fed, key);
}

absl::Status SyncController::EnsureFinalizer(const kube::ObjectPtr& fed, bool present,
                                             kube::RequestPriority priority) {
  rapidjson::Document copy = json::Clone(*fed);
  SetFinalizer(copy, ft::kSyncControllerFinalizer, present);
  kube::WriteOptions write;
  write.field_manager = options_.field_manager;
  write.priority = priority;
  return host_.Update(FederatedResource(), Meta(*fed, "namespace"), copy, write).status();
}

bool SyncController::WriteStatus(const kube::ObjectPtr& fed, const std::string& key) {
  std::unique_ptr<RequestParts> parts = BuildRequest(fed, key);
  Plan plan = PlanPropagation(parts->request);
  if (plan.ignored) {
    Unpublish(key);
    return false;
  }
  std::map<std::string, int64_t> member_generations;
  for (const ClusterState& c : parts->request.clusters) {
    member_generations[c.name] = GenerationOf(c.live);
  }
  status::v1::FederatedObject published = PublishedObject(fed, key);

  StatusInput input;
  const rapidjson::Value* generation = json::FindPath(*fed, {"metadata", "generation"});
  input.generation = generation != nullptr && generation->IsInt64() ? generation->GetInt64() : 0;
  input.aggregate_reason = plan.aggregate_reason;
  input.aggregate_message = plan.aggregate_message;
  input.note = plan.note;
  input.now = clock_.Now();
  std::map<std::string, std::string> new_versions;
  std::map<std::string, uint64_t> accounted;  // cluster -> outcome_seq this status reflects
  bool pending = false;
  {
    absl::MutexLock lock(&mu_);
    ObjectState& obj = objects_[key];
    for (const auto& [name, rec] : obj.clusters) accounted[name] = rec.outcome_seq;
    const bool versions_current = obj.template_version == parts->template_version &&
                                  obj.overrides_version == parts->overrides_version;
    for (const ClusterAction& a : plan.actions) {
      auto rec = obj.clusters.find(a.cluster);
      const bool failed =
          rec != obj.clusters.end() && rec->second.has_outcome && !rec->second.last.status.empty();
      if (a.op == Operation::kNone) {
        if (a.selected || !a.status.empty()) input.clusters[a.cluster] = {a.status, a.message};
        if (a.selected && a.status.empty() && !a.version.empty())
          new_versions[a.cluster] = a.version;
      } else if (failed) {
        input.clusters[a.cluster] = {rec->second.last.status, rec->second.last.message};
      } else {
        pending = true;
      }
      if (versions_current && a.selected) {
        auto v = obj.versions.find(a.cluster);
        if (v != obj.versions.end() && new_versions.count(a.cluster) == 0)
          new_versions[a.cluster] = v->second;
      }
      PublishedCluster p;
      p.cluster = a.cluster;
      p.op = a.op;
      p.plan_status = a.status;
      p.plan_message = a.message;
      if (a.op != Operation::kNone && failed) {
        p.failed_status = rec->second.last.status;
        p.failed_message = rec->second.last.message;
      }
      if (rec != obj.clusters.end()) p.latency_seconds = rec->second.latency_seconds;
      p.member_generation = member_generations[a.cluster];
      *published.add_clusters() = ClusterStateFor(p);
    }
    for (const ClusterAction& a : plan.actions) {
      if (a.op == Operation::kNone) continue;
      auto rec = obj.clusters.find(a.cluster);
      if (rec != obj.clusters.end() && rec->second.last.wrote) input.resources_updated = true;
    }
  }
  // Status reflects finished work: while a selected cluster is still being written to, its
  // worker re-queues the key when done. The status API shows the work in progress.
  const rapidjson::Value* current = json::Find(*fed, "status");
  if (pending) {
    SetPropagation(current, &published);
    Publish(std::move(published));
    // The worker's wake-up is the fast path. Status must not depend on it alone (the fault
    // suite once left 176 of 1,000 statuses at a member's earlier ClusterNotReady after the
    // member came back, when that wake-up was lost): look again after a while. A key already
    // waiting keeps its earlier time, and nothing is pending at rest.
    host_pool_->AddAfter(key, kPendingStatusRecheck);
    return plan.requeue;
  }

  StatusUpdate update = ComputeStatus(current, input);
  SetPropagation(&update.status, &published);
  Publish(std::move(published));
  if (update.changed) {
    rapidjson::Document copy = json::Clone(*fed);
    json::Set(copy, "status", update.status, copy.GetAllocator());
    absl::StatusOr<kube::ObjectPtr> written = host_.UpdateStatus(
        FederatedResource(), Meta(*fed, "namespace"), copy, {options_.field_manager});
    if (!written.ok()) {
      if (kube::IsNotFound(written.status())) return false;
      VLOG(1) << "status of " << Describe(options_.type_config, key) << ": " << written.status();
      return true;  // conflict or transient: retry with backoff on the fresh object
    }
  }
  {
    // The writes are accounted for (in lastUpdateTime when status changed, or nothing to
    // show): clear them, or every cluster pass would wake the host again, forever. Only those
    // read above: a write a worker recorded meanwhile must still wake the host once its cache
    // shows it (clearing it lost that wake-up, and the status stayed stale).
    absl::MutexLock lock(&mu_);
    for (auto& [name, rec] : objects_[key].clusters) {
      auto seen = accounted.find(name);
      if (seen != accounted.end() && seen->second == rec.outcome_seq) rec.last.wrote = false;
    }
  }

  // PropagatedVersion: what kfed wrote where, so a restart does not rewrite everything.
  if (plan.aggregate_reason == ft::kComputePlacementFailed || !parts->versions_ok) {
    return plan.requeue;
  }
  const ft::TypeConfig& type = options_.type_config;
  const std::string target_kind = type.target_type.kind;
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  const std::string pv_ns = ft::PropagatedVersionNamespace(target_kind, fed_ns, fed_name);
  const std::string pv_name = ft::PropagatedVersionName(target_kind, fed_name);
  kube::Informer* pv_cache = type.FederatedNamespaced() ? caches_.propagated_versions
                                                        : caches_.cluster_propagated_versions;
  kube::ObjectPtr old_pv = pv_cache->Get(pv_ns, pv_name);
  std::optional<ft::PropagatedVersionStatus> old_status;
  if (old_pv != nullptr) {
    absl::StatusOr<ft::PropagatedVersionStatus> parsed = ft::ParsePropagatedVersionStatus(*old_pv);
    if (parsed.ok()) old_status = *parsed;
  }
  std::vector<std::string> selected(plan.selected.begin(), plan.selected.end());
  ft::PropagatedVersionStatus status = ft::UpdatePropagatedVersionStatus(
      old_status ? &*old_status : nullptr, parts->template_version, parts->overrides_version,
      selected, new_versions);
  if (old_status && *old_status == status) return plan.requeue;
  rapidjson::Document pv =
      ft::BuildPropagatedVersion(*fed, target_kind, type.FederatedNamespaced(), status);
  kube::GroupVersionResource gvr = VersionResource();
  absl::StatusOr<kube::ObjectPtr> base;
  if (old_pv == nullptr) {
    base = host_.Create(gvr, pv_ns, pv, {options_.field_manager});
    if (!base.ok() && kube::IsAlreadyExists(base.status())) base = host_.Get(gvr, pv_ns, pv_name);
  } else {
    base = old_pv;
  }
  if (!base.ok()) {
    VLOG(1) << "propagated version " << pv_name << ": " << base.status();
    // Refused as invalid (e.g. "<kind>-<name>" is longer than 253 characters for a federated
    // object with a name that long): retrying cannot help, and without the record a restart
    // only rewrites the object once.
    return kube::IsInvalid(base.status()) ? plan.requeue : true;
  }
  rapidjson::Document with_status = json::Clone(**base);
  json::Set(with_status, "status", pv["status"], with_status.GetAllocator());
  absl::StatusOr<kube::ObjectPtr> written =
      host_.UpdateStatus(gvr, pv_ns, with_status, {options_.field_manager});
  if (!written.ok() && !kube::IsNotFound(written.status())) {
    // Versions are an optimisation (as in KubeFed): a failure only costs an update later.
    VLOG(1) << "propagated version " << pv_name << ": " << written.status();
    return true;
  }
  return plan.requeue;
}

bool SyncController::HandleDeletion(const kube::ObjectPtr& fed, const std::string& key) {
  if (!HasFinalizer(*fed, ft::kSyncControllerFinalizer)) return false;
  std::unique_ptr<RequestParts> parts = BuildRequest(fed, key);
  DeletionPlan plan = PlanDeletion(parts->request);
  if (!plan.done()) {
    status::v1::FederatedObject published = PublishedObject(fed, key);
    SetPropagation(json::Find(*fed, "status"), &published);
    {
      absl::MutexLock lock(&mu_);
      const ObjectState& obj = objects_[key];
      for (const ClusterAction& a : plan.actions) {
        PublishedCluster p;
        p.cluster = a.cluster;
        p.op = a.op;
        p.plan_status = a.status;
        p.plan_message = a.message;
        auto rec = obj.clusters.find(a.cluster);
        if (rec != obj.clusters.end() && rec->second.has_outcome && a.op != Operation::kNone) {
          p.failed_status = rec->second.last.status;
          p.failed_message = rec->second.last.message;
        }
        *published.add_clusters() = ClusterStateFor(p);
      }
      for (const std::string& cluster : plan.waiting) {
        PublishedCluster p;
        p.cluster = cluster;
        p.waiting_for_removal = true;
        *published.add_clusters() = ClusterStateFor(p);
      }
    }
    Publish(std::move(published));
    EnqueueAllClusters(key);
    std::vector<std::string> remaining = plan.waiting;
    for (const ClusterAction& a : plan.actions) remaining.push_back(a.cluster);
    std::sort(remaining.begin(), remaining.end());
    std::string waiting = absl::StrJoin(remaining, ", ");
    bool report = false;
    {
      absl::MutexLock lock(&mu_);
      ObjectState& obj = objects_[key];
      report = obj.last_waiting != waiting;
      obj.last_waiting = waiting;
    }
    if (report) {
      events_.Record(
          *fed, false, std::string(ft::kEventWaitForRemovalInCluster),
          absl::StrCat("Waiting for managed resources to be removed from the following clusters: ",
                       waiting));
    }
    // Clusters that are down give no events: check again with backoff.
    return !plan.waiting.empty();
  }
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  const std::string target_kind = options_.type_config.target_type.kind;
  absl::Status pv_deleted =
      host_.Delete(VersionResource(), ft::PropagatedVersionNamespace(target_kind, fed_ns, fed_name),
                   ft::PropagatedVersionName(target_kind, fed_name), {});
  if (!pv_deleted.ok() && !kube::IsNotFound(pv_deleted))
    VLOG(1) << "deleting propagated version: " << pv_deleted;
  absl::Status removed = EnsureFinalizer(fed, /*present=*/false);
  if (!removed.ok() && !kube::IsNotFound(removed)) {
    LOG(WARNING) << "removing finalizer from " << Describe(options_.type_config, key) << ": "
                 << removed;
    return true;
  }
  {
    absl::MutexLock lock(&mu_);
    objects_.erase(key);
  }
  Unpublish(key);
  LOG(INFO) << Describe(options_.type_config, key) << " deleted"
            << (plan.orphan ? " (member objects orphaned)" : " from every cluster");
  return false;
}

}  // namespace kfed::controller

// --- status API ---------------------------------------------------------------------------

namespace kfed::controller {

status::v1::FederatedObject SyncController::PublishedObject(const kube::ObjectPtr& fed,
                                                            const std::string& key) const {
  status::v1::FederatedObject object;
  auto [ns, name] = SplitObjectKey(key);
  status::v1::ObjectRef* ref = object.mutable_ref();
  ref->set_type(options_.type_config.name);
  ref->set_kind(options_.type_config.federated_type.kind);
  ref->set_namespace_(ns);
  ref->set_name(name);
  object.set_generation(GenerationOf(fed.get()));
  return object;
}

void SyncController::Publish(status::v1::FederatedObject object) {
  if (options_.status_store == nullptr) return;
  {
    // A stopped controller no longer owns its type's entries (Stop removed them).
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
  }
  options_.status_store->UpsertObject(std::move(object));
}

void SyncController::Unpublish(const std::string& key) {
  if (options_.status_store == nullptr) return;
  auto [ns, name] = SplitObjectKey(key);
  status::v1::ObjectRef ref;
  ref.set_type(options_.type_config.name);
  ref.set_namespace_(ns);
  ref.set_name(name);
  options_.status_store->RemoveObject(ref);
}

absl::StatusOr<status::RenderResult> SyncController::Render(const std::string& ns,
                                                            const std::string& name,
                                                            const std::string& cluster) {
  const ft::TypeConfig& type = options_.type_config;
  const std::string key = ObjectKey(ns, name);
  kube::ObjectPtr fed = federated_informer_ == nullptr
                            ? nullptr
                            : federated_informer_->Get(type.FederatedNamespaced() ? ns : "", name);
  if (fed == nullptr) {
    return absl::NotFoundError(absl::StrCat("no ", Describe(type, key), " in the host cache"));
  }
  status::RenderResult result;
  result.overrides_json = "[]";
  if (const rapidjson::Value* overrides = json::FindPath(*fed, {"spec", "overrides"});
      overrides != nullptr && overrides->IsArray()) {
    for (const rapidjson::Value& o : overrides->GetArray()) {
      if (!o.IsObject() || json::GetString(o, "clusterName") != cluster) continue;
      if (const rapidjson::Value* ops = json::Find(o, "clusterOverrides")) {
        result.overrides_json = json::Serialize(*ops);
      }
    }
  }
  std::unique_ptr<RequestParts> parts = BuildRequest(fed, key);
  const ClusterState* state = nullptr;
  for (const ClusterState& c : parts->request.clusters) {
    if (c.name == cluster) state = &c;
  }
  if (state == nullptr) {
    result.render_error = absl::StrCat("no member cluster named \"", cluster, "\"");
    return result;
  }
  parts->request.only_cluster = cluster;
  Plan plan = PlanPropagation(parts->request);
  if (plan.aggregate_reason == ft::kComputePlacementFailed) {
    result.render_error = plan.aggregate_message;
    return result;
  }
  if (plan.selected.count(cluster) == 0) return result;  // not placed there: nothing rendered
  ft::RenderRequest render;
  render.federated_object = fed.get();
  render.type_config = &type;
  render.cluster = cluster;
  render.live = state->live;
  absl::StatusOr<ft::RenderedObject> rendered = ft::RenderForCluster(render);
  if (!rendered.ok()) {
    result.render_error =
        absl::StrCat(ft::RenderFailureStatus(rendered.status()), ": ", rendered.status().message());
    return result;
  }
  result.rendered_json = json::SerializePretty(rendered->object);
  return result;
}

}  // namespace kfed::controller
