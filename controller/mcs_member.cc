// McsController's member side: discovery of the mcs-api, each member's informers, its state
// (McsMemberView) and its publication. See mcs_controller.h.
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/mcs_member.h"
#include "controller/member_table.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace mcs_internal {

namespace ft = ::kfed::federated_types;

std::string Hint(const absl::Status& status) {
  if (kube::IsForbidden(status)) {
    return " (kfed's member RBAC lacks the Multi-Cluster Services rights: run `kfedctl join` "
           "for this cluster again)";
  }
  return "";
}

}  // namespace mcs_internal

namespace {

using mcs_internal::kDerivedIndex;
using mcs_internal::kSourceIndex;

// How long to wait for a member's caches before looking again.
constexpr absl::Duration kCacheRecheck = absl::Seconds(1);

kube::IndexFunc NamespacedLabelIndex(absl::string_view label) {
  std::string key(label);
  return [key](const rapidjson::Value& object) -> std::vector<std::string> {
    const rapidjson::Value* v = kube::Label(object, key);
    if (v == nullptr || !v->IsString()) return {};
    return {ObjectKey(kube::Namespace(object), v->GetString())};
  };
}

// The group-version discovery document that lists ServiceExports and ServiceImports.
std::string McsApiPath() { return absl::StrCat("/apis/", mcs::kGroup, "/", mcs::kVersion); }

}  // namespace

std::map<std::string, McsMemberView> McsController::Members() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, McsMemberView> out;
  for (const auto& [name, m] : members_) out[name] = McsMemberView{m->state, m->problem};
  return out;
}

std::string McsController::Problem(const Member& m) const {
  absl::MutexLock lock(&mu_);
  return m.problem;
}

bool McsController::SetState(const std::string& cluster, Member& m, absl::string_view state,
                             std::string problem) {
  {
    absl::MutexLock lock(&mu_);
    if (state == m.state && problem == m.problem) return false;
    m.state = std::string(state);
    m.problem = problem;
  }
  if (state == kMcsNoCrds) {
    LOG(INFO) << problem;  // a member that does not use MCS is not a fault
  } else if (!problem.empty()) {
    LOG(WARNING) << problem;
  } else if (state == kMcsActive) {
    LOG(INFO) << "mcs: cluster " << cluster << " takes part in Multi-Cluster Services";
  }
  PublishMembers();
  return true;
}

void McsController::PublishMembers() {
  if (options_.status_store == nullptr) return;
  absl::MutexLock publish(&publish_mu_);
  std::vector<status::v1::McsMember> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, m] : members_) {
      out.push_back(McsMemberStatus(name, McsMemberView{m->state, m->problem}));
    }
  }
  options_.status_store->SetMcsMembers(std::move(out));
}

void McsController::RequeueServicesIfChanged(const std::string& cluster, Member& m, bool ready) {
  {
    absl::MutexLock lock(&mu_);
    std::string seen = absl::StrCat(ready ? "Ready" : "NotReady", "/", m.state, "/", m.problem);
    if (seen == m.seen) return;
    m.seen = std::move(seen);
  }
  VLOG(1) << "mcs: cluster " << cluster << " changed: every service again";
  for (const std::string& key : KnownKeys()) pool_.Add(key);
}

std::shared_ptr<McsController::Member> McsController::NewMemberWithInformers(
    std::shared_ptr<kube::Client> client, uint64_t generation) {
  auto created = std::make_shared<Member>();
  created->client = std::move(client);
  created->client_generation = generation;
  auto add = [this](const kube::ObjectPtr& o) { pool_.Add(kube::ObjectKeyOf(*o)); };
  kube::EventHandlers h{add, [add](const kube::ObjectPtr&, const kube::ObjectPtr& o) { add(o); },
                        add};
  kube::InformerOptions eo;
  eo.gvr = mcs::ServiceExportsResource();
  created->exports = std::make_unique<kube::Informer>(*created->client, eo, clock_);
  created->exports->AddEventHandler(h);
  kube::InformerOptions io;
  io.gvr = mcs::ServiceImportsResource();
  created->imports = std::make_unique<kube::Informer>(*created->client, io, clock_);
  created->imports->AddEventHandler(h);
  return created;
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
      if (!member->HasInformers()) continue;
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

std::optional<ReconcileResult> McsController::DiscoverMcsApi(const std::string& cluster,
                                                             bool ready,
                                                             std::shared_ptr<Member>& m) {
  if (!ready) {
    // A member that is not Ready is not asked (a dead one would hold a worker for the
    // request's timeout); the registry's listener brings it back when it turns Ready.
    SetState(cluster, *m, kMcsPending, "");
    RequeueServicesIfChanged(cluster, *m, ready);
    return ReconcileResult::Done();
  }
  const std::string path = McsApiPath();
  absl::StatusOr<std::string> body = m->client->GetRaw(path);
  bool served = false;
  absl::Status error;
  if (body.ok()) {
    absl::StatusOr<rapidjson::Document> doc = json::Parse(*body);
    if (doc.ok()) {
      served = ServesMcsApi(*doc);
    } else {
      error = absl::InvalidArgumentError(absl::StrCat("not an APIResourceList: ",
                                                      doc.status().message()));
    }
  } else if (!kube::IsNotFound(body.status())) {
    error = body.status();
  }
  if (!error.ok()) {
    SetProblem(cluster, *m,
               absl::StrCat("mcs: cluster ", cluster, ": cannot read its API discovery (GET ",
                            path, "): ", error.message(), mcs_internal::Hint(error)));
    RequeueServicesIfChanged(cluster, *m, ready);
    return ReconcileResult::RequeueAfter(kube::IsForbidden(error) ? options_.problem_recheck
                                                                  : kCacheRecheck * 5);
  }
  if (!served) {
    m->no_crds.store(true);
    const bool changed = SetState(cluster, *m, kMcsNoCrds,
             absl::StrCat("mcs: cluster ", cluster, " does not serve the mcs-api CRDs (",
                          mcs::ServiceExportsResource().String(), ", ",
                          mcs::ServiceImportsResource().String(),
                          "): it takes no part in Multi-Cluster Services until they are "
                          "installed (looked for every ",
                          absl::FormatDuration(options_.problem_recheck), ")"));
    if (!changed) VLOG(1) << "mcs: cluster " << cluster << ": the mcs-api CRDs are still not served";
    RequeueServicesIfChanged(cluster, *m, ready);
    return ReconcileResult::RequeueAfter(options_.problem_recheck);
  }
  std::shared_ptr<Member> created = NewMemberWithInformers(m->client, m->client_generation);
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return ReconcileResult::Done();
    auto it = members_.find(cluster);
    // Replaced meanwhile (new credentials): that member's own reconcile is queued.
    if (it == members_.end() || it->second != m) return ReconcileResult::Requeue();
    created->state = m->state;
    created->problem = m->problem;
    it->second = created;
  }
  if (m->no_crds.load()) {
    LOG(INFO) << "mcs: cluster " << cluster << " serves the mcs-api CRDs now";
  }
  created->exports->Start();
  created->imports->Start();
  m = std::move(created);
  return std::nullopt;
}

