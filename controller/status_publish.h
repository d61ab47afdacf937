// How the sync controller's view of one federated object becomes the status API's
// FederatedObject (status/status.proto): the coarse per-cluster state (Propagated, Pending,
// Error, Deleting) from the planned action and the last outcome, and the Propagation condition
// from a status object. Pure functions on values; the sync controller publishes the result to
// the status store (status/store.h), which ignores publishes that change nothing.
#ifndef KFED_CONTROLLER_STATUS_PUBLISH_H_
#define KFED_CONTROLLER_STATUS_PUBLISH_H_

#include <cstdint>
#include <string>

#include "controller/sync_plan.h"
#include "rapidjson/document.h"
#include "status/status.pb.h"

namespace kfed::controller {

// What the sync controller knows about one federated object in one cluster.
struct PublishedCluster {
  std::string cluster;
  // The action the plan wants now (kNone: nothing to do, see plan_status).
  Operation op = Operation::kNone;
  // For kNone: the per-cluster status the plan reports ("" propagated) and its message.
  std::string plan_status;
  std::string plan_message;
  // The last attempt in this cluster failed with this KubeFed status ("" when it did not or
  // there was none) and message.
  std::string failed_status;
  std::string failed_message;
  // The federated object is being deleted and this cluster must still confirm removal.
  bool waiting_for_removal = false;
  double latency_seconds = 0;
  int64_t member_generation = 0;
};

// The ClusterState for one cluster:
//   - an action in flight (create/update) is Pending, a delete or unlabel is Deleting, unless
//     the last attempt failed: Error with its reason and message;
//   - nothing to do: Propagated when the plan reports no status; WaitingForRemoval is
//     Deleting; CachedRetrievalFailed (the member cache is syncing) is Pending; any other
//     status (ClusterNotReady, ApplyOverridesFailed, AlreadyExists, ...) is Error;
//   - a deleting object's cluster that has yet to confirm removal is Deleting.
// last_transition_unix_ms is left 0 (the store derives it).
status::v1::ClusterState ClusterStateFor(const PublishedCluster& c);

// Copies the Propagation condition (status, reason, message) of a federated object's
// `status` (may be null) into `object`; without one, "False" with empty reason and message.
void SetPropagation(const rapidjson::Value* status, status::v1::FederatedObject* object);

// metadata.generation of an object (null or absent: 0).
int64_t GenerationOf(const rapidjson::Value* object);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_STATUS_PUBLISH_H_
