#include "controller/cluster_key_feed.h"

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "controller/cluster_registry.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/worker_pool.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

// Counts the reconciles of each key.
class Counter {
 public:
  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key) {
    absl::MutexLock lock(&mu_);
    ++calls_[key];
    return ReconcileResult::Done();
  }
  // Waits until `key` was reconciled `n` times (a hang guard, not a timing assertion).
  bool AwaitCalls(const std::string& key, int n) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_[key] >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60));
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<const MemberCluster> Cluster(const std::string& name, bool ready) {
  auto c = std::make_shared<MemberCluster>();
  c->name = name;
  c->ready = ready;
  return c;
}

TEST(ClusterKeyFeedTest, QueuesKnownMembersAtStartAndEachChangeAfter) {
  ClusterRegistry registry;
  registry.Upsert(Cluster("member1", true));
  registry.MarkSynced();
  MetricsRegistry metrics;
  Counter counter;
  FuncReconciler reconciler([&](const std::string& key) { return counter.Reconcile(key); });
  WorkerPoolOptions options;
  options.name = "feed-test";
  WorkerPool pool(reconciler, metrics, std::move(options));
  ClusterKeyFeed feed(registry, pool);

  feed.Start();
  EXPECT_TRUE(counter.AwaitCalls("member1", 1)) << "a member known before Start()";
  registry.Upsert(Cluster("member2", false));
  EXPECT_TRUE(counter.AwaitCalls("member2", 1)) << "a member added after Start()";
  registry.Upsert(Cluster("member1", false));
  EXPECT_TRUE(counter.AwaitCalls("member1", 2)) << "a member that changed";
  registry.Remove("member2");
  EXPECT_TRUE(counter.AwaitCalls("member2", 2)) << "a member removed";
  feed.Stop();
  feed.Stop();                                // idempotent
  registry.Upsert(Cluster("member3", true));  // no listener left to call into a stopped pool
}

}  // namespace
}  // namespace kfed::controller
