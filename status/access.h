// Who may read what from the status API, the dashboard's API and /metrics: authentication
// by the host's TokenReview and authorization by its SubjectAccessReview, as Kubernetes
// components that serve their own endpoints do (controller-runtime's secure metrics serving,
// kube-rbac-proxy). No HTTP and no gRPC here: the servers hand in the Authorization header's
// value and turn the absl::Status codes into their own (status/http_api.h, status/service.h).
//
// Status codes: UNAUTHENTICATED (no token, malformed header, token too long, token rejected
// by the TokenReview), PERMISSION_DENIED (the SubjectAccessReview said no), UNAVAILABLE (the
// host could not be asked: fail closed, nothing is served).
//
// Rules (docs/user-guide.md, "Who can see what"):
//   - a federated object is listed, watched and got only when the caller may `get` its
//     federated resource (e.g. federatedsecrets.types.kubefed.io) in its namespace, or in
//     every namespace; a single GET also honours grants restricted by resourceNames (lists
//     and watches do not, as Kubernetes' own list does not);
//   - member clusters need `list` on kubefedclusters.core.kubefed.io in the federation
//     namespace;
//   - a ReplicaSchedulingPreference's distribution needs `get` on
//     replicaschedulingpreferences.scheduling.kubefed.io in its namespace (or in every
//     namespace);
//   - an exported service (Multi-Cluster Services) needs `get` on
//     serviceexports.multicluster.x-k8s.io in its namespace (or in every namespace) on the
//     host; the members' MCS states need `list` on kubefedclusters, as member clusters do;
//   - /metrics needs `get` on the non-resource URL /metrics (controller-runtime's rule);
//   - the version and whoami answer every authenticated caller.
// Decisions are cached briefly (AccessOptions) per caller and attributes; token reviews per
// token (by its SHA-256). Errors are never cached.
#ifndef KFED_STATUS_ACCESS_H_
#define KFED_STATUS_ACCESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "status/status.pb.h"
#include "status/store.h"

namespace kfed::status {

// The authenticated user, as the TokenReview returned it (passed on to SubjectAccessReviews).
struct Caller {
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

// A SubjectAccessReview's attributes: a resource (group, resource, namespace, name) or,
// when `path` is set, a non-resource URL.
struct AccessAttributes {
  std::string verb;
  std::string group;
  std::string resource;
  std::string ns;
  std::string name;
  std::string path;
};

// The seam to the host: TokenReview and SubjectAccessReview (controller/access_review.h).
// Called with no lock held, on request threads; may block on the network.
class AccessReviewer {
 public:
  virtual ~AccessReviewer() = default;
  // UNAUTHENTICATED when the host says the token is not valid (with its reason); another
  // code when it could not be asked.
  virtual absl::StatusOr<Caller> ReviewToken(const std::string& token) = 0;
  // Whether the host allows it; an error when it could not be asked.
  virtual absl::StatusOr<bool> ReviewAccess(const Caller& caller,
                                            const AccessAttributes& attributes) = 0;
};

struct AccessOptions {
  // Where KubeFedClusters live.
  std::string kubefed_namespace = "kube-federation-system";
  absl::Duration token_ttl = absl::Minutes(1);
  absl::Duration allowed_ttl = absl::Seconds(30);
  absl::Duration denied_ttl = absl::Seconds(10);
  // A longer Authorization header is refused without asking the host.
  size_t max_token_bytes = 8192;
  // Entries per cache; a full cache is emptied (cheap, and bounded).
  size_t max_cache_entries = 20000;
};

// Thread-safe. Borrows the reviewer and the store, which must outlive it.
class AccessControl {
 public:
  AccessControl(AccessReviewer& reviewer, const StatusStore& store, AccessOptions options = {},
                Clock& clock = Clock::Real());

  // `authorization` is the Authorization header's value (or gRPC's `authorization`
  // metadata): "Bearer <token>".
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) ABSL_LOCKS_EXCLUDED(mu_);

  absl::Status MayListClusters(const Caller& caller) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status MayGetNonResource(const Caller& caller, const std::string& path)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Lists and watches: namespace-wide (or cluster-wide) `get`. False, not an error, when
  // denied; an error only when the host could not be asked.
  absl::StatusOr<bool> MaySeeObject(const Caller& caller, const v1::ObjectRef& ref)
      ABSL_LOCKS_EXCLUDED(mu_);
  // ReplicaSchedulingPreferences in `ns`: `get` on them cluster-wide, else in `ns`. False,
  // not an error, when denied; an error only when the host could not be asked.
  absl::StatusOr<bool> MaySeeSchedulingPreferences(const Caller& caller, const std::string& ns)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Exported services in `ns`: `get` on serviceexports.multicluster.x-k8s.io cluster-wide,
  // else in `ns`. False, not an error, when denied; an error only when the host could not be
  // asked.
  absl::StatusOr<bool> MaySeeServiceExports(const Caller& caller, const std::string& ns)
      ABSL_LOCKS_EXCLUDED(mu_);
  // A single object: MaySeeObject, else `get` on that name. PERMISSION_DENIED names it.
  absl::Status MayGetObject(const Caller& caller, const v1::ObjectRef& ref)
      ABSL_LOCKS_EXCLUDED(mu_);
  // MaySeeObject from the cache only (never blocks): nullopt when it would have to ask.
  std::optional<bool> CachedMaySeeObject(const Caller& caller, const v1::ObjectRef& ref)
      ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<bool> CachedMayListClusters(const Caller& caller) ABSL_LOCKS_EXCLUDED(mu_);

  // The attributes that decide an object's visibility (without a name: namespace-wide; with
  // `all_namespaces`, cluster-wide); nullopt when its type is not registered in the store.
  std::optional<AccessAttributes> ObjectAttributes(const v1::ObjectRef& ref,
                                                   bool all_namespaces) const;

 private:
  struct Decision {
    bool allowed = false;
    absl::Time expires;
  };
  struct Identity {
    Caller caller;
    absl::Time expires;
  };
  static std::string Key(const Caller& caller, const AccessAttributes& attributes);
  absl::StatusOr<bool> Check(const Caller& caller, const AccessAttributes& attributes)
      ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<bool> Cached(const Caller& caller, const AccessAttributes& attributes)
      ABSL_LOCKS_EXCLUDED(mu_);
  AccessAttributes ClustersAttributes() const;

  AccessReviewer& reviewer_;
  const StatusStore& store_;
  const AccessOptions options_;
  Clock& clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Identity> identities_ ABSL_GUARDED_BY(mu_);  // by SHA-256
  absl::flat_hash_map<std::string, Decision> decisions_ ABSL_GUARDED_BY(mu_);
};

// The ReplicaSchedulingPreferences of `request` that `caller` may see (one access decision per
// namespace); an error only when the host could not be asked. Shared by the HTTP and gRPC
// APIs.
absl::StatusOr<v1::ListSchedulingPreferencesResponse> VisibleSchedulingPreferences(
    const StatusStore& store, AccessControl& access, const Caller& caller,
    const v1::ListSchedulingPreferencesRequest& request);

// The exported services of `request` that `caller` may see (one access decision per
// namespace), and the members' MCS states when the caller may list clusters; an error only
// when the host could not be asked. Shared by the HTTP and gRPC APIs.
absl::StatusOr<v1::ListMultiClusterServicesResponse> VisibleMultiClusterServices(
    const StatusStore& store, AccessControl& access, const Caller& caller,
    const v1::ListMultiClusterServicesRequest& request);

}  // namespace kfed::status

#endif  // KFED_STATUS_ACCESS_H_
