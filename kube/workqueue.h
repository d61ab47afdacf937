// A rate-limited work queue with client-go semantics (k8s.io/client-go/util/workqueue):
//   - a key queued many times before a worker takes it is processed once (dedup);
//   - a key is never handed to two workers at once: Add() during processing marks it
//     dirty and it is re-queued when the worker calls Done();
//   - AddAfter() delays on the injected clock; AddRateLimited() delays by the rate
//     limiter (by default the max of per-key exponential backoff 5ms..1000s and an overall
//     10 qps / burst 100 token bucket, like client-go's DefaultControllerRateLimiter);
//     Forget() resets a key's backoff;
//   - ShutDown() makes Get() return nullopt once the queue is empty; adds are then ignored;
//   - client-go's workqueue metrics: per-item events go to an optional WorkQueueMetrics,
//     the gauges (depth, unfinished work) are read with Gauges().
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
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "kube/rate_limiter.h"

namespace kfed::kube {

// Frees a hash map's table once it is empty after having grown: absl's tables never shrink,
// so a burst's capacity (tens of thousands of keys at a cold start) would otherwise stay
// allocated in every queue. Small tables are kept (no churn for a queue going 0-1-0).
template <typename Map>
void ReleaseIfDrained(Map& map) {
  if (map.empty() && map.capacity() > 64) Map().swap(map);
}

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
    ReleaseIfDrained(failures_);
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

// The per-item events behind client-go's workqueue metrics (k8s.io/client-go/util/workqueue
// metrics.go: adds, queue latency, work duration, retries). The queue calls them with its lock
// held, in the order the events happen, as client-go does: an implementation records and
// returns (atomics, a metric's own leaf lock), never does I/O, waits, or calls the queue.
class WorkQueueMetrics {
 public:
  virtual ~WorkQueueMetrics() = default;
  // A key became due and was not already queued (client-go's `add`: adds_total, depth).
  virtual void Added() = 0;
  // Get() handed out a key that became due `queued` ago (client-go's `get`).
  virtual void Taken(absl::Duration queued) = 0;
  // Done() for a key Get() handed out `worked` ago (client-go's `done`).
  virtual void Finished(absl::Duration worked) = 0;
  // AddAfter() / AddRateLimited() before shutdown (client-go's delaying queue `retry`).
  virtual void Retried() = 0;
};

// What client-go's gauges show, read at one instant.
struct WorkQueueGauges {
  // Keys added and not yet taken by Get(), including keys re-added while a worker holds them
  // (client-go's depth: adds minus gets); not keys waiting for a delay.
  size_t depth = 0;
  // Sum over the keys being processed of the time since Get() handed them out, and the
  // longest of those (client-go's unfinished_work_seconds, longest_running_processor_seconds).
  absl::Duration unfinished_work = absl::ZeroDuration();
  absl::Duration longest_running = absl::ZeroDuration();
};

template <typename Key = std::string>
class WorkQueue {
 public:
  // `metrics` (borrowed, may be null) must outlive the queue.
  explicit WorkQueue(Clock& clock = Clock::Real(),
                     std::unique_ptr<RateLimiter<Key>> limiter = nullptr,
                     WorkQueueMetrics* metrics = nullptr)
      : clock_(clock),
        limiter_(limiter ? std::move(limiter) : DefaultControllerRateLimiter<Key>(clock)),
        metrics_(metrics) {}

  void Add(const Key& key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    AddLocked(key);
  }

  // Adds `key` once `delay` has passed on the clock (at once if delay <= 0). A key already
  // waiting keeps the earlier of its two ready times.
  void AddAfter(const Key& key, absl::Duration delay) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    if (metrics_ != nullptr) metrics_->Retried();
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
        const absl::Time now = clock_.Now();
        // A queued key is always dirty (AddLocked and Done() queue only dirty keys).
        auto dirty = dirty_.find(key);
        if (dirty != dirty_.end()) {
          if (metrics_ != nullptr) metrics_->Taken(now - dirty->second);
          dirty_.erase(dirty);
          ReleaseIfDrained(dirty_);
        }
        processing_[key] = now;
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
    auto it = processing_.find(key);
    if (it == processing_.end()) return;  // not handed out by Get(), or Done() twice
    if (metrics_ != nullptr) metrics_->Finished(clock_.Now() - it->second);
    processing_.erase(it);
    ReleaseIfDrained(processing_);
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
  WorkQueueGauges Gauges() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    WorkQueueGauges g;
    g.depth = dirty_.size();
    if (processing_.empty()) return g;
    const absl::Time now = clock_.Now();
    for (const auto& [key, start] : processing_) {
      g.unfinished_work += now - start;
      g.longest_running = std::max(g.longest_running, now - start);
    }
    return g;
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
    dirty_.emplace(key, clock_.Now());
    if (metrics_ != nullptr) metrics_->Added();
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
    ReleaseIfDrained(waiting_);
    std::sort(ready.begin(), ready.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [t, key] : ready) AddLocked(key);
  }

  Clock& clock_;
  std::unique_ptr<RateLimiter<Key>> limiter_;
  WorkQueueMetrics* const metrics_;
  mutable absl::Mutex mu_;
  std::deque<Key> queue_ ABSL_GUARDED_BY(mu_);
  // Keys added and not yet taken, with the time each was added (client-go's addTimes).
  absl::flat_hash_map<Key, absl::Time> dirty_ ABSL_GUARDED_BY(mu_);
  // Keys handed out by Get() and not yet Done(), with the time (processingStartTimes).
  absl::flat_hash_map<Key, absl::Time> processing_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, absl::Time> waiting_ ABSL_GUARDED_BY(mu_);
  int64_t waiting_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_WORKQUEUE_H_
