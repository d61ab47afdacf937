#include "controller/propagation_records.h"

#include <algorithm>

namespace kfed::controller {

PropagationRecords::StoredCluster& PropagationRecords::Cluster(StoredObject& object,
                                                               const std::string& cluster) {
  auto it = std::lower_bound(
      object.clusters.begin(), object.clusters.end(), cluster,
      [](const StoredCluster& c, const std::string& name) { return c.cluster < name; });
  if (it != object.clusters.end() && it->cluster == cluster) return *it;
  StoredCluster added;
  added.cluster = cluster;
  return *object.clusters.insert(it, std::move(added));
}

void PropagationRecords::DropEmpty(StoredObject& object) {
  object.clusters.erase(std::remove_if(object.clusters.begin(), object.clusters.end(),
                                       [](const StoredCluster& c) {
                                         return !c.has_record && c.version.empty();
                                       }),
                        object.clusters.end());
}

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
  std::map<std::string, std::string> versions;
  for (const StoredCluster& c : it->second.clusters) {
    if (!c.version.empty()) versions[c.cluster] = c.version;
  }
  return versions;
}

bool PropagationRecords::Record(const std::string& key, const MemberOutcome& member) {
  absl::MutexLock lock(&mu_);
  StoredObject& obj = objects_[key];
  if (obj.template_version != member.template_version ||
      obj.overrides_version != member.overrides_version) {
    obj.template_version = member.template_version;
    obj.overrides_version = member.overrides_version;
    for (StoredCluster& c : obj.clusters) c.version.clear();
  }
  const DispatchOutcome& outcome = member.outcome;
  StoredCluster& stored = Cluster(obj, member.cluster);
  if (!outcome.version.empty()) stored.version = outcome.version;
  if (member.op == Operation::kDelete || member.op == Operation::kRemoveManagedLabel) {
    stored.version.clear();
  }
  stored.has_record = true;
  ClusterRecord& rec = stored.record;
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
  StoredObject& stored = objects_[key];
  DropEmpty(stored);
  ObjectRecord out;
  out.template_version = stored.template_version;
  out.overrides_version = stored.overrides_version;
  for (const StoredCluster& c : stored.clusters) {
    if (!c.version.empty()) out.versions[c.cluster] = c.version;
    if (c.has_record) out.clusters[c.cluster] = c.record;
  }
  out.observed = stored.observed;
  out.last_waiting = stored.last_waiting;
  return out;
}

void PropagationRecords::MarkAccounted(const std::string& key,
                                       const std::map<std::string, uint64_t>& accounted) {
  absl::MutexLock lock(&mu_);
  auto obj = objects_.find(key);
  if (obj == objects_.end()) return;
  for (StoredCluster& c : obj->second.clusters) {
    if (!c.has_record) continue;
    auto seen = accounted.find(c.cluster);
    if (seen != accounted.end() && seen->second == c.record.outcome_seq) c.record.last.wrote = false;
  }
}

bool PropagationRecords::SetWaiting(const std::string& key, const std::string& waiting) {
  absl::MutexLock lock(&mu_);
  StoredObject& obj = objects_[key];
  const bool changed = obj.last_waiting != waiting;
  obj.last_waiting = waiting;
  return changed;
}

bool PropagationRecords::ForgetCluster(const std::string& key, const std::string& cluster) {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  for (StoredCluster& c : it->second.clusters) {
    if (c.cluster != cluster || !c.has_record) continue;
    c.record = ClusterRecord();
    c.has_record = false;
    DropEmpty(it->second);
    return true;
  }
  return false;
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
