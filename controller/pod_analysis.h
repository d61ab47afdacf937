// What a member cluster shows of one scheduled workload (a Deployment or ReplicaSet): how
// many replicas run there now and how many it can hold. KubeFed v0.10's pod analyzer
// (pkg/controller/util/podanalyzer) and the per-cluster part of its replica scheduler
// (clustersReplicaState in pkg/schedulingtypes/replicascheduler.go), as pure functions.
//
// For each selected cluster holding the member workload:
//   - spec.replicas == status.readyReplicas (absent counts 0): the current replicas are the
//     ready replicas, the capacity is not limited, and no pods are looked at;
//   - otherwise the pods matching spec.selector.matchLabels in the workload's namespace are
//     analyzed (all of them: KubeFed does not check owners, so pods of other workloads with
//     the same labels, and of the old ReplicaSet during a rollout, count too). The current
//     replicas are the running pods with a Ready condition, and when some pods have been
//     unschedulable for longer than 60 s, capacity = spec.replicas - those pods (which can be
//     below zero; KubeFed uses it as is).
// A cluster without the member workload has no current replicas and no capacity limit.
#ifndef KFED_CONTROLLER_POD_ANALYSIS_H_
#define KFED_CONTROLLER_POD_ANALYSIS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/label_selector.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// How long a pod must have been unschedulable before it lowers the capacity estimate
// (KubeFed's UnschedulableThreshold), so a pod waiting briefly does not move replicas.
inline constexpr absl::Duration kUnschedulableThreshold = absl::Seconds(60);

struct PodAnalysis {
  int64_t total = 0;
  // Pods in phase Running, counted once per condition of type Ready. As in KubeFed the
  // condition's status is not looked at: a running pod that is not ready counts too.
  int64_t running_and_ready = 0;
  // Pods not Running whose PodScheduled condition is False with reason Unschedulable and
  // whose lastTransitionTime + 60 s is before `now` (an absent time is long ago).
  int64_t unschedulable = 0;
  // Such pods whatever their time.
  int64_t unschedulable_now = 0;

  // Some pods are unschedulable but not yet for long enough: look again later (KubeFed's
  // StatusNeedsRecheck), they may lower the capacity then.
  bool needs_recheck() const { return unschedulable_now != unschedulable; }
};

// Analyzes `pods`: a PodList ({"items": [...]}) or a JSON array of Pods. kInvalidArgument
// naming the pod and field when a pod is malformed (e.g. a lastTransitionTime that is not
// RFC 3339), as KubeFed's decoding of the list would fail.
absl::StatusOr<PodAnalysis> AnalyzePods(const rapidjson::Value& pods, absl::Time now);

// spec.replicas and status.readyReplicas of a member Deployment or ReplicaSet.
struct WorkloadReplicas {
  int64_t replicas = 0;        // absent: 0
  int64_t ready_replicas = 0;  // absent: 0

  // Whether the member's pods must be analyzed to know its state.
  bool NeedsPodAnalysis() const { return replicas != ready_replicas; }
};

// kInvalidArgument when a field is present but not an integer.
absl::StatusOr<WorkloadReplicas> ReadWorkloadReplicas(const rapidjson::Value& member_object);

// The labels the member's pods are listed with: spec.selector.matchLabels (KubeFed lists pods
// by these only, in the object's namespace; matchExpressions are not used). kInvalidArgument
// "missing selector on object" when absent; {} is valid and matches every pod.
absl::StatusOr<k8s::Labels> PodSelectorLabels(const rapidjson::Value& member_object);

// One member cluster's input to the planner.
struct MemberReplicaState {
  int64_t current_replicas = 0;
  std::optional<int64_t> estimated_capacity;  // nullopt: not limited
  bool needs_recheck = false;                 // see PodAnalysis::needs_recheck

  bool operator==(const MemberReplicaState& o) const {
    return current_replicas == o.current_replicas && estimated_capacity == o.estimated_capacity &&
           needs_recheck == o.needs_recheck;
  }
};

// The member's state from its workload and, when workload.NeedsPodAnalysis(), the analysis of
// its pods (`pods` must then be given; it is ignored otherwise).
MemberReplicaState EstimateMemberReplicas(const WorkloadReplicas& workload,
                                          const PodAnalysis* pods);

// "member1 running 2 of 2/0 (spec/ready); member2 running 0, capacity 1": what the planner was
// given for each member in `members`, with the workload's spec/ready from `seen` where known,
// for the log line of a plan; "no member holds the workload" when `members` is empty.
std::string DescribeMemberStates(const std::map<std::string, MemberReplicaState>& members,
                                 const std::map<std::string, WorkloadReplicas>& seen);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_POD_ANALYSIS_H_
