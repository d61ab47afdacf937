#include "controller/worker_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/cluster_registry.h"
#include "glog/logging.h"
#include "kube/informer.h"

namespace kfed::controller {

CacheSyncSource InformerSyncSource(std::string name, const kube::Informer& informer) {
  return {std::move(name), [&informer](Clock& clock, absl::Time deadline,
                                       const CancellationToken& stop) {
            return informer.WaitForSync(clock, deadline, stop);
          }};
}

CacheSyncSource RegistrySyncSource(const ClusterRegistry& registry) {
  return {"KubeFedCluster list", [&registry](Clock& clock, absl::Time deadline,
                                             const CancellationToken& stop) {
            return registry.WaitForSync(clock, deadline, stop);
          }};
}

WorkerPool::WorkerPool(Reconciler& reconciler, MetricsRegistry& metrics,
                       WorkerPoolOptions options, Clock& clock)
    : reconciler_(reconciler),
      options_(std::move(options)),
      clock_(clock),
      queue_metrics_(metrics, options_.name),
      queue_(clock, std::move(options_.rate_limiter), &queue_metrics_) {
  CHECK(!options_.name.empty());
  CHECK_GE(options_.workers, 1);
  total_ = metrics.Counter("controller_runtime_reconcile_total",
                           "Reconciliations per controller and result.", {"controller", "result"});
  errors_ = metrics.Counter("controller_runtime_reconcile_errors_total",
                            "Reconciliations that returned an error, per controller.",
                            {"controller"});
  duration_ = metrics.Histogram("controller_runtime_reconcile_time_seconds",
                                "Time per reconciliation, per controller.", {"controller"});
  active_ = metrics.Gauge("controller_runtime_active_workers",
                          "Workers reconciling right now, per controller.", {"controller"});
  max_workers_ = metrics.Gauge("controller_runtime_max_concurrent_reconciles",
                               "Workers per controller.", {"controller"});
  max_workers_->Set({options_.name}, options_.workers);
  active_->Set({options_.name}, 0);
  // At zero from the start, as KubeFed's workers (initMetrics) and controller-runtime do:
  // rate() and alerts on errors see a series before the first error.
  errors_->Add({options_.name}, 0);
  for (const char* result : {"success", "requeue", "requeue_after", "error"}) {
    total_->Add({options_.name, result}, 0);
  }
  queue_metrics_.StartSampling([this] { return queue_.Gauges(); });
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  absl::MutexLock lock(&mu_);
  CHECK(!started_) << options_.name << ": Start() called twice";
  started_ = true;
  if (stopped_) return;
  // One worker now; more as keys arrive (SpawnIfNoneIdle), up to options_.workers.
  threads_.emplace_back([this] { Worker(0); });
}

void WorkerPool::SpawnIfNoneIdle() {
  if (idle_.load(std::memory_order_acquire) > 0) return;
  absl::MutexLock lock(&mu_);
  if (stopped_ || static_cast<int>(threads_.size()) >= options_.workers) return;
  const int index = static_cast<int>(threads_.size());
  threads_.emplace_back([this, index] { Worker(index); });
}

int WorkerPool::Threads() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(threads_.size());
}

void WorkerPool::Stop() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    threads.swap(threads_);
  }
  stop_.Cancel();
  queue_.ShutDown();
  for (std::thread& t : threads) t.join();
  // Gauges describe running pools only (a cluster's pool ends when it leaves); counters stay.
  queue_metrics_.StopSampling();
  active_->Remove({options_.name});
  max_workers_->Remove({options_.name});
}

bool WorkerPool::CachesSynced() const {
  absl::MutexLock lock(&mu_);
  return caches_synced_;
}

bool WorkerPool::WaitForCachesSynced() const {
  return AwaitUnlessCancelled(
      clock_, mu_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return caches_synced_; },
      absl::InfiniteFuture(), {&stop_});
}

bool WorkerPool::AwaitCaches(bool log_when_late) {
  if (CachesSynced()) return true;
  absl::Time deadline = clock_.Now() + options_.cache_sync_timeout;
  for (const CacheSyncSource& cache : options_.caches) {
    while (!cache.wait(clock_, deadline, stop_)) {
      // Without a deadline, only a stop (of the pool or of the cache) ends the wait.
      if (stop_.IsCancelled() || deadline == absl::InfiniteFuture()) return false;
      if (log_when_late) {
        LOG(ERROR) << options_.name << ": caches not synced after "
                   << options_.cache_sync_timeout << ": waiting for the " << cache.name
                   << " (nothing is reconciled until it has synced; check that the cluster is "
                      "reachable and kfed may list the resource)";
      }
      deadline = absl::InfiniteFuture();
    }
  }
  absl::MutexLock lock(&mu_);
  caches_synced_ = true;
  return true;
}

void WorkerPool::Worker(int index) {
  if (!AwaitCaches(/*log_when_late=*/index == 0)) return;
  const std::string& name = options_.name;
  for (;;) {
    idle_.fetch_add(1, std::memory_order_acq_rel);
    std::optional<std::string> key = queue_.Get();
    const bool last_idle = idle_.fetch_sub(1, std::memory_order_acq_rel) == 1;
    if (!key.has_value()) break;
    if (stop_.IsCancelled()) {  // Stop() drops what is still queued
      queue_.Done(*key);
      break;
    }
    // Keep one worker waiting while there is room, so a key that arrives during this
    // reconcile (or becomes due after a delay) starts at once, as with all workers started.
    if (last_idle) SpawnIfNoneIdle();
    if (options_.on_take) options_.on_take(static_cast<int>(queue_.Len()));
    active_->Add({name}, 1);
    const absl::Time start = clock_.Now();
    absl::StatusOr<ReconcileResult> result = reconciler_.Reconcile(*key);
    duration_->Observe({name}, absl::ToDoubleSeconds(clock_.Now() - start));
    active_->Add({name}, -1);
    ProcessResult(*key, result);
    queue_.Done(*key);
  }
}

void WorkerPool::ProcessResult(const std::string& key,
                               const absl::StatusOr<ReconcileResult>& result) {
  const std::string& name = options_.name;
  if (!result.ok()) {
    total_->Add({name, "error"});
    errors_->Add({name});
    if (IsTerminalReconcileError(result.status())) {
      LOG(WARNING) << name << ": " << key << ": " << result.status()
                   << " (not retried until the object changes)";
      queue_.Forget(key);
    } else {
      LOG(WARNING) << name << ": " << key << ": " << result.status() << " (retrying)";
      queue_.AddRateLimited(key);
    }
    return;
  }
  if (result->requeue_after > absl::ZeroDuration()) {
    total_->Add({name, "requeue_after"});
    queue_.Forget(key);
    queue_.AddAfter(key, result->requeue_after);
  } else if (result->requeue) {
    total_->Add({name, "requeue"});
    queue_.AddRateLimited(key);
  } else {
    total_->Add({name, "success"});
    queue_.Forget(key);
  }
}

}  // namespace kfed::controller
