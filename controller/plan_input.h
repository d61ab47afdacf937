// The input of one planning pass of the sync controller (a PlanRequest, sync_plan.h), read
// from the caches: the federated object; its FederatedNamespace (or, for the namespaces type,
// the host Namespace's uid); the versions kfed recorded (the PropagatedVersion, overridden by
// what this process wrote since); and for every registered cluster the registry's view
// (labels, readiness) and the member cache's (synced, or why not; the member object).
#ifndef KFED_CONTROLLER_PLAN_INPUT_H_
#define KFED_CONTROLLER_PLAN_INPUT_H_

#include <memory>
#include <string>
#include <vector>

#include "controller/cluster_registry.h"
#include "controller/cluster_workers.h"
#include "controller/propagated_version_store.h"
#include "controller/propagation_records.h"
#include "controller/sync_options.h"
#include "controller/sync_plan.h"
#include "kube/client.h"

namespace kfed::controller {

struct PlanInput {
  PlanRequest request;
  // Keep the snapshots `request` points into alive.
  std::vector<std::shared_ptr<const MemberCluster>> members;
  std::vector<kube::ObjectPtr> held;
  std::string template_version;
  std::string overrides_version;
  bool versions_ok = false;      // both hashes computed (an empty template hashes to "")
  std::string member_namespace;  // of the member object ("" cluster-scoped)
  std::string name;

  // The request's state of `cluster`; nullptr when it is not registered.
  const ClusterState* Cluster(const std::string& cluster) const;
};

class PlanInputBuilder {
 public:
  // All borrowed; they must outlive the builder.
  PlanInputBuilder(const SyncControllerOptions& options, const HostCaches& caches,
                   const PropagatedVersionStore& versions, const PropagationRecords& records,
                   const ClusterRegistry& registry, const ClusterWorkers& workers);

  // The input for the federated object `fed` (key `key`) over every registered cluster.
  // Thread-safe.
  // With `only_cluster`, a member pass's input: request.only_cluster is set, and only that
  // member's cache is read (the others' ClusterStates carry the registry's view, no live copy:
  // the planners skip them). A pass reading every member's copy cost O(members) each, so
  // O(members^2) per change (docs/benchmarks.md, "Member scaling").
  PlanInput Build(const kube::ObjectPtr& fed, const std::string& key,
                  const std::string& only_cluster = "") const;

 private:
  const SyncControllerOptions& options_;
  const HostCaches& caches_;
  const PropagatedVersionStore& versions_;
  const PropagationRecords& records_;
  const ClusterRegistry& registry_;
  const ClusterWorkers& workers_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_PLAN_INPUT_H_
