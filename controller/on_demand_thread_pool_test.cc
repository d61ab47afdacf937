#include "controller/on_demand_thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/notification.h"

namespace kfed::controller {
namespace {

// In each test the pool is declared after everything its tasks use: it is destroyed (its
// threads joined) first, so no task touches a destroyed notification (TSan).

TEST(OnDemandThreadPoolTest, StartsNoThreadUntilATaskComes) {
  absl::Notification ran;
  OnDemandThreadPool pool(8);
  EXPECT_EQ(pool.Threads(), 0);
  pool.enqueue([&] { ran.Notify(); });
  ran.WaitForNotification();
  EXPECT_EQ(pool.Threads(), 1);
}

TEST(OnDemandThreadPoolTest, ATaskQueuedWhileAThreadWaitsRunsOnIt) {
  absl::Notification ran[20];
  OnDemandThreadPool pool(8);
  for (int i = 0; i < 20; ++i) {
    pool.enqueue([&ran, i] { ran[i].Notify(); });
    ran[i].WaitForNotification();
    while (pool.Waiting() < 1) absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(pool.Threads(), 1);
}

TEST(OnDemandThreadPoolTest, RunsConcurrentTasksOnThreadsOfTheirOwnUpToTheLimit) {
  absl::Notification release;
  absl::Notification fourth;
  std::atomic<int> running{0};
  OnDemandThreadPool pool(3);
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
  pool.enqueue([&] { fourth.Notify(); });
  EXPECT_FALSE(fourth.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  EXPECT_EQ(pool.Threads(), 3);
  release.Notify();
  fourth.WaitForNotification();
  EXPECT_EQ(pool.Threads(), 3);
}

TEST(OnDemandThreadPoolTest, ShutdownRunsQueuedTasksJoinsAndDropsLaterOnes) {
  absl::Notification release;
  std::atomic<int> done{0};
  OnDemandThreadPool pool(1);
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
