#include "controller/clusterset_controller.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/k8s_names.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;

// How often a member whose properties cannot be written (CRD missing, no rights, an ID
// conflict) is looked at again; a change of the cluster wakes it sooner.
constexpr absl::Duration kProblemRecheck = absl::Seconds(30);
// How long to wait for a member's ClusterProperty cache to fill before looking again.
constexpr absl::Duration kCacheRecheck = absl::Seconds(1);

std::string PropertyValue(const rapidjson::Value& object) {
  const rapidjson::Value* spec = json::Find(object, "spec");
  return spec == nullptr ? "" : json::GetString(*spec, "value");
}

// What to tell the user when the member refuses kfed's requests.
std::string Hint(const absl::Status& status) {
  if (kube::IsForbidden(status)) {
    return " (kfed's member RBAC lacks about.k8s.io clusterproperties: run `kfedctl join` for "
           "this cluster again)";
  }
  if (kube::IsNotFound(status)) {
    return " (the ClusterProperty CRD clusterproperties.about.k8s.io is not installed in the "
           "member: run `kfedctl join` for this cluster again)";
  }
  return "";
}

}  // namespace

absl::Status ClusterSetController::ValidateName(const std::string& name) {
  // A label value too: tools select members by it.
  std::string problem = k8s::CheckDns1123Subdomain(name);
  if (problem.empty()) problem = k8s::CheckLabelValue(name);
  if (problem.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("ClusterSet name \"", name, "\": ", problem));
}

ClusterSetController::ClusterSetController(ClusterRegistry& registry, MetricsRegistry& metrics,
                                           ClusterSetOptions options, Clock& clock)
    : registry_(registry),
      options_(std::move(options)),
      clock_(clock),
      reconciler_([this](const std::string& cluster) { return Reconcile(cluster); }),
      pool_(reconciler_, metrics,
            [this] {
              WorkerPoolOptions o;
              o.name = "clusterset";
              o.workers = std::max(1, options_.workers);
              o.cache_sync_timeout = options_.cache_sync_timeout;
              // Nothing is written before the set of clusters is known.
              o.caches.push_back(RegistrySyncSource(registry_));
              return o;
            }(),
            clock) {}

ClusterSetController::~ClusterSetController() { Stop(); }

void ClusterSetController::Start() {
  feed_.Start();
  LOG(INFO) << "ClusterSet " << options_.name << ": keeping the ClusterProperties of KEP-2149 "
            << "in every member";
}

void ClusterSetController::Stop() {
  MemberTable<Member> members;
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
    if (m->informer) m->informer->Stop();
  }
}

std::map<std::string, ClusterSetMember> ClusterSetController::Members() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, ClusterSetMember> out;
  for (const auto& [name, m] : members_) out[name] = m->state;
  return out;
}

void ClusterSetController::SetProblem(const std::string& cluster, std::string problem) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(cluster);
  if (it == members_.end() || it->second->state.problem == problem) return;
  if (!problem.empty()) LOG(WARNING) << "ClusterSet " << options_.name << ": " << problem;
  it->second->state.problem = std::move(problem);
}

