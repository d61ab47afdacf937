#include "kube/workqueue.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kfed::kube {
namespace {

TEST(WorkQueueTest, DeduplicatesAndKeepsOrder) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(*q.Get(), "a");
  EXPECT_EQ(*q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, DirtyWhileProcessingIsRequeuedAfterDone) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.Add("a");
  std::string key = *q.Get();
  q.Add("a");  // while processing: not handed out again yet
  q.Add("a");
  EXPECT_EQ(q.Len(), 0u);
  q.Done(key);
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(*q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, AddAfterUsesTheClock) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  q.AddAfter("late", absl::Seconds(10));
  q.AddAfter("later", absl::Seconds(20));
  q.AddAfter("late", absl::Seconds(30));  // keeps the earlier time
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.Waiting(), 2u);
  clock.Advance(absl::Seconds(9));
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(*q.Get(), "late");
  EXPECT_EQ(q.Waiting(), 1u);
}

TEST(WorkQueueTest, DrainedTablesAreFreedSmallOnesKept) {
  absl::flat_hash_map<std::string, int> burst;
  for (int i = 0; i < 1000; ++i) burst[absl::StrCat("k", i)] = i;
  ReleaseIfDrained(burst);
  EXPECT_GT(burst.capacity(), 1000u) << "not empty: kept";
  for (int i = 0; i < 1000; ++i) burst.erase(absl::StrCat("k", i));
  ReleaseIfDrained(burst);
  EXPECT_EQ(burst.capacity(), 0u);
  burst["again"] = 1;
  EXPECT_EQ(burst.at("again"), 1);

  absl::flat_hash_map<std::string, int> small;
  small["a"] = 1;
  small.erase("a");
  const size_t capacity = small.capacity();
  ReleaseIfDrained(small);
  EXPECT_EQ(small.capacity(), capacity);
}

TEST(WorkQueueTest, RateLimitedBackoffGrowsAndForgetResets) {
  FakeClock clock;
  WorkQueue<std::string> q(clock);
  ItemExponentialRateLimiter<std::string> limiter(absl::Milliseconds(5), absl::Seconds(1000));
  EXPECT_EQ(limiter.When("k"), absl::Milliseconds(5));
  EXPECT_EQ(limiter.When("k"), absl::Milliseconds(10));
  EXPECT_EQ(limiter.When("k"), absl::Milliseconds(20));
  for (int i = 0; i < 40; ++i) limiter.When("k");
  EXPECT_EQ(limiter.When("k"), absl::Seconds(1000));
  limiter.Forget("k");
  EXPECT_EQ(limiter.When("k"), absl::Milliseconds(5));

  q.AddRateLimited("x");
  q.AddRateLimited("x");
  EXPECT_EQ(q.NumRequeues("x"), 2);
  clock.Advance(absl::Milliseconds(5));
  EXPECT_EQ(*q.Get(), "x");  // first delay (5ms) passed; the second (10ms) merges into it
  q.Done("x");
  q.Forget("x");
  EXPECT_EQ(q.NumRequeues("x"), 0);
}

TEST(WorkQueueTest, OverallBucketSpreadsBursts) {
  FakeClock clock;
  auto limiter = DefaultControllerRateLimiter<std::string>(clock);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter->When(absl::StrCat("k", i)), absl::Milliseconds(5));
  EXPECT_EQ(limiter->When("k100"), absl::Milliseconds(100));  // bucket empty: 10 qps
}

