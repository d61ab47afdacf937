// The Multi-Cluster Services part of the status store (see store.h): not revisioned, listed.
#include <algorithm>
#include <utility>

#include "status/store.h"

namespace kfed::status {

void StatusStore::UpsertMultiClusterService(v1::MultiClusterService service) {
  auto stored = std::make_shared<const v1::MultiClusterService>(std::move(service));
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  mcs_services_[{stored->namespace_(), stored->name()}] = std::move(stored);
}

void StatusStore::RemoveMultiClusterService(absl::string_view ns, absl::string_view name) {
  absl::MutexLock lock(&mu_);
  mcs_services_.erase({std::string(ns), std::string(name)});
}

void StatusStore::SetMcsMembers(std::vector<v1::McsMember> members) {
  std::sort(members.begin(), members.end(),
            [](const v1::McsMember& a, const v1::McsMember& b) { return a.cluster() < b.cluster(); });
  auto stored = std::make_shared<const std::vector<v1::McsMember>>(std::move(members));
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  mcs_members_ = std::move(stored);
}

v1::ListMultiClusterServicesResponse StatusStore::ListMultiClusterServices(
    const v1::ListMultiClusterServicesRequest& request) const {
  std::vector<std::shared_ptr<const v1::MultiClusterService>> found;
  std::shared_ptr<const std::vector<v1::McsMember>> members;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, s] : mcs_services_) {
      if (request.namespace_().empty() || key.first == request.namespace_()) found.push_back(s);
    }
    members = mcs_members_;
  }
  v1::ListMultiClusterServicesResponse response;
  for (const auto& s : found) *response.add_services() = *s;
  if (members != nullptr) {
    for (const v1::McsMember& m : *members) *response.add_members() = m;
  }
  return response;
}

}  // namespace kfed::status
