// kfed-controller-manager against real clusters (a host and two members): propagation,
// overrides, placement, drift, status reasons, deletion, cluster outage, crash recovery and
// leader failover. Every assertion reads the real member objects or the host's status.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/json.h"
#include "base/testing.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;
using ::kfed::testing::Runfile;

class ControllerE2eTest : public FederationTest {
 protected:
  // Waits until the federated object's Propagation condition has `status` (and `reason`).
  absl::Status WaitForPropagation(const std::string& kind, const std::string& ns,
                                  const std::string& name, const std::string& status,
                                  const std::string& reason = "") {
    return fed_->WaitForObject(
        Host(), {kind, name, "-n", ns}, [&](const rapidjson::Value& o) -> absl::Status {
          const rapidjson::Value* c = PropagationCondition(o);
          if (c == nullptr) return absl::UnavailableError("no Propagation condition yet");
          const rapidjson::Value* gen = json::FindPath(o, {"metadata", "generation"});
          const rapidjson::Value* observed = json::FindPath(o, {"status", "observedGeneration"});
          if (gen == nullptr || observed == nullptr || !(*gen == *observed)) {
            return absl::UnavailableError("status not for the latest generation");
          }
          if (json::GetString(*c, "status") != status || json::GetString(*c, "reason") != reason) {
            return absl::UnavailableError(StrCat("Propagation is ", json::GetString(*c, "status"),
                                                 "/", json::GetString(*c, "reason"), ": ",
                                                 json::Serialize(o["status"])));
          }
          return absl::OkStatus();
        });
  }
  absl::Status WaitForData(const std::string& context, const std::string& ns,
                           const std::string& name, const std::string& key,
                           const std::string& value) {
    return fed_->WaitForObject(
        context, {"configmap", name, "-n", ns}, [&](const rapidjson::Value& cm) -> absl::Status {
          const rapidjson::Value* data = json::Find(cm, "data");
          std::string got = data ? json::GetString(*data, key, "<absent>") : "<no data>";
          if (got != value) return absl::UnavailableError(StrCat(key, "=", got));
          const rapidjson::Value* labels = json::FindPath(cm, {"metadata", "labels"});
          if (labels == nullptr || json::GetString(*labels, "kubefed.io/managed") != "true") {
            return absl::UnavailableError("no managed label");
          }
          return absl::OkStatus();
        });
  }
  static std::string ConfigMap(const std::string& ns, const std::string& name,
                               const std::string& placement, const std::string& overrides = "",
                               const std::string& extra_meta = "") {
    return StrCat(
        "apiVersion: types.kubefed.io/v1beta1\nkind: FederatedConfigMap\nmetadata:\n  name: ", name,
        "\n  namespace: ", ns, "\n", extra_meta,
        "spec:\n  template:\n    data:\n      color: blue\n", "  placement:\n", placement,
        overrides);
  }
  static std::string BothMembers() {
    return StrCat("    clusters:\n    - name: ", Member(0), "\n    - name: ", Member(1), "\n");
  }
};

TEST_F(ControllerE2eTest, ConfigMapLifecycleWithOverridesPlacementAndDeletion) {
  const std::string ns = fed_->NewNamespace("lifecycle");
  const std::string overrides =
      StrCat("  overrides:\n  - clusterName: ", Member(1),
             "\n    clusterOverrides:\n    - path: /data/color\n      value: green\n");
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers(), overrides)).ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "green").ok());
  {
    absl::Status propagated = WaitForPropagation("federatedconfigmap", ns, "cfg", "True");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }

  // Template update reaches both; the override still applies.
  ASSERT_TRUE(Kubectl(Host(), {"patch", "federatedconfigmap", "cfg", "-n", ns, "--type=merge", "-p",
                               R"({"spec":{"template":{"data":{"size":"L"}}}})"})
                  .ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "size", "L").ok());
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "size", "L").ok());
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "green").ok());

  // Override update.
  ASSERT_TRUE(
      Kubectl(
          Host(),
          {"patch", "federatedconfigmap", "cfg", "-n", ns, "--type=json", "-p",
           R"([{"op":"replace","path":"/spec/overrides/0/clusterOverrides/0/value","value":"red"}])"})
          .ok());
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "red").ok());

  // Placement change: the cluster that left loses its copy.
  ASSERT_TRUE(Kubectl(Host(), {"patch", "federatedconfigmap", "cfg", "-n", ns, "--type=merge", "-p",
                               StrCat(R"({"spec":{"placement":{"clusters":[{"name":")", Member(0),
                                      R"("}]}}})")})
                  .ok());
  EXPECT_TRUE(fed_->WaitForAbsent(Member(1), {"configmap", "cfg", "-n", ns}).ok());
  {
    absl::Status propagated = WaitForPropagation("federatedconfigmap", ns, "cfg", "True");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }
  auto status = KubectlJson(Host(), {"get", "federatedconfigmap", "cfg", "-n", ns});
  ASSERT_TRUE(status.ok());
  EXPECT_NE(ClusterStatus(*status, Member(0)), nullptr);
  EXPECT_EQ(ClusterStatus(*status, Member(1)), nullptr) << json::Serialize((*status)["status"]);

  // Deletion removes every copy, then the federated object itself.
  ASSERT_TRUE(
      Kubectl(Host(), {"delete", "federatedconfigmap", "cfg", "-n", ns, "--wait=false"}).ok());
  EXPECT_TRUE(fed_->WaitForAbsent(Member(0), {"configmap", "cfg", "-n", ns}).ok());
  EXPECT_TRUE(fed_->WaitForAbsent(Host(), {"federatedconfigmap", "cfg", "-n", ns}).ok());
  EXPECT_TRUE(fed_->WaitForAbsent(Host(), {"propagatedversion", "configmap-cfg", "-n", ns}).ok());
}

