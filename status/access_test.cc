#include "status/access.h"

#include <gtest/gtest.h>

#include <string>

#include "base/clock.h"
#include "status/access_fake.h"
#include "status/store.h"

namespace kfed::status {
namespace {

using testing::FakeAccessReviewer;

v1::ObjectRef Ref(const std::string& type, const std::string& ns, const std::string& name) {
  v1::ObjectRef ref;
  ref.set_type(type);
  ref.set_namespace_(ns);
  ref.set_name(name);
  return ref;
}

class AccessControlTest : public ::testing::Test {
 protected:
  AccessControlTest() : store_(StoreOptions{}, clock_), access_(reviewer_, store_, {}, clock_) {
    TypeInfo cms{"types.kubefed.io", "federatedconfigmaps", true, Sensitivity::kNone};
    store_.SetRenderer("configmaps", cms, nullptr);
    TypeInfo roles{"types.kubefed.io", "federatedclusterroles", false, Sensitivity::kNone};
    store_.SetRenderer("clusterroles.rbac.authorization.k8s.io", roles, nullptr);
    reviewer_.AddToken("token-a", "alice");
    reviewer_.AddToken("token-root", "root", {"system:masters"});
    reviewer_.AllowAll("root");
    // alice: FederatedConfigMaps in namespace a, and one named object in namespace b.
    reviewer_.Allow("alice", {"get", "types.kubefed.io", "federatedconfigmaps", "a", "", ""});
    reviewer_.Allow("alice", {"get", "types.kubefed.io", "federatedconfigmaps", "b", "one", ""});
  }

