#include "controller/cluster_registry.h"

namespace kfed::controller {

std::vector<std::shared_ptr<const MemberCluster>> ClusterRegistry::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const MemberCluster>> out;
  out.reserve(clusters_.size());
  for (const auto& [name, c] : clusters_) out.push_back(c);
  return out;
}

std::shared_ptr<const MemberCluster> ClusterRegistry::Get(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = clusters_.find(name);
  return it == clusters_.end() ? nullptr : it->second;
}

void ClusterRegistry::Upsert(std::shared_ptr<const MemberCluster> cluster) {
  std::string name = cluster->name;
  {
    absl::MutexLock lock(&mu_);
    clusters_[name] = std::move(cluster);
  }
  Notify(name);
}

void ClusterRegistry::Remove(const std::string& name) {
  {
    absl::MutexLock lock(&mu_);
    if (clusters_.erase(name) == 0) return;
  }
  Notify(name);
}

bool ClusterRegistry::Synced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

void ClusterRegistry::MarkSynced() {
  absl::MutexLock lock(&mu_);
  synced_ = true;
}

bool ClusterRegistry::WaitForSync(Clock& clock, absl::Time deadline,
                                  const CancellationToken& cancel) const {
  return AwaitUnlessCancelled(
      clock, mu_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return synced_; }, deadline,
      {&cancel});
}

int ClusterRegistry::AddListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  int id = next_listener_++;
  listeners_[id] = std::make_shared<Listener>(std::move(listener));
  return id;
}

void ClusterRegistry::RemoveListener(int id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

void ClusterRegistry::Notify(const std::string& name) {
  std::vector<std::shared_ptr<Listener>> listeners;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, l] : listeners_) listeners.push_back(l);
  }
  for (const auto& l : listeners) (*l)(name);
}

}  // namespace kfed::controller