TEST_F(ControllerE2eTest, DriftIsReverted) {
  const std::string ns = fed_->NewNamespace("drift");
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers())).ok());
  ASSERT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  {
    absl::Status propagated = WaitForPropagation("federatedconfigmap", ns, "cfg", "True");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }

  // Data edited in the member.
  ASSERT_TRUE(Kubectl(Member(0), {"patch", "configmap", "cfg", "-n", ns, "--type=merge", "-p",
                                  R"({"data":{"color":"HACKED"}})"})
                  .ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  // Copy deleted.
  ASSERT_TRUE(Kubectl(Member(0), {"delete", "configmap", "cfg", "-n", ns}).ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  // Managed label removed.
  ASSERT_TRUE(
      Kubectl(Member(1), {"label", "configmap", "cfg", "-n", ns, "kubefed.io/managed-"}).ok());
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "blue").ok());
  // After the reverts the controller comes to rest: reverts that change no status once left
  // host and cluster workers waking each other (no writes, ~1.4 cores busy). A window in which
  // a loop would show thousands of reconciles, not a performance assertion.
  absl::Status settled = WaitForPropagation("federatedconfigmap", ns, "cfg", "True");
  ASSERT_TRUE(settled.ok()) << settled;
  absl::SleepFor(absl::Seconds(1));
  auto before = fed_->MetricSum(fed_->primary(), "controller_runtime_reconcile_total");
  ASSERT_TRUE(before.ok());
  absl::SleepFor(absl::Seconds(3));
  auto after = fed_->MetricSum(fed_->primary(), "controller_runtime_reconcile_total");
  ASSERT_TRUE(after.ok());
  EXPECT_LT(*after - *before, 50) << "host reconciles kept running at rest";
}

TEST_F(ControllerE2eTest, DeploymentAndServiceKeepMemberFieldsAndMakeNoWritesAtRest) {
  const std::string ns = fed_->NewNamespace("rest");
  ASSERT_TRUE(Apply(Host(), StrCat(R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: web, namespace: )",
                                   ns, R"(}
spec:
  template:
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: web, image: "nginx:1.27"}]
  placement: {clusterSelector: {}}
---
apiVersion: types.kubefed.io/v1beta1
kind: FederatedService
metadata: {name: web, namespace: )",
                                   ns, R"(}
spec:
  template:
    metadata: {annotations: {team: web}}
    spec:
      selector: {app: web}
      ports: [{name: http, port: 80}]
  placement: {clusterSelector: {}}
)"))
                  .ok());
  {
    absl::Status propagated = WaitForPropagation("federateddeployment", ns, "web", "True");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }
  {
    absl::Status propagated = WaitForPropagation("federatedservice", ns, "web", "True");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }
  std::map<std::string, std::string> ips;
  for (const std::string& m : Clusters().members) {
    auto svc = KubectlJson(m, {"get", "service", "web", "-n", ns});
    ASSERT_TRUE(svc.ok()) << svc.status();
    ips[m] = json::GetString((*svc)["spec"], "clusterIP");
    EXPECT_FALSE(ips[m].empty());
    EXPECT_EQ(json::GetString((*svc)["metadata"]["annotations"], "team"),
              "web");  // template annotations propagate
    auto dep = KubectlJson(m, {"get", "deployment", "web", "-n", ns});
    ASSERT_TRUE(dep.ok());
    EXPECT_EQ((*dep)["spec"]["replicas"].GetInt(), 2);
    EXPECT_EQ(json::GetString((*dep)["spec"]["strategy"], "type"),
              "RollingUpdate");  // server defaulting kept
  }
  // A template update keeps each member's own clusterIP.
  ASSERT_TRUE(
      Kubectl(Host(),
              {"patch", "federatedservice", "web", "-n", ns, "--type=json", "-p",
               R"([{"op":"replace","path":"/spec/template/spec/ports/0/port","value":8080}])"})
          .ok());
  for (const std::string& m : Clusters().members) {
    EXPECT_TRUE(fed_->WaitForObject(m, {"service", "web", "-n", ns},
                                    [&](const rapidjson::Value& svc) -> absl::Status {
                                      if (svc["spec"]["ports"][0]["port"].GetInt() != 8080)
                                        return absl::UnavailableError("old port");
                                      if (json::GetString(svc["spec"], "clusterIP") != ips[m]) {
                                        return absl::InternalError("clusterIP changed");
                                      }
                                      return absl::OkStatus();
                                    })
                    .ok());
  }
  {
    absl::Status propagated = WaitForPropagation("federatedservice", ns, "web", "True");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }
  // At rest, no writes: server-side defaulting must not cause update loops. The quiet period
  // is a window for a loop to show, not a performance assertion.
  auto before = fed_->MemberWrites(fed_->primary());
  ASSERT_TRUE(before.ok());
  absl::SleepFor(absl::Seconds(5));
  auto after = fed_->MemberWrites(fed_->primary());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before) << "member writes happened with nothing changing";
}

// Members run workloads (kube-scheduler and kwok's simulated Nodes, hack/local-clusters.sh):
// a propagated Deployment gets its ReplicaSet and Pods in each member and becomes Available
// with the replicas its override asks for; the federated Service's EndpointSlices fill. The
// status the members' controllers keep writing never makes kfed write back.
TEST_F(ControllerE2eTest, PropagatedDeploymentBecomesAvailableInEveryMember) {
  const std::string ns = fed_->NewNamespace("avail");
  ASSERT_TRUE(Apply(Host(), StrCat(R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: web, namespace: )",
                                   ns, R"(}
spec:
  template:
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 8080}]}]
  placement: {clusterSelector: {}}
  overrides:
  - clusterName: )",
                                   Member(1), R"(
    clusterOverrides: [{path: /spec/replicas, value: 3}]
---
apiVersion: types.kubefed.io/v1beta1
kind: FederatedService
metadata: {name: web, namespace: )",
                                   ns, R"(}
