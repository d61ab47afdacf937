#include "cli/enable.h"

#include <sstream>

#include "base/json.h"
#include "base/testing.h"
#include "cli/common.h"
#include "cli/types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/discovery.h"
#include "kube/errors.h"

namespace kfed::cli {
namespace {

using ::kfed::testing::Json;
using ::testing::HasSubstr;

constexpr char kNs[] = "kube-federation-system";

constexpr char kCoreV1[] = R"({"kind":"APIResourceList","groupVersion":"v1","resources":[
  {"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","verbs":["get"],"shortNames":["cm"]}]})";
constexpr char kApis[] = R"({"kind":"APIGroupList","groups":[
  {"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},
  {"name":"example.com","versions":[{"groupVersion":"example.com/v1","version":"v1"}],"preferredVersion":{"groupVersion":"example.com/v1","version":"v1"}},
  {"name":"other.io","versions":[{"groupVersion":"other.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"other.io/v1","version":"v1"}}]})";
constexpr char kAppsV1[] = R"({"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
  {"name":"statefulsets","singularName":"statefulset","namespaced":true,"kind":"StatefulSet","verbs":["get"],"shortNames":["sts"]},
  {"name":"statefulsets/status","namespaced":true,"kind":"StatefulSet","verbs":["get"]}]})";
constexpr char kExampleV1[] =
    R"({"kind":"APIResourceList","groupVersion":"example.com/v1","resources":[
  {"name":"widgets","singularName":"widget","namespaced":true,"kind":"Widget","verbs":["get"]}]})";
constexpr char kOtherV1[] = R"({"kind":"APIResourceList","groupVersion":"other.io/v1","resources":[
  {"name":"gadgets","singularName":"gadget","namespaced":false,"kind":"Gadget","verbs":["get"]},
  {"name":"widgets","singularName":"widget","namespaced":true,"kind":"Widget","verbs":["get"]}]})";

constexpr char kWidgetCrd[] =
    R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"widgets.example.com"},
  "spec":{"group":"example.com","scope":"Namespaced",
    "names":{"kind":"Widget","plural":"widgets","singular":"widget","listKind":"WidgetList"},
    "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":
      {"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer"}}}}}}}]}})";

class EnableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.SetRaw("/api", R"({"kind":"APIVersions","versions":["v1"]})");
    host_.SetRaw("/api/v1", kCoreV1);
    host_.SetRaw("/apis", kApis);
    host_.SetRaw("/apis/apps/v1", kAppsV1);
    host_.SetRaw("/apis/example.com/v1", kExampleV1);
    host_.SetRaw("/apis/other.io/v1", kOtherV1);
    ASSERT_TRUE(
        host_.Create(kube::CustomResourceDefinitionsResource(), "", Json(kWidgetCrd), {}).ok());
    options_.type = "widgets.example.com";
    options_.timeout = absl::ZeroDuration();
  }
  // What the API server does for a new CRD.
  void EstablishFederatedWidgetCrd() {
    auto crd = host_.Create(
        kube::CustomResourceDefinitionsResource(), "",
        Json(R"({"metadata":{"name":"federatedwidgets.types.kubefed.io"},"spec":{}})"), {});
    ASSERT_TRUE(crd.ok());
    rapidjson::Document d = json::Clone(**crd);
    json::Set(d, "status", Json(R"({"conditions":[{"type":"Established","status":"True"}]})"),
              d.GetAllocator());
    ASSERT_TRUE(host_.UpdateStatus(kube::CustomResourceDefinitionsResource(), "", d, {}).ok());
  }

  kube::FakeClient host_;
  kube::Discovery discovery_{host_};
  EnableOptions options_;
  std::ostringstream out_;
};

TEST_F(EnableTest, ResolvesTypesByEveryName) {
  auto resources = discovery_.Resources();
  ASSERT_TRUE(resources.ok()) << resources.status();
  for (const char* name : {"statefulsets.apps", "statefulsets", "StatefulSet", "sts", "statefulset",
                           "statefulsets.v1.apps"}) {
    auto r = ResolveType(*resources, name);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    EXPECT_EQ(r->gvr.resource, "statefulsets") << name;
    EXPECT_EQ(r->gvr.group, "apps") << name;
  }
  auto cm = ResolveType(*resources, "cm");
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ(TargetTypeOf(*cm).QualifiedName(), "configmaps");

  auto ambiguous = ResolveType(*resources, "widgets");
  EXPECT_THAT(ambiguous.status().message(),
              HasSubstr("ambiguous: widgets.example.com, widgets.other.io"));
  auto unknown = ResolveType(*resources, "daemonsets.apps");
  EXPECT_THAT(unknown.status().message(), HasSubstr("is not served by the host cluster"));
  EXPECT_EQ(ExitCodeFor(unknown.status()), kExitUsage);
}

