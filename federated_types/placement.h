// KubeFed's placement rules as a pure function (pkg/controller/util/placement.go and
// pkg/controller/sync/accessor.go in KubeFed v0.10).
//
// For one federated object:
//   1. `spec.placement.clusters`, when present and not null, wins: its names are selected
//      (an empty list selects none). Otherwise `spec.placement.clusterSelector` is matched
//      against each cluster's labels (absent or null selects none, {} selects all).
//   2. The selection is intersected with the clusters that exist.
//   3. For namespaced target types, the result is intersected with the placement of the
//      FederatedNamespace `<ns>/<ns>` computed the same way. Without a FederatedNamespace
//      nothing is selected and the caller reports NamespaceNotFederated; in a Namespaced-scope
//      control plane (KubeFedConfig scope Namespaced) the object's own placement is used as is.
//   4. FederatedNamespace objects for kube-system, kube-public, default and the federation
//      namespace are ignored altogether (kIgnoredSystemNamespace): those namespaces are never
//      propagated, created or deleted by kfed. As in KubeFed this concerns the namespaces
//      themselves; placement of objects inside them still follows rule 3.
#ifndef KFED_FEDERATED_TYPES_PLACEMENT_H_
#define KFED_FEDERATED_TYPES_PLACEMENT_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/label_selector.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

// A joined cluster as placement sees it: its KubeFedCluster name and labels.
struct ClusterInfo {
  std::string name;
  k8s::Labels labels;
};

// spec.placement of a federated object.
struct Placement {
  std::optional<std::vector<std::string>> clusters;  // nullopt: `clusters` absent or null
  k8s::LabelSelector cluster_selector = k8s::LabelSelector::Nothing();
};

// Reads spec.placement from a federated object (absent spec or placement: selects nothing).
// InvalidArgument naming the field for malformed content, including an invalid selector.
absl::StatusOr<Placement> ParsePlacement(const rapidjson::Value& federated_object);

// Rules 1 and 2 for one object. `selector_only` ignores `clusters` (used by the scheduler).
std::set<std::string> SelectClusters(const Placement& placement,
                                     const std::vector<ClusterInfo>& clusters,
                                     bool selector_only = false);

// kube-system, kube-public, default, or `kubefed_namespace`.
bool IsSystemNamespace(absl::string_view name, absl::string_view kubefed_namespace);

struct PlacementRequest {
  const rapidjson::Value* federated_object = nullptr;  // required
  const std::vector<ClusterInfo>* clusters = nullptr;  // required: the existing clusters
  bool target_is_namespace = false;                    // the `namespaces` type config
  bool target_namespaced = false;                      // the target type is namespaced
  // For namespaced targets: the FederatedNamespace `<ns>/<ns>`, nullptr when absent.
  const rapidjson::Value* federated_namespace = nullptr;
  std::string kubefed_namespace = "kube-federation-system";
  bool limited_scope = false;  // KubeFedConfig scope Namespaced
  bool selector_only = false;
};

enum class PlacementOutcome {
  kSelected,                // `clusters` holds the selection (possibly empty)
  kNamespaceNotFederated,   // namespaced target without a FederatedNamespace: select none
  kIgnoredSystemNamespace,  // FederatedNamespace for a system namespace: do nothing at all
};

struct PlacementResult {
  PlacementOutcome outcome = PlacementOutcome::kSelected;
  std::set<std::string> clusters;  // sorted
  // Names in the object's own `spec.placement.clusters` that no cluster has (sorted): nothing
  // is propagated there (KubeFed ignored them silently; kfed reports them in status).
  std::vector<std::string> unknown_clusters;
};

// All four rules. InvalidArgument (the caller's ComputePlacementFailed) when the object's or
// the FederatedNamespace's placement is malformed; the message says which.
absl::StatusOr<PlacementResult> ComputePlacement(const PlacementRequest& request);

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_PLACEMENT_H_
