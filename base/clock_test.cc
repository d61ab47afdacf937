#include "base/clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace kfed {
namespace {

TEST(FakeClockTest, AdvanceWakesSleeperOnlyPastDeadline) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  std::thread sleeper([&] { clock.SleepUntil(start + absl::Seconds(10)); });
  clock.AwaitSleepers(1);
  clock.Advance(absl::Seconds(5));
  // Not due: the sleeper is still parked (Advance wakes only waiters it made due).
  EXPECT_EQ(clock.Sleepers(), 1);
  EXPECT_EQ(clock.Now(), start + absl::Seconds(5));
  clock.Advance(absl::Seconds(5));
  sleeper.join();
  EXPECT_EQ(clock.Sleepers(), 0);
}

// A sleeper Advance has woken is no longer counted, even before its thread runs: so
// `Advance; AwaitSleepers(1)` waits for the worker to park again instead of returning at once.
TEST(FakeClockTest, AWokenSleeperIsNotCounted) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  absl::Notification go_on;
  std::thread sleeper([&] {
    clock.SleepUntil(start + absl::Seconds(1));
    go_on.WaitForNotification();
    clock.SleepUntil(start + absl::Seconds(2));
  });
  clock.AwaitSleepers(1);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(clock.Sleepers(), 0);
  go_on.Notify();
  clock.AwaitSleepers(1);  // parked again, until start + 2 s
  EXPECT_EQ(clock.Sleepers(), 1);
  clock.Advance(absl::Seconds(1));
  sleeper.join();
  EXPECT_EQ(clock.Sleepers(), 0);
}

TEST(FakeClockTest, AwaitWithDeadlineWakesOnAdvance) {
  FakeClock clock;
  absl::Mutex mu;
  bool flag = false;
  const absl::Time deadline = clock.Now() + absl::Minutes(1);
  bool result = true;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    result = clock.AwaitWithDeadline(mu, absl::Condition(&flag), deadline);
  });
  clock.AwaitSleepers(1);
  clock.Advance(absl::Minutes(1));
  waiter.join();
  EXPECT_FALSE(result);  // timed out: the condition never became true
}

TEST(FakeClockTest, AwaitWithDeadlineWakesOnCondition) {
  FakeClock clock;
  absl::Mutex mu;
  bool flag = false;
  bool result = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    result = clock.AwaitWithDeadline(mu, absl::Condition(&flag), clock.Now() + absl::Hours(1));
  });
  clock.AwaitSleepers(1);
  {
    absl::MutexLock lock(&mu);
    flag = true;
  }
  waiter.join();
  EXPECT_TRUE(result);
  EXPECT_EQ(clock.Sleepers(), 0);
}

TEST(FakeClockTest, PastDeadlineReturnsAtOnce) {
  FakeClock clock;
  absl::Mutex mu;
  bool flag = false;
  absl::MutexLock lock(&mu);
  EXPECT_FALSE(clock.AwaitWithDeadline(mu, absl::Condition(&flag), clock.Now()));
  flag = true;
  EXPECT_TRUE(clock.AwaitWithDeadline(mu, absl::Condition(&flag), clock.Now() - absl::Seconds(1)));
}

// Many waiters with different deadlines, each with its own mutex destroyed right after it
// returns: Advance never touches a mutex after its waiter has gone (TSan/ASan check this).
TEST(FakeClockTest, ManyWaitersWakeInDeadlineOrder) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  constexpr int kWaiters = 8;
  std::vector<std::thread> threads;
  for (int i = 1; i <= kWaiters; ++i) {
    threads.emplace_back([&clock, start, i] {
      auto mu = std::make_unique<absl::Mutex>();
      bool never = false;
      absl::MutexLock lock(mu.get());
      clock.AwaitWithDeadline(*mu, absl::Condition(&never), start + absl::Seconds(i));
    });
  }
  clock.AwaitSleepers(kWaiters);
  for (int i = 1; i <= kWaiters; ++i) clock.Advance(absl::Seconds(1));
  for (auto& t : threads) t.join();
  EXPECT_EQ(clock.Sleepers(), 0);
}

TEST(RealClockTest, AwaitWithDeadlineTimesOutAndSees) {
  absl::Mutex mu;
  bool flag = false;
  absl::MutexLock lock(&mu);
  const absl::Time before = Clock::Real().Now();
  EXPECT_FALSE(Clock::Real().AwaitWithDeadline(mu, absl::Condition(&flag),
                                               before + absl::Milliseconds(1)));
  EXPECT_GE(Clock::Real().Now(), before + absl::Milliseconds(1));
  flag = true;
  EXPECT_TRUE(Clock::Real().AwaitWithDeadline(mu, absl::Condition(&flag), absl::InfiniteFuture()));
}

}  // namespace
}  // namespace kfed
