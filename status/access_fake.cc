#include "status/access_fake.h"

namespace kfed::status::testing {
namespace {

bool Matches(const std::string& rule, const std::string& value) {
  return rule == "*" || rule == value;
}

}  // namespace

void FakeAccessReviewer::AddToken(const std::string& token, const std::string& username,
                                  std::vector<std::string> groups) {
  absl::MutexLock lock(&mu_);
  Caller caller;
  caller.username = username;
  caller.uid = "uid-" + username;
  caller.groups = std::move(groups);
  tokens_[token] = std::move(caller);
}

void FakeAccessReviewer::Allow(const std::string& username, AccessAttributes rule) {
  absl::MutexLock lock(&mu_);
  rules_.emplace(username, std::move(rule));
}

void FakeAccessReviewer::AllowAll(const std::string& username) {
  Allow(username, AccessAttributes{"*", "*", "*", "*", "*", ""});
  Allow(username, AccessAttributes{"*", "", "", "", "", "*"});
}

void FakeAccessReviewer::Fail(absl::Status status) {
  absl::MutexLock lock(&mu_);
  failure_ = std::move(status);
}

int FakeAccessReviewer::token_reviews() const {
  absl::MutexLock lock(&mu_);
  return token_reviews_;
}

int FakeAccessReviewer::access_reviews() const {
  absl::MutexLock lock(&mu_);
  return access_reviews_;
}

absl::StatusOr<Caller> FakeAccessReviewer::ReviewToken(const std::string& token) {
  absl::MutexLock lock(&mu_);
  ++token_reviews_;
  if (!failure_.ok()) return failure_;
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return absl::UnauthenticatedError("invalid bearer token");
  return it->second;
}

absl::StatusOr<bool> FakeAccessReviewer::ReviewAccess(const Caller& caller,
                                                      const AccessAttributes& a) {
  absl::MutexLock lock(&mu_);
  ++access_reviews_;
  if (!failure_.ok()) return failure_;
  auto [begin, end] = rules_.equal_range(caller.username);
  for (auto it = begin; it != end; ++it) {
    const AccessAttributes& r = it->second;
    if (!a.path.empty()) {
      if (!r.path.empty() && Matches(r.path, a.path) && Matches(r.verb, a.verb)) return true;
      continue;
    }
    if (!r.path.empty()) continue;
    if (Matches(r.verb, a.verb) && Matches(r.group, a.group) && Matches(r.resource, a.resource) &&
        Matches(r.ns, a.ns) && Matches(r.name, a.name)) {
      return true;
    }
  }
  return false;
}

}  // namespace kfed::status::testing
