#include "controller/mcs_controller.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;

// How long to wait for a member's caches before looking again.
constexpr absl::Duration kCacheRecheck = absl::Seconds(1);
// How long to wait for the ClusterSet controller to learn an exporting cluster's ID.
constexpr absl::Duration kIdRecheck = absl::Seconds(2);

// Indexes of the EndpointSlice informer: "ns/<service>" of a Service's own slices (Kubernetes'
// kubernetes.io/service-name) and of the slices kfed publishes (multicluster service-name).
constexpr char kSourceIndex[] = "mcs-source";
constexpr char kDerivedIndex[] = "mcs-derived";

bool ManagedByKfed(const rapidjson::Value& object) {
  const rapidjson::Value* v = kube::Label(object, ft::kManagedByLabel);
  return v != nullptr && v->IsString() && v->GetString() == ft::kManagedByKfed;
}

kube::IndexFunc NamespacedLabelIndex(absl::string_view label) {
  std::string key(label);
  return [key](const rapidjson::Value& object) -> std::vector<std::string> {
    const rapidjson::Value* v = kube::Label(object, key);
    if (v == nullptr || !v->IsString()) return {};
    return {ObjectKey(kube::Namespace(object), v->GetString())};
  };
}

std::string Hint(const absl::Status& status) {
  if (kube::IsForbidden(status)) {
    return " (kfed's member RBAC lacks the Multi-Cluster Services rights: run `kfedctl join` "
           "for this cluster again)";
  }
  return "";
}

// The conditions of `object`'s status with `wanted` set (others kept); whether they changed.
// lastTransitionTime moves only when a condition's status does.
bool MergeConditions(const rapidjson::Value& object, const std::vector<mcs::Condition>& wanted,
                     absl::Time now, rapidjson::Document& out) {
  out.SetArray();
  auto& a = out.GetAllocator();
  std::map<std::string, const rapidjson::Value*> existing;
  if (const rapidjson::Value* list = json::FindPath(object, {"status", "conditions"});
      list != nullptr && list->IsArray()) {
    for (const rapidjson::Value& c : list->GetArray()) {
      existing[json::GetString(c, "type")] = &c;
    }
  }
  bool changed = false;
  std::set<std::string> written;
  const std::string stamp = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone());
  for (const mcs::Condition& w : wanted) {
    written.insert(w.type);
    const rapidjson::Value* old = existing.count(w.type) ? existing[w.type] : nullptr;
    std::string transition = stamp;
    if (old != nullptr && json::GetString(*old, "status") == w.status &&
        !json::GetString(*old, "lastTransitionTime").empty()) {
      transition = json::GetString(*old, "lastTransitionTime");
    }
    if (old == nullptr || json::GetString(*old, "status") != w.status ||
        json::GetString(*old, "reason") != w.reason ||
        json::GetString(*old, "message") != w.message) {
      changed = true;
    }
    rapidjson::Value c(rapidjson::kObjectType);
    json::SetString(c, "type", w.type, a);
    json::SetString(c, "status", w.status, a);
    json::SetString(c, "reason", w.reason, a);
    json::SetString(c, "message", w.message, a);
    json::SetString(c, "lastTransitionTime", transition, a);
    out.PushBack(c, a);
  }
  for (const auto& [type, c] : existing) {
    if (!written.count(type)) out.PushBack(rapidjson::Value(*c, a), a);
  }
  return changed;
}

// Whether metadata.<field> of `object` holds exactly `want` (absent == empty).
bool StringMapEquals(const rapidjson::Value& object, absl::string_view field,
                     const std::map<std::string, std::string>& want) {
  const rapidjson::Value* have = json::FindPath(object, {"metadata", field});
  if (have == nullptr || !have->IsObject()) return want.empty();
  if (have->MemberCount() != want.size()) return false;
  for (const auto& [key, value] : want) {
    const rapidjson::Value* v = json::Find(*have, key);
    if (v == nullptr || !v->IsString() || value != v->GetString()) return false;
  }
  return true;
}

