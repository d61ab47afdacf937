// Cooperative cancellation: one thread calls Cancel(), every wait on the token wakes, and
// callbacks registered by code blocked elsewhere (on its own mutex, a socket, a queue) run so
// that it wakes too. Replaces absl::Notification as a stop signal: a Notification cannot wake
// a thread waiting on anything else.
#ifndef KFED_BASE_CANCELLATION_H_
#define KFED_BASE_CANCELLATION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace kfed {

class CancellationToken {
 public:
  CancellationToken() = default;
  CancellationToken(const CancellationToken&) = delete;
  CancellationToken& operator=(const CancellationToken&) = delete;
  // No callback may be registered and no thread waiting when the token is destroyed.
  ~CancellationToken();

  // Marks the token cancelled, wakes every waiter and runs the registered callbacks on this
  // thread, in registration order, with no lock held. Idempotent: later calls do nothing.
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);
  bool IsCancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // Blocks until cancelled.
  void Wait() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until cancelled or `clock` reaches `deadline`. Returns true if cancelled.
  bool WaitUntil(Clock& clock, absl::Time deadline) const ABSL_LOCKS_EXCLUDED(mu_);
  bool WaitFor(Clock& clock, absl::Duration d) const { return WaitUntil(clock, clock.Now() + d); }

  // Registers `callback` to run once when Cancel() is called, or at once on this thread when
  // the token is already cancelled (then returns 0). The callback must not block on the
  // thread that cancels, and must not call RemoveCallback. Returns an id for RemoveCallback.
  uint64_t AddCallback(std::function<void()> callback) const ABSL_LOCKS_EXCLUDED(mu_);
  // Unregisters callback `id` (0: nothing). When it returns, the callback is not running and
  // never will: if Cancel() is running it right now, waits for it to finish (so do not hold
  // a lock the callback takes).
  void RemoveCallback(uint64_t id) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::atomic<bool> cancelled_{false};
  bool cancel_called_ ABSL_GUARDED_BY(mu_) = false;
  // Observers holding a const token register callbacks: these are bookkeeping, not state.
  mutable uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::map<uint64_t, std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
  uint64_t running_ ABSL_GUARDED_BY(mu_) = 0;  // the callback Cancel() is running, or 0
};

// Runs `callback` on cancellation of `token` while in scope (no-op for a null token).
class ScopedCancellationCallback {
 public:
  ScopedCancellationCallback(const CancellationToken* token, std::function<void()> callback)
      : token_(token),
        id_(token_ != nullptr ? token_->AddCallback(std::move(callback)) : 0) {}
  ~ScopedCancellationCallback() {
    if (token_ != nullptr) token_->RemoveCallback(id_);
  }
  ScopedCancellationCallback(const ScopedCancellationCallback&) = delete;
  ScopedCancellationCallback& operator=(const ScopedCancellationCallback&) = delete;

 private:
  const CancellationToken* token_;
  uint64_t id_;
};

// The wait behind every "until synced, a deadline or a stop": with `mu` NOT held, waits on
// `clock` until `done()` (called with `mu` held; it must read only state `mu` guards) is true,
// `deadline` passes, or one of `tokens` (null entries ignored) is or gets cancelled. A cancel
// wakes the wait through a token callback that takes and releases `mu`, so `mu` must not be
// held by whoever cancels. Returns `done()` as last evaluated (false on deadline or cancel).
bool AwaitUnlessCancelled(Clock& clock, absl::Mutex& mu, absl::FunctionRef<bool()> done,
                          absl::Time deadline,
                          std::initializer_list<const CancellationToken*> tokens)
    ABSL_LOCKS_EXCLUDED(mu);

// Sleeps `d` on `clock` unless `token` (may be null) is or gets cancelled. Returns false if
// cancelled.
bool SleepUnlessCancelled(Clock& clock, absl::Duration d, const CancellationToken* token);

}  // namespace kfed

#endif  // KFED_BASE_CANCELLATION_H_