TEST_F(EnableTest, CrdTypeGetsFederatedCrdAndTypeConfig) {
  EstablishFederatedWidgetCrd();
  ASSERT_TRUE(Enable(host_, discovery_, options_, out_).ok()) << out_.str();
  auto crd =
      host_.Get(kube::CustomResourceDefinitionsResource(), "", "federatedwidgets.types.kubefed.io");
  ASSERT_TRUE(crd.ok());
  const rapidjson::Value* size =
      json::FindPath((**crd)["spec"]["versions"][0],
                     {"schema", "openAPIV3Schema", "properties", "spec", "properties", "template",
                      "properties", "spec", "properties", "size"});
  ASSERT_NE(size, nullptr) << json::Serialize(**crd);
  EXPECT_EQ(json::GetString(*size, "type"), "integer");

  auto ftc = host_.Get(FederatedTypeConfigsResource(), kNs, "widgets.example.com");
  ASSERT_TRUE(ftc.ok());
  EXPECT_EQ(json::GetString((**ftc)["spec"]["federatedType"], "kind"), "FederatedWidget");
  EXPECT_THAT(out_.str(), HasSubstr("enabled widgets.example.com (FederatedWidget)"));

  // Twice is fine.
  ASSERT_TRUE(Enable(host_, discovery_, options_, out_).ok());
}

TEST_F(EnableTest, OutputYamlPrintsAndWritesNothing) {
  options_.output = "yaml";
  options_.federated_group = "fed.example.org";
  ASSERT_TRUE(Enable(host_, discovery_, options_, out_).ok());
  EXPECT_THAT(out_.str(), HasSubstr("name: federatedwidgets.fed.example.org"));
  EXPECT_THAT(out_.str(), HasSubstr("kind: FederatedTypeConfig"));
  EXPECT_FALSE(host_.Get(FederatedTypeConfigsResource(), kNs, "widgets.example.com").ok());
}

TEST_F(EnableTest, CrdNeverEstablishedIsReported) {
  absl::Status s = Enable(host_, discovery_, options_, out_);
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("federatedwidgets.types.kubefed.io is not Established"));
  EXPECT_FALSE(host_.Get(FederatedTypeConfigsResource(), kNs, "widgets.example.com").ok());
}

TEST_F(EnableTest, FromCrdFile) {
  EstablishFederatedWidgetCrd();
  options_.type = "";
  options_.crd_yaml = kWidgetCrd;  // JSON is YAML
  ASSERT_TRUE(Enable(host_, discovery_, options_, out_).ok()) << out_.str();
  EXPECT_TRUE(host_.Get(FederatedTypeConfigsResource(), kNs, "widgets.example.com").ok());
  options_.crd_yaml = "kind: ConfigMap\n";
  EXPECT_THAT(Enable(host_, discovery_, options_, out_).message(),
              HasSubstr("must hold one CustomResourceDefinition"));
}

TEST_F(EnableTest, DisableIsRefusedWhileInstancesExistThenDeletesCrd) {
  EstablishFederatedWidgetCrd();
  ASSERT_TRUE(Enable(host_, discovery_, options_, out_).ok());
  kube::GroupVersionResource fed{"types.kubefed.io", "v1beta1", "federatedwidgets", true,
                                 "FederatedWidget"};
  ASSERT_TRUE(
      host_.Create(fed, "", Json(R"({"metadata":{"name":"w1","namespace":"ns1"},"spec":{}})"), {})
          .ok());
  DisableOptions disable;
  disable.type = "Widget.example.com";
  disable.delete_crd = true;
  absl::Status s = Disable(host_, &discovery_, disable, out_);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("1 FederatedWidget objects still exist (ns1/w1)"));
  EXPECT_TRUE(host_.Get(FederatedTypeConfigsResource(), kNs, "widgets.example.com").ok());

  ASSERT_TRUE(host_.Delete(fed, "ns1", "w1", {}).ok());
  ASSERT_TRUE(Disable(host_, &discovery_, disable, out_).ok()) << out_.str();
  EXPECT_FALSE(host_.Get(FederatedTypeConfigsResource(), kNs, "widgets.example.com").ok());
  EXPECT_FALSE(
      host_.Get(kube::CustomResourceDefinitionsResource(), "", "federatedwidgets.types.kubefed.io")
          .ok());

  absl::Status again = Disable(host_, &discovery_, disable, out_);
  EXPECT_TRUE(absl::IsNotFound(again));
  EXPECT_THAT(again.message(), HasSubstr("is not enabled"));
}

}  // namespace
}  // namespace kfed::cli