// Sets metadata.<field> to `values` (removed when empty).
void SetStringMap(rapidjson::Value& meta, absl::string_view field,
                  const std::map<std::string, std::string>& values,
                  rapidjson::Document::AllocatorType& a) {
  json::Remove(meta, field);
  if (values.empty()) return;
  rapidjson::Value& out = json::EnsureObject(meta, field, a);
  for (const auto& [key, value] : values) json::SetString(out, key, value, a);
}

}  // namespace

struct McsController::Member {
  uint64_t client_generation = 0;
  std::shared_ptr<kube::Client> client;
  std::unique_ptr<kube::Informer> exports;
  std::unique_ptr<kube::Informer> imports;
  // Started once `exports` synced (the CRD exists): Services, EndpointSlices, Namespaces.
  std::unique_ptr<kube::Informer> services;
  std::unique_ptr<kube::Informer> slices;
  std::unique_ptr<kube::Informer> namespaces;
  // Set (release) by the cluster's reconcile once the three above exist and started; they
  // are read only after seeing it set (acquire).
  std::atomic<bool> secondary_started{false};
  // The last problem logged (to log each once); guarded by the controller's mu_.
  std::string problem;

  bool AllSynced() const {
    return exports->HasSynced() && imports->HasSynced() && secondary_started.load() &&
           services->HasSynced() && slices->HasSynced() && namespaces->HasSynced();
  }
  void StopAll() {
    for (auto* i : {exports.get(), imports.get(), services.get(), slices.get(), namespaces.get()}) {
      if (i != nullptr) i->Stop();
    }
  }
};

absl::StatusOr<std::unique_ptr<McsController>> McsController::Create(ClusterRegistry& registry,
                                                                     MetricsRegistry& metrics,
                                                                     McsOptions options,
                                                                     ClusterIds cluster_ids,
                                                                     Clock& clock) {
  absl::StatusOr<std::unique_ptr<mcs::ClusterSetIpAllocator>> allocator =
      mcs::ClusterSetIpAllocator::Create(options.clusterset_ip_range);
  if (!allocator.ok()) return allocator.status();
  return std::unique_ptr<McsController>(new McsController(
      registry, metrics, std::move(options), std::move(cluster_ids), std::move(*allocator), clock));
}

McsController::McsController(ClusterRegistry& registry, MetricsRegistry& metrics,
                             McsOptions options, ClusterIds cluster_ids,
                             std::unique_ptr<mcs::ClusterSetIpAllocator> allocator, Clock& clock)
    : registry_(registry),
      options_(std::move(options)),
      cluster_ids_(std::move(cluster_ids)),
      allocator_(std::move(allocator)),
      clock_(clock),
      reconciler_([this](const std::string& key) { return Reconcile(key); }),
      pool_(
          reconciler_, metrics,
          [this] {
            WorkerPoolOptions o;
            o.name = "mcs";
            o.workers = std::max(1, options_.workers);
            o.caches.push_back(RegistrySyncSource(registry_));
            o.cache_sync_timeout = options_.cache_sync_timeout;
            return o;
          }(),
          clock) {}

McsController::~McsController() { Stop(); }

void McsController::Start() {
  listener_ = registry_.AddListener([this](const std::string& cluster) { pool_.Add(cluster); });
  for (const auto& member : registry_.Snapshot()) pool_.Add(member->name);
  pool_.Start();
  LOG(INFO) << "Multi-Cluster Services: ServiceExports in every member become ServiceImports "
            << "and EndpointSlices in all of them (ClusterSetIPs from " << allocator_->cidr()
            << ")";
}

void McsController::Stop() {
  std::map<std::string, std::shared_ptr<Member>> members;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (listener_ >= 0) registry_.RemoveListener(listener_);
  pool_.Stop();
  {
    absl::MutexLock lock(&mu_);
    members.swap(members_);
  }
  for (auto& [name, m] : members) m->StopAll();
}

std::map<std::string, McsServiceView> McsController::Services() const {
  absl::MutexLock lock(&mu_);
  return views_;
}

std::map<std::string, std::shared_ptr<McsController::Member>> McsController::MembersSnapshot()
    const {
  absl::MutexLock lock(&mu_);
  return members_;
}

