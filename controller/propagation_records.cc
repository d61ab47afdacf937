#include "controller/propagation_records.h"

namespace kfed::controller {

void PropagationRecords::Observe(const std::string& key, absl::Time now) {
  absl::MutexLock lock(&mu_);
  objects_[key].observed = now;
}

void PropagationRecords::ObserveIfKnown(const std::string& key, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) it->second.observed = now;
}

absl::Time PropagationRecords::Observed(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? absl::Time() : it->second.observed;
}

std::map<std::string, std::string> PropagationRecords::WrittenVersions(
    const std::string& key, const std::string& template_version,
    const std::string& overrides_version) const {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end() || it->second.template_version != template_version ||
      it->second.overrides_version != overrides_version) {
    return {};
  }
  return it->second.versions;
}

bool PropagationRecords::Record(const std::string& key, const MemberOutcome& member) {
  absl::MutexLock lock(&mu_);
  ObjectRecord& obj = objects_[key];
  if (obj.template_version != member.template_version ||
      obj.overrides_version != member.overrides_version) {
    obj.template_version = member.template_version;
    obj.overrides_version = member.overrides_version;
    obj.versions.clear();
  }
  const DispatchOutcome& outcome = member.outcome;
  if (!outcome.version.empty()) obj.versions[member.cluster] = outcome.version;
  if (member.op == Operation::kDelete || member.op == Operation::kRemoveManagedLabel) {
    obj.versions.erase(member.cluster);
  }
  ClusterRecord& rec = obj.clusters[member.cluster];
  const bool first_after_write = rec.last.wrote && !outcome.wrote && !rec.settled_after_write;
  const bool changed = !rec.has_outcome || rec.last.status != outcome.status ||
                       rec.last.message != outcome.message || outcome.wrote ||
                       first_after_write || rec.remote_status != member.remote_status;
  if (outcome.wrote) rec.settled_after_write = false;
  if (first_after_write) rec.settled_after_write = true;
  rec.remote_status = member.remote_status;
  const bool keep_wrote = rec.last.wrote;
  rec.last = {outcome.status, outcome.message, outcome.wrote || keep_wrote};
  // (`wrote` kept from an earlier write is cleared by MarkAccounted.)
  rec.has_outcome = true;
  ++rec.outcome_seq;
  if (outcome.wrote && member.observed != absl::Time()) {
    rec.latency_seconds = absl::ToDoubleSeconds(member.now - member.observed);
  }
  return changed;
}

ObjectRecord PropagationRecords::Snapshot(const std::string& key) {
  absl::MutexLock lock(&mu_);
  return objects_[key];
}

void PropagationRecords::MarkAccounted(const std::string& key,
                                       const std::map<std::string, uint64_t>& accounted) {
  absl::MutexLock lock(&mu_);
  auto obj = objects_.find(key);
  if (obj == objects_.end()) return;
  for (auto& [cluster, rec] : obj->second.clusters) {
    auto seen = accounted.find(cluster);
    if (seen != accounted.end() && seen->second == rec.outcome_seq) rec.last.wrote = false;
  }
}

bool PropagationRecords::SetWaiting(const std::string& key, const std::string& waiting) {
  absl::MutexLock lock(&mu_);
  ObjectRecord& obj = objects_[key];
  const bool changed = obj.last_waiting != waiting;
  obj.last_waiting = waiting;
  return changed;
}

bool PropagationRecords::ForgetCluster(const std::string& key, const std::string& cluster) {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  return it != objects_.end() && it->second.clusters.erase(cluster) > 0;
}

void PropagationRecords::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  objects_.erase(key);
}

size_t PropagationRecords::size() const {
  absl::MutexLock lock(&mu_);
  return objects_.size();
}

}  // namespace kfed::controller
