// The reconciler runtime's per-key overhead: keys through a WorkerPool (queue, metrics,
// worker hand-off) with a reconciler that does nothing, and the bare WorkQueue with and
// without client-go's workqueue metrics. docs/benchmarks.md has the numbers.
//
//   bazel build -c opt //bench:worker_pool_benchmark &&
//   bazel-out/k8-opt/bin/bench/worker_pool_benchmark --benchmark_repetitions=5
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "controller/metrics.h"
#include "controller/worker_pool.h"
#include "controller/workqueue_metrics.h"
#include "kube/workqueue.h"

namespace kfed::controller {
namespace {

// Counts reconciles; Await(n) returns once n were done.
class CountingReconciler : public Reconciler {
 public:
  absl::StatusOr<ReconcileResult> Reconcile(const std::string&) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    return ReconcileResult::Done();
  }
  void Await(int64_t n) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ >= n; };
    mu_.Await(absl::Condition(&done));
  }

 private:
  absl::Mutex mu_;
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
};

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(absl::StrCat("team-", i % 20, "/object-", i));
  return keys;
}

// state.range(0) workers; 10,000 distinct keys per iteration, added by one thread (an
// informer's handler) while the workers drain them.
void BM_WorkerPoolKeys(benchmark::State& state) {
  MetricsRegistry metrics;
  CountingReconciler reconciler;
  WorkerPoolOptions options;
  options.name = "bench";
  options.workers = static_cast<int>(state.range(0));
  WorkerPool pool(reconciler, metrics, std::move(options));
  pool.Start();
  const std::vector<std::string> keys = Keys(10000);
  int64_t total = 0;
  for (auto _ : state) {
    for (const std::string& key : keys) pool.Add(key);
    total += static_cast<int64_t>(keys.size());
    reconciler.Await(total);
  }
  pool.Stop();
  state.SetItemsProcessed(total);
}
// CPU time: of the whole process (the workers too), which a loaded machine does not inflate.
BENCHMARK(BM_WorkerPoolKeys)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

// Add, Get, Done of one key on one thread: the queue's own cost per key.
void BM_WorkQueueAddGetDone(benchmark::State& state) {
  MetricsRegistry metrics;
  WorkQueueMetricsRecorder recorder(metrics, "bench");
  const bool with_metrics = state.range(0) != 0;
  kube::WorkQueue<std::string> queue(Clock::Real(), nullptr,
                                     with_metrics ? &recorder : nullptr);
  const std::vector<std::string> keys = Keys(1000);
  size_t i = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ % keys.size()];
    queue.Add(key);
    std::optional<std::string> got = queue.Get();
    queue.Done(*got);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WorkQueueAddGetDone)->Arg(0)->Arg(1);

}  // namespace
}  // namespace kfed::controller
