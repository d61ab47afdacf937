#include "base/cancellation.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace kfed {
namespace {

TEST(CancellationTokenTest, CancelWakesTimedWaitOnFakeClock) {
  FakeClock clock;
  CancellationToken token;
  bool cancelled = false;
  std::thread waiter([&] { cancelled = token.WaitFor(clock, absl::Hours(1)); });
  clock.AwaitSleepers(1);
  token.Cancel();  // time never moves: only the cancel can wake it
  waiter.join();
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(token.IsCancelled());
}

TEST(CancellationTokenTest, AdvanceEndsTimedWait) {
  FakeClock clock;
  CancellationToken token;
  bool cancelled = true;
  std::thread waiter([&] { cancelled = token.WaitFor(clock, absl::Seconds(30)); });
  clock.AwaitSleepers(1);
  clock.Advance(absl::Seconds(29));
  EXPECT_EQ(clock.Sleepers(), 1);
  clock.Advance(absl::Seconds(1));
  waiter.join();
  EXPECT_FALSE(cancelled);
  EXPECT_FALSE(token.IsCancelled());
}

TEST(CancellationTokenTest, SleepUnlessCancelled) {
  FakeClock clock;
  CancellationToken token;
  EXPECT_TRUE(SleepUnlessCancelled(clock, absl::ZeroDuration(), &token));
  EXPECT_TRUE(SleepUnlessCancelled(clock, absl::ZeroDuration(), nullptr));
  bool slept = false;
  std::thread sleeper([&] { slept = SleepUnlessCancelled(clock, absl::Seconds(5), &token); });
  clock.AwaitSleepers(1);
  clock.Advance(absl::Seconds(5));
  sleeper.join();
  EXPECT_TRUE(slept);
  token.Cancel();
  EXPECT_FALSE(SleepUnlessCancelled(clock, absl::Hours(1), &token));  // no wait at all
  token.Wait();  // returns at once
}

TEST(AwaitUnlessCancelledTest, EndsOnConditionDeadlineOrEitherToken) {
  FakeClock clock;
  absl::Mutex mu;
  bool synced = false;  // guarded by mu
  auto is_synced = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return synced; };
  CancellationToken first;
  CancellationToken second;

  // The condition: set under mu by another thread.
  bool result = false;
  std::thread waiter([&] {
    result = AwaitUnlessCancelled(clock, mu, is_synced, absl::InfiniteFuture(),
                                  {&first, nullptr, &second});
  });
  {
    absl::MutexLock lock(&mu);
    synced = true;
  }
  waiter.join();
  EXPECT_TRUE(result);
  {
    absl::MutexLock lock(&mu);
    synced = false;
  }

  // The deadline, on the fake clock.
  result = true;
  waiter = std::thread([&] {
    result = AwaitUnlessCancelled(clock, mu, is_synced, clock.Now() + absl::Seconds(30),
                                  {&first, &second});
  });
  clock.AwaitSleepers(1);
  clock.Advance(absl::Seconds(30));
  waiter.join();
  EXPECT_FALSE(result);

  // The second token: time never moves, only the cancel wakes it.
  result = true;
  waiter = std::thread([&] {
    result = AwaitUnlessCancelled(clock, mu, is_synced, clock.Now() + absl::Hours(1),
                                  {&first, &second});
  });
  clock.AwaitSleepers(1);
  second.Cancel();
  waiter.join();
  EXPECT_FALSE(result);
  // Already cancelled: no wait at all.
  EXPECT_FALSE(AwaitUnlessCancelled(clock, mu, is_synced, absl::InfiniteFuture(), {&second}));
  EXPECT_EQ(clock.Sleepers(), 0);
}

TEST(CancellationTokenTest, CallbacksWakeWaitsOnOtherMutexes) {
  CancellationToken token;
  absl::Mutex mu;
  bool stop = false;
  std::vector<std::thread> waiters;
  std::vector<std::unique_ptr<ScopedCancellationCallback>> callbacks;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      ScopedCancellationCallback on_cancel(&token, [&] {
        absl::MutexLock lock(&mu);
        stop = true;
      });
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(&stop));
    });
  }
  token.Cancel();
  for (auto& t : waiters) t.join();
  absl::MutexLock lock(&mu);
  EXPECT_TRUE(stop);
}

TEST(CancellationTokenTest, CallbackRunsOnceInOrderAndAtOnceWhenLate) {
  CancellationToken token;
  std::vector<int> ran;
  uint64_t a = token.AddCallback([&] { ran.push_back(1); });
  uint64_t removed = token.AddCallback([&] { ran.push_back(99); });
  uint64_t b = token.AddCallback([&] { ran.push_back(2); });
  token.RemoveCallback(removed);
  token.Cancel();
  token.Cancel();
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(token.AddCallback([&] { ran.push_back(3); }), 0u);  // already cancelled: runs now
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
  token.RemoveCallback(a);  // already ran: nothing to do
  token.RemoveCallback(b);
  token.RemoveCallback(0);
}

}  // namespace
}  // namespace kfed
