// How many replicas of a workload each cluster should run: KubeFed v0.10's replica planner
// (pkg/controller/util/planner) as a pure function, with the same results for the same inputs.
//
// The steps, over the available clusters that have a preference (their own entry, else "*";
// a cluster with neither is planned 0 replicas and takes no further part):
//   1. Order: by weight, highest first; equal weights by FNV-1 (32-bit) of cluster name + key,
//      lowest first. The key (KubeFed: the workload's "namespace/name") keeps single replicas
//      from always landing on the alphabetically first cluster.
//   2. Minimums: in that order, each cluster gets min(minReplicas, replicas left, capacity).
//   3. Without rebalance, replicas already running stay where they are: a cluster running more
//      than step 2 gave it is topped up to what it runs (capped by maxReplicas, capacity and
//      the replicas left). These "preallocated" replicas count towards the weighted share
//      of step 4 instead of coming on top of it.
//   4. Weights, in rounds: the replicas left are shared in proportion to weight, each share
//      rounded up (so the clusters first in the order get the rounding) and capped by the
//      replicas left; a cluster whose total would exceed its maxReplicas or its capacity is
//      cut to it and leaves the following rounds (reaching it exactly does not). Rounds continue while replicas are left and the last round placed
//      some (or used preallocated ones). Clusters of weight 0 get only their minimum and
//      preallocation.
//   5. Overflow: where the share of step 4 exceeded a cluster's capacity, the excess is that
//      cluster's overflow (the replicas it would run if it could). Without rebalance each
//      overflow is cut to the replicas that were left unplaced at the end.
//
// Deliberate difference: KubeFed multiplies replicas by weight in int64, which wraps around
// when replicas x weight exceeds 2^63 (only with huge weights); kfed computes the shares
// exactly, so such weights behave like their proportions. Equal weights with equal hashes
// (an FNV collision) are ordered by name here; in KubeFed their order is unspecified.
#ifndef KFED_CONTROLLER_REPLICA_PLANNER_H_
#define KFED_CONTROLLER_REPLICA_PLANNER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federated_types/scheduling_preference.h"

namespace kfed::controller {

struct ReplicaPlanRequest {
  // By cluster name, "*" for the others (federated_types::EffectiveClusterPreferences).
  federated_types::ClusterPreferences preferences;
  // The replicas to distribute (the RSP's totalReplicas).
  int64_t total_replicas = 0;
  // May replicas that run somewhere now be moved elsewhere?
  bool rebalance = false;
  // The clusters that may get replicas (names are unique; order does not matter).
  std::vector<std::string> available_clusters;
  // Replicas running now, by cluster; absent: none known.
  std::map<std::string, int64_t> current_replicas;
  // Replicas a cluster can hold at most, by cluster; absent: no limit known.
  std::map<std::string, int64_t> estimated_capacity;
  // The tie-break key hashed with each cluster name (KubeFed: "namespace/name").
  std::string key;
};

struct ReplicaPlan {
  // Every available cluster, with its planned replicas (0 for clusters without preference).
  std::map<std::string, int64_t> replicas;
  // Clusters whose share exceeded their capacity: the excess (only clusters with one).
  std::map<std::string, int64_t> overflow;

  bool operator==(const ReplicaPlan& o) const {
    return replicas == o.replicas && overflow == o.overflow;
  }
};

// The plan for `request`. kInvalidArgument when a preference is invalid
// (federated_types::ValidateClusterPreferences) or total_replicas is negative.
absl::StatusOr<ReplicaPlan> PlanReplicas(const ReplicaPlanRequest& request);

// KubeFed's tie-break hash: FNV-1 32-bit (Go's hash/fnv New32) of cluster_name then key.
uint32_t ClusterOrderHash(absl::string_view cluster_name, absl::string_view key);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_REPLICA_PLANNER_H_
