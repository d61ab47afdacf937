// The host pass's decisions about a federated object's status, as pure functions on values:
// from the plan (what each cluster needs now) and the propagation record (what the member
// workers last did), the status to write, whether to write it or wait for a cluster in
// flight, the versions for the PropagatedVersion, and the per-cluster view for the status API.
// controller/host_reconciler.h carries them out.
#ifndef KFED_CONTROLLER_STATUS_ASSEMBLY_H_
#define KFED_CONTROLLER_STATUS_ASSEMBLY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controller/propagation_records.h"
#include "controller/status.h"
#include "controller/status_publish.h"
#include "controller/sync_plan.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// How long a federated object's status may wait for a member write in flight before the
// host looks again on its own. The member worker's wake-up is the fast path; status must not
// depend on it alone (the fault suite once left 176 of 1,000 statuses at a member's earlier
// ClusterNotReady after the member came back, when that wake-up was lost).
inline constexpr absl::Duration kPendingStatusRecheck = absl::Seconds(5);

struct StatusAssemblyInput {
  const Plan* plan = nullptr;            // required: PlanPropagation over every cluster
  const ObjectRecord* record = nullptr;  // required: the object's propagation record
  // The federated object's `status` (may be null) and metadata.generation.
  const rapidjson::Value* current_status = nullptr;
  int64_t generation = 0;
  // Of the federated object planned from; the record's versions count only when they match.
  std::string template_version;
  std::string overrides_version;
  bool versions_ok = false;  // both could be computed
  // Cluster -> metadata.generation of the member object (absent: 0).
  std::map<std::string, int64_t> member_generations;
  // KubeFed's RawResourceStatusCollection for this type (gate Enabled and the FTC's
  // statusCollection Enabled): status.clusters[].remoteStatus is the member object's `status`.
  bool collect_remote_status = false;
  // Cluster -> the member object's `status` in the member cache (absent or null: none).
  // Borrowed; must outlive the call.
  std::map<std::string, const rapidjson::Value*> remote_statuses;
  absl::Time now;
};

struct AssembledStatus {
  // A cluster has an action in flight (its worker has not recorded a success or failure
  // for it yet). Status reflects finished work, so it is not written now: the worker wakes
  // the host when done, and the host looks again after `recheck_after` regardless. Nothing is
  // pending at rest, so at rest there are no timers.
  bool pending = false;
  absl::Duration recheck_after = absl::ZeroDuration();
  // When not pending: the new status, and whether it changed (then it must be written).
  StatusUpdate update;
  // When not pending: the outcomes the status reflects (cluster -> outcome_seq), to be
  // marked accounted for (PropagationRecords::MarkAccounted) once it is written.
  std::map<std::string, uint64_t> accounted;
  // When not pending and true: the PropagatedVersion is to hold `versions` (cluster ->
  // version of the object kfed wrote, for each selected cluster known to be up to date).
  // False when placement failed or the versions could not be computed.
  bool record_versions = false;
  std::map<std::string, std::string> versions;
  // The status API's per-cluster view (also while pending), one per planned action.
  std::vector<PublishedCluster> clusters;
};

AssembledStatus AssembleStatus(const StatusAssemblyInput& input);

// What the status API shows of an object being deleted, and which clusters it waits for.
struct DeletionView {
  std::vector<PublishedCluster> clusters;
  // The clusters with an action left or still to confirm removal, sorted, ", "-separated:
  // the WaitForRemovalInCluster event's list.
  std::string waiting;
};

DeletionView AssembleDeletionView(const DeletionPlan& plan, const ObjectRecord& record);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_STATUS_ASSEMBLY_H_
