// The fault suite's judge: after a fault, is every cluster correct?
//
// A FederationCheck owns the desired state of FederatedConfigMaps in one namespace (the test
// changes it only through Desire()/Delete(), which also write it to the host) and checks the
// real clusters against it:
//   - every desired object exists in the host, not being deleted, with the latest template;
//     its status is for the latest generation, Propagation True, and status.clusters names
//     exactly its placement, each with an empty (ok) status;
//   - every placed member copy exists, carries kubefed.io/managed=true and has the template's
//     data with that cluster's override; no member holds a copy that is not placed there;
//   - every deleted object is gone from the host (its finalizer ran) and from every member;
//   - unmanaged member objects (AddUnmanaged) keep their uid, resourceVersion and data;
//   - nothing was created twice: a member copy never changes uid from the first one seen
//     (Observe() samples during the fault), and each member apiserver's audit log
//     (<run dir>/<member>/audit.log, written by hack/local-clusters.sh, kept across restarts)
//     shows every ConfigMap of the namespace created at most once, and only where placed.
#ifndef KFED_E2E_FEDERATION_CHECK_H_
#define KFED_E2E_FEDERATION_CHECK_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kfed::e2e {

// One FederatedConfigMap: data {version, region, name} from the template; `region` is
// replaced per cluster by an override.
struct DesiredConfigMap {
  std::string version = "v1";
  std::vector<std::string> clusters;          // spec.placement.clusters
  std::map<std::string, std::string> region;  // cluster -> override of /data/region
};

struct CheckReport {
  int federated = 0;    // desired federated objects checked in the host
  int copies = 0;       // member copies checked
  int deleted = 0;      // deleted federated objects checked gone (host and members)
  int unmanaged = 0;    // unmanaged member objects checked untouched
  int uid_samples = 0;  // member copies whose uid was sampled during the fault
  std::map<std::string, int64_t> creations;  // member -> kfed's creations in the audit log
  std::map<std::string, int64_t> placed;     // member -> copies ever placed there
  std::vector<std::string> problems;         // empty: correct
  std::string Summary() const;
};

class FederationCheck {
 public:
  // `ns` must be federated to every member; waits until it exists there (with the
  // kube-root-ca.crt ConfigMap each cluster puts in it).
  FederationCheck(std::string ns, std::vector<std::string> members);

  const std::string& ns() const { return ns_; }
  // The FederatedConfigMap's manifest.
  std::string Yaml(const std::string& name, const DesiredConfigMap& desired) const;

  // Records and applies (kubectl apply, or create for new objects) a batch of desired objects.
  absl::Status Desire(const std::map<std::string, DesiredConfigMap>& batch);
  // Records and deletes (kubectl delete --wait=false) federated objects.
  absl::Status Delete(const std::vector<std::string>& names);
  const std::map<std::string, DesiredConfigMap>& desired() const { return desired_; }

  // Creates an unmanaged ConfigMap in `member` and remembers it as it is now.
  absl::Status AddUnmanaged(const std::string& member, const std::string& name);

  // Samples the uids of the copies in every reachable member (unreachable members are
  // skipped). Returns the number of copies seen per member.
  std::map<std::string, int> Observe();

  // Checks once; an empty problems list means correct.
  CheckReport CheckOnce();
  // Checks until correct or `timeout`; the last report either way.
  CheckReport WaitConverged(absl::Duration timeout);

 private:
  struct Unmanaged {
    std::string uid, resource_version, data;
  };
  // name -> successful creations of ConfigMaps in ns_ in `member`'s audit log.
  absl::StatusOr<std::map<std::string, int>> AuditedCreations(const std::string& member) const;
  void RecordUid(const std::string& member, const std::string& name, const std::string& uid);

  std::string ns_;
  std::vector<std::string> members_;
  std::map<std::string, DesiredConfigMap> desired_;
  std::set<std::string> deleted_;
  // member -> names ever placed there (for the creation bound).
  std::map<std::string, std::set<std::string>> ever_placed_;
  std::map<std::string, Unmanaged> unmanaged_;     // "member/name"
  std::map<std::string, std::string> first_uid_;   // "member/name" -> uid
  std::map<std::string, std::string> second_uid_;  // a later, different uid
};

}  // namespace kfed::e2e

#endif  // KFED_E2E_FEDERATION_CHECK_H_