absl::StatusOr<ReconcileResult> ClusterSetController::Reconcile(const std::string& cluster) {
  std::shared_ptr<const MemberCluster> member = registry_.Get(cluster);
  MemberTableChange<Member> change;
  std::vector<std::string> waiting;  // members blocked by an ID this one may have held
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return ReconcileResult::Done();
    change = SyncMemberEntry(members_, cluster, member.get(),
                             [] { return std::make_shared<Member>(); });
    if (change.created) {
      // Only constructed here; started below, outside the lock.
      kube::InformerOptions io;
      io.gvr = ClusterPropertiesResource();
      change.current->informer =
          std::make_unique<kube::Informer>(*change.current->client, io, clock_);
      auto enqueue = [this, cluster](const kube::ObjectPtr&) { pool_.Add(cluster); };
      change.current->informer->AddEventHandler(
          {enqueue, [enqueue](const kube::ObjectPtr&, const kube::ObjectPtr& o) { enqueue(o); },
           enqueue});
    }
    if (change.current == nullptr && change.removed != nullptr) {
      for (const auto& [name, m] : members_) {
        if (!m->state.problem.empty()) waiting.push_back(name);
      }
    }
  }
  std::shared_ptr<Member> old = std::move(change.removed);
  const bool usable = change.current != nullptr;
  kube::Informer* informer = usable ? change.current->informer.get() : nullptr;
  std::shared_ptr<kube::Client> client = usable ? change.current->client : nullptr;
  const bool start_informer = change.created;
  if (old != nullptr && old->informer != nullptr) old->informer->Stop();
  for (const std::string& name : waiting) pool_.Add(name);
  if (!usable) return ReconcileResult::Done();
  if (start_informer) informer->Start();
  // A member that is not Ready is left alone; its return re-queues it (registry listener).
  if (!member->ready) return ReconcileResult::Done();

  if (!informer->HasSynced()) {
    absl::Status list_error = informer->LastListError();
    if (!list_error.ok() && (kube::IsNotFound(list_error) || kube::IsForbidden(list_error))) {
      SetProblem(cluster, absl::StrCat("cluster ", cluster, ": cannot list ClusterProperties: ",
                                       list_error.message(), Hint(list_error)));
      return ReconcileResult::RequeueAfter(kProblemRecheck);
    }
    return ReconcileResult::RequeueAfter(kCacheRecheck);
  }

  // The cluster ID: a property another tool wrote wins (kfed does not rename a cluster),
  // else the kube-system namespace's UID.
  std::string id;
  kube::ObjectPtr id_property = informer->Get("", ft::kClusterIdProperty);
  if (id_property != nullptr && !ManagedByKfed(*id_property)) {
    id = PropertyValue(*id_property);
  } else {
    absl::StatusOr<kube::ObjectPtr> kube_system =
        client->Get(kube::NamespacesResource(), "", "kube-system");
    if (!kube_system.ok()) {
      return absl::Status(kube_system.status().code(),
                          absl::StrCat("cluster ", cluster, ": reading namespace kube-system for "
                                       "the cluster ID: ", kube_system.status().message()));
    }
    id = kube::Uid(**kube_system);
  }
  if (id.empty()) {
    SetProblem(cluster, absl::StrCat("cluster ", cluster, ": no cluster ID (kube-system has no "
                                     "uid and no ClusterProperty ",
                                     ft::kClusterIdProperty, " exists)"));
    return ReconcileResult::RequeueAfter(kProblemRecheck);
  }
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, m] : members_) {
      if (name != cluster && m->state.cluster_id == id) {
        std::string problem = absl::StrCat(
            "cluster ", cluster, " has cluster ID ", id, ", which member ", name,
            " already holds (the same cluster joined twice?): no ClusterProperties are written "
            "for it until one of them is unjoined");
        if (change.current->state.problem != problem) LOG(ERROR) << problem;
        change.current->state.problem = std::move(problem);
        return ReconcileResult::RequeueAfter(kProblemRecheck);
      }
    }
    change.current->state.cluster_id = id;
  }

  absl::StatusOr<std::string> written =
      EnsureProperty(cluster, *client, *informer, std::string(ft::kClusterIdProperty), id,
                     /*keep_foreign=*/true);
  if (!written.ok()) return written.status();
  absl::StatusOr<std::string> set =
      EnsureProperty(cluster, *client, *informer, std::string(ft::kClusterSetProperty),
                     options_.name, /*keep_foreign=*/true);
  if (!set.ok()) return set.status();
  if (*set != options_.name) {
    SetProblem(cluster, absl::StrCat("cluster ", cluster, " belongs to ClusterSet \"", *set,
                                     "\" (its ClusterProperty ", ft::kClusterSetProperty,
                                     " was written by another tool); kfed leaves it as it is"));
    return ReconcileResult::Done();
  }
  SetProblem(cluster, "");
  return ReconcileResult::Done();
}

absl::StatusOr<std::string> ClusterSetController::EnsureProperty(
    const std::string& cluster, kube::Client& client, const kube::Informer& informer,
    const std::string& name, const std::string& value, bool keep_foreign) {
  kube::ObjectPtr live = informer.Get("", name);
  if (live != nullptr && keep_foreign && !ManagedByKfed(*live)) return PropertyValue(*live);
  if (live != nullptr && ManagedByKfed(*live) && PropertyValue(*live) == value) return value;

  rapidjson::Document doc(rapidjson::kObjectType);
  if (live != nullptr) doc.CopyFrom(*live, doc.GetAllocator());
  auto& a = doc.GetAllocator();
  json::SetString(doc, "apiVersion", absl::StrCat(ft::kAboutGroup, "/", ft::kV1Alpha1), a);
  json::SetString(doc, "kind", std::string(ft::kClusterPropertyKind), a);
  rapidjson::Value& meta = json::EnsureObject(doc, "metadata", a);
  json::SetString(meta, "name", name, a);
  rapidjson::Value& labels = json::EnsureObject(meta, "labels", a);
  json::SetString(labels, std::string(ft::kManagedByLabel), std::string(ft::kManagedByKfed), a);
  rapidjson::Value& spec = json::EnsureObject(doc, "spec", a);
  json::SetString(spec, "value", value, a);

  kube::WriteOptions wo;
  wo.field_manager = options_.field_manager;
  absl::StatusOr<kube::ObjectPtr> out = live == nullptr
                                            ? client.Create(ClusterPropertiesResource(), "", doc, wo)
                                            : client.Update(ClusterPropertiesResource(), "", doc, wo);
  if (!out.ok()) {
    // A conflict or AlreadyExists means the cache is behind: the retry sees the newer object.
    return absl::Status(out.status().code(),
                        absl::StrCat("cluster ", cluster, ": ",
                                     live == nullptr ? "creating" : "restoring",
                                     " ClusterProperty ", name, ": ", out.status().message(),
                                     Hint(out.status())));
  }
  LOG(INFO) << "cluster " << cluster << ": ClusterProperty " << name << " = " << value
            << (live == nullptr ? " (created)" : " (restored)");
  return value;
}

}  // namespace kfed::controller
