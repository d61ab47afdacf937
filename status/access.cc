#include "status/access.h"

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace kfed::status {
namespace {

std::string Sha256(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string DescribeResource(const AccessAttributes& a) {
  std::string what = a.group.empty() ? a.resource : absl::StrCat(a.resource, ".", a.group);
  if (!a.name.empty()) what = absl::StrCat(what, " \"", a.name, "\"");
  return a.ns.empty() ? absl::StrCat(what, " in every namespace")
                      : absl::StrCat(what, " in namespace \"", a.ns, "\"");
}

absl::Status Denied(const Caller& caller, const AccessAttributes& a) {
  if (!a.path.empty()) {
    return absl::PermissionDeniedError(absl::StrCat("user \"", caller.username, "\" may not ",
                                                    a.verb, " ", a.path,
                                                    " (needs the non-resource URL in its RBAC)"));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("user \"", caller.username, "\" may not ", a.verb, " ", DescribeResource(a)));
}

absl::Status Unreachable(const absl::Status& status, absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("cannot ", what, ": the host API server did not answer (", status.message(),
                   "); try again later"));
}

}  // namespace

AccessControl::AccessControl(AccessReviewer& reviewer, const StatusStore& store,
                             AccessOptions options, Clock& clock)
    : reviewer_(reviewer), store_(store), options_(std::move(options)), clock_(clock) {}

absl::StatusOr<Caller> AccessControl::Authenticate(absl::string_view authorization) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "no bearer token: send \"Authorization: Bearer <token>\" (e.g. kubectl create token)");
  }
  if (authorization.size() > options_.max_token_bytes) {
    return absl::UnauthenticatedError(absl::StrCat("the Authorization header is longer than ",
                                                   options_.max_token_bytes, " bytes"));
  }
  absl::string_view rest = authorization;
  // The scheme is case-insensitive (RFC 7235); exactly one token follows.
  if (rest.size() < 7 || !absl::EqualsIgnoreCase(rest.substr(0, 7), "bearer ")) {
    return absl::UnauthenticatedError(
        "the Authorization header must be \"Bearer <token>\" (no other scheme is accepted)");
  }
  rest.remove_prefix(7);
  const absl::string_view token = absl::StripAsciiWhitespace(rest);
  if (token.empty() || absl::StrContains(token, ' ')) {
    return absl::UnauthenticatedError("the Authorization header must be \"Bearer <token>\"");
  }
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return absl::UnauthenticatedError("the bearer token holds characters a token cannot have");
    }
  }
  const std::string key = Sha256(token);
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = identities_.find(key);
    if (it != identities_.end() && it->second.expires > now) return it->second.caller;
  }
  absl::StatusOr<Caller> caller = reviewer_.ReviewToken(std::string(token));
  if (!caller.ok()) {
    if (absl::IsUnauthenticated(caller.status())) return caller.status();
    return Unreachable(caller.status(), "verify the bearer token");
  }
  absl::MutexLock lock(&mu_);
  if (identities_.size() >= options_.max_cache_entries) identities_.clear();
  identities_[key] = Identity{*caller, now + options_.token_ttl};
  return caller;
}

std::string AccessControl::Key(const Caller& caller, const AccessAttributes& a) {
  std::vector<std::string> extra;
  for (const auto& [name, values] : caller.extra) {
    extra.push_back(absl::StrCat(name, "=", absl::StrJoin(values, ",")));
  }
  // \x1f never occurs in a Kubernetes name, group or path.
  return absl::StrJoin({caller.username, caller.uid, absl::StrJoin(caller.groups, ","),
                        absl::StrJoin(extra, ";"), a.verb, a.group, a.resource, a.ns, a.name,
                        a.path},
                       "\x1f");
}

std::optional<bool> AccessControl::Cached(const Caller& caller, const AccessAttributes& a) {
  const std::string key = Key(caller, a);
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = decisions_.find(key);
  if (it == decisions_.end() || it->second.expires <= now) return std::nullopt;
  return it->second.allowed;
}

absl::StatusOr<bool> AccessControl::Check(const Caller& caller, const AccessAttributes& a) {
  if (std::optional<bool> cached = Cached(caller, a)) return *cached;
  absl::StatusOr<bool> allowed = reviewer_.ReviewAccess(caller, a);
  if (!allowed.ok()) return Unreachable(allowed.status(), "check access");
  const absl::Time expires =
      clock_.Now() + (*allowed ? options_.allowed_ttl : options_.denied_ttl);
  absl::MutexLock lock(&mu_);
  if (decisions_.size() >= options_.max_cache_entries) decisions_.clear();
  decisions_[Key(caller, a)] = Decision{*allowed, expires};
  return allowed;
}

AccessAttributes AccessControl::ClustersAttributes() const {
  AccessAttributes a;
  a.verb = "list";
  a.group = "core.kubefed.io";
  a.resource = "kubefedclusters";
  a.ns = options_.kubefed_namespace;
  return a;
}

absl::Status AccessControl::MayListClusters(const Caller& caller) {
  const AccessAttributes a = ClustersAttributes();
  absl::StatusOr<bool> allowed = Check(caller, a);
  if (!allowed.ok()) return allowed.status();
  return *allowed ? absl::OkStatus() : Denied(caller, a);
}

std::optional<bool> AccessControl::CachedMayListClusters(const Caller& caller) {
  return Cached(caller, ClustersAttributes());
}

absl::Status AccessControl::MayGetNonResource(const Caller& caller, const std::string& path) {
  AccessAttributes a;
  a.verb = "get";
  a.path = path;
  absl::StatusOr<bool> allowed = Check(caller, a);
  if (!allowed.ok()) return allowed.status();
  return *allowed ? absl::OkStatus() : Denied(caller, a);
}

