#include "kube/discovery.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "kube/errors.h"

namespace kfed::kube {
namespace {

std::vector<std::string> Strings(const rapidjson::Value& o, const char* member) {
  std::vector<std::string> out;
  const rapidjson::Value* a = json::Find(o, member);
  if (a == nullptr || !a->IsArray()) return out;
  for (const auto& v : a->GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

// Parses one APIResourceList.
absl::Status ParseResourceList(absl::string_view body, const std::string& group,
                               const std::string& version, bool preferred,
                               std::vector<ApiResource>& out) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, json::Parse(body));
  const rapidjson::Value* list = json::Find(doc, "resources");
  if (list == nullptr || !list->IsArray()) {
    return absl::InternalError("APIResourceList without resources");
  }
  std::vector<std::pair<std::string, std::string>> subresources;  // (parent, sub)
  size_t first = out.size();
  for (const auto& r : list->GetArray()) {
    std::string name = json::GetString(r, "name");
    if (name.empty()) continue;
    size_t slash = name.find('/');
    if (slash != std::string::npos) {
      subresources.emplace_back(name.substr(0, slash), name.substr(slash + 1));
      continue;
    }
    ApiResource a;
    // A resource may live in another group/version than the list (rare; honour it).
    std::string g = json::GetString(r, "group", group);
    std::string v = json::GetString(r, "version", version);
    const rapidjson::Value* ns = json::Find(r, "namespaced");
    a.gvr = {g, v, name, ns != nullptr && ns->IsBool() && ns->GetBool(), json::GetString(r, "kind")};
    a.singular_name = json::GetString(r, "singularName");
    a.verbs = Strings(r, "verbs");
    a.short_names = Strings(r, "shortNames");
    a.preferred_version = preferred;
    out.push_back(std::move(a));
  }
  for (const auto& [parent, sub] : subresources) {
    for (size_t i = first; i < out.size(); ++i) {
      if (out[i].gvr.resource == parent) out[i].subresources.push_back(sub);
    }
  }
  return absl::OkStatus();
}

constexpr char kAggregatedAccept[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

// Parses one APIGroupDiscoveryList (apidiscovery.k8s.io/v2 or v2beta1).
absl::Status ParseAggregated(const rapidjson::Value& doc, std::vector<ApiResource>& out,
                             std::vector<std::string>& failed) {
  const rapidjson::Value* items = json::Find(doc, "items");
  if (items == nullptr || !items->IsArray()) return absl::InternalError("APIGroupDiscoveryList without items");
  for (const auto& g : items->GetArray()) {
    const rapidjson::Value* meta = json::Find(g, "metadata");
    std::string group = meta ? json::GetString(*meta, "name") : "";
    const rapidjson::Value* versions = json::Find(g, "versions");
    if (versions == nullptr || !versions->IsArray()) continue;
    bool first = true;  // versions are listed in preference order
    for (const auto& v : versions->GetArray()) {
      std::string version = json::GetString(v, "version");
      bool preferred = first;
      first = false;
      if (json::GetString(v, "freshness") == "Stale") {
        failed.push_back(group.empty() ? version : absl::StrCat(group, "/", version));
        continue;
      }
      const rapidjson::Value* resources = json::Find(v, "resources");
      if (resources == nullptr || !resources->IsArray()) continue;
      for (const auto& r : resources->GetArray()) {
        ApiResource a;
        const rapidjson::Value* kind = json::Find(r, "responseKind");
        a.gvr = {group, version, json::GetString(r, "resource"),
                 json::GetString(r, "scope") == "Namespaced", kind ? json::GetString(*kind, "kind") : ""};
        if (a.gvr.resource.empty()) continue;
        a.singular_name = json::GetString(r, "singularResource");
        a.verbs = Strings(r, "verbs");
        a.short_names = Strings(r, "shortNames");
        if (const rapidjson::Value* subs = json::Find(r, "subresources"); subs && subs->IsArray()) {
          for (const auto& sub : subs->GetArray()) a.subresources.push_back(json::GetString(sub, "subresource"));
        }
        a.preferred_version = preferred;
        out.push_back(std::move(a));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

Discovery::Discovery(Client& client, DiscoveryOptions options, Clock& clock)
    : client_(client), options_(options), clock_(clock) {}

absl::StatusOr<std::optional<std::shared_ptr<const Discovery::Snapshot>>>
Discovery::FetchAggregated() {
  auto snap = std::make_shared<Snapshot>();
  snap->aggregated = true;
  for (const char* path : {"/api", "/apis"}) {
    ASSIGN_OR_RETURN(std::string body, client_.GetRawAs(path, kAggregatedAccept));
    ASSIGN_OR_RETURN(rapidjson::Document doc, json::Parse(body));
    if (json::GetString(doc, "kind") != "APIGroupDiscoveryList") return std::nullopt;
    RETURN_IF_ERROR(ParseAggregated(doc, snap->resources, snap->failed));
  }
  return std::optional<std::shared_ptr<const Snapshot>>(std::move(snap));
}

absl::StatusOr<std::shared_ptr<const Discovery::Snapshot>> Discovery::Fetch() {
  ASSIGN_OR_RETURN(std::optional<std::shared_ptr<const Snapshot>> aggregated, FetchAggregated());
  if (aggregated.has_value()) return *aggregated;
  auto snap = std::make_shared<Snapshot>();
  // Core group.
  ASSIGN_OR_RETURN(std::string api, client_.GetRaw("/api"));
  ASSIGN_OR_RETURN(rapidjson::Document api_doc, json::Parse(api));
  std::vector<std::string> core_versions = Strings(api_doc, "versions");
  for (size_t i = 0; i < core_versions.size(); ++i) {
    const std::string& v = core_versions[i];
    absl::StatusOr<std::string> body = client_.GetRaw(absl::StrCat("/api/", v));
    absl::Status s = body.ok() ? ParseResourceList(*body, "", v, i == 0, snap->resources) : body.status();
    if (!s.ok()) {
      LOG(WARNING) << "discovery of " << v << " failed: " << s;
      snap->failed.push_back(v);
    }
  }
  // Named groups.
  ASSIGN_OR_RETURN(std::string apis, client_.GetRaw("/apis"));
  ASSIGN_OR_RETURN(rapidjson::Document apis_doc, json::Parse(apis));
  const rapidjson::Value* groups = json::Find(apis_doc, "groups");
  if (groups != nullptr && groups->IsArray()) {
    for (const auto& g : groups->GetArray()) {
      std::string group = json::GetString(g, "name");
      const rapidjson::Value* pref = json::Find(g, "preferredVersion");
      std::string preferred = pref ? json::GetString(*pref, "version") : "";
      const rapidjson::Value* versions = json::Find(g, "versions");
      if (versions == nullptr || !versions->IsArray()) continue;
      for (const auto& v : versions->GetArray()) {
        std::string version = json::GetString(v, "version");
        std::string gv = json::GetString(v, "groupVersion", absl::StrCat(group, "/", version));
        absl::StatusOr<std::string> body = client_.GetRaw(absl::StrCat("/apis/", gv));
        absl::Status s = body.ok() ? ParseResourceList(*body, group, version,
                                                       version == preferred || preferred.empty(),
                                                       snap->resources)
                                   : body.status();
        if (!s.ok()) {
          LOG(WARNING) << "discovery of " << gv << " failed: " << s;
          snap->failed.push_back(gv);
        }
      }
    }
  }
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

absl::StatusOr<std::shared_ptr<const Discovery::Snapshot>> Discovery::Current(bool force) {
  {
    absl::MutexLock lock(&mu_);
    absl::Time now = clock_.Now();
    bool fresh = snapshot_ != nullptr && now - fetched_ < options_.ttl;
    bool may_refresh = now - fetched_ >= options_.min_refresh_interval;
    if (fresh && (!force || !may_refresh)) return snapshot_;
  }
  // Fetch without holding the lock; concurrent callers may fetch twice, which is harmless.
  ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Fetch());
  absl::MutexLock lock(&mu_);
  snapshot_ = snap;
  fetched_ = clock_.Now();
  ++refreshes_;
  return snap;
}

template <typename Pred>
absl::StatusOr<ApiResource> Discovery::Lookup(Pred pred, const std::string& what) {
  for (bool force : {false, true}) {
    ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current(force));
    for (const ApiResource& r : snap->resources) {
      if (pred(r)) return r;
    }
  }
  return WithReason(absl::NotFoundError(absl::StrCat("discovery: no resource serves ", what)),
                    "NotFound", 0);
}

absl::StatusOr<GroupVersionResource> Discovery::ResourceFor(const GroupVersionKind& gvk) {
  ASSIGN_OR_RETURN(ApiResource r, Describe(gvk));
  return r.gvr;
}

absl::StatusOr<ApiResource> Discovery::Describe(const GroupVersionKind& gvk) {
  return Lookup([&](const ApiResource& r) {
    return r.gvr.group == gvk.group && r.gvr.version == gvk.version && r.gvr.kind == gvk.kind;
  }, gvk.String());
}

absl::StatusOr<GroupVersionKind> Discovery::KindFor(const GroupVersionResource& gvr) {
  ASSIGN_OR_RETURN(ApiResource r, Lookup([&](const ApiResource& r) { return r.gvr == gvr; },
                                         gvr.String()));
  return r.Gvk();
}

absl::StatusOr<GroupVersionResource> Discovery::PreferredResourceFor(absl::string_view group,
                                                                     absl::string_view kind) {
  ASSIGN_OR_RETURN(ApiResource r, Lookup([&](const ApiResource& r) {
    return r.preferred_version && r.gvr.group == group && r.gvr.kind == kind;
  }, absl::StrCat(kind, " in group \"", group, "\"")));
  return r.gvr;
}

absl::StatusOr<std::vector<ApiResource>> Discovery::Resources() {
  ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current(false));
  return snap->resources;
}

std::vector<std::string> Discovery::FailedGroupVersions() const {
  absl::MutexLock lock(&mu_);
  return snapshot_ ? snapshot_->failed : std::vector<std::string>();
}

void Discovery::Invalidate() {
  absl::MutexLock lock(&mu_);
  snapshot_ = nullptr;
  fetched_ = absl::InfinitePast();
}

absl::Status Discovery::Refresh() {
  Invalidate();
  return Current(true).status();
}

bool Discovery::aggregated() const {
  absl::MutexLock lock(&mu_);
  return snapshot_ != nullptr && snapshot_->aggregated;
}

int Discovery::refreshes() const {
  absl::MutexLock lock(&mu_);
  return refreshes_;
}

}  // namespace kfed::kube
