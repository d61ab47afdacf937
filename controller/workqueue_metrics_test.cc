#include "controller/workqueue_metrics.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "controller/metrics.h"
#include "gtest/gtest.h"
#include "kube/workqueue.h"

namespace kfed::controller {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(WorkQueueMetricsTest, EverySeriesExistsAtZeroWithControllerRuntimeShape) {
  MetricsRegistry metrics;
  WorkQueueMetricsRecorder recorder(metrics, "federatedtypeconfig");
  const std::string text = metrics.Render();
  for (const char* line : {
           "# TYPE workqueue_adds_total counter",
           "workqueue_adds_total{name=\"federatedtypeconfig\"} 0",
           "# TYPE workqueue_retries_total counter",
           "workqueue_retries_total{name=\"federatedtypeconfig\"} 0",
           "# TYPE workqueue_depth gauge",
           "# HELP workqueue_depth Current depth of workqueue",
           "workqueue_depth{name=\"federatedtypeconfig\"} 0",
           "workqueue_unfinished_work_seconds{name=\"federatedtypeconfig\"} 0",
           "workqueue_longest_running_processor_seconds{name=\"federatedtypeconfig\"} 0",
           "# TYPE workqueue_queue_duration_seconds histogram",
           "workqueue_queue_duration_seconds_count{name=\"federatedtypeconfig\"} 0",
           "# TYPE workqueue_work_duration_seconds histogram",
           "workqueue_work_duration_seconds_sum{name=\"federatedtypeconfig\"} 0",
       }) {
    EXPECT_TRUE(Has(text, line)) << line << "\nin:\n" << text;
  }
  // Go's ExponentialBuckets(10e-9, 10, 10) as client_golang prints the bounds.
  for (const char* le : {"1e-08", "1e-07", "1e-06", "9.999999999999999e-06",
                         "9.999999999999999e-05", "0.001", "0.01", "0.1", "1", "10", "+Inf"}) {
    for (const char* family : {"workqueue_queue_duration_seconds", "workqueue_work_duration_seconds"}) {
      const std::string line =
          absl::StrCat(family, "_bucket{name=\"federatedtypeconfig\",le=\"", le, "\"} 0");
      EXPECT_TRUE(Has(text, line)) << line << "\nin:\n" << text;
    }
  }
}

TEST(WorkQueueMetricsTest, QueueEventsAndScrapedGauges) {
  FakeClock clock;
  MetricsRegistry metrics;
  WorkQueueMetricsRecorder recorder(metrics, "q");
  kube::WorkQueue<std::string> queue(clock, nullptr, &recorder);
  recorder.StartSampling([&queue] { return queue.Gauges(); });

  queue.Add("a");
  queue.Add("b");
  queue.AddAfter("c", absl::Seconds(30));
  clock.Advance(absl::Milliseconds(20));
  ASSERT_EQ(*queue.Get(), "a");
  clock.Advance(absl::Seconds(2));

  std::string text = metrics.Render();
  EXPECT_TRUE(Has(text, "workqueue_adds_total{name=\"q\"} 2")) << text;
  EXPECT_TRUE(Has(text, "workqueue_retries_total{name=\"q\"} 1")) << text;
  EXPECT_TRUE(Has(text, "workqueue_depth{name=\"q\"} 1")) << text;  // b (c is waiting)
  EXPECT_TRUE(Has(text, "workqueue_unfinished_work_seconds{name=\"q\"} 2")) << text;
  EXPECT_TRUE(Has(text, "workqueue_longest_running_processor_seconds{name=\"q\"} 2")) << text;
  // a waited 20 ms: in the 0.1 bucket, not in 0.01.
  EXPECT_TRUE(Has(text, "workqueue_queue_duration_seconds_bucket{name=\"q\",le=\"0.01\"} 0"))
      << text;
  EXPECT_TRUE(Has(text, "workqueue_queue_duration_seconds_bucket{name=\"q\",le=\"0.1\"} 1"))
      << text;

  ASSERT_EQ(*queue.Get(), "b");
  clock.Advance(absl::Seconds(1));
  queue.Done("a");  // 3 s of work
  text = metrics.Render();
  EXPECT_TRUE(Has(text, "workqueue_depth{name=\"q\"} 0")) << text;
  EXPECT_TRUE(Has(text, "workqueue_unfinished_work_seconds{name=\"q\"} 1")) << text;
  EXPECT_TRUE(Has(text, "workqueue_work_duration_seconds_bucket{name=\"q\",le=\"1\"} 0")) << text;
  EXPECT_TRUE(Has(text, "workqueue_work_duration_seconds_bucket{name=\"q\",le=\"10\"} 1")) << text;
  EXPECT_TRUE(Has(text, "workqueue_work_duration_seconds_sum{name=\"q\"} 3")) << text;
  queue.Done("b");

  // A queue that ended: the gauges go, counters and histograms stay.
  recorder.StopSampling();
  recorder.StopSampling();  // idempotent
  text = metrics.Render();
  EXPECT_EQ(text.find("workqueue_depth{name=\"q\"}"), std::string::npos) << text;
  EXPECT_EQ(text.find("workqueue_unfinished_work_seconds{name=\"q\"}"), std::string::npos);
  EXPECT_EQ(text.find("workqueue_longest_running_processor_seconds{name=\"q\"}"),
            std::string::npos);
  EXPECT_TRUE(Has(text, "workqueue_adds_total{name=\"q\"} 2")) << text;
  EXPECT_TRUE(Has(text, "workqueue_work_duration_seconds_count{name=\"q\"} 2")) << text;
}

// A cluster's pool replaced by a new one with the same name (new credentials): the old one's
// StopSampling must not leave the new one without gauges.
TEST(WorkQueueMetricsTest, ReplacedQueueKeepsItsGauges) {
  FakeClock clock;
  MetricsRegistry metrics;
  auto old_recorder = std::make_unique<WorkQueueMetricsRecorder>(metrics, "sync-x@m1");
  kube::WorkQueue<std::string> old_queue(clock, nullptr, old_recorder.get());
  old_recorder->StartSampling([&old_queue] { return old_queue.Gauges(); });
  WorkQueueMetricsRecorder recorder(metrics, "sync-x@m1");
  kube::WorkQueue<std::string> queue(clock, nullptr, &recorder);
  recorder.StartSampling([&queue] { return queue.Gauges(); });
  queue.Add("k");
  old_recorder.reset();
  const std::string text = metrics.Render();
  EXPECT_TRUE(Has(text, "workqueue_depth{name=\"sync-x@m1\"} 1")) << text;
  EXPECT_TRUE(Has(text, "workqueue_adds_total{name=\"sync-x@m1\"} 1")) << text;
}

}  // namespace
}  // namespace kfed::controller