std::optional<AccessAttributes> AccessControl::ObjectAttributes(const v1::ObjectRef& ref,
                                                                bool all_namespaces) const {
  std::optional<TypeInfo> type = store_.FindType(ref.type());
  if (!type.has_value() || type->federated_resource.empty()) return std::nullopt;
  AccessAttributes a;
  a.verb = "get";
  a.group = type->federated_group;
  a.resource = type->federated_resource;
  if (type->namespaced && !all_namespaces) a.ns = ref.namespace_();
  return a;
}

absl::StatusOr<bool> AccessControl::MaySeeObject(const Caller& caller, const v1::ObjectRef& ref) {
  std::optional<AccessAttributes> everywhere = ObjectAttributes(ref, /*all_namespaces=*/true);
  if (!everywhere.has_value()) return false;  // a type no sync controller serves: nobody
  absl::StatusOr<bool> allowed = Check(caller, *everywhere);
  if (!allowed.ok() || *allowed) return allowed;
  std::optional<AccessAttributes> here = ObjectAttributes(ref, /*all_namespaces=*/false);
  if (!here.has_value() || here->ns.empty()) return false;
  return Check(caller, *here);
}

std::optional<bool> AccessControl::CachedMaySeeObject(const Caller& caller,
                                                      const v1::ObjectRef& ref) {
  std::optional<AccessAttributes> everywhere = ObjectAttributes(ref, /*all_namespaces=*/true);
  if (!everywhere.has_value()) return false;
  std::optional<bool> allowed = Cached(caller, *everywhere);
  if (!allowed.has_value() || *allowed) return allowed;
  std::optional<AccessAttributes> here = ObjectAttributes(ref, /*all_namespaces=*/false);
  if (!here.has_value() || here->ns.empty()) return false;
  return Cached(caller, *here);
}

absl::StatusOr<bool> AccessControl::MaySeeSchedulingPreferences(const Caller& caller,
                                                                const std::string& ns) {
  AccessAttributes a;
  a.verb = "get";
  a.group = "scheduling.kubefed.io";
  a.resource = "replicaschedulingpreferences";
  absl::StatusOr<bool> allowed = Check(caller, a);  // every namespace
  if (!allowed.ok() || *allowed || ns.empty()) return allowed;
  a.ns = ns;
  return Check(caller, a);
}

absl::StatusOr<bool> AccessControl::MaySeeServiceExports(const Caller& caller,
                                                         const std::string& ns) {
  AccessAttributes a;
  a.verb = "get";
  a.group = "multicluster.x-k8s.io";
  a.resource = "serviceexports";
  absl::StatusOr<bool> allowed = Check(caller, a);  // every namespace
  if (!allowed.ok() || *allowed || ns.empty()) return allowed;
  a.ns = ns;
  return Check(caller, a);
}

absl::Status AccessControl::MayGetObject(const Caller& caller, const v1::ObjectRef& ref) {
  absl::StatusOr<bool> seen = MaySeeObject(caller, ref);
  if (!seen.ok()) return seen.status();
  if (*seen) return absl::OkStatus();
  std::optional<AccessAttributes> named = ObjectAttributes(ref, /*all_namespaces=*/false);
  if (!named.has_value()) {
    return absl::PermissionDeniedError(
        absl::StrCat("user \"", caller.username, "\" may not get objects of type \"", ref.type(),
                     "\" (no running sync controller serves it)"));
  }
  named->name = ref.name();
  absl::StatusOr<bool> allowed = Check(caller, *named);
  if (!allowed.ok()) return allowed.status();
  return *allowed ? absl::OkStatus() : Denied(caller, *named);
}

absl::StatusOr<v1::ListSchedulingPreferencesResponse> VisibleSchedulingPreferences(
    const StatusStore& store, AccessControl& access, const Caller& caller,
    const v1::ListSchedulingPreferencesRequest& request) {
  v1::ListSchedulingPreferencesResponse all = store.ListSchedulingPreferences(request);
  v1::ListSchedulingPreferencesResponse visible;
  std::map<std::string, bool> decided;  // by namespace
  for (v1::SchedulingPreference& p : *all.mutable_preferences()) {
    auto it = decided.find(p.namespace_());
    if (it == decided.end()) {
      absl::StatusOr<bool> seen = access.MaySeeSchedulingPreferences(caller, p.namespace_());
      if (!seen.ok()) return seen.status();
      it = decided.emplace(p.namespace_(), *seen).first;
    }
    if (it->second) *visible.add_preferences() = std::move(p);
  }
  return visible;
}

absl::StatusOr<v1::ListMultiClusterServicesResponse> VisibleMultiClusterServices(
    const StatusStore& store, AccessControl& access, const Caller& caller,
    const v1::ListMultiClusterServicesRequest& request) {
  v1::ListMultiClusterServicesResponse all = store.ListMultiClusterServices(request);
  v1::ListMultiClusterServicesResponse visible;
  std::map<std::string, bool> decided;  // by namespace
  for (v1::MultiClusterService& s : *all.mutable_services()) {
    auto it = decided.find(s.namespace_());
    if (it == decided.end()) {
      absl::StatusOr<bool> seen = access.MaySeeServiceExports(caller, s.namespace_());
      if (!seen.ok()) return seen.status();
      it = decided.emplace(s.namespace_(), *seen).first;
    }
    if (it->second) *visible.add_services() = std::move(s);
  }
  if (all.members_size() > 0) {
    absl::Status clusters = access.MayListClusters(caller);
    if (!clusters.ok() && !absl::IsPermissionDenied(clusters)) return clusters;
    if (clusters.ok()) *visible.mutable_members() = std::move(*all.mutable_members());
  }
  return visible;
}

}  // namespace kfed::status
