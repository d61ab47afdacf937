// Pushes the manager's readiness to whoever reports it (the gRPC health service): the parts
// that decide readiness call Changed() when an input may have changed (a cache synced, a
// cluster was probed, leadership moved), and observers hear of each change of the outcome.
// Nothing polls and no thread is owned.
#ifndef KFED_CONTROLLER_READINESS_H_
#define KFED_CONTROLLER_READINESS_H_

#include <functional>
#include <map>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace kfed::controller {

class ReadinessNotifier {
 public:
  using Evaluate = std::function<absl::Status()>;
  using Observer = std::function<void(bool ready, const absl::Status& why)>;

  // `evaluate` computes readiness from its inputs; it is called with no lock of this class
  // held and must not call back into it.
  explicit ReadinessNotifier(Evaluate evaluate) : evaluate_(std::move(evaluate)) {}

  // Registers `observer`; it is called with the current readiness (on this thread, or on
  // the one notifying right now, before it returns from Changed()), then on every change.
  // Returns an id for RemoveObserver.
  int AddObserver(Observer observer) ABSL_LOCKS_EXCLUDED(mu_);
  // When it returns the observer is not running and never will.
  void RemoveObserver(int id) ABSL_LOCKS_EXCLUDED(mu_);

  // An input may have changed: re-evaluates and tells the observers when ready/not ready
  // flipped. Any thread, no lock held. Calls are coalesced: while one thread notifies, others
  // only mark the state dirty and that thread evaluates again, so observers see changes in
  // order, one call at a time, and the last call they get is the latest state.
  void Changed() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // With mu_ held: marks dirty, then unless another thread does, evaluates and notifies
  // until nothing is dirty.
  void RunLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Evaluate evaluate_;
  absl::Mutex mu_;
  struct Entry {
    Observer observer;
    bool told = false;  // has heard the current outcome
  };
  // Changed() only while running_ is false; the notifying thread calls them unlocked.
  std::map<int, Entry> observers_ ABSL_GUARDED_BY(mu_);
  int next_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool running_ ABSL_GUARDED_BY(mu_) = false;  // a thread evaluates and notifies
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;    // Changed() came while it did
  std::optional<bool> last_ ABSL_GUARDED_BY(mu_);  // the outcome observers last heard
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_READINESS_H_
