#include "controller/sync_plan.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "federated_types/placement.h"
#include "federated_types/render.h"
#include "federated_types/versions.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

namespace {

// A member Namespace that is the host's own namespace (the host joined as a member).
bool IsNamespaceInHostCluster(const PlanRequest& request, const rapidjson::Value& live) {
  if (!request.type_config->IsNamespace() || request.host_namespace_uid.empty()) return false;
  const rapidjson::Value* metadata = json::Find(live, "metadata");
  return metadata != nullptr && json::GetString(*metadata, "uid") == request.host_namespace_uid;
}

std::vector<ft::ClusterInfo> ClusterInfos(const PlanRequest& request) {
  std::vector<ft::ClusterInfo> infos;
  for (const ClusterState& c : request.clusters) infos.push_back({c.name, c.labels});
  return infos;
}

absl::StatusOr<ft::PlacementResult> Placement(const PlanRequest& request) {
  std::vector<ft::ClusterInfo> infos = ClusterInfos(request);
  ft::PlacementRequest p;
  p.federated_object = request.federated_object;
  p.clusters = &infos;
  p.target_is_namespace = request.type_config->IsNamespace();
  p.target_namespaced = request.type_config->TargetNamespaced();
  p.federated_namespace = request.federated_namespace;
  p.kubefed_namespace = request.kubefed_namespace;
  p.limited_scope = request.limited_scope;
  return ft::ComputePlacement(p);
}

ClusterAction ChangeOf(const ClusterState& c, Operation op) {
  ClusterAction a;
  a.cluster = c.name;
  a.op = op;
  const rapidjson::Value* metadata = json::Find(*c.live, "metadata");
  if (metadata != nullptr) {
    a.live_uid = json::GetString(*metadata, "uid");
    a.live_resource_version = json::GetString(*metadata, "resourceVersion");
  }
  return a;
}

ClusterAction StatusOnly(const ClusterState& c, absl::string_view status, std::string message,
                         bool selected) {
  ClusterAction a;
  a.cluster = c.name;
  a.status = std::string(status);
  a.message = std::move(message);
  a.selected = selected;
  return a;
}

}  // namespace

const char* OperationName(Operation op) {
  switch (op) {
    case Operation::kNone:
      return "none";
    case Operation::kCreate:
      return "create";
    case Operation::kUpdate:
      return "update";
    case Operation::kDelete:
      return "delete";
    case Operation::kRemoveManagedLabel:
      return "remove-managed-label";
  }
  return "unknown";
}

bool IsExplicitlyUnmanaged(const rapidjson::Value& object) {
  const rapidjson::Value* labels = json::FindPath(object, {"metadata", "labels"});
  return labels != nullptr &&
         json::GetString(*labels, ft::kManagedLabel, "") == ft::kManagedLabelValueFalse;
}

