#include "cli/join.h"

#include <sstream>

#include "absl/strings/escaping.h"
#include "base/json.h"
#include "cli/common.h"
#include "cli/unjoin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/errors.h"

namespace kfed::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kNs[] = "kube-federation-system";
constexpr char kCa[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

void Put(kube::FakeClient& client, const kube::GroupVersionResource& gvr, const std::string& js) {
  absl::StatusOr<rapidjson::Document> doc = json::Parse(js);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(client.Create(gvr, "", *doc, {}).ok());
}

bool Exists(kube::FakeClient& client, const kube::GroupVersionResource& gvr, const std::string& ns,
            const std::string& name) {
  return client.Get(gvr, ns, name).ok();
}

class JoinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Put(host_, kube::NamespacesResource(), R"({"metadata":{"name":"kube-federation-system"}})");
    Put(member_, kube::NamespacesResource(), R"({"metadata":{"name":"kube-system"}})");
    options_.cluster_name = "m1";
    options_.host_cluster_name = "host";
    options_.token_timeout = absl::ZeroDuration();
    endpoint_ = {"https://127.0.0.1:6443", kCa, ""};
  }
  // What the member's token controller does: fills the Secret join creates.
  void PrefillToken() {
    Put(member_, kube::SecretsResource(),
        R"({"metadata":{"name":"m1-host-token","namespace":"kube-federation-system"},)"
        R"("type":"kubernetes.io/service-account-token","data":{"token":"dG9rZW4="}})");
  }
  std::string MemberUid() {
    return kube::Uid(**member_.Get(kube::NamespacesResource(), "", "kube-system"));
  }

  kube::FakeClient host_;
  kube::FakeClient member_;
  JoinOptions options_;
  MemberEndpoint endpoint_;
  std::ostringstream out_;
};

TEST_F(JoinTest, CreatesMemberRbacAndHostCluster) {
  PrefillToken();
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok()) << out_.str();

  EXPECT_TRUE(Exists(member_, kube::NamespacesResource(), "", kNs));
  EXPECT_TRUE(Exists(member_, ServiceAccountsResource(), kNs, "m1-host"));
  auto role = member_.Get(ClusterRolesResource(), "", "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(role.ok());
  EXPECT_THAT(json::Serialize(**role), HasSubstr(R"("nonResourceURLs":["/healthz")"));
  auto binding =
      member_.Get(ClusterRoleBindingsResource(), "", "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(binding.ok());
  EXPECT_THAT(json::Serialize(**binding),
              HasSubstr(R"("subjects":[{"kind":"ServiceAccount","name":"m1-host",)"
                        R"("namespace":"kube-federation-system"}])"));

  auto secret = host_.Get(kube::SecretsResource(), kNs, "m1-secret");
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(json::GetString(*json::Find(**secret, "data"), "token"), "dG9rZW4=");
  auto cluster = host_.Get(KubeFedClustersResource(), kNs, "m1");
  ASSERT_TRUE(cluster.ok());
  const rapidjson::Value& spec = (**cluster)["spec"];
  EXPECT_EQ(json::GetString(spec, "apiEndpoint"), "https://127.0.0.1:6443");
  EXPECT_EQ(json::GetString(spec, "caBundle"), absl::Base64Escape(kCa));
  EXPECT_EQ(json::GetString(spec["secretRef"], "name"), "m1-secret");
  EXPECT_FALSE(spec.HasMember("proxyURL"));
  EXPECT_EQ(json::GetString((**cluster)["metadata"]["annotations"], kClusterIdAnnotation),
            MemberUid());
  EXPECT_THAT(out_.str(), HasSubstr("joined m1 (https://127.0.0.1:6443)"));
}

TEST_F(JoinTest, NamespacedScopeGetsRoleInTheNamespaceAndOnlyHealthClusterWide) {
  PrefillToken();
  Put(host_, KubeFedConfigsResource(),
      R"({"metadata":{"name":"kubefed","namespace":"kube-federation-system"},)"
      R"("spec":{"scope":"Namespaced"}})");
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok()) << out_.str();
  auto cluster_role = member_.Get(ClusterRolesResource(), "", "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(cluster_role.ok());
  EXPECT_EQ(json::Serialize((**cluster_role)["rules"]),
            R"([{"nonResourceURLs":["/healthz","/readyz","/version"],"verbs":["get"]}])");
  auto role = member_.Get(RolesResource(), kNs, "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(json::Serialize((**role)["rules"]),
            R"([{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}])");
  EXPECT_TRUE(Exists(member_, RoleBindingsResource(), kNs, "kubefed-controller-manager:m1-host"));

  ASSERT_TRUE(Unjoin(host_, &member_, UnjoinOptions{"m1", "host"}, out_).ok());
  EXPECT_FALSE(Exists(member_, RolesResource(), kNs, "kubefed-controller-manager:m1-host"));
  EXPECT_FALSE(Exists(member_, RoleBindingsResource(), kNs, "kubefed-controller-manager:m1-host"));
}

TEST_F(JoinTest, SecondRunSucceedsAndKeepsOneOfEach) {
  PrefillToken();
  endpoint_.proxy_url = "socks5://proxy:1080";
  options_.secret_name = "m1-creds";
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok());
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok()) << out_.str();
  auto clusters = host_.List(KubeFedClustersResource(), kNs, {});
  ASSERT_TRUE(clusters.ok());
  EXPECT_EQ(clusters->items.size(), 1u);
  EXPECT_EQ(json::GetString((*clusters->items[0])["spec"], "proxyURL"), "socks5://proxy:1080");
  EXPECT_TRUE(Exists(host_, kube::SecretsResource(), kNs, "m1-creds"));
  EXPECT_THAT(out_.str(), HasSubstr("ServiceAccount kube-federation-system/m1-host exists"));
  EXPECT_THAT(out_.str(), HasSubstr("ClusterRole kubefed-controller-manager:m1-host unchanged"));
  EXPECT_THAT(out_.str(), HasSubstr("KubeFedCluster kube-federation-system/m1 unchanged"));
}

