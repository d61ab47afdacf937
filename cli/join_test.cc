#include "cli/join.h"

#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "cli/common.h"
#include "cli/unjoin.h"
#include "controller/mcs_plan.h"
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

// What every member role holds besides the types: health endpoints and the ClusterSet's needs.
constexpr char kAlwaysRules[] =
    R"({"nonResourceURLs":["/healthz","/readyz","/version"],"verbs":["get"]},)"
    R"({"apiGroups":[""],"resources":["namespaces"],"resourceNames":["kube-system"],)"
    R"("verbs":["get"]},)"
    R"({"apiGroups":["about.k8s.io"],"resources":["clusterproperties"],)"
    R"("verbs":["get","list","watch","create","update","patch","delete"]},)"
    R"({"apiGroups":[""],"resources":["namespaces","services"],"verbs":["get","list","watch"]},)"
    R"({"apiGroups":["discovery.k8s.io"],"resources":["endpointslices"],)"
    R"("verbs":["get","list","watch","create","update","patch","delete"]},)"
    R"({"apiGroups":["multicluster.x-k8s.io"],"resources":["serviceexports"],)"
    R"("verbs":["get","list","watch"]},)"
    R"({"apiGroups":["multicluster.x-k8s.io"],)"
    R"("resources":["serviceexports/status","serviceimports","serviceimports/status"],)"
    R"("verbs":["get","list","watch","create","update","patch","delete"]})";

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

// The FederatedTypeConfig of a target type, as the host holds it.
void PutType(kube::FakeClient& host, const std::string& name, const std::string& group,
             const std::string& kind, const std::string& plural, bool namespaced) {
  Put(host, FederatedTypeConfigsResource(),
      absl::StrCat(R"({"metadata":{"name":")", name, R"(","namespace":"kube-federation-system"},)",
                   R"("spec":{"targetType":{"group":")", group, R"(","version":"v1","kind":")",
                   kind, R"(","pluralName":")", plural, R"(","scope":")",
                   namespaced ? "Namespaced" : "Cluster", R"("},"propagation":"Enabled",)",
                   R"("federatedType":{"group":"types.kubefed.io","version":"v1beta1",)",
                   R"("kind":"Federated)", kind, R"(","pluralName":"federated)", plural,
                   R"(","scope":")", namespaced || kind == "Namespace" ? "Namespaced" : "Cluster",
                   R"("}}})"));
}

TEST_F(JoinTest, MemberRoleGrantsOnlyTheFederatedTypes) {
  PrefillToken();
  PutType(host_, "configmaps", "", "ConfigMap", "configmaps", true);
  PutType(host_, "deployments.apps", "apps", "Deployment", "deployments", true);
  PutType(host_, "namespaces", "", "Namespace", "namespaces", false);
  PutType(host_, "clusterroles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io",
          "ClusterRole", "clusterroles", false);
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok()) << out_.str();
  auto role = member_.Get(ClusterRolesResource(), "", "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(role.ok());
  const std::string verbs = R"("verbs":["create","delete","get","list","patch","update","watch"])";
  EXPECT_EQ(json::Serialize((**role)["rules"]),
            absl::StrCat(R"([{"apiGroups":[""],"resources":["configmaps","namespaces"],)", verbs,
                         R"(},{"apiGroups":["apps"],"resources":["deployments"],)", verbs,
                         R"(},{"apiGroups":["rbac.authorization.k8s.io"],)",
                         R"("resources":["clusterroles"],)", verbs,
                         R"(},{"apiGroups":["rbac.authorization.k8s.io"],)",
                         R"("resources":["clusterroles"],"verbs":["escalate"]},)",
                         R"({"apiGroups":[""],"resources":["pods"],"verbs":["list"]},)",
                         kAlwaysRules, "]"));
  EXPECT_THAT(out_.str(), HasSubstr("target types of 4 FederatedTypeConfigs"));

  // A type enabled later: join again widens the role in place.
  PutType(host_, "jobs.batch", "batch", "Job", "jobs", true);
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok()) << out_.str();
  role = member_.Get(ClusterRolesResource(), "", "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(role.ok());
  EXPECT_THAT(json::Serialize((**role)["rules"]),
              HasSubstr(R"({"apiGroups":["batch"],"resources":["jobs"],)"));
}

TEST_F(JoinTest, MemberRbacAllGrantsEverythingAsKubeFed) {
  PrefillToken();
  PutType(host_, "configmaps", "", "ConfigMap", "configmaps", true);
  options_.member_rbac = MemberRbac::kAll;
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok()) << out_.str();
  auto role = member_.Get(ClusterRolesResource(), "", "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(json::Serialize((**role)["rules"]),
            absl::StrCat(R"([{"apiGroups":["*"],"resources":["*"],"verbs":["*"]},)", kAlwaysRules,
                         "]"));
}

