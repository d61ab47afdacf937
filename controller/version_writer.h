// The PropagatedVersion writes of one type, off the host pass: the host pass says what the
// record of a federated object should hold (Want) and goes on; the version workers write it
// with kube::RequestPriority::kLow on the host client's limiter. In a burst (a cold start)
// every finalizer and status write therefore goes before any record, and statuses become
// True after two host writes per object instead of four (issue 21). The record is an
// optimisation (propagated_version_store.h): this process plans from its own
// PropagationRecords, so a record written late costs nothing; a restart before it is written
// costs at most one member update per object.
//
// Contract:
//   - Want replaces what waits for the key (the newest wins) and queues the key.
//   - Reconcile writes what waits, unless the federated object is gone, being deleted or
//     replaced (another uid) in the host cache: then it drops it and writes nothing. A record
//     written while the object was being deleted is deleted again (the deletion pass may
//     have deleted the record before this write landed; the owner reference would let the
//     garbage collector remove it too, later).
//   - A failed write keeps what waits and is returned to be retried with backoff.
// Thread-safe: host workers call Want, the version workers Reconcile (never twice at once for
// one key: the queue guarantees it).
#ifndef KFED_CONTROLLER_VERSION_WRITER_H_
#define KFED_CONTROLLER_VERSION_WRITER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/propagated_version_store.h"
#include "controller/reconciler.h"
#include "federated_types/type_config.h"
#include "kube/informer.h"

namespace kfed::controller {

// What the record of one federated object should hold (PropagatedVersionStore::Update).
struct VersionRecord {
  kube::ObjectPtr federated_object;  // as the host pass read it: its uid owns the record
  std::string template_version;
  std::string overrides_version;
  std::set<std::string> selected;
  std::map<std::string, std::string> versions;
};

class VersionWriter : public Reconciler {
 public:
  // All borrowed. `federated` is the host cache of the type's Federated<Kind>; `enqueue`
  // queues a key for the version workers.
  VersionWriter(const PropagatedVersionStore& versions, const kube::Informer& federated,
                const federated_types::TypeConfig& type,
                std::function<void(const std::string& key)> enqueue);

  void Want(const std::string& key, VersionRecord record) ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key) override
      ABSL_LOCKS_EXCLUDED(mu_);

  // Records waiting to be written.
  size_t Waiting() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    VersionRecord record;
    uint64_t sequence = 0;
  };
  // Whether the host cache no longer holds the live object `record` was made for.
  bool Gone(const std::string& key, const VersionRecord& record) const;
  // Drops the entry of `key` unless Want replaced it since `sequence`.
  void Drop(const std::string& key, uint64_t sequence) ABSL_LOCKS_EXCLUDED(mu_);

  const PropagatedVersionStore& versions_;
  const kube::Informer& federated_;
  const federated_types::TypeConfig& type_;
  const std::function<void(const std::string& key)> enqueue_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> waiting_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_VERSION_WRITER_H_
