#include "controller/own_writes.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "controller/object_meta.h"

namespace kfed::controller {

bool ResourceVersionNewer(absl::string_view a, absl::string_view b) {
  uint64_t x = 0, y = 0;
  if (!absl::SimpleAtoi(a, &x) || !absl::SimpleAtoi(b, &y)) return false;
  return x > y;
}

namespace {
// True when `cached` shows the write `own` (or a later one).
bool CaughtUp(const kube::ObjectPtr& cached, const kube::ObjectPtr& own) {
  if (cached == nullptr) return false;
  return !ResourceVersionNewer(Meta(*own, "resourceVersion"), Meta(*cached, "resourceVersion"));
}
}  // namespace

OwnWrites::OwnWrites(CacheLookup cached) : cached_(std::move(cached)) {}

kube::ObjectPtr OwnWrites::Latest(const std::string& key, kube::ObjectPtr cached) {
  absl::MutexLock lock(&mu_);
  auto it = written_.find(key);
  if (it == written_.end()) return cached;
  if (!CaughtUp(cached, it->second)) return it->second;
  written_.erase(it);
  return cached;
}

void OwnWrites::Record(const std::string& key, kube::ObjectPtr written) {
  if (written == nullptr) return;
  bool sweep = false;
  {
    absl::MutexLock lock(&mu_);
    written_[key] = std::move(written);
    sweep = written_.size() > sweep_at_;
  }
  if (sweep) Sweep();
}

void OwnWrites::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  written_.erase(key);
}

size_t OwnWrites::size() const {
  absl::MutexLock lock(&mu_);
  return written_.size();
}

void OwnWrites::Sweep() {
  std::vector<std::pair<std::string, kube::ObjectPtr>> entries;
  {
    absl::MutexLock lock(&mu_);
    entries.assign(written_.begin(), written_.end());
  }
  std::vector<std::pair<std::string, kube::ObjectPtr>> caught_up;
  for (auto& [key, own] : entries) {
    if (CaughtUp(cached_(key), own)) caught_up.emplace_back(key, own);
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [key, own] : caught_up) {
    auto it = written_.find(key);
    // A write recorded since the look-up is kept.
    if (it != written_.end() && it->second == own) written_.erase(it);
  }
  sweep_at_ = std::max(kMinSweep, 2 * written_.size());
}

}  // namespace kfed::controller
