#include "controller/readiness.h"

#include <utility>
#include <vector>

namespace kfed::controller {
namespace {

bool NotRunning(bool* running) { return !*running; }

}  // namespace

int ReadinessNotifier::AddObserver(Observer observer) {
  absl::MutexLock lock(&mu_);
  // The map changes only while nobody notifies from it.
  mu_.Await(absl::Condition(&NotRunning, &running_));
  const int id = next_id_++;
  observers_[id] = Entry{std::move(observer), /*told=*/false};
  RunLocked();
  return id;
}

void ReadinessNotifier::RemoveObserver(int id) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&NotRunning, &running_));
  observers_.erase(id);
}

void ReadinessNotifier::Changed() {
  absl::MutexLock lock(&mu_);
  RunLocked();
}

void ReadinessNotifier::RunLocked() {
  dirty_ = true;
  if (running_) return;  // that thread evaluates again before it stops
  running_ = true;
  while (dirty_) {
    dirty_ = false;
    mu_.Unlock();
    const absl::Status status = evaluate_();
    mu_.Lock();
    const bool ready = status.ok();
    const bool flipped = !last_.has_value() || *last_ != ready;
    last_ = ready;
    std::vector<Observer*> to_tell;
    for (auto& [id, entry] : observers_) {
      if (flipped || !entry.told) to_tell.push_back(&entry.observer);
      entry.told = true;
    }
    if (to_tell.empty()) continue;
    // running_ keeps the map (and so these pointers) unchanged while unlocked.
    mu_.Unlock();
    for (Observer* o : to_tell) (*o)(ready, status);
    mu_.Lock();
  }
  running_ = false;
}

}  // namespace kfed::controller
