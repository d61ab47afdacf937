#include "kube/rate_limiter.h"

#include <algorithm>

namespace kfed::kube {

TokenBucket::TokenBucket(double qps, int burst, Clock& clock)
    : qps_(qps), burst_(std::max(burst, 1)), clock_(clock), tokens_(burst_), last_(clock.Now()) {}

void TokenBucket::RefillLocked(absl::Time now) {
  if (now > last_) {
    tokens_ = std::min<double>(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
    last_ = now;
  }
}

absl::Duration TokenBucket::Reserve() {
  if (qps_ <= 0) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  RefillLocked(clock_.Now());
  tokens_ -= 1;
  if (tokens_ >= 0) return absl::ZeroDuration();
  return absl::Seconds(-tokens_ / qps_);
}

void TokenBucket::Wait(RequestPriority priority) {
  if (qps_ <= 0) return;
  absl::MutexLock lock(&mu_);
  const std::pair<int, uint64_t> me(-static_cast<int>(priority), arrivals_++);
  waiters_.insert(me);
  for (;;) {
    const absl::Time now = clock_.Now();
    RefillLocked(now);
    const bool head = *waiters_.begin() == me;
    if (head && tokens_ >= 1) {
      tokens_ -= 1;
      waiters_.erase(me);
      head_changed_.SignalAll();
      return;
    }
    if (!head) {
      head_changed_.Wait(&mu_);
      continue;
    }
    // The head sleeps until its token is due. A waiter of higher priority arriving meanwhile
    // becomes the head and takes that token; this one then waits its turn again.
    const absl::Time due = now + absl::Seconds((1 - tokens_) / qps_);
    mu_.Unlock();
    clock_.SleepUntil(due);
    mu_.Lock();
  }
}

}  // namespace kfed::kube
