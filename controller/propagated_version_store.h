// The (Cluster)PropagatedVersion of each federated object of one type: which version of the
// member object kfed last wrote to each cluster, for which template and overrides, so that a
// restarted controller does not rewrite every member object. Reads come from the host cache,
// writes go to the host. As in KubeFed, the record is an optimisation: a failed write costs
// at most an update of a member object later, never a wrong decision.
//
// Thread-safe (the cache, client and own-write record are). Update runs on the version workers
// (version_writer.h), never twice at once for the same federated object; Delete on the host
// workers' deletion pass.
#ifndef KFED_CONTROLLER_PROPAGATED_VERSION_STORE_H_
#define KFED_CONTROLLER_PROPAGATED_VERSION_STORE_H_

#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "controller/own_writes.h"
#include "federated_types/type_config.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "rapidjson/document.h"

namespace kfed::controller {

class PropagatedVersionStore {
 public:
  // `cache` is the host informer of the type's PropagatedVersion kind (PropagatedVersion for
  // namespaced federated types, ClusterPropagatedVersion otherwise). All borrowed.
  PropagatedVersionStore(kube::Client& host, const kube::Informer& cache,
                         const federated_types::TypeConfig& type, std::string field_manager);
  PropagatedVersionStore(const PropagatedVersionStore&) = delete;
  PropagatedVersionStore& operator=(const PropagatedVersionStore&) = delete;

  // Cluster -> version recorded for the federated object `fed_ns`/`fed_name`, when recorded
  // for these template and overrides versions (else none: everything needs an update).
  std::map<std::string, std::string> Recorded(const std::string& fed_ns,
                                              const std::string& fed_name,
                                              const std::string& template_version,
                                              const std::string& overrides_version) const;

  // Brings the record of `federated_object` (key `key`) up to date: the versions for the
  // `selected` clusters, from `versions` or, for those it does not name, the old record
  // (KubeFed's VersionManager.Update). Writes nothing when the cached record already says so;
  // creates the record when there is none. OK as well when the host refuses the record as
  // invalid (e.g. "<kind>-<name>" longer than 253 characters: retrying cannot help, and
  // without the record a restart only rewrites the object once) or the record vanished.
  // Any other failure is returned (with context) to be retried. The writes wait for the host
  // client's limiter with `priority`.
  absl::Status Update(const rapidjson::Value& federated_object, const std::string& key,
                      const std::string& template_version, const std::string& overrides_version,
                      const std::set<std::string>& selected,
                      const std::map<std::string, std::string>& versions,
                      kube::RequestPriority priority = kube::RequestPriority::kNormal) const;

  // Deletes the record of a federated object being deleted; OK when there is none.
  absl::Status Delete(const std::string& key) const;

  // kfed's own writes the cache has yet to show (tests).
  size_t PendingOwnWrites() const { return own_writes_.size(); }

 private:
  std::string Namespace(const std::string& key) const;
  std::string Name(const std::string& key) const;

  kube::Client& host_;
  const kube::Informer& cache_;
  const federated_types::TypeConfig& type_;
  const std::string field_manager_;
  // What Update last wrote per key, until the cache shows it: the base of the next write.
  mutable OwnWrites own_writes_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_PROPAGATED_VERSION_STORE_H_