TEST(WorkQueueTest, ShutDownUnblocksAndDrains) {
  WorkQueue<std::string> q;
  q.Add("a");
  std::thread worker([&] {
    EXPECT_EQ(*q.Get(), "a");
    q.Done("a");
    EXPECT_FALSE(q.Get().has_value());
  });
  q.ShutDown();  // the worker still gets "a": shutdown drains the queue first
  worker.join();
  q.Add("b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, NoKeyIsProcessedByTwoWorkersAtOnce) {
  WorkQueue<int> q(Clock::Real(), std::make_unique<ItemExponentialRateLimiter<int>>(absl::ZeroDuration(), absl::ZeroDuration()));
  constexpr int kKeys = 8;
  std::atomic<int> in_flight[kKeys] = {};
  std::atomic<int> violations{0}, processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        if (in_flight[*key].fetch_add(1) != 0) ++violations;
        std::this_thread::yield();
        in_flight[*key].fetch_sub(1);
        ++processed;
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 20000; ++i) q.Add(i % kKeys);
  EXPECT_TRUE(::kfed::testing::Eventually([&] { return q.Len() == 0; }));
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(processed.load(), 0);
}

// Records the events as client-go's default queue metrics would see them.
class RecordingMetrics : public WorkQueueMetrics {
 public:
  void Added() override { ++adds; }
  void Taken(absl::Duration queued) override { queue_latencies.push_back(queued); }
  void Finished(absl::Duration worked) override { work_durations.push_back(worked); }
  void Retried() override { ++retries; }
  int adds = 0;
  int retries = 0;
  std::vector<absl::Duration> queue_latencies;
  std::vector<absl::Duration> work_durations;
};

TEST(WorkQueueTest, MetricsFollowClientGo) {
  FakeClock clock;
  RecordingMetrics m;
  WorkQueue<std::string> q(clock, nullptr, &m);
  q.Add("a");
  q.Add("a");  // deduplicated: not an add
  q.Add("b");
  EXPECT_EQ(m.adds, 2);
  EXPECT_EQ(q.Gauges().depth, 2u);

  clock.Advance(absl::Seconds(3));
  ASSERT_EQ(*q.Get(), "a");
  ASSERT_THAT(m.queue_latencies, ::testing::ElementsAre(absl::Seconds(3)));
  EXPECT_EQ(q.Gauges().depth, 1u);

  clock.Advance(absl::Seconds(2));
  ASSERT_EQ(*q.Get(), "b");
  clock.Advance(absl::Seconds(1));
  // a for 3 s, b for 1 s.
  WorkQueueGauges g = q.Gauges();
  EXPECT_EQ(g.depth, 0u);
  EXPECT_EQ(g.unfinished_work, absl::Seconds(4));
  EXPECT_EQ(g.longest_running, absl::Seconds(3));

  // Added while processing: counted (and in depth, as client-go) but handed out after Done.
  q.Add("a");
  EXPECT_EQ(m.adds, 3);
  EXPECT_EQ(q.Gauges().depth, 1u);
  q.Done("a");
  ASSERT_THAT(m.work_durations, ::testing::ElementsAre(absl::Seconds(3)));
  q.Done("a");  // not handed out: nothing to observe
  EXPECT_EQ(m.work_durations.size(), 1u);
  clock.Advance(absl::Seconds(5));
  ASSERT_EQ(*q.Get(), "a");
  EXPECT_EQ(m.queue_latencies.back(), absl::Seconds(5));  // since the add during processing
  q.Done("a");
  q.Done("b");
  g = q.Gauges();
  EXPECT_EQ(g.unfinished_work, absl::ZeroDuration());
  EXPECT_EQ(g.longest_running, absl::ZeroDuration());

  // Every AddAfter / AddRateLimited is a retry; the key is an add when it comes due.
  q.AddAfter("c", absl::Seconds(1));
  q.AddRateLimited("c");
  q.AddAfter("d", absl::ZeroDuration());
  EXPECT_EQ(m.retries, 3);
  EXPECT_EQ(m.adds, 4);  // d at once
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(m.adds, 5);

  q.ShutDown();
  q.Add("e");
  q.AddAfter("e", absl::Seconds(1));
  EXPECT_EQ(m.adds, 5);
  EXPECT_EQ(m.retries, 3);
}

}  // namespace
}  // namespace kfed::kube
