// client-go's workqueue metrics for one queue, with the names, types, help, label and buckets
// of controller-runtime v0.10 (sigs.k8s.io/controller-runtime/pkg/metrics/workqueue.go), the
// provider KubeFed v0.10's queues report through. Label `name`: the queue's (= the pool's)
// name, the same value as the `controller` label of controller_runtime_*, as in KubeFed.
//   workqueue_adds_total, workqueue_retries_total                    (counters)
//   workqueue_queue_duration_seconds, workqueue_work_duration_seconds
//       (histograms; buckets 1e-8 s x10 ... 10 s, Go's ExponentialBuckets(10e-9, 10, 10))
//   workqueue_depth, workqueue_unfinished_work_seconds,
//   workqueue_longest_running_processor_seconds                      (gauges)
// Every series exists at zero from construction, as controller-runtime creates them with
// the queue. The per-item events (kube::WorkQueueMetrics) record through series resolved
// once: atomics and the histogram's own leaf lock, no label lookup, no shared lock. The
// gauges are read from the queue at each scrape (client-go samples unfinished work every
// 500 ms on a goroutine per queue; a scrape hook gives the same values, current, with no
// thread). Counters and histograms stay after the queue ends (controller-runtime never
// deletes them); the gauges go with StopSampling().
#ifndef KFED_CONTROLLER_WORKQUEUE_METRICS_H_
#define KFED_CONTROLLER_WORKQUEUE_METRICS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/metrics.h"
#include "kube/workqueue.h"

namespace kfed::controller {

class WorkQueueMetricsRecorder : public kube::WorkQueueMetrics {
 public:
  // Registers the families in `registry` (once per registry; borrowed, must outlive this)
  // and creates the series of queue `name` at zero.
  WorkQueueMetricsRecorder(MetricsRegistry& registry, std::string name);
  ~WorkQueueMetricsRecorder() override;  // StopSampling()
  WorkQueueMetricsRecorder(const WorkQueueMetricsRecorder&) = delete;
  WorkQueueMetricsRecorder& operator=(const WorkQueueMetricsRecorder&) = delete;

  // kube::WorkQueueMetrics; called by the queue with its lock held.
  void Added() override;
  void Taken(absl::Duration queued) override;
  void Finished(absl::Duration worked) override;
  void Retried() override;

  // From now on every scrape sets the gauges from `gauges` (the queue's Gauges()), which
  // must stay callable until StopSampling() returns. Once only.
  void StartSampling(std::function<kube::WorkQueueGauges()> gauges) ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the sampling (when it returns, `gauges` is not running and never will) and removes
  // the gauge series: a queue that ended (a cluster that left) shows no depth. Idempotent.
  void StopSampling() ABSL_LOCKS_EXCLUDED(mu_);

  // Go's prometheus.ExponentialBuckets(10e-9, 10, 10), computed the same way, so the `le`
  // labels are the same strings (1e-08 ... 9.999999999999999e-06 ... 10).
  static std::vector<double> Buckets();

 private:
  MetricsRegistry& registry_;
  const std::string name_;
  prometheus::Counter& adds_;
  prometheus::Counter& retries_;
  prometheus::Histogram& queue_duration_;
  prometheus::Histogram& work_duration_;
  MetricFamily* const depth_;
  MetricFamily* const unfinished_;
  MetricFamily* const longest_;

  absl::Mutex mu_;
  int hook_ ABSL_GUARDED_BY(mu_) = -1;  // the scrape hook's id while sampling
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_WORKQUEUE_METRICS_H_
