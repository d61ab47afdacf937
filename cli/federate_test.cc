#include "cli/federate.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "cli/common.h"
#include "cli/completion.h"
#include "cli/orphaning.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/discovery.h"
#include "kube/errors.h"

namespace kfed::cli {
namespace {

using ::kfed::testing::Json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kNs[] = "kube-federation-system";

kube::GroupVersionResource Fed(const std::string& plural, const std::string& kind) {
  return {"types.kubefed.io", "v1beta1", plural, true, kind};
}

class FederateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddType("namespaces", "Namespace", "Cluster");
    AddType("configmaps", "ConfigMap", "Namespaced");
    AddType("secrets", "Secret", "Namespaced");
    AddType("serviceaccounts", "ServiceAccount", "Namespaced");
    AddType("services", "Service", "Namespaced");
    Put(kube::NamespacesResource(),
        R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1","labels":{"team":"a"}},)"
        R"("spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})");
    Put(kube::ConfigMapsResource(),
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1","namespace":"ns1",)"
        R"("annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","keep":"me"}},)"
        R"("data":{"k":"v"}})");
    Put(kube::ConfigMapsResource(),
        R"({"metadata":{"name":"kube-root-ca.crt","namespace":"ns1"},"data":{"ca.crt":"x"}})");
    Put(ServiceAccountsResource(), R"({"metadata":{"name":"default","namespace":"ns1"}})");
    Put(ServiceAccountsResource(),
        R"({"metadata":{"name":"app","namespace":"ns1"},"secrets":[{"name":"app-token"}]})");
    Put(kube::SecretsResource(), R"({"metadata":{"name":"app-token","namespace":"ns1"},)"
                                 R"("type":"kubernetes.io/service-account-token"})");
    Put(kube::SecretsResource(),
        R"({"metadata":{"name":"s1","namespace":"ns1"},"type":"Opaque","data":{"a":"Yg=="}})");
    Put({"", "v1", "services", true, "Service"},
        R"({"metadata":{"name":"svc1","namespace":"ns1"},"spec":{"type":"NodePort",)"
        R"("clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],)"
        R"("ports":[{"port":80,"nodePort":30080}]}})");
  }
  void AddType(const std::string& plural, const std::string& kind, const std::string& scope) {
    const std::string fed_scope = plural == "namespaces" ? "Namespaced" : scope;
    Put(FederatedTypeConfigsResource(),
        absl::StrCat(R"({"metadata":{"name":")", plural, R"(","namespace":")", kNs,
                     R"("},"spec":{"targetType":{"version":"v1","kind":")", kind,
                     R"(","pluralName":")", plural, R"(","scope":")", scope,
                     R"("},"federatedType":{"group":"types.kubefed.io","version":"v1beta1",)",
                     R"("kind":"Federated)", kind, R"(","pluralName":"federated)", plural,
                     R"(","scope":")", fed_scope, R"("}}})"));
  }
  void Put(const kube::GroupVersionResource& gvr, const std::string& js) {
    ASSERT_TRUE(host_.Create(gvr, "", Json(js), {}).ok()) << js;
  }
  absl::StatusOr<kube::ObjectPtr> GetFed(const std::string& plural, const std::string& kind,
                                         const std::string& name) {
    return host_.Get(Fed(plural, kind), "ns1", name);
  }

  kube::FakeClient host_;
  kube::Discovery discovery_{host_};
  std::ostringstream out_;
};

TEST_F(FederateTest, NamespaceWithContentsStripsServerFields) {
  FederateOptions options;
  options.type = "namespaces";
  options.name = "ns1";
  options.contents = true;
  ASSERT_TRUE(Federate(host_, discovery_, options, out_).ok()) << out_.str();

  auto ns = GetFed("federatednamespaces", "FederatedNamespace", "ns1");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(
      json::Serialize((**ns)["spec"]),
      R"({"template":{"metadata":{"labels":{"team":"a"}}},"placement":{"clusterSelector":{}}})");
  auto cm = GetFed("federatedconfigmaps", "FederatedConfigMap", "c1");
  ASSERT_TRUE(cm.ok());
  EXPECT_TRUE(json::Equal((**cm)["spec"]["template"],
                          Json(R"({"metadata":{"annotations":{"keep":"me"}},"data":{"k":"v"}})")))
      << json::Serialize((**cm)["spec"]["template"]);
  auto svc = GetFed("federatedservices", "FederatedService", "svc1");
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ(json::Serialize((**svc)["spec"]["template"]["spec"]),
            R"({"type":"NodePort","ports":[{"port":80}]})");
  auto sa = GetFed("federatedserviceaccounts", "FederatedServiceAccount", "app");
  ASSERT_TRUE(sa.ok());
  EXPECT_FALSE((**sa)["spec"]["template"].HasMember("secrets"));
  EXPECT_TRUE(GetFed("federatedsecrets", "FederatedSecret", "s1").ok());
  // What the cluster makes by itself is left alone.
  EXPECT_FALSE(GetFed("federatedconfigmaps", "FederatedConfigMap", "kube-root-ca.crt").ok());
  EXPECT_FALSE(GetFed("federatedserviceaccounts", "FederatedServiceAccount", "default").ok());
  EXPECT_FALSE(GetFed("federatedsecrets", "FederatedSecret", "app-token").ok());
  EXPECT_THAT(out_.str(), HasSubstr("federated 5 objects"));

  // Twice is fine: existing federated objects are kept.
  ASSERT_TRUE(Federate(host_, discovery_, options, out_).ok());
}