spec:
  template:
    spec:
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080}]
  placement: {clusterSelector: {}}
)"))
                  .ok());
  {
    absl::Status propagated = WaitForPropagation("federateddeployment", ns, "web", "True");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }
  for (const std::string& m : Clusters().members) {
    const int want = m == Member(1) ? 3 : 2;
    absl::Status available = fed_->WaitForObject(
        m, {"deployment", "web", "-n", ns},
        [&](const rapidjson::Value& dep) { return DeploymentAvailable(dep, want); },
        absl::Seconds(120));
    EXPECT_TRUE(available.ok()) << m << ": " << available;
    absl::Status endpoints =
        WaitFor(StrCat(m, " endpoints of web"), absl::Seconds(60), [&]() -> absl::Status {
          auto slices = KubectlJson(
              m, {"get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web"});
          if (!slices.ok()) return slices.status();
          int ready = 0;
          for (const rapidjson::Value& slice : (*slices)["items"].GetArray()) {
            const rapidjson::Value* list = json::Find(slice, "endpoints");
            if (list == nullptr || !list->IsArray()) continue;
            for (const rapidjson::Value& e : list->GetArray()) {
              const rapidjson::Value* r = json::FindPath(e, {"conditions", "ready"});
              if (r != nullptr && r->IsBool() && r->GetBool()) ++ready;
            }
          }
          return ready == want ? absl::OkStatus()
                               : absl::UnavailableError(StrCat(ready, " ready endpoints"));
        });
    EXPECT_TRUE(endpoints.ok()) << endpoints;
  }
  {
    absl::Status propagated = WaitForPropagation("federateddeployment", ns, "web", "True");
    EXPECT_TRUE(propagated.ok()) << propagated;
  }
  // The members' deployment and ReplicaSet controllers write status; kfed writes nothing back.
  // The quiet period is a window for a loop to show, not a performance assertion.
  auto before = fed_->MemberWrites(fed_->primary());
  ASSERT_TRUE(before.ok());
  absl::SleepFor(absl::Seconds(5));
  auto after = fed_->MemberWrites(fed_->primary());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before) << "member writes happened with only member status changing";
}

TEST_F(ControllerE2eTest, InvalidOverrideIsReportedAndFixingItHeals) {
  const std::string ns = fed_->NewNamespace("override");
  const std::string bad =
      StrCat("  overrides:\n  - clusterName: ", Member(1),
             "\n    clusterOverrides:\n    - path: /data/missing/deeper\n      value: x\n");
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers(), bad)).ok());
  {
    absl::Status propagated =
        WaitForPropagation("federatedconfigmap", ns, "cfg", "False", "CheckClusters");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }
  auto obj = KubectlJson(Host(), {"get", "federatedconfigmap", "cfg", "-n", ns});
  ASSERT_TRUE(obj.ok());
  const rapidjson::Value* m1 = ClusterStatus(*obj, Member(1));
  ASSERT_NE(m1, nullptr);
  EXPECT_EQ(json::GetString(*m1, "status"), "ApplyOverridesFailed");
  EXPECT_TRUE(absl::StrContains(json::GetString(*m1, "message"), "/data/missing/deeper"))
      << json::GetString(*m1, "message");
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok())
      << "the good cluster is unaffected";
  EXPECT_TRUE(Kubectl(Member(1), {"get", "configmap", "cfg", "-n", ns}).status().code() !=
              absl::StatusCode::kOk);

  ASSERT_TRUE(
      Kubectl(
          Host(),
          {"patch", "federatedconfigmap", "cfg", "-n", ns, "--type=json", "-p",
           R"([{"op":"replace","path":"/spec/overrides/0/clusterOverrides/0/path","value":"/data/color"}])"})
          .ok());
  {
    absl::Status propagated = WaitForPropagation("federatedconfigmap", ns, "cfg", "True");
    EXPECT_TRUE(propagated.ok()) << propagated;
  }
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "x").ok());
}

TEST_F(ControllerE2eTest, NamespaceNotFederatedPropagatesNothing) {
  const std::string ns = fed_->NewNamespace("unfederated", /*federate=*/false);
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers())).ok());
  ASSERT_TRUE(
      WaitForPropagation("federatedconfigmap", ns, "cfg", "False", "NamespaceNotFederated").ok());
  for (const std::string& m : Clusters().members) {
    EXPECT_FALSE(Kubectl(m, {"get", "configmap", "cfg", "-n", ns}).ok());
  }
  // Federating the namespace on member1 only: the object follows, intersected.
  ASSERT_TRUE(
      Apply(Host(),
            StrCat(
                "apiVersion: types.kubefed.io/v1beta1\nkind: FederatedNamespace\nmetadata: {name: ",
                ns, ", namespace: ", ns,
                "}\nspec:\n  placement:\n    clusters: [{name: ", Member(0), "}]\n"))
          .ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  {
    absl::Status propagated = WaitForPropagation("federatedconfigmap", ns, "cfg", "True");
    EXPECT_TRUE(propagated.ok()) << propagated;
  }
  EXPECT_FALSE(Kubectl(Member(1), {"get", "configmap", "cfg", "-n", ns}).ok());
}

TEST_F(ControllerE2eTest, OrphaningDeletionLeavesUnmanagedCopies) {
  const std::string ns = fed_->NewNamespace("orphan");
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers(), "",
                                      "  annotations:\n    kubefed.io/orphan: \"true\"\n"))
                  .ok());
  ASSERT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  ASSERT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "blue").ok());
  ASSERT_TRUE(
      Kubectl(Host(), {"delete", "federatedconfigmap", "cfg", "-n", ns, "--wait=false"}).ok());
  ASSERT_TRUE(fed_->WaitForAbsent(Host(), {"federatedconfigmap", "cfg", "-n", ns}).ok());
  for (const std::string& m : Clusters().members) {
    EXPECT_TRUE(
        fed_->WaitForObject(
                m, {"configmap", "cfg", "-n", ns},
                [](const rapidjson::Value& cm) -> absl::Status {
                  const rapidjson::Value* labels = json::FindPath(cm, {"metadata", "labels"});
                  if (labels != nullptr && labels->HasMember("kubefed.io/managed")) {
                    return absl::UnavailableError("still labelled managed");
                  }
                  return absl::OkStatus();
                })
            .ok());
  }
}

