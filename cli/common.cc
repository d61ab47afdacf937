#include "cli/common.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"
#include "federated_types/keys.h"
#include "kube/errors.h"
#include "kube/transport.h"

namespace kfed::cli {

namespace ft = ::kfed::federated_types;

std::string VersionString() { return kube::kKfedVersion; }

kube::GroupVersionResource ServiceAccountsResource() {
  return {"", "v1", "serviceaccounts", true, "ServiceAccount"};
}
kube::GroupVersionResource ClusterRolesResource() {
  return {"rbac.authorization.k8s.io", "v1", "clusterroles", false, "ClusterRole"};
}
kube::GroupVersionResource ClusterRoleBindingsResource() {
  return {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", false, "ClusterRoleBinding"};
}
kube::GroupVersionResource RolesResource() {
  return {"rbac.authorization.k8s.io", "v1", "roles", true, "Role"};
}
kube::GroupVersionResource RoleBindingsResource() {
  return {"rbac.authorization.k8s.io", "v1", "rolebindings", true, "RoleBinding"};
}
namespace {

std::vector<std::string> Paths(const GlobalOptions& global) {
  if (!global.kubeconfig.empty()) return {global.kubeconfig};
  return kube::DefaultKubeconfigPaths();
}

std::string DisplayName(const kube::GroupVersionResource& gvr, absl::string_view ns,
                        absl::string_view name) {
  std::string kind = gvr.kind.empty() ? gvr.resource : gvr.kind;
  if (ns.empty() || !gvr.namespaced) return absl::StrCat(kind, " ", name);
  return absl::StrCat(kind, " ", ns, "/", name);
}

// Whether `existing` already has everything `desired` sets: its top-level fields (other than
// metadata and status) and its labels and annotations. Server defaults make this false at
// worst, which only costs an update.
bool Unchanged(const rapidjson::Value& existing, const rapidjson::Value& desired) {
  if (!desired.IsObject()) return false;
  for (auto it = desired.MemberBegin(); it != desired.MemberEnd(); ++it) {
    const std::string field = it->name.GetString();
    if (field == "status") continue;
    if (field == "metadata") {
      for (const char* map : {"labels", "annotations"}) {
        const rapidjson::Value* want = json::Find(it->value, map);
        if (want == nullptr || !want->IsObject()) continue;
        const rapidjson::Value* have = json::FindPath(existing, {"metadata", map});
        for (auto w = want->MemberBegin(); w != want->MemberEnd(); ++w) {
          const rapidjson::Value* h =
              have == nullptr ? nullptr : json::Find(*have, w->name.GetString());
          if (h == nullptr || !json::Equal(*h, w->value)) return false;
        }
      }
      continue;
    }
    const rapidjson::Value* have = json::Find(existing, field);
    if (have == nullptr || !json::Equal(*have, it->value)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> ResolveContext(const GlobalOptions& global, absl::string_view context) {
  if (!context.empty()) return std::string(context);
  // client-go: current-context comes from the first file that sets it.
  for (const std::string& path : Paths(global)) {
    std::ifstream in(path);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<rapidjson::Document> doc = yaml::ParseYaml(text.str());
    if (!doc.ok()) return Annotate(doc.status(), absl::StrCat("kubeconfig ", path));
    std::string current = json::GetString(*doc, "current-context");
    if (!current.empty()) return current;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("kubeconfig ", absl::StrJoin(Paths(global), ":"),
                   " sets no current-context: pass --host-cluster-context"));
}

absl::StatusOr<kube::RestConfig> LoadContext(const GlobalOptions& global,
                                             absl::string_view context) {
  kube::KubeconfigOptions options;
  options.paths = Paths(global);
  options.context = std::string(context);
  absl::StatusOr<kube::RestConfig> config = kube::LoadKubeconfig(options);
  if (config.ok()) return config;
  if (absl::IsNotFound(config.status()) && !context.empty()) {
    absl::StatusOr<std::vector<std::string>> contexts = kube::KubeconfigContexts(options);
    if (contexts.ok() &&
        std::find(contexts->begin(), contexts->end(), context) == contexts->end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "context \"", context, "\" not found in kubeconfig ", absl::StrJoin(options.paths, ":"),
          "; contexts: ", contexts->empty() ? "(none)" : absl::StrJoin(*contexts, ", ")));
    }
  }
  return absl::InvalidArgumentError(config.status().message());
}

absl::StatusOr<std::unique_ptr<kube::Client>> ClientForConfig(const kube::RestConfig& config) {
  kube::RestConfig c = config;
  // A CLI should fail fast on a dead server instead of retrying for minutes.
  c.max_retries = 1;
  c.timeout = absl::Seconds(15);
  ASSIGN_OR_RETURN(std::unique_ptr<kube::RestClient> client, kube::RestClient::Create(c));
  return std::unique_ptr<kube::Client>(std::move(client));
}

absl::Status Explain(const absl::Status& status, absl::string_view cluster) {
  if (status.ok()) return status;
  std::string what;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return absl::UnavailableError(absl::StrCat(
          cluster, " is unreachable: ", status.message(),
          " (check that its API server is up and the kubeconfig's server address is right)"));
    case absl::StatusCode::kPermissionDenied:
      return absl::PermissionDeniedError(
          absl::StrCat(cluster, ": missing RBAC permission: ", status.message(),
                       " (kfedctl needs cluster-admin-like rights there)"));
    case absl::StatusCode::kUnauthenticated:
      return absl::UnauthenticatedError(
          absl::StrCat(cluster, ": credentials rejected: ", status.message(),
                       " (refresh the kubeconfig user's token or certificate)"));
    case absl::StatusCode::kFailedPrecondition:
      if (kube::HttpCode(status) == 0) {
        return absl::FailedPreconditionError(
            absl::StrCat(cluster, ": TLS verification failed: ", status.message(),
                         " (check the kubeconfig's certificate-authority-data)"));
      }
      break;
    default:
      break;
  }
  return Annotate(status, cluster);
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnreachable;
    default:
      return kExitFailed;
  }
}

absl::StatusOr<kube::ObjectPtr> EnsureObject(kube::Client& client, absl::string_view cluster,
                                             const kube::GroupVersionResource& gvr,
                                             absl::string_view ns, const rapidjson::Value& desired,
                                             ExistingPolicy policy, bool dry_run, std::ostream& out,
                                             std::vector<CreatedObject>* created) {
  const std::string name = kube::Name(desired);
  const std::string display = DisplayName(gvr, ns, name);
  absl::StatusOr<kube::ObjectPtr> existing = client.Get(gvr, gvr.namespaced ? ns : "", name);
  if (!existing.ok() && !kube::IsNotFound(existing.status())) {
    return Explain(existing.status(), cluster);
  }
  if (!existing.ok()) {
    if (dry_run) {
      out << cluster << ": would create " << display << "\n";
      return kube::CopyObject(desired);
    }
    absl::StatusOr<kube::ObjectPtr> made =
        client.Create(gvr, gvr.namespaced ? ns : "", desired, kube::WriteOptions{"kfedctl"});
    if (!made.ok()) return Explain(made.status(), cluster);
    out << cluster << ": created " << display << "\n";
    if (created != nullptr) {
      created->push_back(
          {&client, gvr, gvr.namespaced ? std::string(ns) : "", name, std::string(cluster)});
    }
    return made;
  }
  switch (policy) {
    case ExistingPolicy::kKeep:
      out << cluster << ": " << display << " exists\n";
      return existing;
    case ExistingPolicy::kError:
      return absl::AlreadyExistsError(absl::StrCat(cluster, ": ", display, " already exists"));
    case ExistingPolicy::kUpdate:
      break;
  }
  if (Unchanged(**existing, desired)) {
    out << cluster << ": " << display << " unchanged\n";
    return existing;
  }
  rapidjson::Document update = json::Clone(desired);
  auto& alloc = update.GetAllocator();
  rapidjson::Value& meta = json::EnsureObject(update, "metadata", alloc);
  json::SetString(meta, "resourceVersion", kube::ResourceVersion(**existing), alloc);
  if (const rapidjson::Value* status = json::Find(**existing, "status")) {
    json::Set(update, "status", *status, alloc);
  }
  if (dry_run) {
    out << cluster << ": would update " << display << "\n";
    return kube::CopyObject(update);
  }
  absl::StatusOr<kube::ObjectPtr> updated =
      client.Update(gvr, gvr.namespaced ? ns : "", update, kube::WriteOptions{"kfedctl"});
  if (!updated.ok()) return Explain(updated.status(), cluster);
  out << cluster << ": updated " << display << "\n";
  return updated;
}

void Rollback(std::vector<CreatedObject>& created, std::ostream& out) {
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    absl::Status s = it->client->Delete(it->gvr, it->ns, it->name, kube::DeleteOptions{});
    if (s.ok() || kube::IsNotFound(s)) {
      out << it->cluster << ": rolled back " << DisplayName(it->gvr, it->ns, it->name) << "\n";
    } else {
      out << it->cluster << ": could not roll back " << DisplayName(it->gvr, it->ns, it->name)
          << ": " << s.message() << "\n";
    }
  }
  created.clear();
}

absl::StatusOr<bool> DeleteIfPresent(kube::Client& client, absl::string_view cluster,
                                     const kube::GroupVersionResource& gvr, absl::string_view ns,
                                     absl::string_view name, bool dry_run, std::ostream& out) {
  const std::string display = DisplayName(gvr, ns, name);
  const std::string object_ns = gvr.namespaced ? std::string(ns) : "";
  if (dry_run) {
    absl::StatusOr<kube::ObjectPtr> existing = client.Get(gvr, object_ns, name);
    if (existing.ok()) out << cluster << ": would delete " << display << "\n";
    if (!existing.ok() && !kube::IsNotFound(existing.status())) {
      return Explain(existing.status(), cluster);
    }
    return existing.ok();
  }
  absl::Status s = client.Delete(gvr, object_ns, name, kube::DeleteOptions{});
  if (kube::IsNotFound(s)) return false;
  if (!s.ok()) return Explain(s, cluster);
  out << cluster << ": deleted " << display << "\n";
  return true;
}

}  // namespace kfed::cli
