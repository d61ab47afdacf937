#include "controller/status_controller.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;
namespace {

kube::GroupVersionResource StatusResourceOf(const ft::TypeConfig& type) {
  // Callers check ServiceStatusCollectionEnabled(), which requires a status type.
  const ft::ApiResource& s = *type.status_type;
  return {s.group, s.version, s.plural_name, s.scope == ft::Scope::kNamespaced, s.kind};
}

kube::InformerOptions InformerFor(kube::GroupVersionResource gvr,
                                  const StatusControllerOptions& options) {
  kube::InformerOptions io;
  io.gvr = std::move(gvr);
  if (options.limited_scope && io.gvr.namespaced) io.ns = options.kubefed_namespace;
  return io;
}

// An absent clusterStatus is an empty one (KubeFed omits it when empty).
bool SameClusterStatus(const rapidjson::Value* have, const rapidjson::Value& want) {
  if (have == nullptr || have->IsNull()) return want.Empty();
  return *have == want;
}

}  // namespace

rapidjson::Document ClusterStatusOf(
    const std::map<std::string, const rapidjson::Value*>& members) {
  rapidjson::Document out(rapidjson::kArrayType);
  auto& a = out.GetAllocator();
  for (const auto& [cluster, member] : members) {  // sorted by name, as KubeFed
    rapidjson::Value entry(rapidjson::kObjectType);
    json::SetString(entry, "clusterName", cluster, a);
    const rapidjson::Value* status = member != nullptr ? json::Find(*member, "status") : nullptr;
    // KubeFed's `status,omitempty` on a map: an empty status is left out too.
    if (status != nullptr && status->IsObject() && status->MemberCount() > 0) {
      json::Set(entry, "status", *status, a);
    }
    out.PushBack(entry, a);
  }
  return out;
}

StatusController::StatusController(kube::Client& host, ClusterRegistry& registry,
                                   ClusterWorkers& members, MetricsRegistry& metrics,
                                   StatusControllerOptions options, Clock& clock)
    : host_(host),
      registry_(registry),
      members_(members),
      options_(std::move(options)),
      status_gvr_(StatusResourceOf(options_.type_config)),
      clock_(clock),
      federated_(host_, InformerFor(FederatedResourceOf(options_.type_config), options_), clock_),
      statuses_(host_, InformerFor(status_gvr_, options_), clock_),
      reconciler_([this](const std::string& key) { return Reconcile(key); }),
      pool_(reconciler_, metrics,
            [this] {
              WorkerPoolOptions o;
              // KubeFed's worker name: the status kind in lower case.
              o.name = absl::AsciiStrToLower(options_.type_config.status_type->kind);
              o.workers = std::max(1, options_.workers);
              o.cache_sync_timeout = options_.cache_sync_timeout;
              o.caches.push_back(InformerSyncSource(
                  options_.type_config.federated_type.kind + " informer", federated_));
              o.caches.push_back(InformerSyncSource(status_gvr_.kind + " informer", statuses_));
              o.caches.push_back(RegistrySyncSource(registry_));
              return o;
            }(),
            clock_) {}

StatusController::~StatusController() { Stop(); }

void StatusController::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopped_) return;
    started_ = true;
  }
  auto enqueue = [this](const kube::ObjectPtr& o) {
    pool_.Add(ObjectKey(Meta(*o, "namespace"), Meta(*o, "name")));
  };
  auto update = [enqueue](const kube::ObjectPtr&, const kube::ObjectPtr& now) { enqueue(now); };
  federated_.AddEventHandler({enqueue, update, enqueue});
  // A status object edited or deleted by someone else is put right again.
  statuses_.AddEventHandler({enqueue, update, enqueue});
  federated_.Start();
  statuses_.Start();
  const int member_listener =
      members_.AddMemberListener([this](const std::string& key) { pool_.Add(key); });
  const int registry_listener = registry_.AddListener(
      [this](const std::string&) { OnRegistryChanged(); });
  {
    absl::MutexLock lock(&mu_);
    member_listener_ = member_listener;
    registry_listener_ = registry_listener;
  }
  OnRegistryChanged();
  pool_.Start();
  LOG(INFO) << "Starting status controller for \"" << options_.type_config.federated_type.kind
            << "\"";  // KubeFed's line
}

void StatusController::Stop() {
  int member_listener, registry_listener;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    member_listener = member_listener_;
    registry_listener = registry_listener_;
  }
  // Listeners first (they enqueue into the pool), then the workers, then the informers.
  if (member_listener >= 0) members_.RemoveMemberListener(member_listener);
  if (registry_listener >= 0) {
    registry_.RemoveListener(registry_listener);
  }
  pool_.Stop();
  federated_.Stop();
  statuses_.Stop();
  LOG(INFO) << "status controller for " << options_.type_config.name << " stopped";
}

