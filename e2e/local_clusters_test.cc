// Smoke suite for the local clusters (hack/local-clusters.sh): each cluster must behave as
// real Kubernetes does, since federation bugs hide in that behaviour.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "e2e/cluster_env.h"

namespace kfed::e2e {
namespace {

// Each test runs against every cluster (host first), in a fresh namespace per cluster.
class LocalClustersTest : public ::testing::Test {
 protected:
  void ForEachCluster(const std::function<void(const std::string&)>& body) {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    for (const std::string& cluster : Clusters().All()) {
      SCOPED_TRACE("cluster " + cluster);
      ns_ = UniqueName("smoke");
      ASSERT_TRUE(Kubectl(cluster, {"create", "namespace", ns_}).ok());
      body(cluster);
      (void)Kubectl(cluster, {"delete", "namespace", ns_, "--wait=false"});
    }
  }
  std::string ns_;
};

TEST_F(LocalClustersTest, ServerReportsPinnedVersion) {
  ForEachCluster([&](const std::string& cluster) {
    auto version = KubectlJson(cluster, {"version"});
    ASSERT_TRUE(version.ok()) << version.status();
    std::string server = json::GetString(*json::Find(*version, "serverVersion"), "gitVersion");
    std::string client = json::GetString(*json::Find(*version, "clientVersion"), "gitVersion");
    EXPECT_TRUE(absl::StartsWith(server, "v1.")) << server;
    EXPECT_EQ(server, client);
    // The binaries are cached by version: .../kube/<version>-etcd-<etcd version>/bin.
    EXPECT_TRUE(absl::StrContains(Clusters().kube_bin, "/" + server + "-etcd-"))
        << "server " << server << " built from " << Clusters().kube_bin;
  });
}

TEST_F(LocalClustersTest, CrdInstanceRoundTripsWithUnknownFieldsPruned) {
  ForEachCluster([&](const std::string& cluster) {
    const std::string crd = R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.kfed.io
spec:
  group: smoke.kfed.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
)";
    ASSERT_TRUE(Kubectl(cluster, {"apply", "-f", "-"}, crd).ok());
    ASSERT_TRUE(Kubectl(cluster, {"wait", "--for=condition=Established", "--timeout=60s",
                                  "crd/widgets.smoke.kfed.io"})
                    .ok());
    const std::string widget = absl::StrCat(
        "apiVersion: smoke.kfed.io/v1\nkind: Widget\nmetadata: {name: w, namespace: ", ns_,
        "}\nspec: {size: 3, unknownField: dropped}\n");
    absl::Status created = WaitFor("widget created", absl::Seconds(30), [&] {
      // Without strict validation (a raw API client's default is "Warn"), the server
      // accepts the object and prunes the unknown field.
      return Kubectl(cluster, {"create", "--validate=warn", "-f", "-"}, widget).status();
    });
    ASSERT_TRUE(created.ok()) << created;
    auto got = KubectlJson(cluster, {"get", "widget", "w", "-n", ns_});
    ASSERT_TRUE(got.ok()) << got.status();
    const rapidjson::Value* spec = json::Find(*got, "spec");
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ((*spec)["size"].GetInt(), 3);
    EXPECT_EQ(json::Find(*spec, "unknownField"), nullptr) << json::Serialize(*spec);
  });
}

TEST_F(LocalClustersTest, ServiceGetsClusterIp) {
  ForEachCluster([&](const std::string& cluster) {
    ASSERT_TRUE(
        Kubectl(cluster, {"create", "service", "clusterip", "web", "-n", ns_, "--tcp=80:8080"})
            .ok());
    auto svc = KubectlJson(cluster, {"get", "service", "web", "-n", ns_});
    ASSERT_TRUE(svc.ok()) << svc.status();
    std::string ip = json::GetString(*json::Find(*svc, "spec"), "clusterIP");
    EXPECT_TRUE(absl::StartsWith(ip, "10.96.")) << "clusterIP '" << ip << "'";
  });
}

TEST_F(LocalClustersTest, DeploymentIsDefaulted) {
  ForEachCluster([&](const std::string& cluster) {
    ASSERT_TRUE(
        Kubectl(cluster, {"create", "deployment", "web", "-n", ns_, "--image=nginx:1.27"}).ok());
    auto dep = KubectlJson(cluster, {"get", "deployment", "web", "-n", ns_});
    ASSERT_TRUE(dep.ok()) << dep.status();
    EXPECT_EQ((*dep)["metadata"]["generation"].GetInt(), 1);
    const rapidjson::Value& spec = (*dep)["spec"];
    EXPECT_EQ(json::GetString(*json::Find(spec, "strategy"), "type"), "RollingUpdate");
    EXPECT_EQ(spec["revisionHistoryLimit"].GetInt(), 10);
    EXPECT_EQ(spec["progressDeadlineSeconds"].GetInt(), 600);
    const rapidjson::Value& container = spec["template"]["spec"]["containers"][0];
    EXPECT_EQ(json::GetString(container, "imagePullPolicy"), "IfNotPresent");
    EXPECT_EQ(json::GetString(container, "terminationMessagePath"), "/dev/termination-log");
  });
}

TEST_F(LocalClustersTest, NamespaceDeletionCompletes) {
  ForEachCluster([&](const std::string& cluster) {
    std::string ns = UniqueName("doomed");
    ASSERT_TRUE(Kubectl(cluster, {"create", "namespace", ns}).ok());
    ASSERT_TRUE(
        Kubectl(cluster, {"create", "configmap", "c", "-n", ns, "--from-literal=a=b"}).ok());
    ASSERT_TRUE(Kubectl(cluster, {"delete", "namespace", ns, "--wait=false"}).ok());
    absl::Status gone =
        WaitFor("namespace " + ns + " deleted", absl::Seconds(90), [&]() -> absl::Status {
          auto out = Kubectl(cluster, {"get", "namespace", ns, "--ignore-not-found", "-o", "name"});
          if (!out.ok()) return out.status();
          return out->empty() ? absl::OkStatus() : absl::UnavailableError("still present: " + *out);
        });
    EXPECT_TRUE(gone.ok()) << gone;
  });
}

TEST_F(LocalClustersTest, ServiceAccountTokenCanBeRequested) {
  ForEachCluster([&](const std::string& cluster) {
    ASSERT_TRUE(Kubectl(cluster, {"create", "serviceaccount", "robot", "-n", ns_}).ok());
    auto token = Kubectl(cluster, {"create", "token", "robot", "-n", ns_});
    ASSERT_TRUE(token.ok()) << token.status();
    // A JWT: three base64url parts.
    EXPECT_EQ(std::count(token->begin(), token->end(), '.'), 2) << *token;
    // The serviceaccount controller creates "default" in new namespaces.
    absl::Status has_default = WaitFor("default serviceaccount", absl::Seconds(60), [&] {
      return Kubectl(cluster, {"get", "serviceaccount", "default", "-n", ns_}).status();
    });
    EXPECT_TRUE(has_default.ok()) << has_default;
  });
}

}  // namespace
}  // namespace kfed::e2e
