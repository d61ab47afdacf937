#include "kube/backoff.h"

#include <algorithm>

namespace kfed::kube {

absl::Duration Backoff::Next() {
  const absl::Duration d = next_;
  next_ = std::min(next_ * 2, max_);
  if (jitter_.max_factor <= jitter_.min_factor) return d * jitter_.min_factor;
  return d * absl::Uniform(gen_, jitter_.min_factor, jitter_.max_factor);
}

}  // namespace kfed::kube
