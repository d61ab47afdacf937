// Feeds a WorkerPool keyed by member cluster name from the ClusterRegistry: every member's
// name once at Start() and again whenever the registry reports a change to that cluster. The
// wiring of the controllers that reconcile per member cluster (ClusterSet, Multi-Cluster
// Services, ReplicaSchedulingPreference), written once.
//
// Ownership and threads: borrows the registry and the pool, which outlive it. Start() and
// Stop() run on the owner's thread, never at the same time. The registry's listener runs on
// whichever thread changes the registry and only enqueues (WorkerPool::Add does not block).
#ifndef KFED_CONTROLLER_CLUSTER_KEY_FEED_H_
#define KFED_CONTROLLER_CLUSTER_KEY_FEED_H_

#include "controller/cluster_registry.h"
#include "controller/worker_pool.h"

namespace kfed::controller {

class ClusterKeyFeed {
 public:
  ClusterKeyFeed(ClusterRegistry& registry, WorkerPool& pool) : registry_(registry), pool_(pool) {}
  ~ClusterKeyFeed() { Stop(); }
  ClusterKeyFeed(const ClusterKeyFeed&) = delete;
  ClusterKeyFeed& operator=(const ClusterKeyFeed&) = delete;

  // Subscribes to the registry, queues every member known now, then starts the pool. Once.
  void Start();
  // Unsubscribes, then stops the pool (WorkerPool::Stop: no reconcile runs after it returns).
  // Idempotent. The destructor calls it, so the pool must outlive the feed.
  void Stop();

 private:
  ClusterRegistry& registry_;
  WorkerPool& pool_;
  int listener_ = -1;  // -1: not subscribed
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLUSTER_KEY_FEED_H_
