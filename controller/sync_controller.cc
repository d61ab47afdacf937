#include "controller/sync_controller.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/kubefed_resources.h"
#include "federated_types/keys.h"
#include "glog/logging.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;
namespace {

kube::InformerOptions FederatedInformerOptions(const SyncControllerOptions& options) {
  kube::InformerOptions io;
  io.gvr = FederatedResourceOf(options.type_config);
  if (options.limited_scope && io.gvr.namespaced) io.ns = options.kubefed_namespace;
  return io;
}

const kube::Informer& VersionCache(const SyncControllerOptions& options, const HostCaches& caches) {
  return options.type_config.FederatedNamespaced() ? *caches.propagated_versions
                                                   : *caches.cluster_propagated_versions;
}

WorkerPoolOptions HostPoolOptions(const SyncControllerOptions& options,
                                  std::vector<CacheSyncSource> caches) {
  WorkerPoolOptions o;
  o.name = "sync-" + options.type_config.name;
  o.workers = std::max(1, options.host_workers);
  o.caches = std::move(caches);
  o.cache_sync_timeout = options.cache_sync_timeout;
  return o;
}

WorkerPoolOptions FinalizerPoolOptions(const SyncControllerOptions& options,
                                       const kube::Informer& federated) {
  // Up to four: one of them is nearly always waiting for the host limiter in a burst, so the
  // next token goes to a finalizer rather than to a status write.
  WorkerPoolOptions o;
  o.name = "finalizer-" + options.type_config.name;
  o.workers = std::min(4, std::max(1, options.host_workers));
  o.cache_sync_timeout = options.cache_sync_timeout;
  o.caches.push_back(
      InformerSyncSource(options.type_config.federated_type.kind + " informer", federated));
  return o;
}

WorkerPoolOptions VersionPoolOptions(const SyncControllerOptions& options,
                                     std::vector<CacheSyncSource> caches) {
  // Two: the records wait for the host limiter behind every other write, and a burst's
  // records follow one another anyway.
  WorkerPoolOptions o;
  o.name = "versions-" + options.type_config.name;
  o.workers = 2;
  o.caches = std::move(caches);
  o.cache_sync_timeout = options.cache_sync_timeout;
  return o;
}

}  // namespace

SyncController::SyncController(kube::Client& host, ClusterRegistry& clusters, HostCaches caches,
                               MetricsRegistry& metrics, EventRecorder& events,
                               SyncControllerOptions options, Clock& clock)
    : host_(host),
      clusters_(clusters),
      caches_(caches),
      options_(std::move(options)),
      clock_(clock),
      dispatch_duration_(metrics.Histogram(
          "dispatch_operation_duration_seconds",
          "Time taken by a create, update or delete in a member cluster.", {"action"})),
      reconcile_duration_(
          metrics.Histogram("reconcile_federated_resources_duration_seconds",
                            "Time taken to reconcile a federated resource on the host.", {})),
      propagation_latency_(metrics.Histogram(
          "kfed_propagation_latency_seconds",
          "From a change seen on the host (or a member drift) to the member write that applies "
          "it.",
          {"cluster"})),
      queue_depth_(metrics.Gauge("kfed_member_queue_depth",
                                 "Keys waiting in a member cluster's queue.", {"cluster", "type"})),
      member_writes_(metrics.Counter("kfed_member_writes_total", "Writes to member clusters.",
                                     {"cluster", "action"})),
      member_errors_(metrics.Counter(
          "kfed_member_errors_total",
          "Writes to member clusters that failed, by KubeFed status (CreationFailed, ...).",
          {"cluster", "reason"})),
      federated_informer_(host_, FederatedInformerOptions(options_), clock_),
      expectations_(clock_),
      versions_(host_, VersionCache(options_, caches_), options_.type_config,
                options_.field_manager),
      cluster_workers_(
          options_.type_config, clusters_,
          // The host caches only: a member whose own cache has not synced is the plan's
          // business (it skips the cluster and says so in the status).
          {options_.limited_scope ? options_.kubefed_namespace : "", options_.cluster_workers,
           DecisionCaches(), options_.cache_sync_timeout, options_.on_synced,
           [this] { return FederatedKeys(); }},
          [this](const std::string& cluster, kube::Client& client, const std::string& key) {
            return member_reconciler_.Reconcile(cluster, client, key);
          },
          // A member change (drift, or the echo of kfed's own write) starts the latency clock
          // for whatever write follows from it.
          [this](const std::string& key) { records_.ObserveIfKnown(key, clock_.Now()); }, metrics,
          queue_depth_, clock_),
      inputs_(options_, caches_, versions_, records_, clusters_, cluster_workers_),
      publisher_(options_, federated_informer_, inputs_),
      member_reconciler_(
          options_, federated_informer_, inputs_, cluster_workers_, records_, expectations_, events,
          {dispatch_duration_, propagation_latency_, member_writes_, member_errors_},
          [this](const std::string& key) { EnqueueHost(key, /*observed_change=*/false); }, clock_),
      deletion_(host_, options_, inputs_, cluster_workers_, records_, expectations_, versions_,
                publisher_, events),
      version_writer_(versions_, federated_informer_, options_.type_config,
                      [this](const std::string& key) { version_pool_.Add(key); }),
      host_reconciler_(
          host_, options_, federated_informer_, inputs_, cluster_workers_, records_,
          version_writer_,
          publisher_, deletion_,
          {[this](const std::string& key) { finalizer_pool_.Add(key); },
           [this](const std::string& key, absl::Duration d) { host_pool_.AddAfter(key, d); }},
          reconcile_duration_, clock_),
      finalizer_reconciler_(host_, options_, federated_informer_, events),
      host_pool_(host_reconciler_, metrics, HostPoolOptions(options_, DecisionCaches()), clock_),
      finalizer_pool_(finalizer_reconciler_, metrics,
                      FinalizerPoolOptions(options_, federated_informer_), clock_),
      version_pool_(version_writer_, metrics, VersionPoolOptions(options_, DecisionCaches()),
                    clock_) {
  // Also registered by every WorkerPool (one definition, the dashboard charts it).
  metrics.Counter("controller_runtime_reconcile_total",
                  "Reconciliations per controller and result.", {"controller", "result"});
}