TEST_F(ControllerE2eTest, UnmanagedObjectIsNeverTouchedAndAdoptionTakesExisting) {
  const std::string ns = fed_->NewNamespace("adopt");
  // member1: a pre-existing object without the label (adopted); member2: labelled false (left
  // alone).
  ASSERT_TRUE(
      Kubectl(Member(0), {"create", "configmap", "cfg", "-n", ns, "--from-literal=color=old"})
          .ok());
  ASSERT_TRUE(
      Kubectl(Member(1), {"create", "configmap", "cfg", "-n", ns, "--from-literal=color=mine"})
          .ok());
  ASSERT_TRUE(
      Kubectl(Member(1), {"label", "configmap", "cfg", "-n", ns, "kubefed.io/managed=false"}).ok());
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers())).ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  {
    absl::Status propagated =
        WaitForPropagation("federatedconfigmap", ns, "cfg", "False", "CheckClusters");
    ASSERT_TRUE(propagated.ok()) << propagated;
  }
  auto obj = KubectlJson(Host(), {"get", "federatedconfigmap", "cfg", "-n", ns});
  ASSERT_TRUE(obj.ok());
  ASSERT_NE(ClusterStatus(*obj, Member(1)), nullptr);
  EXPECT_EQ(json::GetString(*ClusterStatus(*obj, Member(1)), "status"), "ManagedLabelFalse");
  auto mine = KubectlJson(Member(1), {"get", "configmap", "cfg", "-n", ns});
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(json::GetString((*mine)["data"], "color"), "mine");
}

// For each default type: create with a per-cluster override, template update, override
// update, placement change (the cluster that left loses its copy), deletion.
TEST_F(ControllerE2eTest, EveryDefaultTypeFollowsTemplateOverridesPlacementAndDeletion) {
  const std::string ns = fed_->NewNamespace("types");
  struct Case {
    std::string federated_kind, kind, body;
    bool namespaced;
  };
  const std::string cluster_scoped_name = UniqueName("t");
  const std::vector<Case> cases = {
      {"FederatedConfigMap", "configmap", "data: {a: b}", true},
      {"FederatedSecret", "secret", "type: Opaque\n    stringData: {password: s3cr3t}", true},
      {"FederatedServiceAccount", "serviceaccount", "automountServiceAccountToken: false", true},
      {"FederatedService", "service", "spec: {ports: [{port: 80}]}", true},
      {"FederatedDeployment", "deployment",
       "spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: "
       "{containers: [{name: c, "
       "image: busybox}]}}}",
       true},
      {"FederatedReplicaSet", "replicaset",
       "spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: "
       "{containers: [{name: c, "
       "image: busybox}]}}}",
       true},
      {"FederatedJob", "job",
       "spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}",
       true},
      {"FederatedIngress", "ingress",
       "spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}", true},
      {"FederatedClusterRole", "clusterrole",
       "rules: [{apiGroups: [\"\"], resources: [pods], verbs: [get]}]", false},
  };
  auto name_of = [&](const Case& c) {
    return c.namespaced ? std::string("obj") : cluster_scoped_name;
  };
  auto get_args = [&](const Case& c) {
    std::vector<std::string> get = {c.kind, name_of(c)};
    if (c.namespaced) get.insert(get.end(), {"-n", ns});
    return get;
  };
  auto fed_args = [&](const Case& c, std::vector<std::string> verb) {
    verb.push_back(absl::AsciiStrToLower(c.federated_kind));
    verb.push_back(name_of(c));
    if (c.namespaced) verb.insert(verb.end(), {"-n", ns});
    return verb;
  };
  // Waits until the member object's labels satisfy `want` (value "" = label absent).
  auto wait_labels = [&](const std::string& m, const Case& c,
                         std::map<std::string, std::string> want) {
    return fed_->WaitForObject(m, get_args(c), [&](const rapidjson::Value& o) -> absl::Status {
      const rapidjson::Value* labels = json::FindPath(o, {"metadata", "labels"});
      want["kubefed.io/managed"] = "true";
      for (const auto& [k, v] : want) {
        std::string got = labels ? json::GetString(*labels, k) : "";
        if (got != v) return absl::UnavailableError(StrCat(k, "=", got, ", want ", v));
      }
      return absl::OkStatus();
    });
  };

  for (const Case& c : cases) {
    const std::string ns_line = c.namespaced ? StrCat("\n  namespace: ", ns) : "";
    ASSERT_TRUE(
        Apply(Host(),
              StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: ", c.federated_kind,
                     "\nmetadata:\n  name: ", name_of(c), ns_line,
                     "\nspec:\n  template:\n    metadata: {labels: {tier: t1}}\n    ", c.body,
                     "\n  placement:\n    clusterSelector: {}\n  overrides:\n  - clusterName: ",
                     Member(1),
                     "\n    clusterOverrides:\n    - {op: add, path: /metadata/labels/where, "
                     "value: m2}\n"))
            .ok())
        << c.federated_kind;
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.federated_kind + ": created with overrides");
    EXPECT_TRUE(wait_labels(Member(0), c, {{"tier", "t1"}, {"where", ""}}).ok());
    EXPECT_TRUE(wait_labels(Member(1), c, {{"tier", "t1"}, {"where", "m2"}}).ok());
    ASSERT_TRUE(
        Kubectl(Host(),
                fed_args(c, {"patch", "--type=merge", "-p",
                             R"({"spec":{"template":{"metadata":{"labels":{"tier":"t2"}}}}})"}))
            .ok());
    ASSERT_TRUE(
        Kubectl(
            Host(),
            fed_args(
                c,
                {"patch", "--type=json", "-p",
                 R"([{"op":"replace","path":"/spec/overrides/0/clusterOverrides/0/value","value":"m2b"}])"}))
            .ok());
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.federated_kind + ": template and override updated");
    EXPECT_TRUE(wait_labels(Member(0), c, {{"tier", "t2"}, {"where", ""}}).ok());
    EXPECT_TRUE(wait_labels(Member(1), c, {{"tier", "t2"}, {"where", "m2b"}}).ok());
    ASSERT_TRUE(
        Kubectl(
            Host(),
            fed_args(
                c,
                {"patch", "--type=json", "-p",
                 StrCat(
                     R"([{"op":"replace","path":"/spec/placement","value":{"clusters":[{"name":")",
                     Member(0), R"("}]}}])")}))
            .ok());
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.federated_kind + ": placement narrowed");
    EXPECT_TRUE(fed_->WaitForAbsent(Member(1), get_args(c)).ok());
    EXPECT_TRUE(wait_labels(Member(0), c, {{"tier", "t2"}}).ok());
    ASSERT_TRUE(Kubectl(Host(), fed_args(c, {"delete", "--wait=false"})).ok());
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.federated_kind + ": deleted");
    EXPECT_TRUE(fed_->WaitForAbsent(Member(0), get_args(c)).ok());
  }
  // The namespace type: the FederatedNamespace made the namespace in each member, managed.
  for (const std::string& m : Clusters().members) {
    auto member_ns = KubectlJson(m, {"get", "namespace", ns});
    ASSERT_TRUE(member_ns.ok());
    EXPECT_EQ(json::GetString((*member_ns)["metadata"]["labels"], "kubefed.io/managed"), "true");
  }
}

