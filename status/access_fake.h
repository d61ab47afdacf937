// An in-memory AccessReviewer for tests: tokens map to callers, and an allow-list of
// attributes (with "*" as a wildcard in any field) stands in for the host's RBAC.
#ifndef KFED_STATUS_ACCESS_FAKE_H_
#define KFED_STATUS_ACCESS_FAKE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "status/access.h"

namespace kfed::status::testing {

class FakeAccessReviewer : public AccessReviewer {
 public:
  // `token` authenticates as `username` (groups optional).
  void AddToken(const std::string& token, const std::string& username,
                std::vector<std::string> groups = {}) ABSL_LOCKS_EXCLUDED(mu_);
  // Allows `username` what matches `rule` ("*" in a field matches anything; an empty rule
  // field matches only empty).
  void Allow(const std::string& username, AccessAttributes rule) ABSL_LOCKS_EXCLUDED(mu_);
  // Allows `username` to read everything (every object, clusters, /metrics).
  void AllowAll(const std::string& username) ABSL_LOCKS_EXCLUDED(mu_);
  // While set, every review fails with this status (the host is down).
  void Fail(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_);

  int token_reviews() const ABSL_LOCKS_EXCLUDED(mu_);
  int access_reviews() const ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<Caller> ReviewToken(const std::string& token) override ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<bool> ReviewAccess(const Caller& caller, const AccessAttributes& attributes)
      override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, Caller> tokens_ ABSL_GUARDED_BY(mu_);
  std::multimap<std::string, AccessAttributes> rules_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int token_reviews_ ABSL_GUARDED_BY(mu_) = 0;
  int access_reviews_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kfed::status::testing

#endif  // KFED_STATUS_ACCESS_FAKE_H_
