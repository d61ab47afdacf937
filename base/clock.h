// Injectable time. Production code takes a Clock&; tests pass a FakeClock and advance it
// instead of sleeping.
//
// Waiting on time goes through one primitive, AwaitWithDeadline: block on a mutex until a
// condition holds or the clock reaches a deadline. The real clock hands it to
// absl::Mutex::AwaitWithDeadline; the fake clock wakes the waiter when Advance() passes its
// deadline. Nothing polls either clock, so code never needs to know which clock it was given.
#ifndef KFED_BASE_CLOCK_H_
#define KFED_BASE_CLOCK_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kfed {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // With `mu` held, waits until `condition` is true or Now() >= deadline, and returns the
  // value of `condition` on return (with `mu` held again). Like absl::Mutex::Await, `mu` is
  // released while waiting and `condition` is re-evaluated when `mu` is released by another
  // thread, so whatever makes it true must do so under `mu`. `condition` must not take
  // locks or read the clock. absl::InfiniteFuture() waits for the condition alone.
  // Thread-safe.
  virtual bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                 absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;

  // Blocks the calling thread until Now() >= deadline. Thread-safe.
  void SleepUntil(absl::Time deadline);
  void SleepFor(absl::Duration d) { SleepUntil(Now() + d); }

  // The process-wide real clock.
  static Clock& Real();
};

// Time that moves only when a test calls Advance(). Waiters (SleepUntil, AwaitWithDeadline)
// wake when the fake time reaches their deadline. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000));
  absl::Time Now() const override ABSL_LOCKS_EXCLUDED(mu_);
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Moves time forward and wakes every waiter whose deadline it reached. Returns once they
  // have been signalled (not necessarily run).
  void Advance(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);
  // Number of threads blocked until a finite deadline that has not been reached; lets tests
  // see that a worker is parked on the clock. A thread that Advance has woken is not counted
  // even before it runs, so `Advance(d); AwaitSleepers(1);` waits for the woken worker to park
  // again rather than seeing it still on its way out.
  int Sleepers() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks (without polling) until at least `n` threads are blocked until a finite deadline.
  void AwaitSleepers(int n) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // One thread in AwaitWithDeadline.
  struct Waiter {
    absl::Mutex* mu = nullptr;  // the waiter's mutex
    absl::Time deadline;
    // Set by Advance with *mu held; read by the waiter's condition.
    bool expired = false;
    // Guarded by FakeClock::mu_: Advance is about to take *mu, so the waiter must not
    // return (and let its owner destroy *mu) before Advance is done with it.
    bool firing = false;
    // Guarded by FakeClock::mu_: the deadline has been reached (set by Advance, never
    // cleared). Such a waiter is about to return, so it no longer counts as a sleeper.
    bool due = false;
  };

  int SleepersLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Waiter>> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed

#endif  // KFED_BASE_CLOCK_H_