TEST_F(ControllerE2eTest, StoppedMemberIsReportedAndConvergesWhenBack) {
  const std::string ns = fed_->NewNamespace("outage");
  ASSERT_TRUE(Launcher({"stop", Member(1)}).ok());
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers())).ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok())
      << "a dead member must not hold up the others";
  absl::Status not_ready = fed_->WaitForObject(
      Host(), {"federatedconfigmap", "cfg", "-n", ns},
      [&](const rapidjson::Value& o) -> absl::Status {
        const rapidjson::Value* s = ClusterStatus(o, Member(1));
        if (s != nullptr && json::GetString(*s, "status") == "ClusterNotReady")
          return absl::OkStatus();
        return absl::UnavailableError(json::Serialize(o.HasMember("status") ? o["status"] : o));
      });
  EXPECT_TRUE(not_ready.ok()) << not_ready;
  ASSERT_TRUE(Launcher({"start", Member(1)}).ok());
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "blue").ok());
  {
    absl::Status propagated = WaitForPropagation("federatedconfigmap", ns, "cfg", "True");
    EXPECT_TRUE(propagated.ok()) << propagated;
  }
}

TEST_F(ControllerE2eTest, KilledControllerConvergesWithoutDuplicatesOrRewrites) {
  const std::string ns = fed_->NewNamespace("crash");
  std::string yaml;
  for (int i = 0; i < 20; ++i) yaml += ConfigMap(ns, StrCat("cfg-", i), BothMembers()) + "---\n";
  ASSERT_TRUE(Apply(Host(), yaml).ok());
  fed_->StopController(fed_->primary(), SIGKILL);  // mid-propagation
  ASSERT_TRUE(fed_->RestartPrimary().ok());
  std::map<std::string, std::string> uids;
  for (int i = 0; i < 20; ++i) {
    for (const std::string& m : Clusters().members) {
      ASSERT_TRUE(WaitForData(m, ns, StrCat("cfg-", i), "color", "blue").ok());
      auto cm = KubectlJson(m, {"get", "configmap", StrCat("cfg-", i), "-n", ns});
      ASSERT_TRUE(cm.ok());
      uids[StrCat(m, "/", i)] = json::GetString((*cm)["metadata"], "uid");
    }
    {
      absl::Status propagated =
          WaitForPropagation("federatedconfigmap", ns, StrCat("cfg-", i), "True");
      ASSERT_TRUE(propagated.ok()) << propagated;
    }
  }
  // At rest means the PropagatedVersions too: the version workers write them after the
  // statuses (controller/version_writer.h).
  for (int i = 0; i < 20; ++i) {
    absl::Status recorded = fed_->WaitForObject(
        Host(), {"propagatedversion", StrCat("configmap-cfg-", i), "-n", ns},
        [&](const rapidjson::Value& pv) -> absl::Status {
          const rapidjson::Value* versions = json::FindPath(pv, {"status", "clusterVersions"});
          return versions != nullptr && versions->IsArray() &&
                         versions->Size() == Clusters().members.size()
                     ? absl::OkStatus()
                     : absl::UnavailableError("not every member recorded yet");
        });
    ASSERT_TRUE(recorded.ok()) << recorded;
  }
  // Crash again at rest: the new process finds everything in place (PropagatedVersions) and
  // neither recreates nor rewrites anything.
  fed_->StopController(fed_->primary(), SIGKILL);
  ASSERT_TRUE(fed_->RestartPrimary().ok());
  absl::SleepFor(absl::Seconds(3));  // a window for a needless write to show
  auto writes = fed_->MemberWrites(fed_->primary());
  ASSERT_TRUE(writes.ok());
  for (int i = 0; i < 20; ++i) {
    for (const std::string& m : Clusters().members) {
      auto cm = KubectlJson(m, {"get", "configmap", StrCat("cfg-", i), "-n", ns});
      ASSERT_TRUE(cm.ok());
      EXPECT_EQ(json::GetString((*cm)["metadata"], "uid"), uids[StrCat(m, "/", i)]) << "recreated";
    }
  }
  auto ns_writes = fed_->Metrics(fed_->primary());
  EXPECT_EQ(*writes, 0) << "writes after a restart at rest:\n"
                        << (ns_writes.ok() ? *ns_writes : "");
}

TEST_F(ControllerE2eTest, SecondReplicaTakesOverWhenTheLeaderDies) {
  absl::StatusOr<ControllerProcess> standby = fed_->StartController();
  ASSERT_TRUE(standby.ok()) << standby.status();
  auto lease =
      KubectlJson(Host(), {"get", "lease", "kubefed-controller-manager", "-n", kFedNamespace});
  ASSERT_TRUE(lease.ok());
  const std::string leader = json::GetString((*lease)["spec"], "holderIdentity");
  EXPECT_TRUE(absl::StrContains(leader, StrCat("_", fed_->primary().pid))) << leader;

  fed_->StopController(fed_->primary(), SIGKILL);
  absl::Status taken =
      fed_->WaitForObject(Host(), {"lease", "kubefed-controller-manager", "-n", kFedNamespace},
                          [&](const rapidjson::Value& l) -> absl::Status {
                            return absl::StrContains(json::GetString(l["spec"], "holderIdentity"),
                                                     StrCat("_", standby->pid))
                                       ? absl::OkStatus()
                                       : absl::UnavailableError("not yet");
                          });
  EXPECT_TRUE(taken.ok()) << taken;
  const std::string ns = fed_->NewNamespace("failover");
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers())).ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  // The standby is the primary from now on.
  fed_->primary() = *standby;
}

