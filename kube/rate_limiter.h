// A token bucket (golang.org/x/time/rate semantics) on an injected clock, shared by the
// transport's QPS/burst limiter and the work queue's overall limiter.
#ifndef KFED_KUBE_RATE_LIMITER_H_
#define KFED_KUBE_RATE_LIMITER_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace kfed::kube {

// Thread-safe. qps <= 0 means unlimited.
class TokenBucket {
 public:
  TokenBucket(double qps, int burst, Clock& clock);

  // Takes one token and returns how long the caller must wait before using it (zero when
  // one was available). Reservations queue up: the n-th caller beyond the burst waits
  // n/qps.
  absl::Duration Reserve() ABSL_LOCKS_EXCLUDED(mu_);
  // Reserve() then sleep on the clock.
  void Wait();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  const double qps_;
  const int burst_;
  Clock& clock_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_RATE_LIMITER_H_
