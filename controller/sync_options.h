// The configuration of one type's sync controller (controller/sync_controller.h), shared by
// the parts it is made of (plan input, member and host reconcilers, deletion, publishing).
#ifndef KFED_CONTROLLER_SYNC_OPTIONS_H_
#define KFED_CONTROLLER_SYNC_OPTIONS_H_

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "federated_types/type_config.h"
#include "kube/informer.h"
#include "status/store.h"

namespace kfed::controller {

// Host caches shared by all sync controllers (owned by the manager, started before them).
struct HostCaches {
  kube::Informer* federated_namespaces = nullptr;         // FederatedNamespace, all namespaces
  kube::Informer* propagated_versions = nullptr;          // PropagatedVersion
  kube::Informer* cluster_propagated_versions = nullptr;  // ClusterPropagatedVersion
  kube::Informer* namespaces = nullptr;                   // the host's Namespaces (for uids)
};

struct SyncControllerOptions {
  federated_types::TypeConfig type_config;
  std::string kubefed_namespace = "kube-federation-system";
  bool limited_scope = false;
  bool adopt_resources = true;
  int host_workers = 2;
  int cluster_workers = 4;
  std::string field_manager = "kfed";
  // KubeFedConfig's feature gate RawResourceStatusCollection. It takes effect for types whose
  // FederatedTypeConfig enables statusCollection (CollectsRemoteStatus).
  bool raw_resource_status_collection = false;
  // KubeFedConfig spec.controllerDuration.cacheSyncTimeout: every pool of the type logs the
  // caches still unsynced after this long (and keeps waiting).
  absl::Duration cache_sync_timeout = absl::Minutes(5);
  // KubeFedConfig spec.statusController.maxConcurrentReconciles: the status controller's
  // workers (controller/status_controller.h).
  int status_max_concurrent_reconciles = 1;
  // Where each federated object's propagation state is published for the status API and
  // the dashboard (nullptr: nowhere). Must outlive the controller.
  status::StatusStore* status_store = nullptr;
  // Called when a cache this controller reports in HostSynced()/MembersSynced() has synced
  // (on that informer's dispatcher thread; must not block): the manager's readiness pushes
  // the change (controller/readiness.h). Optional.
  std::function<void()> on_synced;

  // status.clusters[].remoteStatus is collected (KubeFed: the gate and the type's
  // statusCollection both Enabled).
  bool CollectsRemoteStatus() const {
    return raw_resource_status_collection && type_config.StatusEnabled();
  }
};

// "FederatedConfigMap ns/name", for log lines and error messages.
inline std::string DescribeObject(const federated_types::TypeConfig& type, const std::string& key) {
  return absl::StrCat(type.federated_type.kind, " ", key);
}

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_SYNC_OPTIONS_H_