TEST_F(ControllerE2eTest, ExamplesApplyToMembers) {
  for (const char* file :
       {"examples/00-namespace-host.yaml", "examples/01-namespace.yaml",
        "examples/02-configmap.yaml", "examples/03-deployment.yaml", "examples/04-service.yaml"}) {
    auto applied = Kubectl(Host(), {"apply", "-f", Runfile(file)});
    ASSERT_TRUE(applied.ok()) << applied.status();
  }
  EXPECT_TRUE(WaitForData(Member(0), "demo", "web-config", "color", "blue").ok());
  EXPECT_TRUE(WaitForData(Member(1), "demo", "web-config", "color", "green").ok());
  EXPECT_TRUE(WaitForData(Member(1), "demo", "web-config", "region", "eu-west").ok());
  EXPECT_TRUE(fed_->WaitForObject(Member(0), {"deployment", "web", "-n", "demo"},
                                  [](const rapidjson::Value& d) {
                                    return d["spec"]["replicas"].GetInt() == 5
                                               ? absl::OkStatus()
                                               : absl::UnavailableError("replicas");
                                  })
                  .ok());
  EXPECT_TRUE(fed_->WaitForObject(Member(1), {"deployment", "web", "-n", "demo"},
                                  [](const rapidjson::Value& d) {
                                    return d["spec"]["replicas"].GetInt() == 3
                                               ? absl::OkStatus()
                                               : absl::UnavailableError("replicas");
                                  })
                  .ok());
  EXPECT_TRUE(fed_->WaitForObject(Member(1), {"service", "web", "-n", "demo"},
                                  [](const rapidjson::Value&) { return absl::OkStatus(); })
                  .ok());
}

}  // namespace
}  // namespace kfed::e2e

namespace kfed::e2e {
namespace {

// A CRD as the target type, enabled while the controller runs: kfed-crdgen makes the
// Federated CRD and FederatedTypeConfig, and the new type propagates with no restart.
TEST_F(ControllerE2eTest, CrdTargetTypeIsPickedUpAtRuntime) {
  const std::string crd = TestCrdYaml("e2e.kfed.io", "Gadget", "gadgets");
  for (const std::string& c : Clusters().All()) {
    ASSERT_TRUE(Apply(c, crd).ok()) << c;
    ASSERT_TRUE(Kubectl(c, {"wait", "--for=condition=Established", "--timeout=60s",
                            "crd/gadgets.e2e.kfed.io"})
                    .ok());
  }
  const std::string crd_file = Clusters().run_dir + "/gadgets-crd.yaml";
  {
    std::ofstream out(crd_file);
    out << crd;
  }
  auto generated = e2e::Run({Runfile("federated_types/crds/kfed-crdgen"), "--crd", crd_file});
  ASSERT_TRUE(generated.ok()) << generated.status();
  auto applied =
      Kubectl(Host(), {"apply", "--server-side", "-n", kFedNamespace, "-f", "-"}, *generated);
  ASSERT_TRUE(applied.ok()) << applied.status();
  // Members joined with least privilege grant only the federated types: join again (what a
  // user runs after enabling a type).
  absl::Status refreshed = fed_->RefreshMemberAccess();
  ASSERT_TRUE(refreshed.ok()) << refreshed;
  ASSERT_TRUE(fed_->WaitForObject(
                      Host(), {"federatedtypeconfig", "gadgets.e2e.kfed.io", "-n", kFedNamespace},
                      [](const rapidjson::Value& ftc) -> absl::Status {
                        const rapidjson::Value* s = json::Find(ftc, "status");
                        return s && json::GetString(*s, "propagationController") == "Running"
                                   ? absl::OkStatus()
                                   : absl::UnavailableError("not running");
                      })
                  .ok());

  const std::string ns = fed_->NewNamespace("gadgets");
  ASSERT_TRUE(
      Apply(
          Host(),
          StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedGadget\nmetadata: {name: g, "
                 "namespace: ",
                 ns,
                 "}\nspec:\n  template:\n    spec: {size: 3}\n  placement: {clusterSelector: {}}\n",
                 "  overrides:\n  - clusterName: ", Member(1),
                 "\n    clusterOverrides: [{path: /spec/size, value: 7}]\n"))
          .ok());
  for (int i = 0; i < 2; ++i) {
    const int want = i == 0 ? 3 : 7;
    EXPECT_TRUE(
        fed_->WaitForObject(Member(i), {"gadget", "g", "-n", ns},
                            [&](const rapidjson::Value& g) -> absl::Status {
                              const rapidjson::Value* size = json::FindPath(g, {"spec", "size"});
                              return size && size->IsInt() && size->GetInt() == want
                                         ? absl::OkStatus()
                                         : absl::UnavailableError("size");
                            })
            .ok());
  }
  // Disabling the type stops its propagation: a change no longer reaches the members.
  ASSERT_TRUE(
      Kubectl(Host(), {"patch", "federatedtypeconfig", "gadgets.e2e.kfed.io", "-n", kFedNamespace,
                       "--type=merge", "-p", R"({"spec":{"propagation":"Disabled"}})"})
          .ok());
  ASSERT_TRUE(fed_->WaitForObject(
                      Host(), {"federatedtypeconfig", "gadgets.e2e.kfed.io", "-n", kFedNamespace},
                      [](const rapidjson::Value& ftc) -> absl::Status {
                        const rapidjson::Value* s = json::Find(ftc, "status");
                        return s && json::GetString(*s, "propagationController") == "NotRunning"
                                   ? absl::OkStatus()
                                   : absl::UnavailableError("still running");
                      })
                  .ok());
  ASSERT_TRUE(Kubectl(Host(), {"patch", "federatedgadget", "g", "-n", ns, "--type=merge", "-p",
                               R"({"spec":{"template":{"spec":{"size":4}}}})"})
                  .ok());
  ASSERT_TRUE(
      Kubectl(Host(), {"patch", "federatedtypeconfig", "gadgets.e2e.kfed.io", "-n", kFedNamespace,
                       "--type=merge", "-p", R"({"spec":{"propagation":"Enabled"}})"})
          .ok());
  EXPECT_TRUE(fed_->WaitForObject(Member(0), {"gadget", "g", "-n", ns},
                                  [](const rapidjson::Value& g) -> absl::Status {
                                    return g["spec"]["size"].GetInt() == 4
                                               ? absl::OkStatus()
                                               : absl::UnavailableError("size");
                                  })
                  .ok())
      << "re-enabled type did not resume";
  ASSERT_TRUE(Kubectl(Host(), {"delete", "federatedgadget", "g", "-n", ns, "--wait=false"}).ok());
  for (const std::string& m : Clusters().members)
    EXPECT_TRUE(fed_->WaitForAbsent(m, {"gadget", "g", "-n", ns}).ok());
}

// kubefed.io/deleteoption: an invalid value is reported and deletes nothing; once fixed, the
// member deletes run with the options and the deletion completes.
TEST_F(ControllerE2eTest, DeleteOptionsAnnotationIsHonoured) {
  const std::string ns = fed_->NewNamespace("deleteopts");
  ASSERT_TRUE(
      Apply(Host(),
            ConfigMap(ns, "cfg", BothMembers(), "",
                      "  annotations:\n    kubefed.io/deleteoption: '{\"propagationPolicy\": "
                      "\"Later\"}'\n"))
          .ok());
  ASSERT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok());
  ASSERT_TRUE(
      Kubectl(Host(), {"delete", "federatedconfigmap", "cfg", "-n", ns, "--wait=false"}).ok());
  // Invalid options: nothing is deleted and the object waits (DeletionFailed is reported).
  absl::Status reported = fed_->WaitForObject(
      Host(),
      {"events", "-n", ns, "--field-selector",
       "involvedObject.name=cfg,reason=WaitForRemovalInCluster"},
      [](const rapidjson::Value& list) -> absl::Status {
        return list["items"].Size() > 0 ? absl::OkStatus() : absl::UnavailableError("no event");
      });
  EXPECT_TRUE(reported.ok()) << reported;
  EXPECT_TRUE(Kubectl(Member(0), {"get", "configmap", "cfg", "-n", ns}).ok())
      << "deleted despite bad options";
  // Fix the options: the deletion completes.
  ASSERT_TRUE(
      Kubectl(
          Host(),
          {"annotate", "--overwrite", "federatedconfigmap", "cfg", "-n", ns,
           R"(kubefed.io/deleteoption={"propagationPolicy":"Background","gracePeriodSeconds":0})"})
          .ok());
  for (const std::string& m : Clusters().members)
    EXPECT_TRUE(fed_->WaitForAbsent(m, {"configmap", "cfg", "-n", ns}).ok());
  EXPECT_TRUE(fed_->WaitForAbsent(Host(), {"federatedconfigmap", "cfg", "-n", ns}).ok());
}

}  // namespace
}  // namespace kfed::e2e