TEST_F(FederateTest, SkipApiResourcesAndOutputYaml) {
  FederateOptions options;
  options.type = "namespaces";
  options.name = "ns1";
  options.contents = true;
  options.skip_api_resources = {"secrets", "services", "serviceaccounts"};
  options.output = "yaml";
  ASSERT_TRUE(Federate(host_, discovery_, options, out_).ok());
  EXPECT_THAT(out_.str(), HasSubstr("kind: FederatedConfigMap"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("FederatedSecret")));
  EXPECT_FALSE(GetFed("federatednamespaces", "FederatedNamespace", "ns1").ok());
}

TEST_F(FederateTest, ErrorsSayWhatToDo) {
  FederateOptions options;
  options.type = "deployments.apps";
  options.name = "d";
  options.ns = "ns1";
  absl::Status s = Federate(host_, discovery_, options, out_);
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("is not enabled"));
  EXPECT_THAT(s.message(), HasSubstr("--enable-type"));

  options.type = "configmaps";
  options.name = "missing";
  s = Federate(host_, discovery_, options, out_);
  EXPECT_THAT(s.message(), HasSubstr("ConfigMap ns1/missing not found"));

  options.ns = "";
  s = Federate(host_, discovery_, options, out_);
  EXPECT_THAT(s.message(), HasSubstr("pass -n NAMESPACE"));
}

TEST_F(FederateTest, FromFileNeedNotExist) {
  FederateOptions options;
  options.file_yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\ndata:\n  a: b\n";
  options.ns = "ns1";
  ASSERT_TRUE(Federate(host_, discovery_, options, out_).ok()) << out_.str();
  EXPECT_TRUE(GetFed("federatedconfigmaps", "FederatedConfigMap", "new").ok());
}

TEST_F(FederateTest, OrphaningDeletionEnableStatusDisable) {
  FederateOptions federate;
  federate.type = "configmaps";
  federate.name = "c1";
  federate.ns = "ns1";
  ASSERT_TRUE(Federate(host_, discovery_, federate, out_).ok());
  OrphaningOptions o{"enable", "configmaps", "c1", "ns1"};
  ASSERT_TRUE(OrphaningDeletion(host_, &discovery_, o, out_).ok()) << out_.str();
  auto cm = GetFed("federatedconfigmaps", "FederatedConfigMap", "c1");
  EXPECT_EQ(json::GetString((**cm)["metadata"]["annotations"], "kubefed.io/orphan"), "true");
  std::ostringstream status;
  o.action = "status";
  ASSERT_TRUE(OrphaningDeletion(host_, &discovery_, o, status).ok());
  EXPECT_EQ(status.str(), "orphaning-deletion for FederatedConfigMap ns1/c1: Enabled\n");
  o.action = "disable";
  ASSERT_TRUE(OrphaningDeletion(host_, &discovery_, o, out_).ok());
  cm = GetFed("federatedconfigmaps", "FederatedConfigMap", "c1");
  EXPECT_EQ(json::FindPath(**cm, {"metadata", "annotations", "kubefed.io/orphan"}), nullptr);

  o.name = "nope";
  absl::Status s = OrphaningDeletion(host_, &discovery_, o, out_);
  EXPECT_THAT(s.message(), HasSubstr("FederatedConfigMap ns1/nope not found"));
}

TEST(CompletionTest, BashAndZsh) {
  std::vector<CompletionCommand> commands = {{"join", {"--cluster-context"}, {}},
                                             {"orphaning-deletion", {}, {"enable", "disable"}}};
  auto bash = CompletionScript("bash", {"--kubeconfig"}, commands);
  ASSERT_TRUE(bash.ok());
  EXPECT_THAT(*bash, HasSubstr("complete -F _kfedctl kfedctl"));
  EXPECT_THAT(*bash, HasSubstr("join) COMPREPLY=($(compgen -W \"--cluster-context ${global}"));
  auto zsh = CompletionScript("zsh", {}, commands);
  ASSERT_TRUE(zsh.ok());
  EXPECT_THAT(*zsh, HasSubstr("bashcompinit"));
  EXPECT_FALSE(CompletionScript("fish", {}, commands).ok());
}

}  // namespace
}  // namespace kfed::cli
