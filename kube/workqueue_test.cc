#include "kube/workqueue.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/testing.h"
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

}  // namespace
}  // namespace kfed::kube