TEST_F(JoinTest, ErrorOnExistingRefusesASecondJoin) {
  PrefillToken();
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok());
  options_.error_on_existing = true;
  absl::Status s = Join(host_, member_, endpoint_, options_, out_);
  EXPECT_TRUE(kube::IsAlreadyExists(s) || absl::IsAlreadyExists(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("KubeFedCluster kube-federation-system/m1 already exists"));
}

TEST_F(JoinTest, NameOfAnotherClusterIsRefused) {
  PrefillToken();
  Put(host_, KubeFedClustersResource(),
      R"({"metadata":{"name":"m1","namespace":"kube-federation-system",)"
      R"("annotations":{"kfed.io/cluster-id":"other-uid"}},"spec":{"apiEndpoint":"https://x"}})");
  absl::Status s = Join(host_, member_, endpoint_, options_, out_);
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("already names another cluster"));
  EXPECT_FALSE(Exists(member_, ServiceAccountsResource(), kNs, "m1-host"));
}

TEST_F(JoinTest, HostWithoutKfedSaysToInstallIt) {
  kube::FakeClient bare_host;
  absl::Status s = Join(bare_host, member_, endpoint_, options_, out_);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("install kfed in the host first"));
  EXPECT_FALSE(Exists(member_, kube::NamespacesResource(), "", kNs));
}

TEST_F(JoinTest, UnreachableMemberIsNamedAndNothingIsWritten) {
  member_.InjectError("get", "namespaces", absl::UnavailableError("connection refused"));
  absl::Status s = Join(host_, member_, endpoint_, options_, out_);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("member cluster m1 (https://127.0.0.1:6443) is unreachable"));
  EXPECT_EQ(ExitCodeFor(s), kExitUnreachable);
  EXPECT_FALSE(Exists(host_, KubeFedClustersResource(), kNs, "m1"));
}

TEST_F(JoinTest, MissingRbacInMemberRollsBack) {
  member_.InjectError(
      "create", "clusterroles",
      kube::WithReason(absl::PermissionDeniedError("clusterroles is forbidden"), "Forbidden", 403));
  absl::Status s = Join(host_, member_, endpoint_, options_, out_);
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("member cluster m1: missing RBAC permission"));
  // What this run made is gone again.
  EXPECT_FALSE(Exists(member_, ServiceAccountsResource(), kNs, "m1-host"));
  EXPECT_FALSE(Exists(member_, kube::NamespacesResource(), "", kNs));
  EXPECT_THAT(out_.str(), HasSubstr("rolled back ServiceAccount"));
}

