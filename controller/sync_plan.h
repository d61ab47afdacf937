// What the sync controller must do for one federated object, decided as a pure function of
// cached state: for each cluster, create, update, delete, unlabel or leave the member object,
// or the per-cluster status that explains why nothing can be done. The dispatcher
// (dispatcher.h) carries the actions out. Follows KubeFed v0.10's syncToClusters and
// ensureDeletion, with kfed's safety rules:
//   - a cluster whose member cache has not synced is never acted on;
//   - only objects in the member cache are deleted, and that cache holds only objects
//     carrying the kubefed.io/managed label, so an unlabelled object is never deleted;
//   - a failure to parse placement leads to no deletion at all.
#ifndef KFED_CONTROLLER_SYNC_PLAN_H_
#define KFED_CONTROLLER_SYNC_PLAN_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/label_selector.h"
#include "federated_types/type_config.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// One member cluster as the sync controller sees it.
struct ClusterState {
  std::string name;
  k8s::Labels labels;
  bool ready = false;  // KubeFedCluster Ready condition is True
  // When not ready: why (the Ready condition's message), for ClusterNotReady's message.
  std::string not_ready_message;
  // Ready, yet the sync controller has no client for it (KubeFed's ClientRetrievalFailed):
  // why. The cluster controller publishes a cluster whose client cannot be built as not ready
  // (ConfigMalformed), so this guards the registry's contract rather than a common case.
  std::string client_error;
  bool synced = false;  // the member informer for this type has synced
  // Why it has not synced, when known (e.g. the member forbids listing the type).
  std::string sync_error;
  // The member object from the member cache (managed-label filtered); nullptr when absent.
  const rapidjson::Value* live = nullptr;
};

struct PlanRequest {
  const rapidjson::Value* federated_object = nullptr;        // required
  const federated_types::TypeConfig* type_config = nullptr;  // required
  std::vector<ClusterState> clusters;
  // For namespaced targets: the FederatedNamespace of the object's namespace (nullptr: none).
  const rapidjson::Value* federated_namespace = nullptr;
  // For the namespaces type: the UID of the host's Namespace, to recognise the host cluster
  // among the members (a host namespace is unlabelled, never deleted).
  std::string host_namespace_uid;
  // Cluster name -> version recorded when kfed last wrote the member object, already
  // discarded when the template or overrides changed since (federated_types::RecordedVersions).
  std::map<std::string, std::string> recorded_versions;
  // Why the template or overrides version (KubeFed's hashes) could not be computed; "" when
  // both were. Then no existing member object is updated: its clusters report KubeFed's
  // VersionRetrievalFailed (creating a missing object needs no version, as in KubeFed).
  std::string versions_error;
  std::string kubefed_namespace = "kube-federation-system";
  bool limited_scope = false;
  bool adopt_resources = true;
  // When set, only this cluster's action is computed (placement still sees every cluster).
  std::string only_cluster;
};

enum class Operation { kNone, kCreate, kUpdate, kDelete, kRemoveManagedLabel };
const char* OperationName(Operation op);

struct ClusterAction {
  std::string cluster;
  Operation op = Operation::kNone;
  // For kCreate / kUpdate: the object to write.
  std::shared_ptr<const rapidjson::Document> desired;
  // For kNone: a per-cluster status to report ("" OK) with a message; for kNone on an
  // up-to-date object, `version` is its current version (to keep in PropagatedVersion).
  std::string status;
  std::string message;
  std::string version;
  // For kDelete / kRemoveManagedLabel: the cached object's uid and resourceVersion, sent as
  // preconditions so that exactly the (managed) object that was seen is changed.
  std::string live_uid;
  std::string live_resource_version;
  // Whether the cluster is in the placement (its outcome belongs in status.clusters).
  bool selected = false;
};

struct Plan {
  // "" or a KubeFed aggregate reason (ComputePlacementFailed, NamespaceNotFederated).
  std::string aggregate_reason;
  std::string aggregate_message;
  // Something to tell the user that does not fail propagation (e.g. placement names clusters
  // that are not joined); goes into the Propagation condition's message.
  std::string note;
  std::set<std::string> selected;
  std::vector<ClusterAction> actions;  // one per cluster that needs an action or a status
  // True when a cluster was skipped for now (cache not synced) and the key should be retried.
  bool requeue = false;
  // The object is in a system namespace: nothing is done and no status is written.
  bool ignored = false;
};

// Propagation of a live (not deleting) federated object.
Plan PlanPropagation(const PlanRequest& request);

struct DeletionPlan {
  // With kubefed.io/orphan=true: unlabel every managed copy; otherwise delete them (with the
  // kubefed.io/deleteoption options).
  bool orphan = false;
  std::vector<ClusterAction> actions;
  // Clusters that still hold a copy (or might: unready or unsynced while in the placement);
  // the finalizer stays until this is empty.
  std::vector<std::string> waiting;
  // The finalizer can be removed now.
  bool done() const { return waiting.empty() && actions.empty(); }
};

// Deletion of a federated object that has a deletionTimestamp. Clusters outside the
// placement that hold no copy never block it, even when they are down (KubeFed waited).
DeletionPlan PlanDeletion(const PlanRequest& request);

// Whether `object` carries kubefed.io/managed=false (explicitly unmanaged).
bool IsExplicitlyUnmanaged(const rapidjson::Value& object);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_SYNC_PLAN_H_
