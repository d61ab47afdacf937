#include "base/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/time/clock.h"

namespace kfed {
namespace {

TEST(FakeClockTest, AdvanceWakesSleeperOnlyPastDeadline) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    clock.SleepFor(absl::Seconds(10));
    woke = true;
  });
  while (clock.Sleepers() == 0) absl::SleepFor(absl::Milliseconds(1));
  clock.Advance(absl::Seconds(5));
  EXPECT_FALSE(woke.load());
  EXPECT_EQ(clock.Now(), start + absl::Seconds(5));
  clock.Advance(absl::Seconds(5));
  sleeper.join();
  EXPECT_TRUE(woke.load());
}

TEST(RealClockTest, MovesForward) {
  absl::Time a = Clock::Real().Now();
  Clock::Real().SleepFor(absl::Milliseconds(2));
  EXPECT_GT(Clock::Real().Now(), a);
}

}  // namespace
}  // namespace kfed
