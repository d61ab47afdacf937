// A rate-limited work queue with client-go semantics (k8s.io/client-go/util/workqueue):
//   - a key queued many times before a worker takes it is processed once (dedup);
//   - a key is never handed to two workers at once: Add() during processing marks it
//     dirty and it is re-queued when the worker calls Done();
//   - AddAfter() delays on the injected clock; AddRateLimited() delays by the rate
//     limiter (by default the max of per-key exponential backoff 5ms..1000s and an overall
//     10 qps / burst 100 token bucket, like client-go's DefaultControllerRateLimiter);
//     Forget() resets a key's backoff;
//   - ShutDown() makes Get() return nullopt once the queue is empty; adds are then ignored.
// Thread-safe.
#ifndef KFED_KUBE_WORKQUEUE_H_
#define KFED_KUBE_WORKQUEUE_H_

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "kube/rate_limiter.h"

namespace kfed::kube {

template <typename Key>
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // How long `key` should wait before its next try; counts a failure.
  virtual absl::Duration When(const Key& key) = 0;
  virtual void Forget(const Key& key) = 0;
  virtual int NumRequeues(const Key& key) = 0;
};

// base * 2^failures, capped at max.
template <typename Key>
class ItemExponentialRateLimiter : public RateLimiter<Key> {
 public:
  ItemExponentialRateLimiter(absl::Duration base, absl::Duration max) : base_(base), max_(max) {}
  absl::Duration When(const Key& key) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    int n = failures_[key]++;
    double factor = std::pow(2.0, std::min(n, 62));
    double seconds = absl::ToDoubleSeconds(base_) * factor;
    if (seconds >= absl::ToDoubleSeconds(max_)) return max_;
    return absl::Seconds(seconds);
  }
  void Forget(const Key& key) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    failures_.erase(key);
  }
  int NumRequeues(const Key& key) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = failures_.find(key);
    return it == failures_.end() ? 0 : it->second;
  }

 private:
  const absl::Duration base_, max_;
  absl::Mutex mu_;
  absl::flat_hash_map<Key, int> failures_ ABSL_GUARDED_BY(mu_);
};

// An overall token bucket: spreads bursts of retries across all keys.
template <typename Key>
class BucketRateLimiter : public RateLimiter<Key> {
 public:
  BucketRateLimiter(double qps, int burst, Clock& clock) : bucket_(qps, burst, clock) {}
  absl::Duration When(const Key&) override { return bucket_.Reserve(); }
  void Forget(const Key&) override {}
  int NumRequeues(const Key&) override { return 0; }

 private:
  TokenBucket bucket_;
};

// The longest delay of its limiters.
template <typename Key>
class MaxOfRateLimiter : public RateLimiter<Key> {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter<Key>>> limiters)
      : limiters_(std::move(limiters)) {}
  absl::Duration When(const Key& key) override {
    absl::Duration d = absl::ZeroDuration();
    for (auto& l : limiters_) d = std::max(d, l->When(key));
    return d;
  }
  void Forget(const Key& key) override {
    for (auto& l : limiters_) l->Forget(key);
  }
  int NumRequeues(const Key& key) override {
    int n = 0;
    for (auto& l : limiters_) n = std::max(n, l->NumRequeues(key));
    return n;
  }

 private:
  std::vector<std::unique_ptr<RateLimiter<Key>>> limiters_;
};

// client-go's DefaultControllerRateLimiter: max(5ms * 2^n capped at 1000s, 10 qps burst 100).
template <typename Key>
std::unique_ptr<RateLimiter<Key>> DefaultControllerRateLimiter(Clock& clock) {
  std::vector<std::unique_ptr<RateLimiter<Key>>> v;
  v.push_back(std::make_unique<ItemExponentialRateLimiter<Key>>(absl::Milliseconds(5),
                                                                absl::Seconds(1000)));
  v.push_back(std::make_unique<BucketRateLimiter<Key>>(10, 100, clock));
  return std::make_unique<MaxOfRateLimiter<Key>>(std::move(v));
}

template <typename Key = std::string>
class WorkQueue {
 public:
  explicit WorkQueue(Clock& clock = Clock::Real(),
                     std::unique_ptr<RateLimiter<Key>> limiter = nullptr)
      : clock_(clock),
        limiter_(limiter ? std::move(limiter) : DefaultControllerRateLimiter<Key>(clock)) {}

  void Add(const Key& key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    AddLocked(key);
  }

  // Adds `key` once `delay` has passed on the clock (at once if delay <= 0). A key already
  // waiting keeps the earlier of its two ready times.
  void AddAfter(const Key& key, absl::Duration delay) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    if (delay <= absl::ZeroDuration()) {
      AddLocked(key);
      return;
    }
    absl::Time ready = clock_.Now() + delay;
    auto it = waiting_.find(key);
    if (it == waiting_.end() || ready < it->second) waiting_[key] = ready;
    ++waiting_version_;
  }

  void AddRateLimited(const Key& key) { AddAfter(key, limiter_->When(key)); }
  void Forget(const Key& key) { limiter_->Forget(key); }
  int NumRequeues(const Key& key) { return limiter_->NumRequeues(key); }

  // Blocks until a key is ready, and marks it processing; the caller must call Done(key).
  // Returns nullopt once ShutDown() was called and the queue is empty.
  std::optional<Key> Get() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    for (;;) {
      PromoteReadyLocked();
      if (!queue_.empty()) {
        Key key = std::move(queue_.front());
        queue_.pop_front();
        processing_.insert(key);
        dirty_.erase(key);
        return key;
      }
      if (shutting_down_) return std::nullopt;
      // Until a key is added, an earlier delay is set, shutdown, or the earliest delay ends.
      absl::Time earliest = absl::InfiniteFuture();
      for (const auto& [k, t] : waiting_) earliest = std::min(earliest, t);
      int64_t seen = waiting_version_;
      auto wake = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || shutting_down_ || waiting_version_ != seen;
      };
      clock_.AwaitWithDeadline(mu_, absl::Condition(&wake), earliest);
    }
  }

  // Ends processing of `key`; re-queues it if it was added meanwhile.
  void Done(const Key& key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    processing_.erase(key);
    if (dirty_.contains(key)) queue_.push_back(key);
  }

  void ShutDown() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  bool ShuttingDown() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return shutting_down_;
  }
  // Keys ready to be processed (not counting ones waiting for a delay or in processing).
  size_t Len() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    PromoteReadyLocked();
    return queue_.size();
  }
  // Keys waiting for AddAfter / AddRateLimited delays.
  size_t Waiting() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    PromoteReadyLocked();
    return waiting_.size();
  }

 private:
  void AddLocked(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (shutting_down_ || dirty_.contains(key)) return;
    dirty_.insert(key);
    if (processing_.contains(key)) return;  // re-queued by Done()
    queue_.push_back(key);
  }

  void PromoteReadyLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (waiting_.empty()) return;
    absl::Time now = clock_.Now();
    std::vector<std::pair<absl::Time, Key>> ready;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second <= now) {
        ready.emplace_back(it->second, it->first);
        waiting_.erase(it++);
      } else {
        ++it;
      }
    }
    std::sort(ready.begin(), ready.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [t, key] : ready) AddLocked(key);
  }

  Clock& clock_;
  std::unique_ptr<RateLimiter<Key>> limiter_;
  mutable absl::Mutex mu_;
  std::deque<Key> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Key> dirty_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Key> processing_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, absl::Time> waiting_ ABSL_GUARDED_BY(mu_);
  int64_t waiting_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_WORKQUEUE_H_
