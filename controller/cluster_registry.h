// The member clusters known to the controller manager: name, labels, readiness and a client,
// published by the cluster controller and read by every sync controller. Entries are
// immutable snapshots; a change replaces the entry and notifies listeners.
#ifndef KFED_CONTROLLER_CLUSTER_REGISTRY_H_
#define KFED_CONTROLLER_CLUSTER_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "base/label_selector.h"
#include "kube/client.h"

namespace kfed::controller {

struct MemberCluster {
  std::string name;
  k8s::Labels labels;
  bool ready = false;
  // When not ready: why (the Ready condition's message, e.g. "cluster is not reachable: ...").
  std::string not_ready_message;
  // Null when no client could be built (ConfigMalformed). Shared by every user of the
  // cluster; replaced (not mutated) when credentials rotate.
  std::shared_ptr<kube::Client> client;
  // Bumped whenever `client` is replaced, so users can restart their informers.
  uint64_t client_generation = 0;
};

class ClusterRegistry {
 public:
  using Listener = std::function<void(const std::string& cluster)>;

  std::vector<std::shared_ptr<const MemberCluster>> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const MemberCluster> Get(const std::string& name) const ABSL_LOCKS_EXCLUDED(mu_);

  // Publishes a new state of a cluster; listeners run on the caller's thread, no lock held.
  void Upsert(std::shared_ptr<const MemberCluster> cluster) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);

  // True once the KubeFedCluster list has been read: before that, the set of clusters is
  // unknown and nothing may be deleted on its account.
  bool Synced() const ABSL_LOCKS_EXCLUDED(mu_);
  void MarkSynced() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits on `clock` until synced (true), `deadline` or `cancel` (false); no polling.
  bool WaitForSync(Clock& clock, absl::Time deadline, const CancellationToken& cancel) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Listeners are called on every change with the cluster's name. Returns an id for
  // RemoveListener. Listeners must not block.
  int AddListener(Listener listener) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveListener(int id) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Notify(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const MemberCluster>> clusters_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::shared_ptr<Listener>> listeners_ ABSL_GUARDED_BY(mu_);
  int next_listener_ ABSL_GUARDED_BY(mu_) = 0;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLUSTER_REGISTRY_H_
