// The status API's AccessReviewer against the host (status/access.h): TokenReview
// (authentication.k8s.io/v1) and SubjectAccessReview (authorization.k8s.io/v1), created with
// a host client of their own so that reviews never wait behind the controllers' writes.
// kfed's host RBAC grants exactly `create` on both (config/rbac/host/cluster.yaml).
#ifndef KFED_CONTROLLER_ACCESS_REVIEW_H_
#define KFED_CONTROLLER_ACCESS_REVIEW_H_

#include "kube/client.h"
#include "status/access.h"

namespace kfed::controller {

class HostAccessReviewer : public status::AccessReviewer {
 public:
  // Borrows `host`, which must outlive the reviewer. Thread-safe as the client is.
  explicit HostAccessReviewer(kube::Client& host) : host_(host) {}

  // UNAUTHENTICATED only when the host says the token is not valid; any failure to ask
  // (network, kfed's own credentials or RBAC) is UNAVAILABLE with what to do.
  absl::StatusOr<status::Caller> ReviewToken(const std::string& token) override;
  absl::StatusOr<bool> ReviewAccess(const status::Caller& caller,
                                    const status::AccessAttributes& attributes) override;

 private:
  kube::Client& host_;
};

kube::GroupVersionResource TokenReviewsResource();
kube::GroupVersionResource SubjectAccessReviewsResource();

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_ACCESS_REVIEW_H_