TEST_F(JoinTest, TokenNeverFilledFailsWithAHintAndRollsBack) {
  absl::Status s = Join(host_, member_, endpoint_, options_, out_);
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("token controller did not fill Secret"));
  EXPECT_FALSE(Exists(member_, kube::SecretsResource(), kNs, "m1-host-token"));
  EXPECT_FALSE(
      Exists(member_, ClusterRoleBindingsResource(), "", "kubefed-controller-manager:m1-host"));
  EXPECT_FALSE(Exists(host_, KubeFedClustersResource(), kNs, "m1"));
}

TEST_F(JoinTest, DryRunWritesNothing) {
  options_.dry_run = true;
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok());
  EXPECT_FALSE(Exists(member_, ServiceAccountsResource(), kNs, "m1-host"));
  EXPECT_FALSE(Exists(host_, KubeFedClustersResource(), kNs, "m1"));
  EXPECT_THAT(out_.str(), HasSubstr("would create KubeFedCluster kube-federation-system/m1"));
}

TEST_F(JoinTest, UnjoinRemovesWhatJoinMadeAndKeepsTheNamespace) {
  PrefillToken();
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok());
  UnjoinOptions unjoin{"m1", "ignored-when-recorded"};
  ASSERT_TRUE(Unjoin(host_, &member_, unjoin, out_).ok()) << out_.str();
  EXPECT_FALSE(Exists(host_, KubeFedClustersResource(), kNs, "m1"));
  EXPECT_FALSE(Exists(host_, kube::SecretsResource(), kNs, "m1-secret"));
  EXPECT_FALSE(Exists(member_, ServiceAccountsResource(), kNs, "m1-host"));
  EXPECT_FALSE(Exists(member_, kube::SecretsResource(), kNs, "m1-host-token"));
  EXPECT_FALSE(Exists(member_, ClusterRolesResource(), "", "kubefed-controller-manager:m1-host"));
  EXPECT_FALSE(
      Exists(member_, ClusterRoleBindingsResource(), "", "kubefed-controller-manager:m1-host"));
  EXPECT_TRUE(Exists(member_, kube::NamespacesResource(), "", kNs));

  absl::Status again = Unjoin(host_, &member_, unjoin, out_);
  EXPECT_TRUE(absl::IsNotFound(again)) << again;
  EXPECT_THAT(again.message(), HasSubstr("cluster m1 is not joined"));
}

TEST_F(JoinTest, UnjoinOfAnUnreachableMemberNeedsForce) {
  PrefillToken();
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok());
  UnjoinOptions unjoin{"m1", "host"};
  member_.InjectError("get", "namespaces", absl::UnavailableError("connection refused"));
  absl::Status s = Unjoin(host_, &member_, unjoin, out_);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("pass --force"));
  EXPECT_TRUE(Exists(host_, KubeFedClustersResource(), kNs, "m1"));

  unjoin.force = true;
  ASSERT_TRUE(Unjoin(host_, nullptr, unjoin, out_).ok());
  EXPECT_FALSE(Exists(host_, KubeFedClustersResource(), kNs, "m1"));
  EXPECT_FALSE(Exists(host_, kube::SecretsResource(), kNs, "m1-secret"));
  // The member was left alone.
  EXPECT_TRUE(Exists(member_, ServiceAccountsResource(), kNs, "m1-host"));
}

TEST(ExplainTest, UnauthenticatedAndOtherErrorsNameTheCluster) {
  absl::Status s = Explain(absl::UnauthenticatedError("401"), "host");
  EXPECT_THAT(s.message(), HasSubstr("host: credentials rejected"));
  s = Explain(absl::InternalError("boom"), "member cluster x");
  EXPECT_EQ(s.message(), "member cluster x: boom");
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), kExitUsage);
}

TEST(VersionTest, IsTheKfedRelease) { EXPECT_EQ(VersionString(), "0.1.0"); }

}  // namespace
}  // namespace kfed::cli
