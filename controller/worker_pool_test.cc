#include "controller/worker_pool.h"

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_registry.h"
#include "controller/metrics.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

// Returns scripted results per key (the last one repeats) and records every call.
class ScriptedReconciler : public Reconciler {
 public:
  void Script(const std::string& key, std::vector<absl::StatusOr<ReconcileResult>> results) {
    absl::MutexLock lock(&mu_);
    script_[key] = std::move(results);
  }
  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key) override {
    absl::MutexLock lock(&mu_);
    ++running_[key];
    max_running_ = std::max(max_running_, running_[key]);
    if (block_) {
      auto open = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !block_; };
      mu_.Await(absl::Condition(&open));
    }
    --running_[key];
    int n = calls_[key]++;
    auto it = script_.find(key);
    if (it == script_.end() || it->second.empty()) return ReconcileResult::Done();
    return it->second[std::min<size_t>(n, it->second.size() - 1)];
  }
  // Waits until `key` was reconciled `n` times (a hang guard, not a timing assertion).
  bool AwaitCalls(const std::string& key, int n) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_[key] >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60));
  }
  bool AwaitRunning(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto running = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_[key] > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&running), absl::Seconds(60));
  }
  int Calls(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return calls_[key];
  }
  void SetBlocked(bool b) {
    absl::MutexLock lock(&mu_);
    block_ = b;
  }
  int MaxRunning() {
    absl::MutexLock lock(&mu_);
    return max_running_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<absl::StatusOr<ReconcileResult>>> script_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> running_ ABSL_GUARDED_BY(mu_);
  int max_running_ ABSL_GUARDED_BY(mu_) = 0;
  bool block_ ABSL_GUARDED_BY(mu_) = false;
};

WorkerPoolOptions Options(int workers = 1) {
  WorkerPoolOptions o;
  o.name = "test";
  o.workers = workers;
  // 1 s, 2 s, 4 s ... so fake-clock steps are easy to follow.
  o.rate_limiter = std::make_unique<kube::ItemExponentialRateLimiter<std::string>>(
      absl::Seconds(1), absl::Seconds(100));
  return o;
}

TEST(WorkerPoolTest, SuccessForgetsAndCounts) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  WorkerPool pool(r, metrics, Options(), clock);
  pool.Start();
  pool.Add("ns/a");
  ASSERT_TRUE(r.AwaitCalls("ns/a", 1));
  pool.Stop();
  EXPECT_EQ(metrics.Counter("controller_runtime_reconcile_total", "", {"controller", "result"})
                ->Value({"test", "success"}),
            1);
  EXPECT_EQ(pool.queue().NumRequeues("ns/a"), 0);
}

TEST(WorkerPoolTest, ErrorIsRetriedWithBackoffThenForgotten) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  r.Script("k", {absl::UnavailableError("member down"), absl::UnavailableError("member down"),
                 ReconcileResult::Done()});
  WorkerPool pool(r, metrics, Options(), clock);
  pool.Start();
  pool.Add("k");
  ASSERT_TRUE(r.AwaitCalls("k", 1));
  clock.AwaitSleepers(1);  // the retry waits 1 s
  EXPECT_EQ(r.Calls("k"), 1);
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(r.AwaitCalls("k", 2));
  clock.AwaitSleepers(1);  // then 2 s
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(r.Calls("k"), 2);
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(r.AwaitCalls("k", 3));
  pool.Stop();
  EXPECT_EQ(pool.queue().NumRequeues("k"), 0);  // success forgot the backoff
  auto* total = metrics.Counter("controller_runtime_reconcile_total", "", {"controller", "result"});
  EXPECT_EQ(total->Value({"test", "error"}), 2);
  EXPECT_EQ(total->Value({"test", "success"}), 1);
  EXPECT_EQ(metrics.Counter("controller_runtime_reconcile_errors_total", "", {"controller"})
                ->Value({"test"}),
            2);
  // The queue's client-go series carry the pool's name, as controller_runtime_* do.
  EXPECT_EQ(metrics.Counter("workqueue_retries_total", "", {"name"})->Value({"test"}), 2);
  EXPECT_EQ(metrics.Counter("workqueue_adds_total", "", {"name"})->Value({"test"}), 3);
  EXPECT_EQ(metrics.Histogram("workqueue_work_duration_seconds", "", {"name"})->Value({"test"}),
            3);
}

