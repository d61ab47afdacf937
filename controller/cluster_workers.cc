#include "controller/cluster_workers.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "glog/logging.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

ClusterWorkers::ClusterWorkers(const ft::TypeConfig& type, const ClusterRegistry& registry,
                               Options options, ReconcileFunc reconcile,
                               MemberChangeFunc on_member_change, MetricsRegistry& metrics,
                               MetricFamily* queue_depth, Clock& clock)
    : type_(type),
      registry_(registry),
      options_(std::move(options)),
      reconcile_(std::move(reconcile)),
      on_member_change_(std::move(on_member_change)),
      metrics_(metrics),
      queue_depth_(queue_depth),
      clock_(clock) {}

ClusterWorkers::~ClusterWorkers() { StopAll(); }

void ClusterWorkers::Sync(const std::string& cluster) {
  std::shared_ptr<const MemberCluster> member = registry_.Get(cluster);
  const bool usable = member != nullptr && member->client != nullptr;
  std::unique_ptr<Workers> old;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    auto it = workers_.find(cluster);
    if (it != workers_.end()) {
      if (usable && it->second->client_generation == member->client_generation) return;
      old = std::move(it->second);
      workers_.erase(it);
    }
    // Started under the lock, so that StopAll either finds them or they never start.
    if (usable) workers_[cluster] = StartLocked(*member);
  }
  if (old != nullptr) Stop(std::move(old));
}

std::unique_ptr<ClusterWorkers::Workers> ClusterWorkers::StartLocked(const MemberCluster& member) {
  const std::string cluster = member.name;
  auto w = std::make_unique<Workers>();
  w->name = cluster;
  w->client_generation = member.client_generation;
  w->client = member.client;
  w->reconciler = std::make_unique<FuncReconciler>(
      [this, cluster, client = w->client.get()](const std::string& key) {
        return reconcile_(cluster, *client, key);
      });
  WorkerPoolOptions po;
  po.name = absl::StrCat("sync-", type_.name, "@", cluster);
  po.workers = std::max(1, options_.workers);
  po.caches = options_.caches;
  po.cache_sync_timeout = options_.cache_sync_timeout;
  po.on_take = [this, cluster, type_name = type_.name](int length) {
    queue_depth_->Set({cluster, type_name}, static_cast<double>(length));
  };
  w->pool = std::make_unique<WorkerPool>(*w->reconciler, metrics_, std::move(po), clock_);

  kube::InformerOptions io;
  io.gvr = TargetResourceOf(type_);
  if (io.gvr.namespaced) io.ns = options_.watch_namespace;
  // Every object carrying the label, "true" or "false": kfed must see explicitly unmanaged
  // objects to report ManagedLabelFalse; unlabelled objects stay invisible.
  io.label_selector = std::string(ft::kManagedLabel);
  w->informer = std::make_unique<kube::Informer>(*w->client, io, clock_);
  WorkerPool* pool = w->pool.get();
  auto enqueue = [this, pool](const kube::ObjectPtr& object) {
    const std::string key = KeyForMember(*object);
    if (on_member_change_) on_member_change_(key);
    pool->Add(key);
    NotifyListeners(key);
  };
  w->informer->AddEventHandler(
      {enqueue, [enqueue](const kube::ObjectPtr&, const kube::ObjectPtr& now) { enqueue(now); },
       enqueue});
  w->informer->AddSyncedCallback(options_.on_synced);
  if (options_.federated_keys) {
    w->informer->AddSyncedCallback([this, pool] {
      for (const std::string& key : options_.federated_keys()) pool->Add(key);
    });
  }
  w->informer->Start();
  w->pool->Start();
  LOG(INFO) << type_.name << ": watching cluster " << cluster;
  return w;
}

void ClusterWorkers::Stop(std::unique_ptr<Workers> workers) {
  workers->pool->Stop();
  workers->informer->Stop();
  queue_depth_->Remove({workers->name, type_.name});
}

void ClusterWorkers::StopAll() {
  std::map<std::string, std::unique_ptr<Workers>> workers;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    workers.swap(workers_);
  }
  std::vector<std::thread> stopping;
  for (auto& [name, w] : workers) {
    Workers* raw = w.release();
    stopping.emplace_back([this, raw] { Stop(std::unique_ptr<Workers>(raw)); });
  }
  for (std::thread& t : stopping) t.join();
}

void ClusterWorkers::EnqueueAll(const std::string& key) {
  absl::MutexLock lock(&mu_);
  for (auto& [name, w] : workers_) w->pool->Add(key);
}

ClusterWorkers::MemberCache ClusterWorkers::Lookup(const std::string& cluster,
                                                   const std::string& ns,
                                                   const std::string& name) const {
  MemberCache out;
  absl::MutexLock lock(&mu_);
  auto w = workers_.find(cluster);
  if (w == workers_.end()) return out;
  out.watched = true;
  out.synced = w->second->informer->HasSynced();
  if (!out.synced) out.list_error = w->second->informer->LastListError();
  out.live = w->second->informer->Get(ns, name);
  return out;
}

bool ClusterWorkers::MembersSynced() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, w] : workers_) {
    auto member = registry_.Get(name);
    if (member != nullptr && member->ready && !w->informer->HasSynced()) return false;
  }
  return true;
}

int ClusterWorkers::AddMemberListener(MemberChangeFunc listener) {
  absl::WriterMutexLock lock(&listeners_mu_);
  const int id = next_listener_++;
  listeners_[id] = std::move(listener);
  return id;
}

void ClusterWorkers::RemoveMemberListener(int id) {
  absl::WriterMutexLock lock(&listeners_mu_);  // waits for running calls (reader lock)
  listeners_.erase(id);
}

void ClusterWorkers::NotifyListeners(const std::string& key) {
  // A shared lock while the listeners run: they only enqueue (never block, never call back
  // here), and RemoveMemberListener must not return while one still runs.
  absl::ReaderMutexLock lock(&listeners_mu_);
  for (const auto& [id, listener] : listeners_) listener(key);
}

std::string ClusterWorkers::KeyForMember(const rapidjson::Value& member) const {
  const std::string name = Meta(member, "name");
  if (type_.IsNamespace()) return ObjectKey(name, name);
  return ObjectKey(Meta(member, "namespace"), name);
}

}  // namespace kfed::controller
