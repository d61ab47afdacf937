#include "controller/on_demand_thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/notification.h"

namespace kfed::controller {
namespace {

TEST(OnDemandThreadPoolTest, StartsNoThreadUntilATaskComes) {
  OnDemandThreadPool pool(8);
  EXPECT_EQ(pool.Threads(), 0);
  absl::Notification ran;
  pool.enqueue([&] { ran.Notify(); });
  ran.WaitForNotification();
  EXPECT_EQ(pool.Threads(), 1);
}

TEST(OnDemandThreadPoolTest, ATaskQueuedWhileAThreadWaitsRunsOnIt) {
  OnDemandThreadPool pool(8);
  for (int i = 0; i < 20; ++i) {
    absl::Notification ran;
    pool.enqueue([&] { ran.Notify(); });
    ran.WaitForNotification();
    while (pool.Waiting() < 1) absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(pool.Threads(), 1);
}

TEST(OnDemandThreadPoolTest, RunsConcurrentTasksOnThreadsOfTheirOwnUpToTheLimit) {
  OnDemandThreadPool pool(3);
  absl::Notification release;
  std::atomic<int> running{0};
  for (int i = 0; i < 3; ++i) {
    pool.enqueue([&] {
      running.fetch_add(1);
      release.WaitForNotification();
    });
  }
  // Three blocked tasks run at once (like three open long polls).
  while (running.load() < 3) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(pool.Threads(), 3);
  // A fourth waits for a free thread instead of starting a fourth one.
  absl::Notification fourth;
  pool.enqueue([&] { fourth.Notify(); });
  EXPECT_FALSE(fourth.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  EXPECT_EQ(pool.Threads(), 3);
  release.Notify();
  fourth.WaitForNotification();
  EXPECT_EQ(pool.Threads(), 3);
}

TEST(OnDemandThreadPoolTest, ShutdownRunsQueuedTasksJoinsAndDropsLaterOnes) {
  OnDemandThreadPool pool(1);
  absl::Notification release;
  std::atomic<int> done{0};
  pool.enqueue([&] {
    release.WaitForNotification();
    done.fetch_add(1);
  });
  pool.enqueue([&] { done.fetch_add(1); });  // queued behind the first (limit 1)
  release.Notify();
  pool.shutdown();
  EXPECT_EQ(done.load(), 2);
  pool.enqueue([&] { done.fetch_add(1); });
  pool.shutdown();  // idempotent
  EXPECT_EQ(done.load(), 2);
  EXPECT_EQ(pool.Threads(), 0);
}

}  // namespace
}  // namespace kfed::controller