TEST(WorkerPoolTest, TerminalErrorIsNotRetried) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  r.Script("bad", {absl::InvalidArgumentError("spec.template: not an object")});
  WorkerPool pool(r, metrics, Options(), clock);
  pool.Start();
  pool.Add("bad");
  pool.Add("good");
  ASSERT_TRUE(r.AwaitCalls("bad", 1));
  ASSERT_TRUE(r.AwaitCalls("good", 1));
  clock.Advance(absl::Hours(1));
  pool.Add("good");  // a later key is still processed: the bad one did not stop the pool
  ASSERT_TRUE(r.AwaitCalls("good", 2));
  pool.Stop();
  EXPECT_EQ(r.Calls("bad"), 1);
  EXPECT_EQ(pool.queue().Waiting(), 0u);
}

TEST(WorkerPoolTest, RequeueAfterWaitsOnTheClock) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  r.Script("k", {ReconcileResult::RequeueAfter(absl::Seconds(30)), ReconcileResult::Done()});
  WorkerPool pool(r, metrics, Options(), clock);
  pool.Start();
  pool.Add("k");
  ASSERT_TRUE(r.AwaitCalls("k", 1));
  clock.AwaitSleepers(1);
  clock.Advance(absl::Seconds(29));
  clock.AwaitSleepers(1);
  EXPECT_EQ(r.Calls("k"), 1);
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(r.AwaitCalls("k", 2));
  pool.Stop();
  EXPECT_EQ(metrics.Counter("controller_runtime_reconcile_total", "", {"controller", "result"})
                ->Value({"test", "requeue_after"}),
            1);
}

TEST(WorkerPoolTest, RequeueUsesPerKeyBackoff) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  r.Script("k", {ReconcileResult::Requeue(), ReconcileResult::Done()});
  WorkerPool pool(r, metrics, Options(), clock);
  pool.Start();
  pool.Add("k");
  ASSERT_TRUE(r.AwaitCalls("k", 1));
  clock.AwaitSleepers(1);
  EXPECT_EQ(pool.queue().NumRequeues("k"), 1);
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(r.AwaitCalls("k", 2));
  pool.Stop();
}

TEST(WorkerPoolTest, NothingRunsBeforeTheCachesSync) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  ClusterRegistry registry;
  WorkerPoolOptions o = Options(2);
  o.caches.push_back(RegistrySyncSource(registry));
  o.cache_sync_timeout = absl::Minutes(5);
  WorkerPool pool(r, metrics, std::move(o), clock);
  pool.Start();
  pool.Add("k");
  clock.AwaitSleepers(1);  // the one worker started waits for the registry, until the timeout
  EXPECT_FALSE(pool.CachesSynced());
  clock.Advance(absl::Minutes(6));  // past the timeout: logged, still waiting
  EXPECT_EQ(r.Calls("k"), 0);
  EXPECT_FALSE(pool.CachesSynced());
  registry.MarkSynced();
  ASSERT_TRUE(pool.WaitForCachesSynced());
  ASSERT_TRUE(r.AwaitCalls("k", 1));
  pool.Stop();
}

TEST(WorkerPoolTest, StopWakesWorkersWaitingForCaches) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  ClusterRegistry registry;
  WorkerPoolOptions o = Options(3);
  o.caches.push_back(RegistrySyncSource(registry));
  WorkerPool pool(r, metrics, std::move(o), clock);
  pool.Start();
  pool.Add("k");
  clock.AwaitSleepers(1);  // the one worker started (no key was taken: no other)
  pool.Stop();  // returns: no worker is left waiting on the registry
  EXPECT_FALSE(pool.WaitForCachesSynced());
  EXPECT_EQ(r.Calls("k"), 0);
}

