// API discovery and REST mapping: which resources a cluster serves, their kinds, scope,
// verbs and subresources. Uses aggregated discovery (apidiscovery.k8s.io/v2: two requests,
// /api and /apis) when the server offers it, else the per group-version documents. Cached;
// refreshed on Invalidate(), after the TTL, or when a lookup misses (a CRD may have just
// been created), at most once per min_refresh_interval.
#ifndef KFED_KUBE_DISCOVERY_H_
#define KFED_KUBE_DISCOVERY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "kube/client.h"
#include "kube/resource.h"

namespace kfed::kube {

struct ApiResource {
  GroupVersionResource gvr;  // with kind and namespaced filled in
  std::string singular_name;
  std::vector<std::string> verbs;
  std::vector<std::string> short_names;
  std::vector<std::string> subresources;  // "status", "scale", ...
  bool preferred_version = false;  // gvr.version is the group's preferred version
  GroupVersionKind Gvk() const { return {gvr.group, gvr.version, gvr.kind}; }
};

struct DiscoveryOptions {
  absl::Duration ttl = absl::Minutes(10);
  absl::Duration min_refresh_interval = absl::Seconds(1);
};

// Thread-safe.
class Discovery {
 public:
  explicit Discovery(Client& client, DiscoveryOptions options = DiscoveryOptions(),
                     Clock& clock = Clock::Real());

  // GVK -> resource (plural, scope). kNotFound when the kind is unknown even after a refresh.
  absl::StatusOr<GroupVersionResource> ResourceFor(const GroupVersionKind& gvk)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Resource -> kind.
  absl::StatusOr<GroupVersionKind> KindFor(const GroupVersionResource& gvr)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Group + kind at the group's preferred version.
  absl::StatusOr<GroupVersionResource> PreferredResourceFor(absl::string_view group,
                                                            absl::string_view kind)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<ApiResource> Describe(const GroupVersionKind& gvk) ABSL_LOCKS_EXCLUDED(mu_);
  // Everything served (top-level resources only; subresources are listed on them).
  absl::StatusOr<std::vector<ApiResource>> Resources() ABSL_LOCKS_EXCLUDED(mu_);
  // Group-versions whose discovery failed in the last refresh (e.g. an unavailable
  // aggregated API); their resources are missing from the results.
  std::vector<std::string> FailedGroupVersions() const ABSL_LOCKS_EXCLUDED(mu_);

  // Drops the cache; the next lookup fetches again.
  void Invalidate() ABSL_LOCKS_EXCLUDED(mu_);
  // Fetches now.
  absl::Status Refresh() ABSL_LOCKS_EXCLUDED(mu_);
  // Refreshes done so far.
  int refreshes() const ABSL_LOCKS_EXCLUDED(mu_);
  // Whether the last refresh used aggregated discovery.
  bool aggregated() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Snapshot {
    std::vector<ApiResource> resources;
    std::vector<std::string> failed;
    bool aggregated = false;
  };
  absl::StatusOr<std::shared_ptr<const Snapshot>> Current(bool force) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::shared_ptr<const Snapshot>> Fetch();
  // nullopt when the server does not serve aggregated discovery.
  absl::StatusOr<std::optional<std::shared_ptr<const Snapshot>>> FetchAggregated();
  template <typename Pred>
  absl::StatusOr<ApiResource> Lookup(Pred pred, const std::string& what);

  Client& client_;
  const DiscoveryOptions options_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  absl::Time fetched_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int refreshes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_DISCOVERY_H_