std::set<std::string> McsController::KnownKeys() const {
  std::set<std::string> keys;
  for (const auto& [name, m] : MembersSnapshot()) {
    for (const kube::ObjectPtr& o : m->exports->List()) keys.insert(kube::ObjectKeyOf(*o));
    for (const kube::ObjectPtr& o : m->imports->List()) {
      if (ManagedByKfed(*o)) keys.insert(kube::ObjectKeyOf(*o));
    }
  }
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, view] : views_) keys.insert(key);
  }
  return keys;
}

void McsController::RecoverAllocations() {
  for (const auto& [name, m] : MembersSnapshot()) {
    if (!m->imports->HasSynced()) continue;
    for (const kube::ObjectPtr& o : m->imports->List()) {
      if (!ManagedByKfed(*o)) continue;
      const rapidjson::Value* ips = json::FindPath(*o, {"spec", "ips"});
      if (ips == nullptr || !ips->IsArray() || ips->Empty() || !(*ips)[0].IsString()) continue;
      // Errors mean another key or range holds it: that import is rewritten when reconciled.
      (void)allocator_->Recover(kube::ObjectKeyOf(*o), (*ips)[0].GetString());
    }
  }
}

void McsController::SetProblem(const std::string& cluster, Member& m, std::string problem) {
  absl::MutexLock lock(&mu_);
  if (problem == m.problem) return;
  if (!problem.empty()) {
    LOG(WARNING) << problem;
  } else {
    LOG(INFO) << "mcs: cluster " << cluster << " takes part in Multi-Cluster Services";
  }
  m.problem = std::move(problem);
}

std::string McsController::Problem(const Member& m) const {
  absl::MutexLock lock(&mu_);
  return m.problem;
}

absl::StatusOr<ReconcileResult> McsController::Reconcile(const std::string& key) {
  auto [ns, name] = SplitObjectKey(key);
  if (name.empty() || key.find('/') == std::string::npos) return ReconcileCluster(key);
  return ReconcileService(ns, name);
}

void McsController::StartSecondaryInformers(const std::string& cluster, Member& m) {
  auto add = [this](const std::string& key) { pool_.Add(key); };
  auto handlers = [](std::function<void(const kube::ObjectPtr&)> f) {
    return kube::EventHandlers{f, [f](const kube::ObjectPtr&, const kube::ObjectPtr& o) { f(o); },
                               f};
  };
  kube::InformerOptions so;
  so.gvr = mcs::ServicesResource();
  m.services = std::make_unique<kube::Informer>(*m.client, so, clock_);
  m.services->AddEventHandler(
      handlers([add](const kube::ObjectPtr& o) { add(kube::ObjectKeyOf(*o)); }));

  kube::InformerOptions eo;
  eo.gvr = mcs::EndpointSlicesResource();
  m.slices = std::make_unique<kube::Informer>(*m.client, eo, clock_);
  m.slices->AddIndexer(kSourceIndex, NamespacedLabelIndex(mcs::kLabelKubeServiceName));
  m.slices->AddIndexer(kDerivedIndex, NamespacedLabelIndex(mcs::kLabelServiceName));
  m.slices->AddEventHandler(handlers([add](const kube::ObjectPtr& o) {
    for (absl::string_view label : {mcs::kLabelKubeServiceName, mcs::kLabelServiceName}) {
      const rapidjson::Value* v = kube::Label(*o, label);
      if (v != nullptr && v->IsString()) add(ObjectKey(kube::Namespace(*o), v->GetString()));
    }
  }));

  kube::InformerOptions no;
  no.gvr = kube::NamespacesResource();
  m.namespaces = std::make_unique<kube::Informer>(*m.client, no, clock_);
  // A namespace appearing or going: every export in it, in any member, is looked at again.
  m.namespaces->AddEventHandler(handlers([this](const kube::ObjectPtr& o) {
    const std::string ns = kube::Name(*o);
    for (const auto& [cluster, member] : MembersSnapshot()) {
      for (const kube::ObjectPtr& e : member->exports->List(ns)) {
        pool_.Add(kube::ObjectKeyOf(*e));
      }
    }
  }));
  m.services->Start();
  m.slices->Start();
  m.namespaces->Start();
  m.secondary_started.store(true);
  VLOG(1) << "mcs: cluster " << cluster << ": watching Services, EndpointSlices, Namespaces";
}

