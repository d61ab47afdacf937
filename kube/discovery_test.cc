#include "kube/discovery.h"

#include "gtest/gtest.h"
#include <atomic>

#include "absl/strings/match.h"
#include "kube/client_fake.h"
#include "kube/fake_apiserver.h"
#include "kube/errors.h"

namespace kfed::kube {
namespace {

constexpr char kCoreV1[] = R"({"kind":"APIResourceList","groupVersion":"v1","resources":[
  {"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["cm"]},
  {"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list"]},
  {"name":"namespaces/status","singularName":"","namespaced":false,"kind":"Namespace","verbs":["get","patch","update"]}]})";
constexpr char kAppsV1[] = R"({"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
  {"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment","verbs":["get"]},
  {"name":"deployments/scale","namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale","verbs":["get"]},
  {"name":"deployments/status","namespaced":true,"kind":"Deployment","verbs":["get"]}]})";
constexpr char kApisWithApps[] = R"({"kind":"APIGroupList","groups":[
  {"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}]})";
constexpr char kApisWithCrd[] = R"({"kind":"APIGroupList","groups":[
  {"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},
  {"name":"types.kubefed.io","versions":[{"groupVersion":"types.kubefed.io/v1beta1","version":"v1beta1"},{"groupVersion":"types.kubefed.io/v1alpha1","version":"v1alpha1"}],"preferredVersion":{"groupVersion":"types.kubefed.io/v1beta1","version":"v1beta1"}},
  {"name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}]}]})";
constexpr char kCrdV1beta1[] = R"({"kind":"APIResourceList","groupVersion":"types.kubefed.io/v1beta1","resources":[
  {"name":"federateddeployments","singularName":"federateddeployment","namespaced":true,"kind":"FederatedDeployment","verbs":["get"]},
  {"name":"federateddeployments/status","namespaced":true,"kind":"FederatedDeployment","verbs":["get"]}]})";
constexpr char kCrdV1alpha1[] = R"({"kind":"APIResourceList","groupVersion":"types.kubefed.io/v1alpha1","resources":[
  {"name":"federateddeployments","singularName":"federateddeployment","namespaced":true,"kind":"FederatedDeployment","verbs":["get"]}]})";

TEST(DiscoveryTest, MapsKindsResourcesScopeAndSubresources) {
  FakeClient c;
  c.SetRaw("/api", R"({"kind":"APIVersions","versions":["v1"]})");
  c.SetRaw("/api/v1", kCoreV1);
  c.SetRaw("/apis", kApisWithApps);
  c.SetRaw("/apis/apps/v1", kAppsV1);
  FakeClock clock;
  Discovery d(c, DiscoveryOptions(), clock);

  auto cm = d.ResourceFor({"", "v1", "ConfigMap"});
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_EQ(cm->resource, "configmaps");
  EXPECT_TRUE(cm->namespaced);
  auto ns = d.Describe({"", "v1", "Namespace"});
  ASSERT_TRUE(ns.ok());
  EXPECT_FALSE(ns->gvr.namespaced);
  EXPECT_EQ(ns->subresources, std::vector<std::string>{"status"});
  auto deploy = d.Describe({"apps", "v1", "Deployment"});
  ASSERT_TRUE(deploy.ok());
  EXPECT_EQ(deploy->subresources, (std::vector<std::string>{"scale", "status"}));
  auto kind = d.KindFor({"apps", "v1", "deployments", true, ""});
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(kind->kind, "Deployment");
  EXPECT_EQ(d.refreshes(), 1);  // cached
}

TEST(DiscoveryTest, UnknownKindRefreshesAndFindsNewCrd) {
  FakeClient c;
  c.SetRaw("/api", R"({"kind":"APIVersions","versions":["v1"]})");
  c.SetRaw("/api/v1", kCoreV1);
  c.SetRaw("/apis", kApisWithApps);
  c.SetRaw("/apis/apps/v1", kAppsV1);
  FakeClock clock;
  Discovery d(c, DiscoveryOptions(), clock);
  GroupVersionKind fd{"types.kubefed.io", "v1beta1", "FederatedDeployment"};
  auto missing = d.ResourceFor(fd);
  EXPECT_TRUE(kube::IsNotFound(missing.status()));
  EXPECT_EQ(missing.status().message(), "discovery: no resource serves types.kubefed.io/v1beta1, Kind=FederatedDeployment");

  // The CRD appears (with one aggregated group failing discovery).
  c.SetRaw("/apis", kApisWithCrd);
  c.SetRaw("/apis/types.kubefed.io/v1beta1", kCrdV1beta1);
  c.SetRaw("/apis/types.kubefed.io/v1alpha1", kCrdV1alpha1);
  // Within min_refresh_interval a miss does not refetch.
  EXPECT_TRUE(kube::IsNotFound(d.ResourceFor(fd).status()));
  clock.Advance(absl::Seconds(2));
  auto found = d.ResourceFor(fd);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->resource, "federateddeployments");
  EXPECT_EQ(d.FailedGroupVersions(), std::vector<std::string>{"metrics.k8s.io/v1beta1"});
  auto preferred = d.PreferredResourceFor("types.kubefed.io", "FederatedDeployment");
  ASSERT_TRUE(preferred.ok());
  EXPECT_EQ(preferred->version, "v1beta1");
}

}  // namespace
}  // namespace kfed::kube

namespace kfed::kube {
namespace {

TEST(DiscoveryTest, AggregatedDiscoveryInTwoRequests) {
  testing::FakeApiServer server;
  std::atomic<int> requests{0};
  server.http().Get("/api", [&](const httplib::Request& req, httplib::Response& res) {
    ++requests;
    EXPECT_TRUE(absl::StrContains(req.get_header_value("Accept"), "as=APIGroupDiscoveryList"));
    res.set_content(R"({"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","items":[{"metadata":{},"versions":[{"version":"v1","resources":[
      {"resource":"configmaps","responseKind":{"group":"","version":"v1","kind":"ConfigMap"},"scope":"Namespaced","singularResource":"configmap","verbs":["get"]},
      {"resource":"namespaces","responseKind":{"group":"","version":"v1","kind":"Namespace"},"scope":"Cluster","singularResource":"namespace","verbs":["get"],"subresources":[{"subresource":"status","verbs":["get"]},{"subresource":"finalize","verbs":["update"]}]}]}]}]})",
                    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  });
  server.http().Get("/apis", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content(R"({"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","items":[
      {"metadata":{"name":"apps"},"versions":[{"version":"v1","resources":[{"resource":"deployments","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},"scope":"Namespaced","verbs":["get"]}]}]},
      {"metadata":{"name":"metrics.k8s.io"},"versions":[{"version":"v1beta1","resources":[],"freshness":"Stale"}]}]})",
                    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  });
  server.Start();
  auto client = RestClient::Create(server.Config());
  ASSERT_TRUE(client.ok());
  Discovery d(**client);
  auto ns = d.Describe({"", "v1", "Namespace"});
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_FALSE(ns->gvr.namespaced);
  EXPECT_EQ(ns->subresources, (std::vector<std::string>{"status", "finalize"}));
  auto deploy = d.ResourceFor({"apps", "v1", "Deployment"});
  ASSERT_TRUE(deploy.ok());
  EXPECT_EQ(deploy->resource, "deployments");
  EXPECT_TRUE(d.aggregated());
  EXPECT_EQ(d.FailedGroupVersions(), std::vector<std::string>{"metrics.k8s.io/v1beta1"});
  EXPECT_EQ(requests.load(), 2);
}

}  // namespace
}  // namespace kfed::kube
