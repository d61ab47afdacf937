// The objects kfed itself last wrote to the host, per key, until the host cache shows them.
//
// An informer delivers kfed's own write some milliseconds after the write returned. A
// reconcile of the same key in that window read the older object from the cache, and a write
// based on it was bound to fail with 409 Conflict (its resourceVersion is stale) or to repeat
// the write just made (its status is stale). Callers record what each write returned and read
// the newer of the cache and their own last write (KubeFed's VersionManager keeps its
// written PropagatedVersions in memory for the same reason).
//
// Newer means the larger resourceVersion. Kubernetes calls resourceVersions opaque, but the
// kube-apiserver's etcd3 storage issues them as increasing decimal integers (etcd revisions)
// and compares them so itself; a version that is not such an integer never counts as newer,
// so the cache wins and nothing is worse than without this record.
//
// Entries go away once the cache shows the write (or a newer one), checked when the key is
// read and, for keys not read again, by a sweep over all entries whenever their number has
// doubled since the last sweep: the map holds only writes the cache has yet to deliver, not a
// second copy of the cache.
//
// Thread-safe. `cached` (the cache lookup) is called without the lock held.
#ifndef KFED_CONTROLLER_OWN_WRITES_H_
#define KFED_CONTROLLER_OWN_WRITES_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "kube/resource.h"

namespace kfed::controller {

// True when `a` is a strictly later resourceVersion than `b` (both decimal integers).
bool ResourceVersionNewer(absl::string_view a, absl::string_view b);

class OwnWrites {
 public:
  // The host cache's current object for a key, or null.
  using CacheLookup = std::function<kube::ObjectPtr(const std::string& key)>;
  explicit OwnWrites(CacheLookup cached);

  // The object to base the next write of `key` on: kfed's own last write when its
  // resourceVersion is newer than `cached`'s, or when `cached` is null (a create the cache has
  // yet to show); otherwise `cached` (and the own record is dropped).
  kube::ObjectPtr Latest(const std::string& key, kube::ObjectPtr cached) ABSL_LOCKS_EXCLUDED(mu_);
  // Remembers what a write of `key` returned (null: nothing is remembered).
  void Record(const std::string& key, kube::ObjectPtr written) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets `key` (the object is gone, or a write failed and the cache must be trusted).
  void Forget(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Writes still waiting for the cache (tests and memory accounting).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Drops the entries the cache has caught up with.
  void Sweep() ABSL_LOCKS_EXCLUDED(mu_);

  const CacheLookup cached_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, kube::ObjectPtr> written_ ABSL_GUARDED_BY(mu_);
  // Sweep when written_ grows beyond this.
  size_t sweep_at_ ABSL_GUARDED_BY(mu_) = kMinSweep;
  static constexpr size_t kMinSweep = 64;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_OWN_WRITES_H_
