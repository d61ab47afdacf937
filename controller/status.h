// Status of a federated object: the Propagation condition and status.clusters, computed as a
// plain function on values (KubeFed v0.10's semantics, see SetFederatedStatus), so the sync
// controller writes status only when something a user can see has changed.
#ifndef KFED_CONTROLLER_STATUS_H_
#define KFED_CONTROLLER_STATUS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// The outcome of propagating one federated object to one cluster.
struct ClusterOutcome {
  // A KubeFed per-cluster status ("" when propagated, else CreationFailed, ClusterNotReady, ...).
  std::string status;
  // kfed addition: what went wrong, for a user to act on (KubeFed had only the reason).
  std::string message;
  // With raw status collection: the member object's `status` (nullptr: none), written as
  // status.clusters[].remoteStatus. Borrowed; must outlive the ComputeStatus call.
  const rapidjson::Value* remote_status = nullptr;
};

struct StatusInput {
  int64_t generation = 0;
  // A KubeFed aggregate reason: "" (success), ClusterRetrievalFailed, ComputePlacementFailed,
  // NamespaceNotFederated. CheckClusters is derived here when a cluster is not OK.
  std::string aggregate_reason;
  // A message for the condition (e.g. why placement failed); derived when empty.
  std::string aggregate_message;
  // Appended to the condition's message (after "; " when there is one): something the user
  // should know that does not fail propagation (e.g. placement names unknown clusters).
  std::string note;
  // Per cluster, keyed by name (sorted output: KubeFed's order was random).
  std::map<std::string, ClusterOutcome> clusters;
  // Whether member objects were created, updated or deleted in this pass.
  bool resources_updated = false;
  // KubeFed's RawResourceStatusCollection (feature gate and the type's statusCollection):
  // as in KubeFed, a cluster without a remote status keeps the condition at CheckClusters.
  bool collect_remote_status = false;
  absl::Time now;
};

struct StatusUpdate {
  rapidjson::Document status;  // the whole new `status` object
  bool changed = false;        // whether it must be written
};

// Computes the new status from the current one (`current` may be null or not an object).
// As KubeFed: observedGeneration follows the generation; the Propagation condition is True
// when the reason is "" and every cluster is OK, else False with the reason (CheckClusters when
// a cluster failed); lastTransitionTime moves when status or reason changes, lastUpdateTime
// when anything changed or resources were updated. Timestamps are RFC 3339 in UTC, seconds.
// status.clusters[].remoteStatus is each outcome's `remote_status` (compared as JSON, so a
// member status that did not change writes nothing); without collection none is written and
// an existing one is dropped.
StatusUpdate ComputeStatus(const rapidjson::Value* current, const StatusInput& input);

// "2006-01-02T15:04:05Z" formatting used by Kubernetes for metav1.Time.
std::string FormatKubeTime(absl::Time t);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_STATUS_H_
