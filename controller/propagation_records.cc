#include "controller/propagation_records.h"

#include <algorithm>

namespace kfed::controller {

namespace {

const std::string& Text(const std::unique_ptr<std::string>& s) {
  static const std::string* const kEmpty = new std::string();
  return s == nullptr ? *kEmpty : *s;
}

void SetText(std::unique_ptr<std::string>& s, const std::string& value) {
  if (value.empty()) {
    s.reset();
  } else if (s == nullptr) {
    s = std::make_unique<std::string>(value);
  } else {
    *s = value;
  }
}

}  // namespace

const std::string* PropagationRecords::InternLocked(const std::string& s) {
  return &*interned_.insert(s).first;
}

PropagationRecords::StoredCluster& PropagationRecords::ClusterLocked(StoredObject& object,
                                                                     const std::string& cluster) {
  auto it = std::lower_bound(
      object.clusters.begin(), object.clusters.end(), cluster,
      [](const StoredCluster& c, const std::string& name) { return *c.cluster < name; });
  if (it != object.clusters.end() && *it->cluster == cluster) return *it;
  const size_t at = it - object.clusters.begin();
  // Exactly as many as there are clusters: a vector grown by doubling kept a fourth, empty
  // entry for three clusters.
  std::vector<StoredCluster> grown;
  grown.reserve(object.clusters.size() + 1);
  for (size_t i = 0; i < object.clusters.size(); ++i) {
    if (i == at) grown.emplace_back();
    grown.push_back(std::move(object.clusters[i]));
  }
  if (at == object.clusters.size()) grown.emplace_back();
  object.clusters.swap(grown);
  StoredCluster& added = object.clusters[at];
  added.cluster = InternLocked(cluster);
  added.status = InternLocked("");
  return added;
}

void PropagationRecords::DropEmpty(StoredObject& object) {
  object.clusters.erase(std::remove_if(object.clusters.begin(), object.clusters.end(),
                                       [](const StoredCluster& c) {
                                         return !c.has_record && c.version.empty();
                                       }),
                        object.clusters.end());
}

ClusterRecord PropagationRecords::ToRecord(const StoredCluster& c) {
  ClusterRecord r;
  r.last = {*c.status, Text(c.message), c.wrote};
  r.has_outcome = c.has_outcome;
  r.outcome_seq = c.outcome_seq;
  r.settled_after_write = c.settled_after_write;
  r.latency_seconds = c.latency_seconds;
  r.remote_status = Text(c.remote_status);
  return r;
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
    if (!c.version.empty()) versions[*c.cluster] = c.version;
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
  StoredCluster& stored = ClusterLocked(obj, member.cluster);
  if (!outcome.version.empty()) stored.version = outcome.version;
  if (member.op == Operation::kDelete || member.op == Operation::kRemoveManagedLabel) {
    stored.version.clear();
  }
  stored.has_record = true;
  const bool first_after_write = stored.wrote && !outcome.wrote && !stored.settled_after_write;
  const bool changed = !stored.has_outcome || *stored.status != outcome.status ||
                       Text(stored.message) != outcome.message || outcome.wrote ||
                       first_after_write || Text(stored.remote_status) != member.remote_status;
  if (outcome.wrote) stored.settled_after_write = false;
  if (first_after_write) stored.settled_after_write = true;
  SetText(stored.remote_status, member.remote_status);
  if (*stored.status != outcome.status) stored.status = InternLocked(outcome.status);
  SetText(stored.message, outcome.message);
  // (`wrote` kept from an earlier write is cleared by MarkAccounted.)
  stored.wrote = outcome.wrote || stored.wrote;
  stored.has_outcome = true;
  ++stored.outcome_seq;
  if (outcome.wrote && member.observed != absl::Time()) {
    stored.latency_seconds = absl::ToDoubleSeconds(member.now - member.observed);
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
    if (!c.version.empty()) out.versions[*c.cluster] = c.version;
    if (c.has_record) out.clusters[*c.cluster] = ToRecord(c);
  }
  out.observed = stored.observed;
  out.last_waiting = Text(stored.last_waiting);
  return out;
}

void PropagationRecords::MarkAccounted(const std::string& key,
                                       const std::map<std::string, uint64_t>& accounted) {
  absl::MutexLock lock(&mu_);
  auto obj = objects_.find(key);
  if (obj == objects_.end()) return;
  for (StoredCluster& c : obj->second.clusters) {
    if (!c.has_record) continue;
    auto seen = accounted.find(*c.cluster);
    if (seen != accounted.end() && seen->second == c.outcome_seq) c.wrote = false;
  }
}

bool PropagationRecords::SetWaiting(const std::string& key, const std::string& waiting) {
  absl::MutexLock lock(&mu_);
  StoredObject& obj = objects_[key];
  const bool changed = Text(obj.last_waiting) != waiting;
  SetText(obj.last_waiting, waiting);
  return changed;
}

bool PropagationRecords::ForgetCluster(const std::string& key, const std::string& cluster) {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  for (StoredCluster& c : it->second.clusters) {
    if (*c.cluster != cluster || !c.has_record) continue;
    const std::string* name = c.cluster;
    std::string version = std::move(c.version);
    c = StoredCluster();
    c.cluster = name;
    c.status = InternLocked("");
    c.version = std::move(version);
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
