// Smoke suite for the local clusters (hack/local-clusters.sh): each cluster must behave as
// real Kubernetes does, since federation bugs hide in that behaviour. Members also run
// workloads (kube-scheduler + kwok's simulated Nodes): see MemberWorkloadsTest.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/testing.h"
#include "e2e/cluster_env.h"

namespace kfed::e2e {
namespace {

using ::kfed::testing::ReadTextFile;

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
    // The binaries are cached by version: .../kube/<version>-etcd-<etcd>-kwok-<kwok>-r<n>/bin.
    EXPECT_TRUE(absl::StrContains(Clusters().kube_bin, "/" + server + "-etcd-"))
        << "server " << server << " built from " << Clusters().kube_bin;
  });
}

TEST_F(LocalClustersTest, CrdInstanceRoundTripsWithUnknownFieldsPruned) {
  ForEachCluster([&](const std::string& cluster) {
    const std::string crd = TestCrdYaml("smoke.kfed.io", "Widget", "widgets");
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

// Members run a kube-scheduler and kwok (simulated Nodes, no kubelet): the workload
// controllers act, Pods are scheduled, get IPs and become Ready. Each test runs against every
// member, in a fresh namespace per member.
class MemberWorkloadsTest : public LocalClustersTest {
 protected:
  void ForEachMember(const std::function<void(const std::string&)>& body) {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    for (const std::string& member : Clusters().members) {
      SCOPED_TRACE("member " + member);
      ns_ = UniqueName("workload");
      ASSERT_TRUE(Kubectl(member, {"create", "namespace", ns_}).ok());
      body(member);
      (void)Kubectl(member, {"delete", "namespace", ns_, "--wait=false"});
    }
  }
  // The member's simulated Nodes (hack/local-clusters.sh labels them kfed.io/local-node).
  static absl::StatusOr<rapidjson::Document> LocalNodes(const std::string& cluster) {
    return KubectlJson(cluster, {"get", "nodes", "-l", "kfed.io/local-node=true"});
  }
  // Waits until Deployment `name` reports `replicas` available and the Available condition.
  absl::Status WaitAvailable(const std::string& cluster, const std::string& name, int replicas) {
    return WaitFor("deployment " + name + " available", absl::Seconds(90), [&]() -> absl::Status {
      auto dep = KubectlJson(cluster, {"get", "deployment", name, "-n", ns_});
      if (!dep.ok()) return dep.status();
      const rapidjson::Value* available = json::FindPath(*dep, {"status", "availableReplicas"});
      int got = available != nullptr && available->IsInt() ? available->GetInt() : 0;
      if (got != replicas) return absl::UnavailableError(absl::StrCat(got, " available"));
      return absl::OkStatus();
    });
  }
};

// Millicores of a CPU quantity as Kubernetes writes them ("4", "2500m", "1.5").
int64_t MilliCpu(const std::string& q) {
  if (absl::EndsWith(q, "m")) return std::stoll(q.substr(0, q.size() - 1));
  return static_cast<int64_t>(std::stod(q) * 1000);
}

TEST_F(MemberWorkloadsTest, MembersHaveReadyNodesAndTheHostHasNone) {
  for (const std::string& member : Clusters().members) {
    SCOPED_TRACE("member " + member);
    auto nodes = LocalNodes(member);
    ASSERT_TRUE(nodes.ok()) << nodes.status();
    const rapidjson::Value& items = (*nodes)["items"];
    ASSERT_GT(items.Size(), 0u) << "no simulated Nodes: were the clusters started with --nodes 0?";
    for (const rapidjson::Value& node : items.GetArray()) {
      std::string ready;
      const rapidjson::Value* conditions = json::FindPath(node, {"status", "conditions"});
      ASSERT_NE(conditions, nullptr);
      for (const rapidjson::Value& c : conditions->GetArray()) {
        if (json::GetString(c, "type") == "Ready") ready = json::GetString(c, "status");
      }
      EXPECT_EQ(ready, "True") << json::Serialize(node["status"]);
      // The capacity the launcher gave the Node survives kwok's initialization.
      EXPECT_NE(json::FindPath(node, {"status", "allocatable", "pods"}), nullptr);
    }
  }
  auto config = ReadTextFile(Clusters().run_dir + "/config");
  if (config.ok() && absl::StrContains(*config, "host-nodes=1")) return;
  auto host_nodes = KubectlJson(Clusters().host, {"get", "nodes"});
  ASSERT_TRUE(host_nodes.ok()) << host_nodes.status();
  EXPECT_EQ((*host_nodes)["items"].Size(), 0u) << "the host has Nodes without --host-nodes";
}

TEST_F(MemberWorkloadsTest, DeploymentBecomesAvailableWithPodIpsAndEndpointSlices) {
  ForEachMember([&](const std::string& member) {
    ASSERT_TRUE(Kubectl(member, {"create", "deployment", "web", "-n", ns_, "--image=nginx:1.27",
                                 "--replicas=3", "--port=8080"})
                    .ok());
    ASSERT_TRUE(
        Kubectl(member, {"create", "service", "clusterip", "web", "-n", ns_, "--tcp=80:8080"})
            .ok());
    absl::Status available = WaitAvailable(member, "web", 3);
    ASSERT_TRUE(available.ok()) << available;

    // The deployment controller made a ReplicaSet; the scheduler placed each Pod on a
    // simulated Node; kwok gave it an IP from 10.244.0.0/16 and made it Ready.
    auto rs = KubectlJson(member, {"get", "replicasets", "-n", ns_, "-l", "app=web"});
    ASSERT_TRUE(rs.ok()) << rs.status();
    EXPECT_EQ((*rs)["items"].Size(), 1u);
    auto pods = KubectlJson(member, {"get", "pods", "-n", ns_, "-l", "app=web"});
    ASSERT_TRUE(pods.ok()) << pods.status();
    ASSERT_EQ((*pods)["items"].Size(), 3u);
    std::vector<std::string> pod_ips;
    for (const rapidjson::Value& pod : (*pods)["items"].GetArray()) {
      EXPECT_TRUE(absl::StartsWith(json::GetString(pod["spec"], "nodeName"), member + "-node-"))
          << json::Serialize(pod["spec"]);
      EXPECT_EQ(json::GetString(pod["status"], "phase"), "Running");
      std::string ip = json::GetString(pod["status"], "podIP");
      EXPECT_TRUE(absl::StartsWith(ip, "10.244.")) << "podIP '" << ip << "'";
      pod_ips.push_back(ip);
    }

    // The EndpointSlice controller fills the Service's slice with the ready Pods.
    absl::Status filled = WaitFor("endpointslice of web", absl::Seconds(60), [&]() -> absl::Status {
      auto slices = KubectlJson(
          member, {"get", "endpointslices", "-n", ns_, "-l", "kubernetes.io/service-name=web"});
      if (!slices.ok()) return slices.status();
      std::vector<std::string> ready;
      for (const rapidjson::Value& slice : (*slices)["items"].GetArray()) {
        const rapidjson::Value* endpoints = json::Find(slice, "endpoints");
        if (endpoints == nullptr || !endpoints->IsArray()) continue;
        for (const rapidjson::Value& e : endpoints->GetArray()) {
          const rapidjson::Value* is_ready = json::FindPath(e, {"conditions", "ready"});
          if (is_ready != nullptr && is_ready->IsBool() && is_ready->GetBool()) {
            ready.push_back(e["addresses"][0].GetString());
          }
        }
      }
      std::sort(ready.begin(), ready.end());
      std::vector<std::string> want = pod_ips;
      std::sort(want.begin(), want.end());
      if (ready != want) {
        return absl::UnavailableError(absl::StrCat("ready endpoints ", absl::StrJoin(ready, ","),
                                                   ", pods ", absl::StrJoin(want, ",")));
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(filled.ok()) << filled;

    // Scaling down removes Pods through the ReplicaSet (and kwok finishes their deletion).
    ASSERT_TRUE(Kubectl(member, {"scale", "deployment", "web", "-n", ns_, "--replicas=1"}).ok());
    absl::Status scaled = WaitFor("scaled to 1 pod", absl::Seconds(60), [&]() -> absl::Status {
      auto out = Kubectl(member, {"get", "pods", "-n", ns_, "-l", "app=web", "-o", "name"});
      if (!out.ok()) return out.status();
      int n = std::count(out->begin(), out->end(), '\n');
      return n == 1 ? absl::OkStatus() : absl::UnavailableError(absl::StrCat(n, " pods"));
    });
    EXPECT_TRUE(scaled.ok()) << scaled;
  });
}

// A member with too little capacity behaves as a real cluster: Pods that fit run, the rest
// stay Pending with PodScheduled=False/Unschedulable.
TEST_F(MemberWorkloadsTest, TooLittleCapacityLeavesPodsUnschedulable) {
  ForEachMember([&](const std::string& member) {
    auto nodes = LocalNodes(member);
    ASSERT_TRUE(nodes.ok()) << nodes.status();
    const rapidjson::Value& items = (*nodes)["items"];
    ASSERT_GT(items.Size(), 0u);
    int64_t node_millicpu = MilliCpu(json::GetString(items[0]["status"]["allocatable"], "cpu"));
    ASSERT_GT(node_millicpu, 0);
    // Three quarters of a Node each: one Pod per Node fits, one more than the Nodes can't.
    const int replicas = static_cast<int>(items.Size()) + 1;
    const std::string request = absl::StrCat(node_millicpu * 3 / 4, "m");
    const std::string deployment = absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: )",
                                                ns_, R"(}
spec:
  replicas: )",
                                                replicas, R"(
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers:
      - name: big
        image: nginx:1.27
        resources: {requests: {cpu: )",
                                                request, R"(}}
)");
    ASSERT_TRUE(Kubectl(member, {"apply", "-f", "-"}, deployment).ok());
    absl::Status settled = WaitFor("pods of big settled", absl::Seconds(90), [&]() -> absl::Status {
      auto pods = KubectlJson(member, {"get", "pods", "-n", ns_, "-l", "app=big"});
      if (!pods.ok()) return pods.status();
      int running = 0, unschedulable = 0;
      std::string message;
      for (const rapidjson::Value& pod : (*pods)["items"].GetArray()) {
        if (json::GetString(pod["status"], "phase") == "Running") ++running;
        const rapidjson::Value* conditions = json::FindPath(pod, {"status", "conditions"});
        if (conditions == nullptr || !conditions->IsArray()) continue;
        for (const rapidjson::Value& c : conditions->GetArray()) {
          if (json::GetString(c, "type") == "PodScheduled" &&
              json::GetString(c, "status") == "False" &&
              json::GetString(c, "reason") == "Unschedulable") {
            ++unschedulable;
            message = json::GetString(c, "message");
          }
        }
      }
      // Other tests' Pods may hold part of a Node, so fewer may run; never all of them.
      if (unschedulable == 0 || running == 0 || running + unschedulable != replicas) {
        return absl::UnavailableError(
            absl::StrCat(running, " running, ", unschedulable, " unschedulable"));
      }
      if (!absl::StrContains(message, "Insufficient cpu")) {
        return absl::FailedPreconditionError("unschedulable for another reason: " + message);
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(settled.ok()) << settled;
    auto dep = KubectlJson(member, {"get", "deployment", "big", "-n", ns_});
    ASSERT_TRUE(dep.ok()) << dep.status();
    const rapidjson::Value* unavailable = json::FindPath(*dep, {"status", "unavailableReplicas"});
    EXPECT_TRUE(unavailable != nullptr && unavailable->GetInt() >= 1)
        << json::Serialize((*dep)["status"]);
    // Free the Nodes for the tests after this one.
    (void)Kubectl(member, {"delete", "deployment", "big", "-n", ns_, "--wait=true"});
  });
}

}  // namespace
}  // namespace kfed::e2e
