#include "controller/plan_input.h"

#include "absl/strings/str_cat.h"
#include "controller/object_meta.h"
#include "federated_types/versions.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

const ClusterState* PlanInput::Cluster(const std::string& cluster) const {
  for (const ClusterState& c : request.clusters) {
    if (c.name == cluster) return &c;
  }
  return nullptr;
}

PlanInputBuilder::PlanInputBuilder(const SyncControllerOptions& options, const HostCaches& caches,
                                   const PropagatedVersionStore& versions,
                                   const PropagationRecords& records,
                                   const ClusterRegistry& registry, const ClusterWorkers& workers)
    : options_(options),
      caches_(caches),
      versions_(versions),
      records_(records),
      registry_(registry),
      workers_(workers) {}

PlanInput PlanInputBuilder::Build(const kube::ObjectPtr& fed, const std::string& key,
                                  const std::string& only_cluster) const {
  PlanInput in;
  const ft::TypeConfig& type = options_.type_config;
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  in.name = fed_name;
  in.member_namespace = type.TargetNamespaced() ? fed_ns : "";
  in.held.push_back(fed);
  PlanRequest& r = in.request;
  r.federated_object = fed.get();
  r.type_config = &type;
  r.kubefed_namespace = options_.kubefed_namespace;
  r.limited_scope = options_.limited_scope;
  r.adopt_resources = options_.adopt_resources;
  r.only_cluster = only_cluster;

  if (type.IsNamespace()) {
    r.federated_namespace = fed.get();
    if (kube::ObjectPtr host_ns = caches_.namespaces->Get("", fed_name)) {
      r.host_namespace_uid = Meta(*host_ns, "uid");
      in.held.push_back(host_ns);
    }
  } else if (type.TargetNamespaced()) {
    if (kube::ObjectPtr fns = caches_.federated_namespaces->Get(fed_ns, fed_ns)) {
      r.federated_namespace = fns.get();
      in.held.push_back(fns);
    }
  }

  // Versions: the PropagatedVersion record, overridden by what this process wrote since.
  absl::StatusOr<std::string> tv = ft::TemplateVersion(*fed);
  absl::StatusOr<std::string> ov = ft::OverridesVersion(*fed);
  in.template_version = tv.ok() ? *tv : "";
  in.overrides_version = ov.ok() ? *ov : "";
  in.versions_ok = tv.ok() && ov.ok();
  if (!tv.ok()) {
    r.versions_error = absl::StrCat("template: ", tv.status().message());
  } else if (!ov.ok()) {
    r.versions_error = absl::StrCat("overrides: ", ov.status().message());
  }
  r.recorded_versions =
      versions_.Recorded(fed_ns, fed_name, in.template_version, in.overrides_version);
  in.members = registry_.Snapshot();
  for (const auto& [cluster, version] :
       records_.WrittenVersions(key, in.template_version, in.overrides_version)) {
    r.recorded_versions[cluster] = version;
  }

  for (const auto& member : in.members) {
    ClusterState c;
    c.name = member->name;
    c.labels = member->labels;
    c.ready = member->ready;
    c.not_ready_message = member->not_ready_message;
    if (member->ready && member->client == nullptr) {
      c.client_error = "the cluster controller published it Ready without a client";
    }
    if (!only_cluster.empty() && member->name != only_cluster) {
      r.clusters.push_back(c);
      continue;
    }
    ClusterWorkers::MemberCache cache =
        workers_.Lookup(member->name, in.member_namespace, fed_name);
    if (cache.watched) {
      c.synced = cache.synced;
      if (!c.synced && !cache.list_error.ok()) {
        c.sync_error = std::string(cache.list_error.message());
        if (kube::IsForbidden(cache.list_error)) {
          absl::StrAppend(&c.sync_error,
                          " (the member's RBAC does not grant this type to kfed: run `kfedctl "
                          "join` again after enabling a type, see docs/user-guide.md)");
        }
      }
      if (cache.live != nullptr) {
        c.live = cache.live.get();
        in.held.push_back(std::move(cache.live));
      }
    }
    r.clusters.push_back(c);
  }
  return in;
}

}  // namespace kfed::controller