namespace kfed::e2e {
namespace {

// A rotated member Secret is picked up at once: a wrong token makes the cluster not ready
// (and the others keep working); the right token brings it back.
TEST_F(ControllerE2eTest, RotatedClusterCredentialsArePickedUp) {
  const std::string secret = StrCat(Member(1), "-secret");
  auto original = KubectlJson(Host(), {"get", "secret", secret, "-n", kFedNamespace});
  ASSERT_TRUE(original.ok()) << original.status();
  const std::string good = json::GetString((*original)["data"], "token");
  auto ready_is = [&](const std::string& want) {
    return fed_->WaitForObject(Host(), {"kubefedcluster", Member(1), "-n", kFedNamespace},
                               [&](const rapidjson::Value& kfc) -> absl::Status {
                                 if (ConditionStatus(kfc, "Ready") == want) return absl::OkStatus();
                                 return absl::UnavailableError("Ready is not " + want);
                               });
  };
  // "bm90LWEtdG9rZW4=" is base64 of "not-a-token".
  ASSERT_TRUE(Kubectl(Host(), {"patch", "secret", secret, "-n", kFedNamespace, "--type=merge", "-p",
                               R"({"data":{"token":"bm90LWEtdG9rZW4="}})"})
                  .ok());
  EXPECT_TRUE(ready_is("False").ok());
  const std::string ns = fed_->NewNamespace("rotate");
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers())).ok());
  EXPECT_TRUE(WaitForData(Member(0), ns, "cfg", "color", "blue").ok())
      << "the other member is unaffected";
  ASSERT_TRUE(Kubectl(Host(), {"patch", "secret", secret, "-n", kFedNamespace, "--type=merge", "-p",
                               StrCat(R"({"data":{"token":")", good, R"("}})")})
                  .ok());
  EXPECT_TRUE(ready_is("True").ok());
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "blue").ok());
  absl::Status propagated = WaitForPropagation("federatedconfigmap", ns, "cfg", "True");
  EXPECT_TRUE(propagated.ok()) << propagated;
}

