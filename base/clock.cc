#include "base/clock.h"

#include <vector>

#include "absl/time/clock.h"

namespace kfed {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (deadline == absl::InfiniteFuture()) {
      mu.Await(condition);
      return true;
    }
    return mu.AwaitWithDeadline(condition, deadline);
  }
};

constexpr bool kNever = false;

}  // namespace

void Clock::SleepUntil(absl::Time deadline) {
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  AwaitWithDeadline(mu, absl::Condition(&kNever), deadline);
}

Clock& Clock::Real() {
  static RealClock* clock = new RealClock();
  return *clock;
}

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

bool FakeClock::AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                  absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    mu.Await(condition);
    return true;
  }
  // Lock order: the waiter's mutex, then mu_ (Advance never holds mu_ while taking *mu).
  auto waiter = std::make_shared<Waiter>();
  waiter->mu = &mu;
  waiter->deadline = deadline;
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    if (now_ >= deadline) return condition.Eval();
    id = ++next_id_;
    waiters_.emplace(id, waiter);
  }
  Waiter* w = waiter.get();
  auto wake = [w, &condition]() { return w->expired || condition.Eval(); };
  mu.Await(absl::Condition(&wake));
  bool firing;
  {
    absl::MutexLock lock(&mu_);
    waiters_.erase(id);
    firing = waiter->firing;
  }
  if (firing) {
    // Advance picked this waiter and will take `mu`: let it, and wait until it is done.
    mu.Unlock();
    {
      absl::MutexLock lock(&mu_);
      auto done = [w]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !w->firing; };
      mu_.Await(absl::Condition(&done));
    }
    mu.Lock();
  }
  return condition.Eval();
}

void FakeClock::Advance(absl::Duration d) {
  std::vector<std::shared_ptr<Waiter>> due;
  {
    absl::MutexLock lock(&mu_);
    now_ += d;
    for (auto& [id, w] : waiters_) {
      if (w->deadline <= now_ && !w->firing) {
        w->firing = true;
        w->due = true;
        due.push_back(w);
      }
    }
  }
  // Outside mu_: releasing each waiter's mutex makes it re-evaluate its condition.
  for (const auto& w : due) {
    absl::MutexLock lock(w->mu);
    w->expired = true;
  }
  if (due.empty()) return;
  absl::MutexLock lock(&mu_);
  for (const auto& w : due) w->firing = false;
}

int FakeClock::SleepersLocked() const {
  int n = 0;
  for (const auto& [id, w] : waiters_) n += w->due ? 0 : 1;
  return n;
}

int FakeClock::Sleepers() const {
  absl::MutexLock lock(&mu_);
  return SleepersLocked();
}

void FakeClock::AwaitSleepers(int n) const {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return SleepersLocked() >= n; };
  mu_.Await(absl::Condition(&enough));
}

}  // namespace kfed
