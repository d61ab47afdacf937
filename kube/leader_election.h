// Leader election on a coordination.k8s.io/v1 Lease, following client-go's
// leaderelection package: a candidate takes the lease when it is free or its holder has
// not renewed it for lease_duration (measured on the candidate's own clock from when it
// last saw the record change, so clock skew between candidates does not matter), renews
// it every retry_period, and gives up leadership when it could not renew for
// renew_deadline. On shutdown the leader releases the lease (holderIdentity cleared) so a
// successor need not wait for it to expire.
//
// With `also_hold`, the elector holds a second lock of client-go's annotation kind as well
// (a ConfigMap or Endpoints whose annotation control-plane.alpha.kubernetes.io/leader holds
// the LeaderElectionRecord: what KubeFed v0.10's "configmaps"/"endpoints" resource locks
// use), as client-go's MultiLock does: both are written on every acquire and renewal, and a
// holder of either that is not this candidate keeps it from leading. So kfed and a KubeFed
// still running against the same host exclude each other during a cut-over.
#ifndef KFED_KUBE_LEADER_ELECTION_H_
#define KFED_KUBE_LEADER_ELECTION_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "kube/client.h"

namespace kfed::kube {

// A lock kept in an annotation of a ConfigMap or Endpoints object (client-go's
// ConfigMapLock / EndpointsLock).
struct AnnotationLock {
  GroupVersionResource gvr;  // ConfigMapsResource() or EndpointsResource()
  std::string ns;
  std::string name;
};

inline constexpr char kLeaderAnnotation[] = "control-plane.alpha.kubernetes.io/leader";

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per candidate, e.g. "<hostname>_<random>"
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  bool release_on_cancel = true;
  // A second lock held with the Lease (see the file comment); none when unset.
  std::optional<AnnotationLock> also_hold;
  // Called on Run()'s thread; must not block (start your own workers).
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;  // any observed holder
};

class LeaderElector {
 public:
  // Checks lease_duration > renew_deadline > retry_period > 0 and the names.
  static absl::StatusOr<std::unique_ptr<LeaderElector>> Create(Client& client,
                                                              LeaderElectionConfig config,
                                                              Clock& clock = Clock::Real());

  // Campaigns until leader, leads until `stop` is cancelled or the lease is lost, then
  // returns (after on_stopped_leading when it had led). Call once.
  void Run(const CancellationToken* stop);

  bool IsLeader() const ABSL_LOCKS_EXCLUDED(mu_);
  // The holder last observed ("" when none).
  std::string Leader() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  LeaderElector(Client& client, LeaderElectionConfig config, Clock& clock);
  // One attempt to acquire or renew. OK when we hold the lease afterwards.
  absl::Status TryAcquireOrRenew();
  void Release();
  // The second lock's record: its holder and the record's text ("" when absent).
  struct Secondary {
    bool exists = false;
    ObjectPtr object;
    std::string holder;
    std::string raw;
    int64_t transitions = 0;
  };
  absl::StatusOr<Secondary> GetSecondary();
  // Writes our record (or, releasing, an empty holder) into the second lock.
  absl::Status WriteSecondary(const Secondary& current, const std::string& holder,
                              absl::Time now, bool acquired);
  void Observe(const std::string& holder, const std::string& renew_time)
      ABSL_LOCKS_EXCLUDED(mu_);

  Client& client_;
  const LeaderElectionConfig config_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  std::string observed_holder_ ABSL_GUARDED_BY(mu_);
  std::string observed_renew_ ABSL_GUARDED_BY(mu_);
  absl::Time observed_time_ ABSL_GUARDED_BY(mu_);
};

// Formats a metav1.MicroTime ("2006-01-02T15:04:05.000000Z").
std::string FormatMicroTime(absl::Time t);

}  // namespace kfed::kube

#endif  // KFED_KUBE_LEADER_ELECTION_H_