absl::StatusOr<ReconcileResult> McsController::ReconcileCluster(const std::string& cluster) {
  std::shared_ptr<const MemberCluster> member = registry_.Get(cluster);
  const bool usable = member != nullptr && member->client != nullptr;
  std::shared_ptr<Member> old;
  std::shared_ptr<Member> m;
  bool fresh = false;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return ReconcileResult::Done();
    auto it = members_.find(cluster);
    if (!usable) {
      if (it != members_.end()) {
        old = std::move(it->second);
        members_.erase(it);
      }
    } else if (it == members_.end() || it->second->client_generation != member->client_generation) {
      if (it != members_.end()) old = it->second;
      auto created = std::make_shared<Member>();
      created->client = member->client;
      created->client_generation = member->client_generation;
      auto add = [this](const kube::ObjectPtr& o) { pool_.Add(kube::ObjectKeyOf(*o)); };
      kube::EventHandlers h{
          add, [add](const kube::ObjectPtr&, const kube::ObjectPtr& o) { add(o); }, add};
      kube::InformerOptions eo;
      eo.gvr = mcs::ServiceExportsResource();
      created->exports = std::make_unique<kube::Informer>(*created->client, eo, clock_);
      created->exports->AddEventHandler(h);
      kube::InformerOptions io;
      io.gvr = mcs::ServiceImportsResource();
      created->imports = std::make_unique<kube::Informer>(*created->client, io, clock_);
      created->imports->AddEventHandler(h);
      members_[cluster] = created;
      fresh = true;
    }
    if (usable) m = members_[cluster];
  }
  if (old != nullptr) old->StopAll();
  if (!usable) {
    // Its exports are gone from the set: every service is looked at again.
    for (const std::string& key : KnownKeys()) pool_.Add(key);
    return ReconcileResult::Done();
  }
  if (fresh) {
    m->exports->Start();
    m->imports->Start();
  }
  if (!m->exports->HasSynced() || !m->imports->HasSynced()) {
    absl::Status err = m->exports->LastListError();
    if (err.ok()) err = m->imports->LastListError();
    if (!err.ok()) {
      // Any list error makes the member take no part for now (its exports are unknown, so
      // nothing is deleted anywhere), instead of holding every service back.
      std::string problem = kube::IsNotFound(err)
                                ? absl::StrCat("mcs: cluster ", cluster, " has no mcs-api CRDs (",
                                               mcs::ServiceExportsResource().String(),
                                               "): it takes no part in "
                                               "Multi-Cluster Services until they are installed")
                                : absl::StrCat("mcs: cluster ", cluster,
                                               ": cannot list ServiceExports or "
                                               "ServiceImports: ",
                                               err.message(), Hint(err));
      SetProblem(cluster, *m, problem);
      // Its services are looked at again without it.
      for (const std::string& key : KnownKeys()) pool_.Add(key);
      return ReconcileResult::RequeueAfter(kube::IsNotFound(err) || kube::IsForbidden(err)
                                               ? options_.problem_recheck
                                               : kCacheRecheck * 5);
    }
    return ReconcileResult::RequeueAfter(kCacheRecheck);
  }
  if (!m->secondary_started.load()) StartSecondaryInformers(cluster, *m);
  if (!m->AllSynced()) {
    for (auto* i : {m->services.get(), m->slices.get(), m->namespaces.get()}) {
      absl::Status err = i->LastListError();
      if (!err.ok()) {
        SetProblem(cluster, *m,
                   absl::StrCat("mcs: cluster ", cluster, ": ", err.message(), Hint(err)));
        for (const std::string& key : KnownKeys()) pool_.Add(key);
        return ReconcileResult::RequeueAfter(kube::IsForbidden(err) ? options_.problem_recheck
                                                                    : kCacheRecheck * 5);
      }
    }
    return ReconcileResult::RequeueAfter(kCacheRecheck);
  }
  SetProblem(cluster, *m, "");
  // The cluster's caches are complete (or it became Ready or not): every service again.
  for (const std::string& key : KnownKeys()) pool_.Add(key);
  return ReconcileResult::Done();
}