SyncController::~SyncController() { Stop(); }

void SyncController::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopped_) return;
    started_ = true;
  }
  auto on_change = [this](const kube::ObjectPtr& object) {
    const std::string key = ObjectKey(Meta(*object, "namespace"), Meta(*object, "name"));
    if (NeedsFinalizer(options_, *object)) finalizer_pool_.Add(key);
    EnqueueHost(key, /*observed_change=*/true);
    // Member writes start at once, not after the host pass: that pass may wait for the host
    // client's budget (status writes), and a backlog there must not hold up every member (a
    // stopped member multiplied status writes and delayed the others' updates by seconds).
    // Before the finalizer is in place only the host pass acts (MemberReconciler checks).
    if (HasFinalizer(*object, ft::kSyncControllerFinalizer)) cluster_workers_.EnqueueAll(key);
  };
  federated_informer_.AddEventHandler(
      {on_change,
       [on_change](const kube::ObjectPtr&, const kube::ObjectPtr& now) { on_change(now); },
       on_change});
  federated_informer_.AddSyncedCallback(options_.on_synced);
  federated_informer_.Start();
  registry_listener_ =
      clusters_.AddListener([this](const std::string& name) { OnClustersChanged(name); });
  publisher_.Open();
  for (const auto& member : clusters_.Snapshot()) cluster_workers_.Sync(member->name);
  host_pool_.Start();
  finalizer_pool_.Start();
  version_pool_.Start();
  LOG(INFO) << "sync controller for " << options_.type_config.name << " started";
}

void SyncController::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  publisher_.Close();  // no render runs once this returns
  if (registry_listener_ >= 0) clusters_.RemoveListener(registry_listener_);
  std::vector<std::thread> stopping;
  stopping.emplace_back([this] { host_pool_.Stop(); });
  stopping.emplace_back([this] { finalizer_pool_.Stop(); });
  stopping.emplace_back([this] { version_pool_.Stop(); });
  stopping.emplace_back([this] { federated_informer_.Stop(); });
  stopping.emplace_back([this] { cluster_workers_.StopAll(); });
  for (std::thread& t : stopping) t.join();
  // The type's objects leave the status API with it (no worker publishes any more).
  publisher_.RemoveType();
  LOG(INFO) << "sync controller for " << options_.type_config.name << " stopped";
}

bool SyncController::HostSynced() const { return federated_informer_.HasSynced(); }

bool SyncController::MembersSynced() const { return cluster_workers_.MembersSynced(); }

void SyncController::OnNamespacePlacementChanged(const std::string& ns) {
  if (options_.type_config.IsNamespace()) {
    EnqueueHost(ObjectKey(ns, ns), /*observed_change=*/true);
    return;
  }
  for (const std::string& key : federated_informer_.Keys(ns)) {
    EnqueueHost(key, /*observed_change=*/true);
  }
}

void SyncController::OnClustersChanged(const std::string& cluster) {
  cluster_workers_.Sync(cluster);
  EnqueueAllHost();
}

void SyncController::EnqueueHost(const std::string& key, bool observed_change) {
  if (observed_change) records_.Observe(key, clock_.Now());
  host_pool_.Add(key);
}

std::vector<std::string> SyncController::FederatedKeys() const {
  return federated_informer_.Keys();
}

void SyncController::EnqueueAllHost() {
  for (const std::string& key : FederatedKeys()) host_pool_.Add(key);
}

std::vector<CacheSyncSource> SyncController::DecisionCaches() const {
  // Nothing is decided before the host caches and the cluster list are known.
  return {
      InformerSyncSource(options_.type_config.federated_type.kind + " informer",
                         federated_informer_),
      RegistrySyncSource(clusters_),
      InformerSyncSource("FederatedNamespace informer", *caches_.federated_namespaces),
      InformerSyncSource("PropagatedVersion informer", *caches_.propagated_versions),
      InformerSyncSource("ClusterPropagatedVersion informer", *caches_.cluster_propagated_versions),
      InformerSyncSource("Namespace informer", *caches_.namespaces)};
}

}  // namespace kfed::controller
