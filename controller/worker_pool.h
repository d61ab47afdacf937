// The reconciler runtime: a work queue and the workers that drain it into a Reconciler.
// One pool per queue of a controller (the FTC controller, a sync controller's host and
// finalizer queues, each member cluster's queue of a sync controller).
//
// Each worker: waits until every cache the pool depends on has synced (nothing is decided
// from a cache that is still filling), then loops Get -> Reconcile -> (Forget | AddAfter |
// AddRateLimited) -> Done until Stop(). Results and errors follow controller/reconciler.h;
// errors are logged with the controller's name and key. Metrics (controller-runtime's names,
// label `controller` = the pool's name):
//   controller_runtime_reconcile_total{controller,result}  result: success, requeue,
//       requeue_after, error
//   controller_runtime_reconcile_errors_total{controller}
//   controller_runtime_reconcile_time_seconds{controller}   (histogram)
//   controller_runtime_active_workers{controller}           (gauge)
//   controller_runtime_max_concurrent_reconciles{controller} (gauge)
// (the counters' series exist at zero from construction, as KubeFed's workers register them)
// and the queue's client-go workqueue_* series with `name` = the pool's name
// (controller/workqueue_metrics.h).
// Threads: up to `workers` threads owned by the pool, joined by Stop(). Start() starts one;
// a worker that takes a key while no other waits for one starts another (until `workers`),
// so one worker is always waiting while there is room, and a pool that never gets a key (a
// type with no objects, on every member) holds one thread instead of `workers` (the
// benchmark's controller ran 443 threads, 243 of them idle workers; docs/benchmarks.md).
// Add*/queue() are safe from any thread (informer handlers enqueue here).
#ifndef KFED_CONTROLLER_WORKER_POOL_H_
#define KFED_CONTROLLER_WORKER_POOL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/workqueue_metrics.h"
#include "kube/workqueue.h"

namespace kfed::kube {
class Informer;
}

namespace kfed::controller {

class ClusterRegistry;

// A cache the pool waits for before its first reconcile.
struct CacheSyncSource {
  std::string name;  // for the log line when it is late, e.g. "FederatedConfigMap informer"
  // Blocks until the cache has synced (true), `deadline` passes on `clock` or `stop` is
  // cancelled (false). Must wake on `stop` without polling.
  std::function<bool(Clock& clock, absl::Time deadline, const CancellationToken& stop)> wait;
};
CacheSyncSource InformerSyncSource(std::string name, const kube::Informer& informer);
CacheSyncSource RegistrySyncSource(const ClusterRegistry& registry);

struct WorkerPoolOptions {
  // The controller's name: the metrics' `controller` label and the log prefix.
  std::string name;
  int workers = 1;
  std::vector<CacheSyncSource> caches;
  // After this long without synced caches the pool logs an error naming the late caches
  // and keeps waiting (KubeFedConfig spec.controllerDuration.cacheSyncTimeout).
  absl::Duration cache_sync_timeout = absl::Minutes(5);
  // Called by a worker after it took a key, with the queue's length (e.g. per-cluster
  // depth gauges); may be empty.
  std::function<void(int queue_length)> on_take;
  // The queue's rate limiter; null: client-go's default controller rate limiter.
  std::unique_ptr<kube::RateLimiter<std::string>> rate_limiter;
};

class WorkerPool {
 public:
  // `reconciler` and `metrics` are borrowed and must outlive the pool.
  WorkerPool(Reconciler& reconciler, MetricsRegistry& metrics, WorkerPoolOptions options,
             Clock& clock = Clock::Real());
  ~WorkerPool();  // Stop()s
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts the workers. Once only.
  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Shuts the queue down (keys still queued are dropped), wakes workers waiting for caches,
  // waits for the reconciles in progress and joins the workers. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  void Add(const std::string& key) { queue_.Add(key); }
  void AddAfter(const std::string& key, absl::Duration d) { queue_.AddAfter(key, d); }
  kube::WorkQueue<std::string>& queue() { return queue_; }
  const std::string& name() const { return options_.name; }

  // True once a worker found every cache synced (always true without caches).
  bool CachesSynced() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until the caches synced or the pool stopped; true if synced. For tests and
  // start-up sequencing.
  bool WaitForCachesSynced() const ABSL_LOCKS_EXCLUDED(mu_);
  // Worker threads started so far (tests, memory accounting).
  int Threads() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Worker(int index);
  // Starts one more worker when none is waiting in Get() and the pool has room.
  void SpawnIfNoneIdle() ABSL_LOCKS_EXCLUDED(mu_);
  // Returns false if the pool stopped before the caches synced.
  bool AwaitCaches(bool log_when_late);
  void ProcessResult(const std::string& key, const absl::StatusOr<ReconcileResult>& result);

  Reconciler& reconciler_;
  WorkerPoolOptions options_;  // rate_limiter moved into queue_
  Clock& clock_;
  WorkQueueMetricsRecorder queue_metrics_;  // outlives queue_, which reports to it
  kube::WorkQueue<std::string> queue_;
  CancellationToken stop_;

  MetricFamily* total_;
  MetricFamily* errors_;
  MetricFamily* duration_;
  MetricFamily* active_;
  MetricFamily* max_workers_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool caches_synced_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> idle_{0};  // workers waiting in queue_.Get()
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_WORKER_POOL_H_