// A namespace-scoped control plane (KubeFedConfig scope Namespaced, run with its own
// --kubefed-namespace): objects in its namespace propagate without a FederatedNamespace, and
// objects elsewhere are not its business. The cluster-scoped primary is stopped meanwhile.
TEST_F(ControllerE2eTest, ZyNamespacedScopeManagesOnlyItsNamespace) {
  fed_->StopController(fed_->primary(), SIGTERM);
  const std::string scoped = UniqueName("kfed-scoped");
  for (const std::string& c : Clusters().All())
    ASSERT_TRUE(Kubectl(c, {"create", "namespace", scoped}).ok());
  ASSERT_TRUE(
      Apply(
          Host(),
          StrCat(
              "apiVersion: core.kubefed.io/v1beta1\nkind: KubeFedConfig\nmetadata: {name: kubefed, "
              "namespace: ",
              scoped,
              "}\nspec:\n  scope: Namespaced\n  clusterHealthCheck: {period: 1s, "
              "failureThreshold: 2, timeout: 2s}\n"))
          .ok());
  ASSERT_TRUE(Kubectl(Host(), {"apply", "--server-side", "--force-conflicts", "-n", scoped, "-f",
                               Runfile("federated_types/crds/generated/configmaps.yaml")})
                  .ok());
  for (const std::string& m : Clusters().members) {
    auto secret = KubectlJson(Host(), {"get", "secret", StrCat(m, "-secret"), "-n", kFedNamespace});
    auto kfc = KubectlJson(Host(), {"get", "kubefedcluster", m, "-n", kFedNamespace});
    ASSERT_TRUE(secret.ok() && kfc.ok());
    ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: ", m,
                                     "-secret, namespace: ", scoped, "}\ndata: {token: ",
                                     json::GetString((*secret)["data"], "token"),
                                     "}\n---\napiVersion: core.kubefed.io/v1beta1\nkind: "
                                     "KubeFedCluster\nmetadata: {name: ",
                                     m, ", namespace: ", scoped,
                                     "}\nspec: ", json::Serialize((*kfc)["spec"]), "\n"))
                    .ok());
  }
  absl::StatusOr<ControllerProcess> controller =
      fed_->StartController({"--kubefed-namespace", scoped});
  ASSERT_TRUE(controller.ok()) << controller.status();

  const std::string elsewhere = fed_->NewNamespace("outside");
  ASSERT_TRUE(Apply(Host(), ConfigMap(scoped, "cfg", BothMembers())).ok());
  ASSERT_TRUE(Apply(Host(), ConfigMap(elsewhere, "cfg", BothMembers())).ok());
  EXPECT_TRUE(WaitForData(Member(0), scoped, "cfg", "color", "blue").ok());
  EXPECT_TRUE(WaitForData(Member(1), scoped, "cfg", "color", "blue").ok());
  {
    absl::Status propagated = WaitForPropagation("federatedconfigmap", scoped, "cfg", "True");
    EXPECT_TRUE(propagated.ok()) << propagated;
  }
  absl::SleepFor(absl::Seconds(3));  // a window for a wrong propagation to show
  EXPECT_FALSE(Kubectl(Member(0), {"get", "configmap", "cfg", "-n", elsewhere}).ok())
      << "a namespace-scoped controller propagated outside its namespace";

  ASSERT_TRUE(
      Kubectl(Host(), {"delete", "federatedconfigmap", "cfg", "-n", scoped, "--wait=false"}).ok());
  for (const std::string& m : Clusters().members)
    EXPECT_TRUE(fed_->WaitForAbsent(m, {"configmap", "cfg", "-n", scoped}).ok());
  EXPECT_TRUE(fed_->WaitForAbsent(Host(), {"federatedconfigmap", "cfg", "-n", scoped}).ok());
  fed_->StopController(*controller, SIGTERM);
  // The FTC keeps its finalizer until a controller of its namespace removes it: drop it so
  // the namespace can go.
  (void)Kubectl(Host(), {"patch", "federatedtypeconfig", "configmaps", "-n", scoped, "--type=merge",
                         "-p", R"({"metadata":{"finalizers":null}})"});
  (void)Kubectl(Host(), {"delete", "namespace", scoped, "--wait=false"});
  ASSERT_TRUE(fed_->RestartPrimary().ok());
  // The primary now propagates the object outside (its namespace is federated).
  EXPECT_TRUE(WaitForData(Member(0), elsewhere, "cfg", "color", "blue").ok());
}

// With KubeFedConfig syncController.adoptResources Disabled, an existing unlabelled member
// object is reported AlreadyExists and left as it is. Runs last: it restarts the controller.
TEST_F(ControllerE2eTest, ZzAdoptionDisabledReportsAlreadyExists) {
  auto set_adopt = [&](const std::string& value) {
    return Kubectl(Host(),
                   {"patch", "kubefedconfig", "kubefed", "-n", kFedNamespace, "--type=merge", "-p",
                    StrCat(R"({"spec":{"syncController":{"adoptResources":")", value, R"("}}})")})
        .status();
  };
  ASSERT_TRUE(set_adopt("Disabled").ok());
  fed_->StopController(fed_->primary(), SIGTERM);
  ASSERT_TRUE(fed_->RestartPrimary().ok());
  const std::string ns = fed_->NewNamespace("noadopt");
  // The member's copy of the namespace must exist before an object can be put in it.
  ASSERT_TRUE(fed_->WaitForObject(Member(0), {"namespace", ns},
                                  [](const rapidjson::Value&) { return absl::OkStatus(); })
                  .ok());
  ASSERT_TRUE(
      Kubectl(Member(0), {"create", "configmap", "cfg", "-n", ns, "--from-literal=color=theirs"})
          .ok());
  ASSERT_TRUE(Apply(Host(), ConfigMap(ns, "cfg", BothMembers())).ok());
  EXPECT_TRUE(WaitForData(Member(1), ns, "cfg", "color", "blue").ok());
  absl::Status reported = fed_->WaitForObject(
      Host(), {"federatedconfigmap", "cfg", "-n", ns},
      [&](const rapidjson::Value& o) -> absl::Status {
        const rapidjson::Value* s = ClusterStatus(o, Member(0));
        if (s != nullptr && json::GetString(*s, "status") == "AlreadyExists")
          return absl::OkStatus();
        return absl::UnavailableError(json::Serialize(o.HasMember("status") ? o["status"] : o));
      });
  EXPECT_TRUE(reported.ok()) << reported;
  auto theirs = KubectlJson(Member(0), {"get", "configmap", "cfg", "-n", ns});
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(json::GetString((*theirs)["data"], "color"), "theirs");
  EXPECT_EQ(json::FindPath(*theirs, {"metadata", "labels"}), nullptr)
      << "an unadopted object was labelled";
  // Restore the default for whatever runs next on these clusters.
  ASSERT_TRUE(set_adopt("Enabled").ok());
  fed_->StopController(fed_->primary(), SIGTERM);
  ASSERT_TRUE(fed_->RestartPrimary().ok());
}

}  // namespace
}  // namespace kfed::e2e