TEST(MemberTypeRulesTest, BindingsNeedBindAndRoleOnlyKeepsNamespacedTypes) {
  std::vector<federated_types::TypeConfig> types(3);
  types[0].target_type = {"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings",
                          federated_types::Scope::kNamespaced};
  types[1].target_type = {"rbac.authorization.k8s.io", "v1", "Role", "roles",
                          federated_types::Scope::kNamespaced};
  types[2].target_type = {"", "v1", "Namespace", "namespaces", federated_types::Scope::kCluster};
  const std::string verbs = R"("verbs":["create","delete","get","list","patch","update","watch"])";
  EXPECT_EQ(
      MemberTypeRules(types, /*namespaced_only=*/true),
      absl::StrCat(R"([{"apiGroups":["rbac.authorization.k8s.io"],)",
                   R"("resources":["rolebindings","roles"],)", verbs, "},",
                   R"({"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],)",
                   R"("verbs":["escalate"]},)", R"({"apiGroups":["rbac.authorization.k8s.io"],)",
                   R"("resources":["clusterroles","roles"],"verbs":["bind"]}])"));
  EXPECT_THAT(MemberTypeRules(types, /*namespaced_only=*/false),
              HasSubstr(R"({"apiGroups":[""],"resources":["namespaces"],)"));
  EXPECT_EQ(MemberTypeRules({}, false), "[]");
}

TEST_F(JoinTest, InstallsTheClusterPropertyCrdAndUnjoinRemovesOnlyKfedsProperties) {
  PrefillToken();
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok()) << out_.str();
  auto crd = member_.Get(kube::CustomResourceDefinitionsResource(), "",
                         "clusterproperties.about.k8s.io");
  ASSERT_TRUE(crd.ok()) << out_.str();
  EXPECT_EQ(json::GetString((**crd)["spec"], "group"), "about.k8s.io");
  EXPECT_EQ(json::GetString((**crd)["spec"], "scope"), "Cluster");
  EXPECT_THAT(out_.str(), HasSubstr("CustomResourceDefinition clusterproperties.about.k8s.io"));

  // What the controller writes, and a property of another tool.
  Put(member_, ClusterPropertiesResource(),
      R"({"metadata":{"name":"clusterset.k8s.io",)"
      R"("labels":{"app.kubernetes.io/managed-by":"kfed"}},"spec":{"value":"kfed"}})");
  Put(member_, ClusterPropertiesResource(),
      R"({"metadata":{"name":"region.example.com"},"spec":{"value":"eu"}})");
  // What Multi-Cluster Services published (kfed's label), and a Service's own slice.
  Put(member_, controller::mcs::ServiceImportsResource(),
      R"({"metadata":{"name":"web","namespace":"demo",)"
      R"("labels":{"app.kubernetes.io/managed-by":"kfed"}},"spec":{"type":"Headless"}})");
  Put(member_, controller::mcs::EndpointSlicesResource(),
      R"({"metadata":{"name":"web-0123456789ab","namespace":"demo",)"
      R"("labels":{"app.kubernetes.io/managed-by":"kfed"}},"addressType":"IPv4"})");
  Put(member_, controller::mcs::EndpointSlicesResource(),
      R"({"metadata":{"name":"web-abcde","namespace":"demo",)"
      R"("labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4"})");
  ASSERT_TRUE(Unjoin(host_, &member_, UnjoinOptions{"m1", "host"}, out_).ok()) << out_.str();
  EXPECT_FALSE(Exists(member_, ClusterPropertiesResource(), "", "clusterset.k8s.io"));
  EXPECT_TRUE(Exists(member_, ClusterPropertiesResource(), "", "region.example.com"));
  EXPECT_FALSE(Exists(member_, controller::mcs::ServiceImportsResource(), "demo", "web"));
  EXPECT_FALSE(
      Exists(member_, controller::mcs::EndpointSlicesResource(), "demo", "web-0123456789ab"));
  EXPECT_TRUE(Exists(member_, controller::mcs::EndpointSlicesResource(), "demo", "web-abcde"));
  // The CRD stays: other tools may use it.
  EXPECT_TRUE(Exists(member_, kube::CustomResourceDefinitionsResource(), "",
                     "clusterproperties.about.k8s.io"));

  // A property a still-running controller wrote again is cleaned up by another unjoin, which
  // still says the cluster is not joined (the property is no sign of membership).
  Put(member_, ClusterPropertiesResource(),
      R"({"metadata":{"name":"clusterset.k8s.io",)"
      R"("labels":{"app.kubernetes.io/managed-by":"kfed"}},"spec":{"value":"kfed"}})");
  absl::Status again = Unjoin(host_, &member_, UnjoinOptions{"m1", "host"}, out_);
  EXPECT_TRUE(kube::IsNotFound(again)) << again;
  EXPECT_THAT(std::string(again.message()), HasSubstr("is not joined"));
  EXPECT_FALSE(Exists(member_, ClusterPropertiesResource(), "", "clusterset.k8s.io"));
}

TEST_F(JoinTest, NamespacedScopeGetsRoleInTheNamespaceAndOnlyHealthClusterWide) {
  PrefillToken();
  PutType(host_, "configmaps", "", "ConfigMap", "configmaps", true);
  PutType(host_, "namespaces", "", "Namespace", "namespaces", false);
  Put(host_, KubeFedConfigsResource(),
      R"({"metadata":{"name":"kubefed","namespace":"kube-federation-system"},)"
      R"("spec":{"scope":"Namespaced"}})");
  ASSERT_TRUE(Join(host_, member_, endpoint_, options_, out_).ok()) << out_.str();
  auto cluster_role = member_.Get(ClusterRolesResource(), "", "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(cluster_role.ok());
  EXPECT_EQ(json::Serialize((**cluster_role)["rules"]), absl::StrCat("[", kAlwaysRules, "]"));
  auto role = member_.Get(RolesResource(), kNs, "kubefed-controller-manager:m1-host");
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(json::Serialize((**role)["rules"]),
            R"([{"apiGroups":[""],"resources":["configmaps"],"verbs":["create","delete","get",)"
            R"("list","patch","update","watch"]}])");
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
