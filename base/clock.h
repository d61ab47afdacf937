// Injectable time. Production code takes a Clock&; tests pass a FakeClock and advance it
// instead of sleeping.
#ifndef KFED_BASE_CLOCK_H_
#define KFED_BASE_CLOCK_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kfed {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Blocks the calling thread until Now() >= deadline. Thread-safe.
  virtual void SleepUntil(absl::Time deadline) = 0;
  void SleepFor(absl::Duration d) { SleepUntil(Now() + d); }

  // The process-wide real clock.
  static Clock& Real();
};

// Time that moves only when a test calls Advance(). Sleepers wake when the fake time passes
// their deadline. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000));
  absl::Time Now() const override ABSL_LOCKS_EXCLUDED(mu_);
  void SleepUntil(absl::Time deadline) override ABSL_LOCKS_EXCLUDED(mu_);
  void Advance(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);
  // Number of threads blocked in SleepUntil; lets tests wait until a worker is parked.
  int Sleepers() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  int sleepers_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kfed

#endif  // KFED_BASE_CLOCK_H_