absl::StatusOr<ReconcileResult> McsController::ReconcileCluster(const std::string& cluster) {
  std::shared_ptr<const MemberCluster> member = registry_.Get(cluster);
  MemberTableChange<Member> change;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return ReconcileResult::Done();
    // A new entry is a placeholder: discovery decides whether informers are made.
    change = SyncMemberEntry(members_, cluster, member.get(),
                             [] { return std::make_shared<Member>(); });
  }
  std::shared_ptr<Member> old = std::move(change.removed);
  std::shared_ptr<Member> m = std::move(change.current);
  const bool usable = m != nullptr;
  if (old != nullptr) old->StopAll();
  if (!usable) {
    // Its exports are gone from the set: every service is looked at again.
    PublishMembers();
    for (const std::string& key : KnownKeys()) pool_.Add(key);
    return ReconcileResult::Done();
  }
  const bool ready = member->ready;

  // The CRDs went away while its informers ran (their lists answer 404): back to a
  // placeholder, which asks discovery again, instead of informers retrying forever.
  if (m->HasInformers() && (kube::IsNotFound(m->exports->LastListError()) ||
                            kube::IsNotFound(m->imports->LastListError()))) {
    auto placeholder = std::make_shared<Member>();
    placeholder->client = m->client;
    placeholder->client_generation = m->client_generation;
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return ReconcileResult::Done();
      auto it = members_.find(cluster);
      if (it == members_.end() || it->second != m) return ReconcileResult::Requeue();
      placeholder->state = m->state;
      placeholder->problem = m->problem;
      it->second = placeholder;
    }
    LOG(INFO) << "mcs: cluster " << cluster
              << ": its mcs-api CRDs went away (ServiceExport list: 404); its informers stop";
    m->StopAll();
    m = placeholder;
  }
  if (!m->HasInformers()) {
    std::optional<ReconcileResult> result = DiscoverMcsApi(cluster, ready, m);
    if (result.has_value()) return *result;
  }

  if (!m->exports->HasSynced() || !m->imports->HasSynced()) {
    absl::Status err = m->exports->LastListError();
    if (err.ok()) err = m->imports->LastListError();
    if (!err.ok() && !kube::IsNotFound(err)) {
      // Any list error makes the member take no part for now (its exports are unknown, so
      // nothing is deleted anywhere), instead of holding every service back.
      SetProblem(cluster, *m,
                 absl::StrCat("mcs: cluster ", cluster,
                              ": cannot list ServiceExports or ServiceImports: ", err.message(),
                              mcs_internal::Hint(err)));
      RequeueServicesIfChanged(cluster, *m, ready);
      return ReconcileResult::RequeueAfter(kube::IsForbidden(err) ? options_.problem_recheck
                                                                  : kCacheRecheck * 5);
    }
    // Still listing (a 404 here is the CRDs going away: the next pass sees it).
    return ReconcileResult::RequeueAfter(kCacheRecheck);
  }
  if (!m->secondary_started.load()) StartSecondaryInformers(cluster, *m);
  if (!m->AllSynced()) {
    for (auto* i : {m->services.get(), m->slices.get(), m->namespaces.get()}) {
      absl::Status err = i->LastListError();
      if (!err.ok()) {
        SetProblem(cluster, *m,
                   absl::StrCat("mcs: cluster ", cluster, ": ", err.message(),
                                mcs_internal::Hint(err)));
        RequeueServicesIfChanged(cluster, *m, ready);
        return ReconcileResult::RequeueAfter(kube::IsForbidden(err) ? options_.problem_recheck
                                                                    : kCacheRecheck * 5);
      }
    }
    return ReconcileResult::RequeueAfter(kCacheRecheck);
  }
  SetState(cluster, *m, kMcsActive, "");
  // The cluster's caches are complete, or it became Ready or not: every service again.
  RequeueServicesIfChanged(cluster, *m, ready);
  // Looked at again later: CRDs deleted meanwhile show as 404 list errors.
  return ReconcileResult::RequeueAfter(options_.problem_recheck);
}

}  // namespace kfed::controller