absl::StatusOr<ReconcileResult> McsController::ReconcileService(const std::string& ns,
                                                                const std::string& name) {
  const std::string key = ObjectKey(ns, name);
  std::map<std::string, std::shared_ptr<Member>> members = MembersSnapshot();
  std::map<std::string, std::string> ids = cluster_ids_();

  // Which clusters can be read. A Ready member whose exports cannot be read yet makes the
  // picture incomplete: nothing is deleted then.
  struct Target {
    std::shared_ptr<const MemberCluster> cluster;
    std::shared_ptr<Member> member;
  };
  std::vector<Target> writable;  // Ready, every cache synced
  bool complete = true;
  bool waiting = false;
  std::vector<Target> readable;  // exports (and Services) known, Ready or not
  for (const auto& c : registry_.Snapshot()) {
    auto it = members.find(c->name);
    std::shared_ptr<Member> m = it == members.end() ? nullptr : it->second;
    const bool synced = m != nullptr && m->AllSynced();
    if (synced) readable.push_back({c, m});
    if (c->ready && synced) writable.push_back({c, m});
    if (c->ready && !synced) {
      const bool no_crd =
          m != nullptr && !m->exports->HasSynced() && kube::IsNotFound(m->exports->LastListError());
      if (!no_crd) complete = false;  // a member without the CRDs positively exports nothing
      if (m == nullptr || Problem(*m).empty()) waiting = true;
    }
  }
  if (waiting) return ReconcileResult::RequeueAfter(kCacheRecheck);

  // The exports and their validity.
  struct ExportState {
    kube::ObjectPtr object;
    mcs::Condition valid;
    bool ready = false;  // its cluster is Ready (its status is written, its endpoints used)
  };
  std::map<std::string, ExportState> exports;
  std::vector<mcs::ClusterExport> valid;
  for (const Target& t : readable) {
    kube::ObjectPtr se = t.member->exports->Get(ns, name);
    if (se == nullptr || HasDeletionTimestamp(*se)) continue;
    kube::ObjectPtr svc = t.member->services->Get(ns, name);
    mcs::ClusterExport ce;
    ExportState state{se, mcs::ValidateExport(t.cluster->name, *se, svc.get(), &ce),
                      t.cluster->ready};
    if (state.valid.status == "True") valid.push_back(std::move(ce));
    exports[t.cluster->name] = std::move(state);
  }

  mcs::MergedService merged = mcs::MergeExports(valid);
  std::string ip;
  absl::Status ip_error;
  if (!valid.empty() && merged.type == mcs::kClusterSetIp) {
    ip = allocator_->Get(key);
    if (ip.empty()) {
      RecoverAllocations();
      absl::StatusOr<std::string> allocated = allocator_->Allocate(key);
      if (allocated.ok()) {
        ip = *allocated;
      } else {
        ip_error = allocated.status();
      }
    }
  } else if (!valid.empty()) {
    allocator_->Release(key);  // Headless: no address
  }

  // status.clusters: the Ready exporting clusters' IDs (oldest first); their endpoints.
  std::vector<std::string> source_ids;
  std::map<std::string, std::string> id_of;  // cluster -> id, for the Ready valid exporters
  for (const std::string& cluster : merged.clusters) {
    if (!exports[cluster].ready) continue;
    auto it = ids.find(cluster);
    if (it == ids.end() || it->second.empty()) {
      VLOG(1) << "mcs: " << key << ": waiting for the cluster ID of " << cluster;
      return ReconcileResult::RequeueAfter(kIdRecheck);
    }
    source_ids.push_back(it->second);
    id_of[cluster] = it->second;
  }

  std::vector<absl::Status> errors;
  auto fail = [&](const std::string& cluster, absl::string_view what, const absl::Status& s) {
    errors.push_back(absl::Status(
        s.code(), absl::StrCat("cluster ", cluster, ": ", what, ": ", s.message(), Hint(s))));
  };
  kube::WriteOptions wo;
  wo.field_manager = options_.field_manager;

  // The source EndpointSlices (of the Ready exporting clusters), with their cluster's ID.
  std::vector<std::pair<std::string, kube::ObjectPtr>> source_slices;
  if (!valid.empty()) {
    for (const auto& [cluster, id] : id_of) {
      const std::shared_ptr<Member>& src = members.at(cluster);
      for (const kube::ObjectPtr& s : src->slices->ByIndex(kSourceIndex, key)) {
        if (ManagedByKfed(*s)) continue;
        source_slices.emplace_back(id, s);
      }
    }
  }

  std::map<std::string, std::string> import_labels = merged.labels;
  import_labels[std::string(ft::kManagedByLabel)] = std::string(ft::kManagedByKfed);
  std::vector<std::string> importing;
  std::vector<std::string> missing_ns;
  std::vector<std::string> foreign;
  rapidjson::Document spec = mcs::ImportSpec(
      merged, ip.empty() ? std::vector<std::string>{} : std::vector<std::string>{ip});
  for (const Target& t : writable) {
    const std::string& cluster = t.cluster->name;
    kube::Client& client = *t.member->client;
    kube::ObjectPtr live = t.member->imports->Get(ns, name);
    std::vector<kube::ObjectPtr> derived;
    for (const kube::ObjectPtr& s : t.member->slices->ByIndex(kDerivedIndex, key)) {
      if (ManagedByKfed(*s)) derived.push_back(s);
    }
    // A terminating namespace takes no new objects: as good as missing.
    kube::ObjectPtr ns_object = t.member->namespaces->Get("", ns);
    const rapidjson::Value* phase =
        ns_object == nullptr ? nullptr : json::FindPath(*ns_object, {"status", "phase"});
    const bool ns_exists =
        ns_object != nullptr && !(phase != nullptr && phase->IsString() &&
                                  phase->GetString() == std::string("Terminating"));
    const bool want = !valid.empty() && ip_error.ok() && ns_exists;
    if (!want) {
      if (!ns_exists && !valid.empty()) missing_ns.push_back(cluster);
      // Only when every export was read, and only what kfed made, and not for an exhausted
      // range (that is not the service going away).
      if (!complete || !ip_error.ok()) continue;
      for (const kube::ObjectPtr& s : derived) {
        kube::DeleteOptions d;
        d.precondition_uid = kube::Uid(*s);
        absl::Status st = client.Delete(mcs::EndpointSlicesResource(), ns, kube::Name(*s), d);
        if (!st.ok() && !kube::IsNotFound(st)) fail(cluster, "deleting EndpointSlice", st);
      }
      if (live != nullptr && ManagedByKfed(*live)) {
        kube::DeleteOptions d;
        d.precondition_uid = kube::Uid(*live);
        absl::Status st = client.Delete(mcs::ServiceImportsResource(), ns, name, d);
        if (!st.ok() && !kube::IsNotFound(st)) {
          fail(cluster, "deleting ServiceImport", st);
        } else if (st.ok()) {
          LOG(INFO) << "mcs: cluster " << cluster << ": ServiceImport " << key
                    << " deleted (no export left)";
        }
      }
      continue;
    }
    if (live != nullptr && !ManagedByKfed(*live)) {
      foreign.push_back(cluster);
      continue;
    }

    // The ServiceImport: spec, then status.clusters.
    kube::ObjectPtr current = live;
    const rapidjson::Value* live_spec = live == nullptr ? nullptr : json::Find(*live, "spec");
    if (live == nullptr || live_spec == nullptr || !json::Equal(*live_spec, spec) ||
        !StringMapEquals(*live, "labels", import_labels) ||
        !StringMapEquals(*live, "annotations", merged.annotations)) {
      rapidjson::Document doc(rapidjson::kObjectType);
      auto& a = doc.GetAllocator();
      if (live != nullptr) doc.CopyFrom(*live, a);
      json::SetString(doc, "apiVersion", absl::StrCat(mcs::kGroup, "/", mcs::kVersion), a);
      json::SetString(doc, "kind", "ServiceImport", a);
      rapidjson::Value& meta = json::EnsureObject(doc, "metadata", a);
      json::SetString(meta, "name", name, a);
      json::SetString(meta, "namespace", ns, a);
      // kfed owns its ServiceImport's labels and annotations: the exports' exportedLabels and
      // exportedAnnotations, and its managed-by label.
      SetStringMap(meta, "labels", import_labels, a);
      SetStringMap(meta, "annotations", merged.annotations, a);
      json::Set(doc, "spec", spec, a);
      json::Remove(doc, "status");
      absl::StatusOr<kube::ObjectPtr> out =
          live == nullptr ? client.Create(mcs::ServiceImportsResource(), ns, doc, wo)
                          : client.Update(mcs::ServiceImportsResource(), ns, doc, wo);
      if (!out.ok()) {
        fail(cluster, live == nullptr ? "creating ServiceImport" : "updating ServiceImport",
             out.status());
        continue;
      }
      LOG(INFO) << "mcs: cluster " << cluster << ": ServiceImport " << key << " "
                << (live == nullptr ? "created" : "updated") << " (" << merged.type
                << (ip.empty() ? "" : " ") << ip << ")";
      current = *out;
    }
    {
      rapidjson::Document clusters(rapidjson::kArrayType);
      for (const std::string& id : source_ids) {
        rapidjson::Value c(rapidjson::kObjectType);
        json::SetString(c, "cluster", id, clusters.GetAllocator());
        clusters.PushBack(c, clusters.GetAllocator());
      }
      const rapidjson::Value* have = json::FindPath(*current, {"status", "clusters"});
      const bool same = have == nullptr ? clusters.Empty() : json::Equal(*have, clusters);
      if (!same) {
        rapidjson::Document doc = json::Clone(*current);
        auto& a = doc.GetAllocator();
        rapidjson::Value& status = json::EnsureObject(doc, "status", a);
        json::Set(status, "clusters", clusters, a);
        absl::StatusOr<kube::ObjectPtr> out =
            client.UpdateStatus(mcs::ServiceImportsResource(), ns, doc, wo);
        if (!out.ok()) fail(cluster, "updating ServiceImport status", out.status());
      }
    }
    importing.push_back(cluster);

    // The EndpointSlices.
    std::map<std::string, kube::ObjectPtr> existing;
    for (const kube::ObjectPtr& s : derived) existing[kube::Name(*s)] = s;
    // The same slices in every importing cluster, each owned by that cluster's ServiceImport.
    std::vector<rapidjson::Document> desired_slices;
    for (const auto& [id, source] : source_slices) {
      desired_slices.push_back(
          mcs::DeriveEndpointSlice(ns, name, id, *source, kube::Uid(*current)));
    }
    for (rapidjson::Document& want_slice : desired_slices) {
      const std::string slice_name = kube::Name(want_slice);
      auto it = existing.find(slice_name);
      kube::ObjectPtr have = it == existing.end() ? nullptr : it->second;
      if (it != existing.end()) existing.erase(it);
      if (have != nullptr && mcs::SliceUpToDate(*have, want_slice)) continue;
      rapidjson::Document doc = json::Clone(want_slice);
      absl::StatusOr<kube::ObjectPtr> out;
      if (have == nullptr) {
        // Another tool's slice of that name is never replaced: Create fails AlreadyExists.
        out = client.Create(mcs::EndpointSlicesResource(), ns, doc, wo);
      } else {
        json::SetString(json::EnsureObject(doc, "metadata", doc.GetAllocator()), "resourceVersion",
                        kube::ResourceVersion(*have), doc.GetAllocator());
        out = client.Update(mcs::EndpointSlicesResource(), ns, doc, wo);
      }
      if (!out.ok())
        fail(cluster, absl::StrCat("writing EndpointSlice ", slice_name), out.status());
    }
    if (complete) {
      for (const auto& [slice_name, s] : existing) {
        kube::DeleteOptions d;
        d.precondition_uid = kube::Uid(*s);
        absl::Status st = client.Delete(mcs::EndpointSlicesResource(), ns, slice_name, d);
        if (!st.ok() && !kube::IsNotFound(st)) {
          fail(cluster, absl::StrCat("deleting EndpointSlice ", slice_name), st);
        }
      }
    }
  }

  // The exports' conditions, in the Ready clusters that hold them.
  for (const Target& t : writable) {
    auto it = exports.find(t.cluster->name);
    if (it == exports.end()) continue;
    const ExportState& e = it->second;
    std::vector<mcs::Condition> conditions{e.valid};
    if (e.valid.status == "True") {
      conditions.push_back(merged.conflicts[t.cluster->name]);
      mcs::Condition ready{std::string(mcs::kConditionReady), "True",
                           std::string(mcs::kReasonExported), ""};
      if (!ip_error.ok()) {
        ready.status = "False";
        ready.reason = std::string(mcs::kReasonFailed);
        ready.message = std::string(ip_error.message());
      } else if (importing.empty()) {
        ready.status = "False";
        ready.reason = std::string(mcs::kReasonPending);
        ready.message = "no member holds the ServiceImport yet";
      } else {
        ready.message = absl::StrCat(
            "ServiceImport ", key, " (", merged.type, ip.empty() ? "" : " ", ip, ") is in cluster",
            importing.size() == 1 ? " " : "s ", absl::StrJoin(importing, ", "));
      }
      if (!missing_ns.empty()) {
        absl::StrAppend(&ready.message, "; namespace ", ns, " does not exist in ",
                        absl::StrJoin(missing_ns, ", "), " (NamespaceMissing: no import there)");
      }
      if (!foreign.empty()) {
        absl::StrAppend(&ready.message, "; a ServiceImport not made by kfed is in ",
                        absl::StrJoin(foreign, ", "), " and is left alone");
      }
      conditions.push_back(std::move(ready));
    } else {
      conditions.push_back({std::string(mcs::kConditionReady), "False",
                            std::string(mcs::kReasonFailed),
                            absl::StrCat("not exported: ", e.valid.message)});
    }
    rapidjson::Document merged_conditions;
    if (!MergeConditions(*e.object, conditions, clock_.Now(), merged_conditions)) continue;
    rapidjson::Document doc = json::Clone(*e.object);
    auto& a = doc.GetAllocator();
    json::Set(json::EnsureObject(doc, "status", a), "conditions", merged_conditions, a);
    absl::StatusOr<kube::ObjectPtr> out =
        t.member->client->UpdateStatus(mcs::ServiceExportsResource(), ns, doc, wo);
    if (!out.ok()) fail(t.cluster->name, "updating ServiceExport status", out.status());
  }

  if (valid.empty() && complete) allocator_->Release(key);
  {
    absl::MutexLock lock(&mu_);
    if (exports.empty() && importing.empty()) {
      views_.erase(key);
    } else {
      McsServiceView& view = views_[key];
      view.exporting = merged.clusters;
      view.type = merged.type;
      view.ip = ip;
      view.importing = importing;
    }
  }
  if (!errors.empty()) {
    // A write the caches have not shown yet (our own create or update racing the informer)
    // answers AlreadyExists or Conflict: retried with backoff from the newer cache, quietly.
    const bool only_stale = std::all_of(errors.begin(), errors.end(), [](const absl::Status& s) {
      return kube::IsAlreadyExists(s) || kube::IsConflict(s);
    });
    if (only_stale) {
      VLOG(1) << "mcs " << key << ": " << errors.front().message() << " (cache behind; retrying)";
      return ReconcileResult::Requeue();
    }
    std::vector<std::string> messages;
    for (const absl::Status& s : errors) messages.push_back(std::string(s.message()));
    return RetriedError(absl::Status(errors.front().code(), absl::StrJoin(messages, "; ")),
                        absl::StrCat("mcs ", key));
  }
  if (!complete) return ReconcileResult::RequeueAfter(options_.problem_recheck);
  return ReconcileResult::Done();
}

}  // namespace kfed::controller
