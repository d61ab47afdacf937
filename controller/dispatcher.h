// Carries out one ClusterAction (sync_plan.h) in one member cluster with that member's
// client, and reports the outcome with KubeFed's per-cluster status strings and event reasons.
// Runs on the member cluster's workers: a slow member only delays its own actions.
#ifndef KFED_CONTROLLER_DISPATCHER_H_
#define KFED_CONTROLLER_DISPATCHER_H_

#include <string>

#include "absl/status/statusor.h"
#include "controller/sync_plan.h"
#include "federated_types/type_config.h"
#include "kube/client.h"
#include "rapidjson/document.h"

namespace kfed::controller {

struct DispatchContext {
  const rapidjson::Value* federated_object = nullptr;        // for adoption re-rendering
  const federated_types::TypeConfig* type_config = nullptr;  // ditto
  kube::GroupVersionResource target;                         // the member resource
  std::string namespace_;                                    // member namespace ("" cluster-scoped)
  std::string name;
  bool adopt_resources = true;
  kube::DeleteOptions delete_options;  // from kubefed.io/deleteoption
  std::string field_manager = "kfed";
};

struct DispatchOutcome {
  std::string status;   // KubeFed per-cluster status; "" OK
  std::string message;  // what went wrong, for status and events
  std::string version;  // the member object's version after the action ("" when gone/unknown)
  bool wrote = false;   // a write reached the member
  // Of the object written (create/update): lets the caller wait for its cache to catch up.
  std::string resource_version;
  std::string uid;
  bool retry = false;        // a transient failure: retry the key with backoff
  absl::Status error;        // the failed request's error (OK when none failed)
  std::string event_reason;  // KubeFed event reason (CreateInCluster, ...), "" for none
  bool event_warning = false;
};

DispatchOutcome Dispatch(kube::Client& client, const ClusterAction& action,
                         const DispatchContext& context);

// KubeFed's status for an operation that did not finish in time: CreationTimedOut,
// UpdateTimedOut, DeletionTimedOut, LabelRemovalTimedOut ("" for kNone); its Event is KubeFed's
// Warning OperationTimeoutError. KubeFed gave all
// member operations of a pass 30 s; kfed gives each member request --member-request-timeout
// (30 s by default), so a stalled member is reported the same way without holding up others.
absl::string_view TimedOutStatus(Operation op);

// Whether a failed member request is kfed giving up waiting for an answer (the client's
// deadline), as opposed to an answer from the server (a 504 is the server's: *Failed, as in
// KubeFed, where any error returned before the timeout was).
bool IsClientTimeout(const absl::Status& error);

// Parses the kubefed.io/deleteoption annotation of a federated object (JSON DeleteOptions:
// gracePeriodSeconds, propagationPolicy, preconditions{uid, resourceVersion}). Absent: the
// default options (KubeFed's: dependents are not orphaned, i.e. Background).
absl::StatusOr<kube::DeleteOptions> ParseDeleteOptions(const rapidjson::Value& federated_object);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_DISPATCHER_H_
