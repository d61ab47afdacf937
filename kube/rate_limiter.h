// A token bucket (golang.org/x/time/rate semantics) on an injected clock, shared by the
// transport's QPS/burst limiter and the work queue's overall limiter.
#ifndef KFED_KUBE_RATE_LIMITER_H_
#define KFED_KUBE_RATE_LIMITER_H_

#include <cstdint>
#include <set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace kfed::kube {

// Which waiter of Wait() gets the next token: kHigh waiters always before kNormal ones, and
// those before kLow ones; first come first served within a priority. kfed's host client marks
// the writes that unblock propagation (the sync finalizer) kHigh so they do not queue behind
// status writes, and the PropagatedVersion records (an optimisation for restarts) kLow.
enum class RequestPriority { kLow = -1, kNormal = 0, kHigh = 1 };

// Thread-safe. qps <= 0 means unlimited.
class TokenBucket {
 public:
  TokenBucket(double qps, int burst, Clock& clock);

  // Takes one token and returns how long the caller must wait before using it (zero when
  // one was available). Reservations queue up: the n-th caller beyond the burst waits
  // n/qps.
  absl::Duration Reserve() ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until the caller may use one token. Waiters are served by priority, then in
  // order of arrival; a waiter waits as long as one of higher priority is queued.
  void Wait(RequestPriority priority = RequestPriority::kNormal) ABSL_LOCKS_EXCLUDED(mu_);

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  const double qps_;
  const int burst_;
  Clock& clock_;
  absl::Mutex mu_;
  void RefillLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
  // Waiters of Wait(): (-priority, arrival), so begin() is the one served next.
  std::set<std::pair<int, uint64_t>> waiters_ ABSL_GUARDED_BY(mu_);
  uint64_t arrivals_ ABSL_GUARDED_BY(mu_) = 0;
  absl::CondVar head_changed_;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_RATE_LIMITER_H_
