// HostAccessReviewer against an in-process server standing in for the host's review
// endpoints (what they answer is Kubernetes' documented TokenReview / SubjectAccessReview
// shape; the real host is exercised by e2e/access_e2e_test.cc).
#include "controller/access_review.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "kube/fake_apiserver.h"

namespace kfed::controller {
namespace {

using kube::testing::FakeApiServer;

std::unique_ptr<kube::RestClient> NewClient(const FakeApiServer& server) {
  kube::RestConfig config = server.Config();
  config.max_retries = 0;
  auto client = kube::RestClient::Create(config);
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(*client);
}

TEST(HostAccessReviewerTest, TokenReviewAndSubjectAccessReview) {
  FakeApiServer server;
  std::string last_review;
  server.http().Post("/apis/authentication.k8s.io/v1/tokenreviews",
                     [&](const httplib::Request& req, httplib::Response& res) {
                       last_review = req.body;
                       const bool good = req.body.find("\"good-token\"") != std::string::npos;
                       res.status = 201;
                       res.set_content(
                           good ? R"({"kind":"TokenReview","status":{"authenticated":true,)"
                                  R"("user":{"username":"alice","uid":"u1","groups":["devs"],)"
                                  R"("extra":{"scopes":["a","b"]}}}})"
                                : R"({"kind":"TokenReview","status":{"authenticated":false,)"
                                  R"("error":"token has expired"}})",
                           "application/json");
                     });
  server.http().Post("/apis/authorization.k8s.io/v1/subjectaccessreviews",
                     [&](const httplib::Request& req, httplib::Response& res) {
                       last_review = req.body;
                       const bool allowed =
                           req.body.find("\"namespace\":\"team-a\"") != std::string::npos;
                       res.status = 201;
                       res.set_content(allowed ? R"({"status":{"allowed":true}})"
                                               : R"({"status":{"allowed":false}})",
                                       "application/json");
                     });
  server.Start();
  auto client = NewClient(server);
  HostAccessReviewer reviewer(*client);

  absl::StatusOr<status::Caller> alice = reviewer.ReviewToken("good-token");
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(alice->username, "alice");
  EXPECT_EQ(alice->uid, "u1");
  EXPECT_EQ(alice->groups, std::vector<std::string>{"devs"});
  EXPECT_EQ(alice->extra.at("scopes"), (std::vector<std::string>{"a", "b"}));
  absl::StatusOr<status::Caller> expired = reviewer.ReviewToken("old-token");
  EXPECT_TRUE(absl::IsUnauthenticated(expired.status())) << expired.status();
  EXPECT_EQ(expired.status().message(), "invalid bearer token: token has expired");

  status::AccessAttributes in_a{"get", "types.kubefed.io", "federatedconfigmaps", "team-a", "", ""};
  absl::StatusOr<bool> allowed = reviewer.ReviewAccess(*alice, in_a);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_TRUE(*allowed);
  absl::StatusOr<rapidjson::Document> sent = json::Parse(last_review);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(json::Serialize((*sent)["spec"]),
            R"({"user":"alice","uid":"u1","groups":["devs"],"extra":{"scopes":["a","b"]},)"
            R"("resourceAttributes":{"verb":"get","group":"types.kubefed.io",)"
            R"("resource":"federatedconfigmaps","namespace":"team-a"}})");
  in_a.ns = "team-b";
  EXPECT_FALSE(*reviewer.ReviewAccess(*alice, in_a));
  status::AccessAttributes metrics{"get", "", "", "", "", "/metrics"};
  EXPECT_FALSE(*reviewer.ReviewAccess(*alice, metrics));
  sent = json::Parse(last_review);
  EXPECT_EQ(json::Serialize((*sent)["spec"]["nonResourceAttributes"]),
            R"({"path":"/metrics","verb":"get"})");
  server.Stop();
}

TEST(HostAccessReviewerTest, FailuresToAskAreUnavailableNeverUnauthenticated) {
  FakeApiServer server;
  server.http().Post(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 403;
    res.set_content(R"({"kind":"Status","status":"Failure","reason":"Forbidden","code":403,)"
                    R"("message":"tokenreviews is forbidden"})",
                    "application/json");
  });
  server.Start();
  auto client = NewClient(server);
  HostAccessReviewer reviewer(*client);
  absl::StatusOr<status::Caller> caller = reviewer.ReviewToken("any");
  EXPECT_TRUE(absl::IsUnavailable(caller.status())) << caller.status();
  EXPECT_NE(caller.status().message().find("apply config/rbac/host/cluster.yaml"),
            std::string::npos)
      << caller.status();
  server.Stop();

  // The host is down: nothing listens there any more.
  absl::StatusOr<status::Caller> down = reviewer.ReviewToken("any");
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  absl::StatusOr<bool> access = reviewer.ReviewAccess(status::Caller{"alice", "", {}, {}},
                                                      status::AccessAttributes{"get", "", "pods", "", "", ""});
  EXPECT_TRUE(absl::IsUnavailable(access.status())) << access.status();
}

}  // namespace
}  // namespace kfed::controller
