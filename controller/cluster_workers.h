// The per-member half of one type's sync controller: for each member cluster with a client,
// an informer on the target type in that member (only objects carrying the
// kubefed.io/managed label) and a WorkerPool draining that cluster's own queue, so that a slow
// or dead member only delays its own keys. Workers start, restart (credentials rotated: a new
// client) and stop as the cluster registry changes.
//
// Threads (owned here; joined by Sync when a cluster's workers are replaced, and by StopAll):
// per cluster, the informer's reflector and dispatcher, and the pool's workers. The
// informer's handlers report the change and enqueue the federated key, nothing else; once
// it has synced, every federated key is queued for that member (Options::federated_keys).
#ifndef KFED_CONTROLLER_CLUSTER_WORKERS_H_
#define KFED_CONTROLLER_CLUSTER_WORKERS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_registry.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/worker_pool.h"
#include "federated_types/type_config.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace kfed::controller {

class ClusterWorkers {
 public:
  // Reconciles federated `key` in `cluster` with that member's client. Runs on the cluster's
  // workers, never twice at once for the same key and cluster.
  using ReconcileFunc = std::function<absl::StatusOr<ReconcileResult>(
      const std::string& cluster, kube::Client& client, const std::string& key)>;
  // A member object changed (drift, or the echo of kfed's own write): called with its
  // federated key on the member informer's dispatcher thread, before the key is enqueued.
  // Must not block.
  using MemberChangeFunc = std::function<void(const std::string& key)>;

  struct Options {
    // "" watches every namespace; else only this one (limited scope).
    std::string watch_namespace;
    int workers = 4;  // per cluster
    // The caches each cluster's pool waits for before its first reconcile.
    std::vector<CacheSyncSource> caches;
    // KubeFedConfig spec.controllerDuration.cacheSyncTimeout (worker_pool.h).
    absl::Duration cache_sync_timeout = absl::Minutes(5);
    // Called (on that informer's dispatcher thread, must not block) when a member cache has
    // synced: MembersSynced() may have turned true. Optional.
    std::function<void()> on_synced;
    // Every federated key of the type. Once a member's cache has synced, each is queued for
    // that member: a pass that ran before found the cache unsynced and was only retried on
    // its backoff (seconds to minutes after a slow sync), and keys with no member copy get
    // no event from the cache. Optional.
    std::function<std::vector<std::string>()> federated_keys;
  };

  // Everything borrowed must outlive this object. `queue_depth` is the
  // kfed_member_queue_depth gauge (labels cluster, type).
  ClusterWorkers(const federated_types::TypeConfig& type, const ClusterRegistry& registry,
                 Options options, ReconcileFunc reconcile, MemberChangeFunc on_member_change,
                 MetricsRegistry& metrics, MetricFamily* queue_depth, Clock& clock = Clock::Real());
  ~ClusterWorkers();  // StopAll()
  ClusterWorkers(const ClusterWorkers&) = delete;
  ClusterWorkers& operator=(const ClusterWorkers&) = delete;

  // Brings `cluster`'s workers in line with the registry: started for a member with a
  // client, restarted when its client was replaced, stopped when it has no client or left.
  // Ignored after StopAll.
  void Sync(const std::string& cluster) ABSL_LOCKS_EXCLUDED(mu_);
  // Stops every cluster's workers (in parallel) and joins them. Idempotent.
  void StopAll() ABSL_LOCKS_EXCLUDED(mu_);

  // Adds `key` to every cluster's queue.
  void EnqueueAll(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);

  // What the member cache of `cluster` holds for the member object `ns`/`name`.
  struct MemberCache {
    bool watched = false;     // the cluster has workers (and so an informer)
    bool synced = false;      // its informer has synced
    absl::Status list_error;  // when not synced: the last list's error (OK when unknown)
    kube::ObjectPtr live;     // the member object (nullptr: none)
  };
  MemberCache Lookup(const std::string& cluster, const std::string& ns,
                     const std::string& name) const ABSL_LOCKS_EXCLUDED(mu_);

  // Every ready member's informer has synced.
  bool MembersSynced() const ABSL_LOCKS_EXCLUDED(mu_);

  // Another reader of the member caches (the status controller, status_controller.h) is told
  // of every member object change, with the federated key, on the member informer's
  // dispatcher thread. The listener must not block (it enqueues). Returns an id for
  // RemoveMemberListener, which returns once no call of that listener is running.
  int AddMemberListener(MemberChangeFunc listener) ABSL_LOCKS_EXCLUDED(listeners_mu_);
  void RemoveMemberListener(int id) ABSL_LOCKS_EXCLUDED(listeners_mu_);

 private:
  struct Workers {
    std::string name;
    uint64_t client_generation = 0;
    std::shared_ptr<kube::Client> client;
    std::unique_ptr<kube::Informer> informer;
    std::unique_ptr<FuncReconciler> reconciler;
    std::unique_ptr<WorkerPool> pool;
  };
  // Builds and starts the workers of `member` (which has a client).
  std::unique_ptr<Workers> StartLocked(const MemberCluster& member)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Stop(std::unique_ptr<Workers> workers);
  // The federated key a member object belongs to.
  std::string KeyForMember(const rapidjson::Value& member) const;

  const federated_types::TypeConfig& type_;
  const ClusterRegistry& registry_;
  const Options options_;
  const ReconcileFunc reconcile_;
  const MemberChangeFunc on_member_change_;
  MetricsRegistry& metrics_;
  MetricFamily* const queue_depth_;
  Clock& clock_;

  // Calls every member listener; none is held under a lock while it runs.
  void NotifyListeners(const std::string& key) ABSL_LOCKS_EXCLUDED(listeners_mu_);

  // Guards the listeners; a reader lock is held while they run, so removal waits for them.
  mutable absl::Mutex listeners_mu_;
  std::map<int, MemberChangeFunc> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  int next_listener_ ABSL_GUARDED_BY(listeners_mu_) = 0;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::unique_ptr<Workers>> workers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLUSTER_WORKERS_H_
