// Exponential backoff with random jitter, for reconnects (watches, informers), leader
// election retries and transport retries.
#ifndef KFED_KUBE_BACKOFF_H_
#define KFED_KUBE_BACKOFF_H_

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace kfed::kube {

// The random factor each delay is scaled by: uniform in [min_factor, max_factor).
struct Jitter {
  double min_factor = 0.9;
  double max_factor = 1.1;
};
// Never shorter than the nominal delay (client-go's wait.Jitter): for retries whose minimum
// matters, e.g. transport retries.
inline constexpr Jitter kJitterUpTo10Percent{1.0, 1.1};
inline constexpr Jitter kNoJitter{1.0, 1.0};

// initial, 2*initial, 4*initial, ... capped at max; each value scaled by a random factor
// (default +-10%). Every instance has its own generator, seeded from the OS, so informers,
// replicas and retrying callers that fail together do not retry in lock step.
// Not thread-safe: one per loop.
class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, Jitter jitter = Jitter())
      : initial_(initial), max_(max), jitter_(jitter), next_(initial) {}
  absl::Duration Next();
  void Reset() { next_ = initial_; }

 private:
  const absl::Duration initial_, max_;
  const Jitter jitter_;
  absl::Duration next_;
  absl::BitGen gen_;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_BACKOFF_H_
