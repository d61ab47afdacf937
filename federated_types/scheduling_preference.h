// ReplicaSchedulingPreference (scheduling.kubefed.io/v1alpha1) as a value: parsing and
// validation. An RSP spreads the replicas of the FederatedDeployment or FederatedReplicaSet
// with the same namespace and name over the member clusters (controller/replica_planner.h
// decides the numbers, controller/replica_scheduling_plan.h turns them into placement and
// overrides).
//
//   spec:
//     targetKind: FederatedDeployment      # or FederatedReplicaSet
//     totalReplicas: 10                    # int32
//     rebalance: true                      # may move running replicas (default false)
//     intersectWithClusterSelector: false  # schedule only over the target's clusterSelector
//     clusters:                            # "*" applies to clusters without an entry
//       eu-1: {minReplicas: 2, maxReplicas: 6, weight: 2}
//       "*": {weight: 1}
//
// KubeFed v0.10 validates none of this (its CRD has no constraints and its controller checks
// only targetKind, at reconcile time); kfed's CRD rejects what Validate rejects, and the parser
// reports it for objects that were stored before. KubeFed's status
// (ReplicaSchedulingPreferenceStatus) has no fields and is never written, so there is none
// here.
#ifndef KFED_FEDERATED_TYPES_SCHEDULING_PREFERENCE_H_
#define KFED_FEDERATED_TYPES_SCHEDULING_PREFERENCE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federated_types/keys.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

// The key of spec.clusters that applies to every cluster without an entry of its own.
inline constexpr absl::string_view kAllClustersPreference = "*";

// spec.clusters[<name>]: KubeFed's ClusterPreferences.
struct ClusterPreference {
  int64_t min_replicas = 0;
  std::optional<int64_t> max_replicas;  // nullopt: unbounded
  int64_t weight = 0;

  bool operator==(const ClusterPreference& o) const {
    return min_replicas == o.min_replicas && max_replicas == o.max_replicas && weight == o.weight;
  }
};

using ClusterPreferences = std::map<std::string, ClusterPreference>;

struct ReplicaSchedulingPreference {
  std::string target_kind;  // kFederatedDeploymentKind or kFederatedReplicaSetKind (keys.h)
  int32_t total_replicas = 0;
  bool rebalance = false;
  bool intersect_with_cluster_selector = false;
  ClusterPreferences clusters;  // by cluster name, or kAllClustersPreference
};

// Parses a ReplicaSchedulingPreference object (the whole object; only `spec` is read) and
// validates it. kInvalidArgument naming the field, e.g.
//   spec.clusters[eu-1].maxReplicas: Invalid value: 1: must not be less than minReplicas (2)
// Absent fields take KubeFed's zero values; unknown fields are ignored.
absl::StatusOr<ReplicaSchedulingPreference> ParseReplicaSchedulingPreference(
    const rapidjson::Value& object);

// The rules the parser applies: targetKind FederatedDeployment or FederatedReplicaSet,
// totalReplicas >= 0, and ValidateClusterPreferences.
absl::Status ValidateReplicaSchedulingPreference(const ReplicaSchedulingPreference& rsp);

// minReplicas, maxReplicas and weight >= 0, and maxReplicas >= minReplicas, for each entry.
absl::Status ValidateClusterPreferences(const ClusterPreferences& clusters);

// The preferences the scheduler uses: spec.clusters, or {"*": {weight: 1}} when it is empty
// (KubeFed defaults it at scheduling time, so an RSP without clusters spreads evenly).
ClusterPreferences EffectiveClusterPreferences(const ReplicaSchedulingPreference& rsp);

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_SCHEDULING_PREFERENCE_H_
