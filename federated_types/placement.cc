#include "federated_types/placement.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "federated_types/keys.h"

namespace kfed::federated_types {
namespace {

using rapidjson::Value;

absl::Status Invalid(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

}  // namespace

absl::StatusOr<Placement> ParsePlacement(const Value& federated_object) {
  Placement placement;
  const Value* spec = json::Find(federated_object, kSpecField);
  if (spec == nullptr || spec->IsNull()) return placement;
  if (!spec->IsObject()) return Invalid("spec", "must be an object");
  const Value* p = json::Find(*spec, kPlacementField);
  if (p == nullptr || p->IsNull()) return placement;
  if (!p->IsObject()) return Invalid("spec.placement", "must be an object");

  if (const Value* clusters = json::Find(*p, kClustersField);
      clusters != nullptr && !clusters->IsNull()) {
    if (!clusters->IsArray()) return Invalid("spec.placement.clusters", "must be an array");
    std::vector<std::string> names;
    for (rapidjson::SizeType i = 0; i < clusters->Size(); ++i) {
      const Value& c = (*clusters)[i];
      const std::string field = absl::StrCat("spec.placement.clusters[", i, "]");
      if (c.IsNull()) {
        names.emplace_back();  // Go decodes null into a zero-valued reference
        continue;
      }
      if (!c.IsObject()) return Invalid(field, "must be an object with a name");
      const Value* name = json::Find(c, "name");
      if (name != nullptr && !name->IsNull() && !name->IsString()) {
        return Invalid(absl::StrCat(field, ".name"), "must be a string");
      }
      names.push_back(name != nullptr && name->IsString()
                          ? std::string(name->GetString(), name->GetStringLength())
                          : std::string());
    }
    placement.clusters = std::move(names);
  }

  const Value* selector = json::Find(*p, kClusterSelectorField);
  auto parsed = k8s::ParseLabelSelector(selector);
  if (!parsed.ok()) {
    return Invalid("spec.placement.clusterSelector", parsed.status().message());
  }
  placement.cluster_selector = std::move(parsed).value();
  return placement;
}

std::set<std::string> SelectClusters(const Placement& placement,
                                     const std::vector<ClusterInfo>& clusters, bool selector_only) {
  std::set<std::string> selected;
  if (selector_only || !placement.clusters.has_value()) {
    for (const ClusterInfo& cluster : clusters) {
      if (placement.cluster_selector.Matches(cluster.labels)) selected.insert(cluster.name);
    }
    return selected;
  }
  // Listed names count only for clusters that exist.
  std::set<std::string> listed(placement.clusters->begin(), placement.clusters->end());
  for (const ClusterInfo& cluster : clusters) {
    if (listed.count(cluster.name) > 0) selected.insert(cluster.name);
  }
  return selected;
}

bool IsSystemNamespace(absl::string_view name, absl::string_view kubefed_namespace) {
  return name == "kube-system" || name == "kube-public" || name == "default" ||
         name == kubefed_namespace;
}

absl::StatusOr<PlacementResult> ComputePlacement(const PlacementRequest& request) {
  CHECK_NE(request.federated_object, nullptr);
  CHECK_NE(request.clusters, nullptr);
  PlacementResult result;
  if (request.target_is_namespace) {
    const Value* metadata = json::Find(*request.federated_object, "metadata");
    const std::string name = metadata ? json::GetString(*metadata, "name") : std::string();
    if (IsSystemNamespace(name, request.kubefed_namespace)) {
      result.outcome = PlacementOutcome::kIgnoredSystemNamespace;
      return result;
    }
  }

  ASSIGN_OR_RETURN(Placement own, ParsePlacement(*request.federated_object));
  result.clusters = SelectClusters(own, *request.clusters, request.selector_only);
  if (own.clusters.has_value() && !request.selector_only) {
    std::set<std::string> existing;
    for (const ClusterInfo& c : *request.clusters) existing.insert(c.name);
    std::set<std::string> unknown;
    for (const std::string& name : *own.clusters) {
      if (existing.count(name) == 0) unknown.insert(name);
    }
    result.unknown_clusters.assign(unknown.begin(), unknown.end());
  }
  if (!request.target_namespaced) return result;

  if (request.federated_namespace == nullptr) {
    if (request.limited_scope) return result;  // the namespace exists everywhere by definition
    result.outcome = PlacementOutcome::kNamespaceNotFederated;
    result.clusters.clear();
    return result;
  }
  auto ns_placement = ParsePlacement(*request.federated_namespace);
  if (!ns_placement.ok()) {
    return Invalid("FederatedNamespace", ns_placement.status().message());
  }
  const std::set<std::string> ns_clusters =
      SelectClusters(*ns_placement, *request.clusters, request.selector_only);
  std::set<std::string> both;
  std::set_intersection(result.clusters.begin(), result.clusters.end(), ns_clusters.begin(),
                        ns_clusters.end(), std::inserter(both, both.begin()));
  result.clusters = std::move(both);
  return result;
}

}  // namespace kfed::federated_types
