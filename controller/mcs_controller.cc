#include "controller/mcs_controller.h"

#include "controller/mcs_member.h"

#include <algorithm>
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

using mcs_internal::Hint;
using mcs_internal::kDerivedIndex;
using mcs_internal::kSourceIndex;

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
  feed_.Start();
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
  feed_.Stop();
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

void McsController::PublishService(const std::string& ns, const std::string& name,
                                   const McsServiceView* view) {
  if (options_.status_store == nullptr) return;
  // One key is never reconciled by two workers at once: publishes of a service are ordered.
  if (view == nullptr) {
    options_.status_store->RemoveMultiClusterService(ns, name);
  } else {
    options_.status_store->UpsertMultiClusterService(
        MultiClusterServiceStatus(ns, name, *view, clock_.Now()));
  }
}

std::map<std::string, std::shared_ptr<McsController::Member>> McsController::MembersSnapshot()
    const {
  absl::MutexLock lock(&mu_);
  return members_;
}

std::set<std::string> McsController::KnownKeys() const {
  std::set<std::string> keys;
  for (const auto& [name, m] : MembersSnapshot()) {
    if (!m->HasInformers()) continue;
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
    if (!m->HasInformers() || !m->imports->HasSynced()) continue;
    for (const kube::ObjectPtr& o : m->imports->List()) {
      if (!ManagedByKfed(*o)) continue;
      const rapidjson::Value* ips = json::FindPath(*o, {"spec", "ips"});
      if (ips == nullptr || !ips->IsArray() || ips->Empty() || !(*ips)[0].IsString()) continue;
      // Errors mean another key or range holds it: that import is rewritten when reconciled.
      (void)allocator_->Recover(kube::ObjectKeyOf(*o), (*ips)[0].GetString());
    }
  }
}

absl::StatusOr<ReconcileResult> McsController::Reconcile(const std::string& key) {
  auto [ns, name] = SplitObjectKey(key);
  if (name.empty() || key.find('/') == std::string::npos) return ReconcileCluster(key);
  return ReconcileService(ns, name);
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
      const bool no_crd = m != nullptr && m->no_crds.load();
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
  std::vector<McsEndpointCount> endpoint_counts;  // for the view, by cluster
  if (!valid.empty()) {
    for (const auto& [cluster, id] : id_of) {
      const std::shared_ptr<Member>& src = members.at(cluster);
      McsEndpointCount count{cluster, id, 0, 0};
      for (const kube::ObjectPtr& s : src->slices->ByIndex(kSourceIndex, key)) {
        if (ManagedByKfed(*s)) continue;
        source_slices.emplace_back(id, s);
        CountEndpoints(*s, count);
      }
      endpoint_counts.push_back(std::move(count));
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
  std::map<std::string, std::vector<mcs::Condition>> set_conditions;  // for the view
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
    set_conditions[t.cluster->name] = conditions;
    rapidjson::Document merged_conditions;
    if (!MergeExportConditions(*e.object, conditions, clock_.Now(), merged_conditions)) continue;
    rapidjson::Document doc = json::Clone(*e.object);
    auto& a = doc.GetAllocator();
    json::Set(json::EnsureObject(doc, "status", a), "conditions", merged_conditions, a);
    absl::StatusOr<kube::ObjectPtr> out =
        t.member->client->UpdateStatus(mcs::ServiceExportsResource(), ns, doc, wo);
    if (!out.ok()) fail(t.cluster->name, "updating ServiceExport status", out.status());
  }

  if (valid.empty() && complete) allocator_->Release(key);
  const bool gone = exports.empty() && importing.empty();
  McsServiceView view;
  if (!gone) {
    std::map<std::string, kube::ObjectPtr> export_objects;
    for (const auto& [cluster, e] : exports) export_objects[cluster] = e.object;
    view = BuildServiceView(merged, ip, export_objects, set_conditions, ids,
                            std::move(endpoint_counts), importing, missing_ns);
  }
  {
    absl::MutexLock lock(&mu_);
    if (gone) {
      views_.erase(key);
    } else {
      views_[key] = view;
    }
  }
  PublishService(ns, name, gone ? nullptr : &view);
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