  Caller Alice() {
    absl::StatusOr<Caller> c = access_.Authenticate("Bearer token-a");
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : Caller{};
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  FakeAccessReviewer reviewer_;
  StatusStore store_;
  AccessControl access_;
};

TEST_F(AccessControlTest, MalformedHeadersAreRejectedWithoutAskingTheHost) {
  struct Case {
    std::string header;
    std::string want;
  };
  const Case cases[] = {
      {"", "no bearer token"},
      {"Basic dXNlcjpwYXNz", "must be \"Bearer <token>\""},
      {"Bearer", "must be \"Bearer <token>\""},
      {"Bearer ", "must be \"Bearer <token>\""},
      {"Bearer two tokens", "must be \"Bearer <token>\""},
      {"Bearer tok\x01", "characters a token cannot have"},
      {"Bearer " + std::string(9000, 'x'), "longer than 8192 bytes"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Caller> caller = access_.Authenticate(c.header);
    ASSERT_FALSE(caller.ok()) << c.header.substr(0, 40);
    EXPECT_TRUE(absl::IsUnauthenticated(caller.status())) << caller.status();
    EXPECT_NE(caller.status().message().find(c.want), std::string::npos) << caller.status();
  }
  EXPECT_EQ(reviewer_.token_reviews(), 0);
}

TEST_F(AccessControlTest, TokensAreReviewedOnceWhileCached) {
  absl::StatusOr<Caller> caller = access_.Authenticate("bearer token-a");  // scheme any case
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->username, "alice");
  ASSERT_TRUE(access_.Authenticate("Bearer token-a").ok());
  EXPECT_EQ(reviewer_.token_reviews(), 1);
  clock_.Advance(absl::Minutes(2));
  ASSERT_TRUE(access_.Authenticate("Bearer token-a").ok());
  EXPECT_EQ(reviewer_.token_reviews(), 2);

  absl::StatusOr<Caller> invalid = access_.Authenticate("Bearer not-a-token");
  EXPECT_TRUE(absl::IsUnauthenticated(invalid.status())) << invalid.status();
  EXPECT_NE(invalid.status().message().find("invalid bearer token"), std::string::npos);
}

TEST_F(AccessControlTest, HostDownFailsClosedAndIsNotCached) {
  reviewer_.Fail(absl::UnavailableError("connection refused"));
  absl::StatusOr<Caller> caller = access_.Authenticate("Bearer token-a");
  ASSERT_FALSE(caller.ok());
  EXPECT_TRUE(absl::IsUnavailable(caller.status())) << caller.status();
  EXPECT_NE(caller.status().message().find("cannot verify the bearer token"), std::string::npos);
  EXPECT_NE(caller.status().message().find("connection refused"), std::string::npos);

  reviewer_.Fail(absl::OkStatus());
  Caller alice = Alice();
  reviewer_.Fail(absl::UnavailableError("connection refused"));
  absl::StatusOr<bool> seen = access_.MaySeeObject(alice, Ref("configmaps", "a", "x"));
  EXPECT_TRUE(absl::IsUnavailable(seen.status())) << seen.status();
  EXPECT_TRUE(absl::IsUnavailable(access_.MayListClusters(alice)));
  reviewer_.Fail(absl::OkStatus());
  EXPECT_TRUE(*access_.MaySeeObject(alice, Ref("configmaps", "a", "x")));
}

TEST_F(AccessControlTest, ObjectsByNamespaceAndName) {
  Caller alice = Alice();
  EXPECT_TRUE(*access_.MaySeeObject(alice, Ref("configmaps", "a", "x")));
  EXPECT_FALSE(*access_.MaySeeObject(alice, Ref("configmaps", "b", "one")));  // list: no names
  EXPECT_FALSE(*access_.MaySeeObject(alice, Ref("configmaps", "c", "x")));
  EXPECT_FALSE(*access_.MaySeeObject(alice, Ref("clusterroles.rbac.authorization.k8s.io", "", "r")));
  EXPECT_FALSE(*access_.MaySeeObject(alice, Ref("unregistered", "a", "x")));

  EXPECT_TRUE(access_.MayGetObject(alice, Ref("configmaps", "a", "x")).ok());
  EXPECT_TRUE(access_.MayGetObject(alice, Ref("configmaps", "b", "one")).ok());  // by name
  absl::Status denied = access_.MayGetObject(alice, Ref("configmaps", "b", "two"));
  EXPECT_TRUE(absl::IsPermissionDenied(denied)) << denied;
  EXPECT_EQ(denied.message(),
            "user \"alice\" may not get federatedconfigmaps.types.kubefed.io \"two\" in "
            "namespace \"b\"");
  EXPECT_TRUE(absl::IsPermissionDenied(access_.MayListClusters(alice)));
  absl::Status metrics = access_.MayGetNonResource(alice, "/metrics");
  EXPECT_TRUE(absl::IsPermissionDenied(metrics)) << metrics;
  EXPECT_NE(metrics.message().find("may not get /metrics"), std::string::npos);

  absl::StatusOr<Caller> root = access_.Authenticate("Bearer token-root");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(*access_.MaySeeObject(*root, Ref("configmaps", "c", "x")));
  EXPECT_TRUE(*access_.MaySeeObject(*root, Ref("clusterroles.rbac.authorization.k8s.io", "", "r")));
  EXPECT_TRUE(access_.MayListClusters(*root).ok());
  EXPECT_TRUE(access_.MayGetNonResource(*root, "/metrics").ok());
}

TEST_F(AccessControlTest, DecisionsAreCachedBrieflyAndTheCacheNeverBlocks) {
  Caller alice = Alice();
  const v1::ObjectRef in_a = Ref("configmaps", "a", "x");
  EXPECT_FALSE(access_.CachedMaySeeObject(alice, in_a).has_value());
  EXPECT_TRUE(*access_.MaySeeObject(alice, in_a));
  const int reviews = reviewer_.access_reviews();
  EXPECT_EQ(access_.CachedMaySeeObject(alice, in_a), std::optional<bool>(true));
  EXPECT_TRUE(*access_.MaySeeObject(alice, in_a));
  EXPECT_EQ(reviewer_.access_reviews(), reviews);
  // Denied decisions expire first (10 s), allowed ones later (30 s).
  clock_.Advance(absl::Seconds(11));
  EXPECT_FALSE(access_.CachedMaySeeObject(alice, in_a).has_value());
  EXPECT_TRUE(*access_.MaySeeObject(alice, in_a));
  EXPECT_GT(reviewer_.access_reviews(), reviews);
  // A type that is not registered is decided without asking.
  EXPECT_EQ(access_.CachedMaySeeObject(alice, Ref("unregistered", "a", "x")),
            std::optional<bool>(false));
}

}  // namespace
}  // namespace kfed::status
