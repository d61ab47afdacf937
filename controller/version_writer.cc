#include "controller/version_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/object_meta.h"
#include "glog/logging.h"

namespace kfed::controller {

VersionWriter::VersionWriter(const PropagatedVersionStore& versions,
                             const kube::Informer& federated,
                             const federated_types::TypeConfig& type,
                             std::function<void(const std::string& key)> enqueue)
    : versions_(versions), federated_(federated), type_(type), enqueue_(std::move(enqueue)) {}

void VersionWriter::Want(const std::string& key, VersionRecord record) {
  {
    absl::MutexLock lock(&mu_);
    Entry& e = waiting_[key];
    e.record = std::move(record);
    e.sequence = ++next_sequence_;
  }
  enqueue_(key);
}

size_t VersionWriter::Waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_.size();
}

bool VersionWriter::Gone(const std::string& key, const VersionRecord& record) const {
  auto [ns, name] = SplitObjectKey(key);
  kube::ObjectPtr now = federated_.Get(type_.FederatedNamespaced() ? ns : "", name);
  return now == nullptr || HasDeletionTimestamp(*now) ||
         Meta(*now, "uid") != Meta(*record.federated_object, "uid");
}

void VersionWriter::Drop(const std::string& key, uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  auto it = waiting_.find(key);
  if (it != waiting_.end() && it->second.sequence == sequence) waiting_.erase(it);
}

absl::StatusOr<ReconcileResult> VersionWriter::Reconcile(const std::string& key) {
  Entry entry;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return ReconcileResult::Done();
    entry = it->second;
  }
  const VersionRecord& r = entry.record;
  if (Gone(key, r)) {
    Drop(key, entry.sequence);
    return ReconcileResult::Done();
  }
  absl::Status written =
      versions_.Update(*r.federated_object, key, r.template_version, r.overrides_version,
                       r.selected, r.versions, kube::RequestPriority::kLow);
  if (!written.ok()) {
    return RetriedError(written, absl::StrCat("recording the versions of ", type_.federated_type.kind,
                                              " ", key));
  }
  // The object went away while the record was written: the deletion pass may have deleted
  // the record before this write landed.
  // (When this delete fails, the owner reference leaves the record to the garbage collector.)
  if (Gone(key, r)) {
    if (absl::Status deleted = versions_.Delete(key); !deleted.ok()) VLOG(1) << deleted;
  }
  Drop(key, entry.sequence);
  return ReconcileResult::Done();
}

}  // namespace kfed::controller
