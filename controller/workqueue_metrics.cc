#include "controller/workqueue_metrics.h"

#include <utility>

#include "glog/logging.h"

namespace kfed::controller {
namespace {

// controller-runtime v0.10 pkg/metrics/workqueue.go, word for word.
constexpr char kAddsHelp[] = "Total number of adds handled by workqueue";
constexpr char kRetriesHelp[] = "Total number of retries handled by workqueue";
constexpr char kDepthHelp[] = "Current depth of workqueue";
constexpr char kQueueDurationHelp[] =
    "How long in seconds an item stays in workqueue before being requested";
constexpr char kWorkDurationHelp[] = "How long in seconds processing an item from workqueue takes.";
constexpr char kUnfinishedHelp[] =
    "How many seconds of work has been done that is in progress and hasn't been observed by "
    "work_duration. Large values indicate stuck threads. One can deduce the number of stuck "
    "threads by observing the rate at which this increases.";
constexpr char kLongestHelp[] =
    "How many seconds has the longest running processor for workqueue been running.";

}  // namespace

std::vector<double> WorkQueueMetricsRecorder::Buckets() {
  std::vector<double> buckets;
  double bound = 10e-9;
  for (int i = 0; i < 10; ++i) {
    buckets.push_back(bound);
    bound *= 10;
  }
  return buckets;
}

WorkQueueMetricsRecorder::WorkQueueMetricsRecorder(MetricsRegistry& registry, std::string name)
    : registry_(registry),
      name_(std::move(name)),
      adds_(registry.Counter("workqueue_adds_total", kAddsHelp, {"name"})->CounterSeries({name_})),
      retries_(registry.Counter("workqueue_retries_total", kRetriesHelp, {"name"})
                   ->CounterSeries({name_})),
      queue_duration_(registry
                          .Histogram("workqueue_queue_duration_seconds", kQueueDurationHelp,
                                     {"name"}, Buckets())
                          ->HistogramSeries({name_})),
      work_duration_(
          registry.Histogram("workqueue_work_duration_seconds", kWorkDurationHelp, {"name"},
                             Buckets())
              ->HistogramSeries({name_})),
      depth_(registry.Gauge("workqueue_depth", kDepthHelp, {"name"})),
      unfinished_(registry.Gauge("workqueue_unfinished_work_seconds", kUnfinishedHelp, {"name"})),
      longest_(registry.Gauge("workqueue_longest_running_processor_seconds", kLongestHelp,
                              {"name"})) {
  CHECK(!name_.empty());
  for (MetricFamily* gauge : {depth_, unfinished_, longest_}) gauge->Set({name_}, 0);
}

WorkQueueMetricsRecorder::~WorkQueueMetricsRecorder() { StopSampling(); }

void WorkQueueMetricsRecorder::Added() { adds_.Increment(); }

void WorkQueueMetricsRecorder::Taken(absl::Duration queued) {
  queue_duration_.Observe(absl::ToDoubleSeconds(queued));
}

void WorkQueueMetricsRecorder::Finished(absl::Duration worked) {
  work_duration_.Observe(absl::ToDoubleSeconds(worked));
}

void WorkQueueMetricsRecorder::Retried() { retries_.Increment(); }

void WorkQueueMetricsRecorder::StartSampling(std::function<kube::WorkQueueGauges()> gauges) {
  absl::MutexLock lock(&mu_);
  CHECK_EQ(hook_, -1) << name_ << ": StartSampling called twice";
  if (stopped_) return;
  hook_ = registry_.AddScrapeHook([this, gauges = std::move(gauges)] {
    const kube::WorkQueueGauges g = gauges();
    depth_->Set({name_}, static_cast<double>(g.depth));
    unfinished_->Set({name_}, absl::ToDoubleSeconds(g.unfinished_work));
    longest_->Set({name_}, absl::ToDoubleSeconds(g.longest_running));
  });
}

void WorkQueueMetricsRecorder::StopSampling() {
  int hook;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    hook = hook_;
  }
  // Outside mu_: removal waits for a scrape's hooks to finish.
  if (hook != -1) registry_.RemoveScrapeHook(hook);
  for (MetricFamily* gauge : {depth_, unfinished_, longest_}) gauge->Remove({name_});
}

}  // namespace kfed::controller