Plan PlanPropagation(const PlanRequest& request) {
  Plan plan;
  absl::StatusOr<ft::PlacementResult> placement = Placement(request);
  if (!placement.ok()) {
    // Nothing is created or deleted when placement cannot be computed.
    plan.aggregate_reason = std::string(ft::kComputePlacementFailed);
    plan.aggregate_message = absl::StrCat("placement: ", placement.status().message());
    return plan;
  }
  if (placement->outcome == ft::PlacementOutcome::kIgnoredSystemNamespace) {
    plan.ignored = true;
    return plan;
  }
  if (placement->outcome == ft::PlacementOutcome::kNamespaceNotFederated) {
    plan.aggregate_reason = std::string(ft::kNamespaceNotFederated);
    const std::string ns =
        json::GetString(*json::Find(*request.federated_object, "metadata"), "namespace");
    plan.aggregate_message =
        absl::StrCat("namespace \"", ns, "\" has no FederatedNamespace named \"", ns,
                     "\"; nothing is propagated until it does");
    // KubeFed selects no cluster then: copies elsewhere are removed below.
  }
  plan.selected = placement->clusters;
  if (!placement->unknown_clusters.empty()) {
    plan.note = absl::StrCat("spec.placement.clusters names clusters that are not joined: ",
                             absl::StrJoin(placement->unknown_clusters, ", "));
  }

  for (const ClusterState& c : request.clusters) {
    if (!request.only_cluster.empty() && c.name != request.only_cluster) continue;
    const bool selected = plan.selected.count(c.name) > 0;
    if (!c.ready) {
      if (selected)
        plan.actions.push_back(
            StatusOnly(c, ft::kClusterNotReady,
                       c.not_ready_message.empty()
                           ? "cluster is not ready"
                           : absl::StrCat("cluster is not ready: ", c.not_ready_message),
                       true));
      continue;
    }
    if (!c.client_error.empty()) {
      // KubeFed: "Error retrieving client for cluster". Nothing is written or deleted there.
      plan.requeue = true;
      if (selected) {
        plan.actions.push_back(StatusOnly(
            c, ft::kClientRetrievalFailed,
            absl::StrCat("no client for the cluster: ", c.client_error), true));
      }
      continue;
    }
    if (!c.synced) {
      plan.requeue = true;
      if (selected) {
        plan.actions.push_back(
            StatusOnly(c, ft::kCachedRetrievalFailed,
                       c.sync_error.empty()
                           ? "the member cache has not synced yet"
                           : absl::StrCat("the member cache has not synced yet: ", c.sync_error),
                       true));
      }
      continue;
    }
    if (!selected) {
      if (c.live == nullptr) continue;
      if (HasDeletionTimestamp(*c.live)) {
        // Being removed; reported while it lasts, as KubeFed does.
        plan.actions.push_back(StatusOnly(c, ft::kWaitingForRemoval, "", false));
        continue;
      }
      if (IsExplicitlyUnmanaged(*c.live)) continue;  // not ours to delete
      ClusterAction a;
      a.cluster = c.name;
      a.op = IsNamespaceInHostCluster(request, *c.live) ? Operation::kRemoveManagedLabel
                                                        : Operation::kDelete;
      plan.actions.push_back(std::move(a));
      continue;
    }
    if (c.live != nullptr && IsExplicitlyUnmanaged(*c.live)) {
      plan.actions.push_back(
          StatusOnly(c, ft::kManagedLabelFalse,
                     absl::StrCat("the member object has label ", ft::kManagedLabel,
                                  "=false; kfed leaves it alone"),
                     true));
      continue;
    }
    ft::RenderRequest render;
    render.federated_object = request.federated_object;
    render.type_config = request.type_config;
    render.cluster = c.name;
    render.live = c.live;
    absl::StatusOr<ft::RenderedObject> rendered = ft::RenderForCluster(render);
    if (!rendered.ok()) {
      plan.actions.push_back(StatusOnly(c, ft::RenderFailureStatus(rendered.status()),
                                        std::string(rendered.status().message()), true));
      continue;
    }
    if (c.live != nullptr && !request.versions_error.empty()) {
      // KubeFed's update needs the versions to decide whether the object is up to date.
      plan.actions.push_back(StatusOnly(
          c, ft::kVersionRetrievalFailed,
          absl::StrCat("cannot compute the version of the federated object: ",
                       request.versions_error),
          true));
      continue;
    }
    ClusterAction a;
    a.cluster = c.name;
    a.selected = true;
    if (c.live == nullptr) {
      a.op = Operation::kCreate;
    } else {
      auto it = request.recorded_versions.find(c.name);
      const std::string recorded = it == request.recorded_versions.end() ? "" : it->second;
      if (ft::NeedsUpdate(rendered->object, *c.live, recorded)) {
        a.op = Operation::kUpdate;
      } else {
        a.version = ft::ObjectVersion(*c.live);
      }
    }
    if (a.op != Operation::kNone) {
      a.desired = std::make_shared<const rapidjson::Document>(std::move(rendered->object));
    }
    plan.actions.push_back(std::move(a));
  }
  return plan;
}

DeletionPlan PlanDeletion(const PlanRequest& request) {
  DeletionPlan plan;
  const rapidjson::Value* annotations =
      json::FindPath(*request.federated_object, {"metadata", "annotations"});
  plan.orphan = annotations != nullptr &&
                json::GetString(*annotations, ft::kOrphanAnnotation) == ft::kOrphanAnnotationTrue;
  // Clusters in the placement must confirm removal; if placement cannot be parsed any more,
  // every cluster must (the safe direction: wait rather than leave copies behind).
  std::set<std::string> placed;
  absl::StatusOr<ft::PlacementResult> placement = Placement(request);
  bool placement_known = placement.ok();
  if (placement_known) placed = placement->clusters;

  for (const ClusterState& c : request.clusters) {
    if (!request.only_cluster.empty() && c.name != request.only_cluster) continue;
    const bool in_placement = !placement_known || placed.count(c.name) > 0;
    if (!c.ready || !c.client_error.empty() || !c.synced) {
      // We cannot see this cluster. Only wait for it if it may hold a copy.
      if (in_placement || c.live != nullptr) plan.waiting.push_back(c.name);
      continue;
    }
    if (c.live == nullptr) continue;
    if (IsExplicitlyUnmanaged(*c.live)) continue;
    const bool host_namespace = IsNamespaceInHostCluster(request, *c.live);
    if (HasDeletionTimestamp(*c.live)) {
      // Already going away. A host namespace being deleted cannot be waited for: it is
      // held by this very object's finalizer chain.
      if (!host_namespace && !plan.orphan) plan.waiting.push_back(c.name);
      continue;
    }
    plan.actions.push_back(ChangeOf(
        c, plan.orphan || host_namespace ? Operation::kRemoveManagedLabel : Operation::kDelete));
  }
  return plan;
}

}  // namespace kfed::controller
