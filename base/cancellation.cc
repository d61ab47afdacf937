#include "base/cancellation.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/base/internal/raw_logging.h"

namespace kfed {

CancellationToken::~CancellationToken() {
  absl::MutexLock lock(&mu_);
  ABSL_RAW_CHECK(callbacks_.empty() && running_ == 0, "CancellationToken destroyed with callbacks");
}

void CancellationToken::Cancel() {
  {
    absl::MutexLock lock(&mu_);
    if (cancel_called_) return;
    cancel_called_ = true;
    cancelled_.store(true, std::memory_order_release);  // waiters re-check on unlock
  }
  for (;;) {
    std::function<void()> callback;
    {
      absl::MutexLock lock(&mu_);
      running_ = 0;
      if (callbacks_.empty()) return;
      auto it = callbacks_.begin();
      running_ = it->first;
      callback = std::move(it->second);
      callbacks_.erase(it);
    }
    callback();
  }
}

void CancellationToken::Wait() const {
  absl::MutexLock lock(&mu_);
  auto cancelled = [this]() { return cancelled_.load(std::memory_order_acquire); };
  mu_.Await(absl::Condition(&cancelled));
}

bool CancellationToken::WaitUntil(Clock& clock, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto cancelled = [this]() { return cancelled_.load(std::memory_order_acquire); };
  return clock.AwaitWithDeadline(mu_, absl::Condition(&cancelled), deadline);
}

uint64_t CancellationToken::AddCallback(std::function<void()> callback) const {
  {
    absl::MutexLock lock(&mu_);
    if (!cancel_called_) {
      uint64_t id = ++next_id_;
      callbacks_.emplace(id, std::move(callback));
      return id;
    }
  }
  callback();
  return 0;
}

void CancellationToken::RemoveCallback(uint64_t id) const {
  if (id == 0) return;
  absl::MutexLock lock(&mu_);
  if (callbacks_.erase(id) > 0) return;
  auto finished = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ != id; };
  mu_.Await(absl::Condition(&finished));
}

bool AwaitUnlessCancelled(Clock& clock, absl::Mutex& mu, absl::FunctionRef<bool()> done,
                          absl::Time deadline,
                          std::initializer_list<const CancellationToken*> tokens) {
  // Registered before `mu` is taken: a callback of an already cancelled token runs at once
  // and takes `mu` itself. Removed after `mu` is released (they may be running and take it).
  std::vector<std::unique_ptr<ScopedCancellationCallback>> wake;
  wake.reserve(tokens.size());
  for (const CancellationToken* token : tokens) {
    if (token == nullptr) continue;
    // Releasing `mu` makes the waiter re-evaluate its condition, which reads the token.
    wake.push_back(std::make_unique<ScopedCancellationCallback>(
        token, [&mu] { absl::MutexLock lock(&mu); }));
  }
  absl::MutexLock lock(&mu);
  auto finished = [&]() {
    if (done()) return true;
    for (const CancellationToken* token : tokens) {
      if (token != nullptr && token->IsCancelled()) return true;
    }
    return false;
  };
  clock.AwaitWithDeadline(mu, absl::Condition(&finished), deadline);
  return done();
}

bool SleepUnlessCancelled(Clock& clock, absl::Duration d, const CancellationToken* token) {
  if (token == nullptr) {
    if (d > absl::ZeroDuration()) clock.SleepFor(d);
    return true;
  }
  if (d <= absl::ZeroDuration()) return !token->IsCancelled();
  return !token->WaitFor(clock, d);
}

}  // namespace kfed
