// What the replica scheduler writes into the FederatedDeployment or FederatedReplicaSet that a
// ReplicaSchedulingPreference targets (same namespace and name), decided as a pure function of
// cached state: the placement's cluster list and a /spec/replicas override per cluster. The
// controller that drives it reads the caches, lists the members' pods (pod_analysis.h) and
// writes the patch. Follows KubeFed v0.10's ReplicaScheduler.Reconcile, GetSchedulingResult,
// schedule and Plugin.Reconcile (pkg/schedulingtypes):
//
//   1. Clusters: the ready clusters. With intersectWithClusterSelector, only those that the
//      target's spec.placement.clusterSelector selects (its `clusters` list is ignored) and
//      that the FederatedNamespace's clusterSelector selects too (again its selector only: a
//      FederatedNamespace placed by a cluster list selects nothing here). No ready cluster, or
//      none selected: nothing is done, the object keeps its placement and overrides.
//   2. Plan (replica_planner.h) over those clusters with the RSP's preferences ({"*":
//      {weight: 1}} when it has none), the members' current replicas and capacities, and the
//      key "<namespace>/<name>". Each cluster's replicas are its planned replicas plus its
//      overflow (so a cluster short of capacity is asked for more than it can run).
//   3. Placement: spec.placement.clusters becomes every scheduled cluster, those planned 0
//      replicas included, when that set differs from the current list (compared sorted). A
//      clusterSelector stays as it is (the list wins over it). Clusters that are not ready
//      drop out of the placement.
//   4. Overrides, rewritten only when some /spec/replicas override differs from the plan
//      (a value that is not a number, a cluster that is not scheduled, a scheduled cluster
//      without one): each scheduled cluster's /spec/replicas override gets the new value (in
//      place, keeping its op) or is appended to its entry (a new entry for a cluster without
//      one); a cluster that is not scheduled loses its /spec/replicas override and keeps its
//      entry and its other overrides. The existing overrides must pass KubeFed's checks (a
//      cluster once, a path once per cluster, no forbidden path).
//
// kfed keeps the order of existing override entries and adds new entries sorted by cluster,
// and writes the placement sorted (KubeFed wrote both in Go map order); it writes other
// overrides back exactly as they were (KubeFed re-encoded them, dropping a null "value").
#ifndef KFED_CONTROLLER_REPLICA_SCHEDULING_PLAN_H_
#define KFED_CONTROLLER_REPLICA_SCHEDULING_PLAN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/pod_analysis.h"
#include "controller/replica_planner.h"
#include "federated_types/placement.h"
#include "federated_types/scheduling_preference.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// The override path the scheduler owns.
inline constexpr absl::string_view kReplicasOverridePath = "/spec/replicas";

struct ReplicaSchedulingRequest {
  const federated_types::ReplicaSchedulingPreference* preference = nullptr;  // required
  // The target FederatedDeployment / FederatedReplicaSet (required).
  const rapidjson::Value* federated_object = nullptr;
  // The FederatedNamespace <ns>/<ns> of the target, nullptr when there is none; read only
  // with intersectWithClusterSelector, where it is required.
  const rapidjson::Value* federated_namespace = nullptr;
  // The ready member clusters (KubeFedCluster Ready condition True), with their labels.
  std::vector<federated_types::ClusterInfo> ready_clusters;
  // The ready clusters that hold the member workload, with its state (EstimateMemberReplicas);
  // entries for other clusters are ignored.
  std::map<std::string, MemberReplicaState> members;
  // "<namespace>/<name>" of the RSP and its target: the planner's tie-break key.
  std::string key;
};

// Step 1 alone: the clusters to schedule over (sorted; empty: nothing to do). The controller
// needs it before listing pods, because only these clusters' members are looked at.
// Errors: kInvalidArgument for a malformed placement; kNotFound when intersecting and the
// FederatedNamespace is absent (KubeFed fails and retries).
absl::StatusOr<std::vector<std::string>> SchedulingClusters(
    const ReplicaSchedulingRequest& request);

struct ReplicaSchedulingResult {
  // The clusters scheduled over (sorted); empty: nothing to do, every field below is empty.
  std::vector<std::string> clusters;
  // The planner's output.
  ReplicaPlan plan;
  // The value of each scheduled cluster's /spec/replicas override: plan + overflow.
  std::map<std::string, int64_t> replicas;
  // Some member has unschedulable pods that have not yet reached the threshold: schedule
  // again later (KubeFed: StatusNeedsRecheck), whether or not anything changed now.
  bool needs_recheck = false;

  // The desired spec.placement.clusters ([{"name": ...}], sorted), when it must change;
  // otherwise null.
  rapidjson::Document placement_clusters;
  // The desired spec.overrides, when it must change; otherwise null.
  rapidjson::Document overrides;
  // metadata.resourceVersion of the federated object the result was computed from.
  std::string resource_version;

  bool placement_changed() const { return !placement_clusters.IsNull(); }
  bool overrides_changed() const { return !overrides.IsNull(); }
  bool update_needed() const { return placement_changed() || overrides_changed(); }

  // An RFC 7386 merge patch for the federated object with the changed fields and
  // metadata.resourceVersion (so the write fails on a conflict, as KubeFed's update did);
  // null when no update is needed.
  rapidjson::Document MergePatch() const;
};

// Steps 1-4. Errors: those of SchedulingClusters; kInvalidArgument for malformed overrides
// (naming the entry) or preferences.
absl::StatusOr<ReplicaSchedulingResult> PlanReplicaScheduling(
    const ReplicaSchedulingRequest& request);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_REPLICA_SCHEDULING_PLAN_H_