void StatusController::OnRegistryChanged() {
  std::set<std::string> ready;
  for (const auto& member : registry_.Snapshot()) {
    if (member->ready) ready.insert(member->name);
  }
  {
    absl::MutexLock lock(&mu_);
    if (ready == ready_) return;
    ready_ = std::move(ready);
  }
  EnqueueAll();
}

void StatusController::EnqueueAll() {
  for (const std::string& key : federated_.Keys()) pool_.Add(key);
}

absl::StatusOr<ReconcileResult> StatusController::Reconcile(const std::string& key) {
  const ft::TypeConfig& type = options_.type_config;
  auto [ns, name] = SplitObjectKey(key);
  kube::ObjectPtr fed = federated_.Get(type.FederatedNamespaced() ? ns : "", name);
  // Gone or going: the garbage collector removes the status object (its owner went).
  if (fed == nullptr || HasDeletionTimestamp(*fed)) return ReconcileResult::Done();

  // Ready members only, as KubeFed (GetReadyClusters); each from the sync controller's cache.
  std::map<std::string, const rapidjson::Value*> members;
  std::vector<kube::ObjectPtr> held;
  const std::string member_ns = type.TargetNamespaced() ? ns : "";
  for (const auto& member : registry_.Snapshot()) {
    if (!member->ready) continue;
    ClusterWorkers::MemberCache cache = members_.Lookup(member->name, member_ns, name);
    if (cache.watched && !cache.synced && cache.list_error.ok()) {
      VLOG(3) << key << ": the cache of cluster " << member->name << " is still syncing";
      return ReconcileResult::Requeue();
    }
    members[member->name] = cache.live.get();
    held.push_back(std::move(cache.live));
  }
  rapidjson::Document cluster_status = ClusterStatusOf(members);

  kube::ObjectPtr existing = statuses_.Get(status_gvr_.namespaced ? ns : "", name);
  absl::StatusOr<kube::ObjectPtr> written;
  if (existing == nullptr) {
    rapidjson::Document object(rapidjson::kObjectType);
    auto& a = object.GetAllocator();
    json::SetString(object, "apiVersion", status_gvr_.ApiVersion(), a);
    json::SetString(object, "kind", status_gvr_.kind, a);
    rapidjson::Value& metadata = json::EnsureObject(object, "metadata", a);
    json::SetString(metadata, "name", name, a);
    if (status_gvr_.namespaced) json::SetString(metadata, "namespace", ns, a);
    // Owned by the federated object: deleted with it by the garbage collector.
    rapidjson::Value owner(rapidjson::kObjectType);
    json::SetString(owner, "apiVersion", type.federated_type.ApiVersion(), a);
    json::SetString(owner, "kind", type.federated_type.kind, a);
    json::SetString(owner, "name", Meta(*fed, "name"), a);
    json::SetString(owner, "uid", Meta(*fed, "uid"), a);
    rapidjson::Value owners(rapidjson::kArrayType);
    owners.PushBack(owner, a);
    json::Set(metadata, "ownerReferences", owners, a);
    if (!cluster_status.Empty()) json::Set(object, "clusterStatus", cluster_status, a);
    written = host_.Create(status_gvr_, ns, object, {options_.field_manager});
    if (!written.ok() && kube::IsAlreadyExists(written.status())) {
      return ReconcileResult::Requeue();  // the cache has not shown it yet
    }
  } else if (!SameClusterStatus(json::Find(*existing, "clusterStatus"), cluster_status)) {
    rapidjson::Document copy = json::Clone(*existing);
    json::Set(copy, "clusterStatus", cluster_status, copy.GetAllocator());
    written = host_.Update(status_gvr_, ns, copy, {options_.field_manager});
    if (!written.ok() && kube::IsNotFound(written.status())) return ReconcileResult::Requeue();
  } else {
    return ReconcileResult::Done();  // at rest: nothing to write
  }
  if (!written.ok()) {
    // A conflict (the cache brings the newer object) or a transient failure.
    return RetriedError(written.status(),
                        absl::StrCat(existing == nullptr ? "creating " : "updating ",
                                     status_gvr_.kind, " ", key));
  }
  VLOG(2) << (existing == nullptr ? "created " : "updated ") << status_gvr_.kind << " " << key;
  return ReconcileResult::Done();
}

}  // namespace kfed::controller
