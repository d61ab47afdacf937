#include "controller/write_expectations.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "controller/object_meta.h"

namespace kfed::controller {
namespace {

// resourceVersions are opaque to clients in general, but every kube-apiserver backed by etcd
// issues increasing integers; kfed compares them only to know whether its own write has
// reached a cache yet, and treats anything unparsable as "caught up".
bool OlderThan(const std::string& rv, const std::string& than) {
  uint64_t a = 0, b = 0;
  if (!absl::SimpleAtoi(rv, &a) || !absl::SimpleAtoi(than, &b)) return false;
  return a < b;
}

}  // namespace

void WriteExpectations::Expect(const std::string& key, const std::string& cluster, Operation op,
                               const std::string& resource_version, const std::string& uid) {
  absl::MutexLock lock(&mu_);
  if (op != Operation::kCreate && op != Operation::kUpdate && op != Operation::kDelete) {
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    it->second.erase(cluster);
    if (it->second.empty()) pending_.erase(it);
    return;
  }
  pending_[key][cluster] = {op, resource_version, uid, clock_.Now()};
}

bool WriteExpectations::CaughtUp(const std::string& key, const std::string& cluster,
                                 const rapidjson::Value* live) {
  absl::MutexLock lock(&mu_);
  auto object = pending_.find(key);
  if (object == pending_.end()) return true;
  auto it = object->second.find(cluster);
  if (it == object->second.end()) return true;
  const Expectation& e = it->second;
  bool stale = false;
  switch (e.op) {
    case Operation::kCreate:
    case Operation::kUpdate:
      // Created but absent, or present at an older resourceVersion than kfed wrote. (An
      // updated object that is absent was deleted since: nothing to wait for.)
      stale = live == nullptr ? e.op == Operation::kCreate
                              : OlderThan(Meta(*live, "resourceVersion"), e.resource_version);
      break;
    case Operation::kDelete:
      stale = live != nullptr && Meta(*live, "uid") == e.uid;
      break;
    default:
      break;
  }
  if (stale && clock_.Now() - e.since <= kWriteExpectationTimeout) return false;
  object->second.erase(it);
  if (object->second.empty()) pending_.erase(object);
  return true;
}

void WriteExpectations::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  pending_.erase(key);
}

void WriteExpectations::Forget(const std::string& key, const std::string& cluster) {
  absl::MutexLock lock(&mu_);
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  it->second.erase(cluster);
  if (it->second.empty()) pending_.erase(it);
}

void WriteExpectations::BeginWrite(const std::string& key) {
  absl::MutexLock lock(&mu_);
  ++in_flight_[key];
}

void WriteExpectations::EndWrite(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = in_flight_.find(key);
  if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
}

bool WriteExpectations::Busy(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  if (in_flight_.count(key) > 0) return true;
  auto it = pending_.find(key);
  if (it == pending_.end()) return false;
  const absl::Time now = clock_.Now();
  for (const auto& [cluster, e] : it->second) {
    if ((e.op == Operation::kCreate || e.op == Operation::kUpdate) &&
        now - e.since < kWriteExpectationTimeout) {
      return true;
    }
  }
  return false;
}

size_t WriteExpectations::size() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, clusters] : pending_) n += clusters.size();
  return n;
}

}  // namespace kfed::controller
