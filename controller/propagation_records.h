// What a sync controller knows about the propagation of each federated object of its type,
// beyond the caches: per cluster the last outcome of a member worker, the versions kfed wrote
// (newer than the PropagatedVersion until the host writes it), when the change being
// propagated was seen (for latency), and which clusters a deletion last waited for.
//
// Member workers record outcomes; host workers read them into status and then mark as
// accounted for the outcomes they read. The `outcome_seq` race: a member worker may record a
// write while the host is writing a status computed before it. The host must then clear only
// the "wrote" marks it read (by sequence number), or the later write's mark is lost: the pass
// that later sees that write in the member cache does not wake the host, and the status stays
// stale (the fault suite once left 176 of 1,000 statuses at ClusterNotReady that way).
//
// Thread-safe: every access takes the one mutex; no call blocks or calls out while holding it.
#ifndef KFED_CONTROLLER_PROPAGATION_RECORDS_H_
#define KFED_CONTROLLER_PROPAGATION_RECORDS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/dispatcher.h"
#include "controller/sync_plan.h"

namespace kfed::controller {

// What a status needs of a member pass's DispatchOutcome (the rest of it, the written
// object's uid and resourceVersion, the request's error, the event, is for that pass only;
// keeping it for every object and cluster cost ~180 bytes each).
struct RecordedOutcome {
  std::string status;   // KubeFed per-cluster status; "" OK
  std::string message;  // what went wrong
  bool wrote = false;   // a write reached the member
};

// One federated object in one cluster.
struct ClusterRecord {
  // The last outcome. `last.wrote` stays true from a write until a host pass accounted for
  // it (MarkAccounted), across later outcomes that wrote nothing.
  RecordedOutcome last;
  bool has_outcome = false;
  // Counts the outcomes recorded in `last`.
  uint64_t outcome_seq = 0;
  // The first outcome after the last write has been recorded (and woke the host): later
  // quiet outcomes wake it no more, even while `last.wrote` waits to be accounted for.
  bool settled_after_write = false;
  // Seconds from the change seen to the last write that carried it (status API).
  double latency_seconds = 0;
  // With raw status collection: the member object's `status` the last pass saw, serialized
  // ("" none). A change wakes the host, which writes it into status.clusters[].remoteStatus.
  std::string remote_status;
};

// One federated object, as Snapshot returns it.
struct ObjectRecord {
  // The template and overrides versions `versions` were written for.
  std::string template_version;
  std::string overrides_version;
  std::map<std::string, std::string> versions;  // cluster -> version of the object kfed wrote
  std::map<std::string, ClusterRecord> clusters;
  absl::Time observed;       // when the change being propagated was seen (for latency)
  std::string last_waiting;  // clusters a deletion waited for, last reported
};

// What one member pass did.
struct MemberOutcome {
  std::string cluster;
  // Of the federated object the pass planned from.
  std::string template_version;
  std::string overrides_version;
  Operation op = Operation::kNone;
  DispatchOutcome outcome;
  // With raw status collection: the member object's `status` in the cache the pass planned
  // from, serialized ("" none; always "" without collection).
  std::string remote_status;
  // When the change the pass carried was seen (read before the write; absl::Time() unknown),
  // and when the pass ended.
  absl::Time observed;
  absl::Time now;
};

class PropagationRecords {
 public:
  // The host saw the federated object change: the latency clock starts (creates the record).
  void Observe(const std::string& key, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // A member saw a change of its copy (drift, or the echo of kfed's own write): the latency
  // clock restarts for an object already known; nothing is created.
  void ObserveIfKnown(const std::string& key, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // When the change being propagated was seen; absl::Time() when not known.
  absl::Time Observed(const std::string& key) const ABSL_LOCKS_EXCLUDED(mu_);

  // Cluster -> version kfed wrote, when written for these template and overrides versions
  // (else none: the template or overrides changed since).
  std::map<std::string, std::string> WrittenVersions(const std::string& key,
                                                     const std::string& template_version,
                                                     const std::string& overrides_version) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Folds in a member pass's outcome; returns whether the host must look at the object
  // again: the outcome is the first, changed status, message or remote status, wrote, or is
  // the first after a write that no status accounted for yet (the host writes status only
  // once no selected cluster is in flight, so the pass that first sees a write settled in
  // the cache must wake it). Only the first: the host's pass queues every member's worker
  // again, and if each of their quiet passes woke the host until it accounted for the write,
  // host and member workers would wake each other for as long as the host's snapshot came
  // before the member's record (a busy loop under load, 137% of the cores with one member
  // unreachable in bench/propagation.sh --smoke).
  bool Record(const std::string& key, const MemberOutcome& member) ABSL_LOCKS_EXCLUDED(mu_);

  // Copy of the object's record, created empty when absent (a live object has one from its
  // first host pass on).
  ObjectRecord Snapshot(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Clears `last.wrote` of each cluster whose outcome_seq is still the one in `accounted`
  // (cluster -> outcome_seq read into the status just written); a later outcome keeps it.
  void MarkAccounted(const std::string& key, const std::map<std::string, uint64_t>& accounted)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sets the clusters a deletion waits for; returns whether they differ from the last ones.
  bool SetWaiting(const std::string& key, const std::string& waiting) ABSL_LOCKS_EXCLUDED(mu_);

  // Forgets one cluster's record (nothing to do or report there any more); returns whether
  // there was one.
  bool ForgetCluster(const std::string& key, const std::string& cluster) ABSL_LOCKS_EXCLUDED(mu_);
  void Forget(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // How a record is kept (Snapshot builds an ObjectRecord from it): one vector of clusters
  // per object, sized exactly, holding both the outcome and the written version; cluster
  // names and statuses interned (a few distinct values), message and remote status on the
  // heap only when not empty (most are). 88 bytes per cluster instead of ~200 in a vector
  // grown to 4 (docs/benchmarks.md, memory: 1 KB per object with 3 clusters before).
  struct StoredCluster {
    const std::string* cluster = nullptr;       // interned
    const std::string* status = nullptr;        // interned; KubeFed per-cluster status, "" OK
    std::unique_ptr<std::string> message;       // null: ""
    std::unique_ptr<std::string> remote_status; // null: ""
    std::string version;  // the version of the object kfed wrote ("" none)
    uint64_t outcome_seq = 0;
    double latency_seconds = 0;
    bool has_record = false;  // false: only the version is known (ForgetCluster)
    bool has_outcome = false;
    bool wrote = false;
    bool settled_after_write = false;
  };
  struct StoredObject {
    std::string template_version;
    std::string overrides_version;
    std::vector<StoredCluster> clusters;  // by name
    absl::Time observed;
    std::unique_ptr<std::string> last_waiting;  // null: ""
  };
  // The cluster's entry, created when absent.
  StoredCluster& ClusterLocked(StoredObject& object, const std::string& cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const std::string* InternLocked(const std::string& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void DropEmpty(StoredObject& object);
  static ClusterRecord ToRecord(const StoredCluster& c);

  mutable absl::Mutex mu_;
  std::map<std::string, StoredObject> objects_ ABSL_GUARDED_BY(mu_);
  // Cluster names and statuses seen (a bounded set; never shrinks).
  absl::node_hash_set<std::string> interned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_PROPAGATION_RECORDS_H_
