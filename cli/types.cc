#include "cli/types.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "cli/common.h"
#include "kube/errors.h"

namespace kfed::cli {

namespace ft = ::kfed::federated_types;

namespace {

bool Matches(const kube::ApiResource& r, const std::string& type) {
  const std::string plural = absl::AsciiStrToLower(r.gvr.resource);
  const std::string group = r.gvr.group;
  if (type == plural || type == absl::AsciiStrToLower(r.gvr.kind) ||
      type == absl::AsciiStrToLower(r.singular_name)) {
    return true;
  }
  if (!group.empty() && (type == absl::StrCat(plural, ".", group) ||
                         type == absl::StrCat(plural, ".", r.gvr.version, ".", group) ||
                         type == absl::StrCat(absl::AsciiStrToLower(r.gvr.kind), ".", group))) {
    return true;
  }
  if (group.empty() && type == absl::StrCat(plural, ".", r.gvr.version)) return true;
  for (const std::string& s : r.short_names) {
    if (type == absl::AsciiStrToLower(s)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<kube::ApiResource> ResolveType(const std::vector<kube::ApiResource>& resources,
                                              absl::string_view type_arg) {
  const std::string type = absl::AsciiStrToLower(type_arg);
  std::vector<const kube::ApiResource*> found;
  std::set<std::string> groups;
  for (const kube::ApiResource& r : resources) {
    if (r.gvr.resource.find('/') != std::string::npos) continue;  // subresource
    if (!Matches(r, type)) continue;
    found.push_back(&r);
    groups.insert(r.gvr.group.empty() ? "core" : r.gvr.group);
  }
  if (found.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("type \"", type_arg,
                     "\" is not served by the host cluster (`kubectl api-resources` lists what "
                     "is; a CRD must be installed in the host first)"));
  }
  if (groups.size() > 1) {
    std::vector<std::string> names;
    for (const kube::ApiResource* r : found) {
      names.push_back(r->gvr.group.empty() ? r->gvr.resource
                                           : absl::StrCat(r->gvr.resource, ".", r->gvr.group));
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return absl::InvalidArgumentError(
        absl::StrCat("type \"", type_arg, "\" is ambiguous: ", absl::StrJoin(names, ", ")));
  }
  for (const kube::ApiResource* r : found) {
    if (r->preferred_version) return *r;
  }
  return *found.front();
}

ft::TargetType TargetTypeOf(const kube::ApiResource& resource) {
  ft::TargetType t;
  t.group = resource.gvr.group;
  t.version = resource.gvr.version;
  t.kind = resource.gvr.kind;
  t.plural = resource.gvr.resource;
  t.namespaced = resource.gvr.namespaced;
  t.short_names = resource.short_names;
  return t;
}

absl::StatusOr<TypeInfo> FindTypeConfig(kube::Client& host, kube::Discovery* discovery,
                                        absl::string_view kubefed_namespace,
                                        absl::string_view type) {
  std::string name(type);
  absl::StatusOr<kube::ObjectPtr> ftc =
      host.Get(FederatedTypeConfigsResource(), kubefed_namespace, name);
  if (!ftc.ok() && !kube::IsNotFound(ftc.status())) return Explain(ftc.status(), "host");
  if (!ftc.ok() && discovery != nullptr) {
    // Discovery failing only means `type` is not resolved: the FTC lookup by name decides.
    absl::StatusOr<std::vector<kube::ApiResource>> resources = discovery->Resources();
    absl::StatusOr<kube::ApiResource> resolved =
        resources.ok() ? ResolveType(*resources, type) : resources.status();
    if (resolved.ok()) {
      name = TargetTypeOf(*resolved).QualifiedName();
      ftc = host.Get(FederatedTypeConfigsResource(), kubefed_namespace, name);
      if (!ftc.ok() && !kube::IsNotFound(ftc.status())) return Explain(ftc.status(), "host");
    }
  }
  if (!ftc.ok()) {
    return absl::NotFoundError(
        absl::StrCat("type ", type, " is not enabled: no FederatedTypeConfig ", kubefed_namespace,
                     "/", name, " in the host (run `kfedctl enable ", type, "` first)"));
  }
  absl::StatusOr<TypeInfo> config = ParseTypeInfo(**ftc);
  if (!config.ok()) return Annotate(config.status(), absl::StrCat("FederatedTypeConfig ", name));
  return config;
}

namespace {

absl::StatusOr<kube::GroupVersionResource> ApiType(const rapidjson::Value& spec,
                                                   absl::string_view field) {
  const rapidjson::Value* t = json::Find(spec, field);
  if (t == nullptr || !t->IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat("spec.", field, " is missing"));
  }
  kube::GroupVersionResource gvr;
  gvr.group = json::GetString(*t, "group");
  gvr.version = json::GetString(*t, "version");
  gvr.kind = json::GetString(*t, "kind");
  gvr.resource = json::GetString(*t, "pluralName");
  gvr.namespaced = json::GetString(*t, "scope") != "Cluster";
  if (gvr.version.empty() || gvr.kind.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.", field, ": version and kind are required"));
  }
  if (gvr.resource.empty()) gvr.resource = ft::PluralName(gvr.kind);
  return gvr;
}

}  // namespace

absl::StatusOr<TypeInfo> ParseTypeInfo(const rapidjson::Value& ftc) {
  TypeInfo info;
  info.name = kube::Name(ftc);
  const rapidjson::Value* spec = json::Find(ftc, "spec");
  if (spec == nullptr) return absl::InvalidArgumentError("spec is missing");
  ASSIGN_OR_RETURN(info.target, ApiType(*spec, "targetType"));
  ASSIGN_OR_RETURN(info.federated, ApiType(*spec, "federatedType"));
  if (info.IsNamespace()) info.federated.namespaced = true;
  return info;
}

std::pair<std::string, std::string> FederatedName(const TypeInfo& type,
                                                  absl::string_view target_namespace,
                                                  absl::string_view target_name) {
  if (type.IsNamespace()) return {std::string(target_name), std::string(target_name)};
  return {std::string(target_namespace), std::string(target_name)};
}

absl::StatusOr<std::vector<TypeInfo>> ListTypeInfos(kube::Client& host,
                                                    absl::string_view kubefed_namespace) {
  absl::StatusOr<kube::ObjectList> list =
      host.List(FederatedTypeConfigsResource(), kubefed_namespace, kube::ListOptions{});
  if (!list.ok()) {
    if (kube::IsNotFound(list.status())) {
      return absl::FailedPreconditionError(
          "host: the FederatedTypeConfig CRD is not installed: apply federated_types/crds/ first");
    }
    return Explain(list.status(), "host");
  }
  std::vector<TypeInfo> types;
  for (const kube::ObjectPtr& o : list->items) {
    absl::StatusOr<TypeInfo> t = ParseTypeInfo(*o);
    if (t.ok()) types.push_back(std::move(*t));
  }
  return types;
}

}  // namespace kfed::cli