TEST(WorkerPoolTest, OneKeyNeverRunsTwiceAtOnce) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  WorkerPool pool(r, metrics, Options(4), clock);
  pool.Start();
  r.SetBlocked(true);
  pool.Add("k");
  ASSERT_TRUE(r.AwaitRunning("k"));
  pool.Add("other");
  // While "k" is being reconciled, more adds only mark it dirty.
  for (int i = 0; i < 10; ++i) pool.Add("k");
  r.SetBlocked(false);
  ASSERT_TRUE(r.AwaitCalls("k", 2));  // the dirty mark gives exactly one more pass
  ASSERT_TRUE(r.AwaitCalls("other", 1));
  pool.Stop();
  EXPECT_EQ(r.MaxRunning(), 1);
  EXPECT_EQ(r.Calls("k"), 2);
}

TEST(WorkerPoolTest, StartsOneWorkerAndGrowsToTheLimitWithConcurrentWork) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  WorkerPool idle_pool(r, metrics, [] {
    WorkerPoolOptions o = Options(4);
    o.name = "idle";
    return o;
  }(), clock);
  idle_pool.Start();
  WorkerPool pool(r, metrics, Options(4), clock);
  pool.Start();
  EXPECT_EQ(pool.Threads(), 1);
  r.SetBlocked(true);
  // Each key taken while no other worker waits starts one more (a spare stays waiting), so
  // four blocked reconciles run at once, as with four workers started up front.
  for (const char* key : {"a", "b", "c", "d"}) {
    pool.Add(key);
    ASSERT_TRUE(r.AwaitRunning(key)) << key;
  }
  EXPECT_EQ(pool.Threads(), 4);
  pool.Add("e");  // no room: waits for a worker
  r.SetBlocked(false);
  for (const char* key : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(r.AwaitCalls(key, 1)) << key;
  pool.Stop();
  EXPECT_EQ(pool.Threads(), 0) << "joined";
  EXPECT_EQ(idle_pool.Threads(), 1) << "a pool that never got a key holds one thread";
  idle_pool.Stop();
}

TEST(WorkerPoolTest, StopDropsQueuedKeysAndIsIdempotent) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  WorkerPool pool(r, metrics, Options(), clock);
  pool.Start();
  pool.Stop();
  pool.Add("late");  // ignored after shutdown
  pool.Stop();
  EXPECT_EQ(r.Calls("late"), 0);
}

TEST(WorkerPoolTest, GaugesOfAStoppedPoolAreRemoved) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  {
    WorkerPool pool(r, metrics, Options(3), clock);
    pool.Start();
    EXPECT_NE(metrics.Render().find("controller_runtime_max_concurrent_reconciles{controller="
                                    "\"test\"} 3"),
              std::string::npos);
  }
  const std::string text = metrics.Render();
  EXPECT_EQ(text.find("controller_runtime_max_concurrent_reconciles{controller=\"test\"}"),
            std::string::npos);
  EXPECT_EQ(text.find("workqueue_depth{name=\"test\"}"), std::string::npos);
  EXPECT_NE(text.find("workqueue_adds_total{name=\"test\"} 0"), std::string::npos);
  // Counters exist at zero before any reconcile, as KubeFed registers them.
  EXPECT_NE(text.find("controller_runtime_reconcile_errors_total{controller=\"test\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("controller_runtime_reconcile_total{controller=\"test\",result=\"error\"} 0"),
            std::string::npos)
      << text;
}

TEST(WorkerPoolTest, StuckReconcileShowsAsUnfinishedWork) {
  FakeClock clock;
  MetricsRegistry metrics;
  ScriptedReconciler r;
  WorkerPool pool(r, metrics, Options(), clock);
  r.SetBlocked(true);
  pool.Start();
  pool.Add("stuck");
  pool.Add("next");
  ASSERT_TRUE(r.AwaitRunning("stuck"));
  clock.Advance(absl::Seconds(90));
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("workqueue_unfinished_work_seconds{name=\"test\"} 90\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("workqueue_longest_running_processor_seconds{name=\"test\"} 90\n"),
            std::string::npos);
  EXPECT_NE(text.find("workqueue_depth{name=\"test\"} 1\n"), std::string::npos);
  r.SetBlocked(false);
  ASSERT_TRUE(r.AwaitCalls("next", 1));
  pool.Stop();
}

}  // namespace
}  // namespace kfed::controller
