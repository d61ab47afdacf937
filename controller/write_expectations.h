// Writes kfed made to member clusters that the members' caches may not show yet
// ("expectations", as in client-go's ReplicaSet controller). A member worker decides from its
// cache; deciding again before the cache shows kfed's own last write would create an object
// twice or undo a fresh update. So each (federated key, cluster) remembers its last write
// until the cache shows it, or something newer, or kWriteExpectationTimeout passes.
//
// Thread-safe. For one (key, cluster), only that cluster's workers write and check (its queue
// never runs a key twice at once); host workers forget keys.
#ifndef KFED_CONTROLLER_WRITE_EXPECTATIONS_H_
#define KFED_CONTROLLER_WRITE_EXPECTATIONS_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "controller/sync_plan.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// A write the member cache never shows (the object was removed or replaced by someone else
// at once) stops holding decisions back after this long.
inline constexpr absl::Duration kWriteExpectationTimeout = absl::Seconds(30);

class WriteExpectations {
 public:
  explicit WriteExpectations(Clock& clock = Clock::Real()) : clock_(clock) {}

  // Remembers the write just made to `cluster` for `key`, replacing an earlier one:
  //   kCreate / kUpdate: the written object's resourceVersion (the cache must reach it);
  //   kDelete: the uid of the object deleted (the cache must drop it);
  //   anything else (an unlabel) expects nothing and forgets the earlier write.
  void Expect(const std::string& key, const std::string& cluster, Operation op,
              const std::string& resource_version, const std::string& uid) ABSL_LOCKS_EXCLUDED(mu_);

  // Whether the member cache, which holds `live` (nullptr: no object), shows the last write
  // for (key, cluster): true when there is none, when the cache shows it or something newer,
  // and once kWriteExpectationTimeout has passed since the write. A satisfied expectation is
  // forgotten; an unsatisfied one is kept (the cache's own event brings the key back).
  // resourceVersions are compared as integers (every etcd-backed apiserver issues increasing
  // ones); one that does not parse counts as caught up.
  bool CaughtUp(const std::string& key, const std::string& cluster, const rapidjson::Value* live)
      ABSL_LOCKS_EXCLUDED(mu_);

  void Forget(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  void Forget(const std::string& key, const std::string& cluster) ABSL_LOCKS_EXCLUDED(mu_);

  // A member write for `key` is about to start / has ended (its Expect, if any, already
  // made). Between the two the write is in flight: no cache can show it yet.
  void BeginWrite(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  void EndWrite(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether a member copy of `key` may exist that no member cache shows: a write in flight,
  // or a create/update whose result a cache has not shown yet (within
  // kWriteExpectationTimeout). A deletion must not finish while this holds, or the copy
  // would outlive its federated object (and only lose the managed label).
  bool Busy(const std::string& key) const ABSL_LOCKS_EXCLUDED(mu_);

  // Expectations held (for tests).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Expectation {
    Operation op = Operation::kNone;
    std::string resource_version;
    std::string uid;
    absl::Time since;
  };

  Clock& clock_;
  mutable absl::Mutex mu_;
  // key -> cluster -> the last write not seen yet.
  std::map<std::string, std::map<std::string, Expectation>> pending_ ABSL_GUARDED_BY(mu_);
  // key -> member writes in flight.
  std::map<std::string, int> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_WRITE_EXPECTATIONS_H_
