// The CRDs on a real kube-apiserver: every static and generated CRD installs with
// `kubectl apply --server-side`, the CEL rules and enums that replace KubeFed's webhook reject
// invalid objects with readable messages, and valid KubeFed manifests are accepted unchanged.
//
// Runs against the host cluster of hack/local-clusters.sh (KFED_E2E_KUBECONFIG, context
// `host`), as hack/test.sh provides.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "base/testing.h"
#include "e2e/cluster_env.h"
#include "federated_types/crds/crdgen.h"

namespace kfed::federated_types {
namespace {

using e2e::Kubectl;
using ::kfed::testing::ReadTextFileOrFail;

constexpr char kHost[] = "host";
constexpr char kFieldManager[] = "--field-manager=kfed-crds-e2e";

const std::vector<std::string>& StaticCrdFiles() {
  static const auto* files = new std::vector<std::string>{
      "kubefedclusters.yaml",
      "federatedtypeconfigs.yaml",
      "kubefedconfigs.yaml",
      "kubefedconfigs-defaults.yaml",
      "propagatedversions.yaml",
      "clusterpropagatedversions.yaml",
      "replicaschedulingpreferences.yaml",
      "federatedservicestatuses.yaml",
  };
  return *files;
}

class CrdsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* kubeconfig = std::getenv("KFED_E2E_KUBECONFIG");
    if (kubeconfig == nullptr || *kubeconfig == '\0') return;  // each test fails in SetUp
    for (const std::string& f : StaticCrdFiles()) {
      install_errors_ += Apply({"-f", "federated_types/crds/" + f});
    }
    ns_ = e2e::UniqueName("kfed-crds");
    auto created = Kubectl(kHost, {"create", "namespace", ns_});
    if (!created.ok())
      install_errors_ += absl::StrCat("create namespace: ", created.status().message(), "\n");
    // Each generated file holds the (cluster-scoped) CRD and its FederatedTypeConfig, which
    // goes into the test namespace. Applied after the FTC CRD, so its CEL rules check them.
    for (const DefaultType& d : DefaultTypes()) {
      install_errors_ +=
          Apply({"-n", ns_, "-f",
                 "federated_types/crds/generated/" + d.target.QualifiedName() + ".yaml"});
    }
  }

  static void TearDownTestSuite() {
    if (!ns_.empty()) (void)Kubectl(kHost, {"delete", "namespace", ns_, "--wait=false"});
  }

  void SetUp() override {
    const char* kubeconfig = std::getenv("KFED_E2E_KUBECONFIG");
    if (kubeconfig == nullptr || *kubeconfig == '\0') {
      GTEST_FAIL()
          << "KFED_E2E_KUBECONFIG is not set: this e2e test needs the local clusters; run it via "
             "hack/test.sh (or start them with 'hack/local-clusters.sh up' and export the output "
             "of 'hack/local-clusters.sh env')";
    }
    ASSERT_EQ(install_errors_, "") << "installing the CRDs failed";
  }

  // Server-side apply; "" or the error text.
  static std::string Apply(std::vector<std::string> args, absl::string_view stdin_data = "") {
    std::vector<std::string> argv = {"apply", "--server-side", "--force-conflicts", kFieldManager};
    argv.insert(argv.end(), args.begin(), args.end());
    auto out = Kubectl(kHost, argv, stdin_data);
    return out.ok() ? ""
                    : absl::StrCat(absl::StrJoin(args, " "), ": ", out.status().message(), "\n");
  }

  // Applies `manifest` (with NS replaced by the test namespace); "" when accepted, else the
  // apiserver's message.
  static std::string ApplyManifest(absl::string_view manifest) {
    std::string text = absl::StrReplaceAll(manifest, {{"NS", ns_}});
    auto out = Kubectl(kHost, {"apply", "--server-side", kFieldManager, "-f", "-"}, text);
    return out.ok() ? "" : std::string(out.status().message());
  }

  static std::string ns_;
  static std::string install_errors_;
};

std::string CrdsE2eTest::ns_;
std::string CrdsE2eTest::install_errors_;

TEST_F(CrdsE2eTest, AllCrdsAreEstablished) {
  std::vector<std::string> names = {
      "kubefedclusters.core.kubefed.io",
      "federatedtypeconfigs.core.kubefed.io",
      "kubefedconfigs.core.kubefed.io",
      "propagatedversions.core.kubefed.io",
      "clusterpropagatedversions.core.kubefed.io",
      "replicaschedulingpreferences.scheduling.kubefed.io",
      "federatedservicestatuses.core.kubefed.io",
  };
  for (const DefaultType& d : DefaultTypes()) {
    names.push_back(absl::StrCat(PluralName("Federated" + d.target.kind), ".types.kubefed.io"));
  }
  for (const std::string& name : names) {
    auto out =
        Kubectl(kHost, {"wait", "--for=condition=Established", "--timeout=60s", "crd/" + name});
    EXPECT_TRUE(out.ok()) << name << ": " << out.status();
    // A non-structural schema would be reported here (and its fields not pruned).
    auto conditions =
        Kubectl(kHost, {"get", "crd", name, "-o", "jsonpath={.status.conditions[*].type}"});
    ASSERT_TRUE(conditions.ok()) << conditions.status();
    EXPECT_FALSE(absl::StrContains(*conditions, "NonStructuralSchema")) << name;
  }
  // The generated FederatedTypeConfigs passed the FTC CRD's rules.
  auto ftcs = Kubectl(kHost, {"get", "ftc", "-n", ns_, "-o", "name"});
  ASSERT_TRUE(ftcs.ok()) << ftcs.status();
  for (const DefaultType& d : DefaultTypes()) {
    EXPECT_TRUE(absl::StrContains(
        *ftcs, "federatedtypeconfig.core.kubefed.io/" + d.target.QualifiedName() + "\n"))
        << *ftcs;
  }
}

struct Example {
  const char* name;
  const char* manifest;
  const char* error;  // nullptr: must be accepted; else a substring of the rejection
};

void RunExamples(const std::vector<Example>& examples, std::string (*apply)(absl::string_view)) {
  for (const Example& e : examples) {
    SCOPED_TRACE(e.name);
    std::string result = apply(e.manifest);
    if (e.error == nullptr) {
      EXPECT_EQ(result, "") << "a valid object was rejected";
    } else {
      EXPECT_TRUE(absl::StrContains(result, e.error))
          << "want an error containing \"" << e.error
          << "\", got: " << (result.empty() ? "accepted" : result);
    }
  }
}

TEST_F(CrdsE2eTest, KubeFedCluster) {
  RunExamples(
      {
          {"valid, as kubefedctl join writes it",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata: {name: member1, namespace: NS}
spec:
  apiEndpoint: https://127.0.0.1:6443
  caBundle: LS0tLS1CRUdJTg==
  secretRef: {name: member1-token}
  disabledTLSValidations: [SubjectName, ValidityPeriod]
  proxyURL: socks5://proxy:1080
)",
           nullptr},
          {"* alone is fine",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata: {name: member2, namespace: NS}
spec: {apiEndpoint: "10.0.0.1:6443", secretRef: {name: s}, disabledTLSValidations: ["*"]}
)",
           nullptr},
          {"* with another validation",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata: {name: bad-star, namespace: NS}
spec: {apiEndpoint: https://a:6443, secretRef: {name: s}, disabledTLSValidations: ["*", SubjectName]}
)",
           "when * is specified, it is expected to be the only option in list"},
          {"unknown TLS validation",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata: {name: bad-tls, namespace: NS}
spec: {apiEndpoint: https://a:6443, secretRef: {name: s}, disabledTLSValidations: [Hostname]}
)",
           R"(Unsupported value: "Hostname": supported values: "*", "SubjectName", "ValidityPeriod")"},
          {"proxy scheme",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata: {name: bad-proxy, namespace: NS}
spec: {apiEndpoint: https://a:6443, secretRef: {name: s}, proxyURL: "ftp://proxy"}
)",
           "proxyURL must be an http://, https:// or socks5:// URL"},
          {"secretRef required",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata: {name: no-secret, namespace: NS}
spec: {apiEndpoint: https://a:6443}
)",
           "spec.secretRef: Required value"},
      },
      &ApplyManifest);
  // Printer columns and the short name.
  auto table = Kubectl(kHost, {"get", "kfc", "-n", ns_});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(absl::StartsWith(*table, "NAME")) << *table;
  EXPECT_TRUE(absl::StrContains(*table, "READY") && absl::StrContains(*table, "KUBERNETES-VERSION"))
      << *table;
}

TEST_F(CrdsE2eTest, FederatedTypeConfig) {
  RunExamples(
      {
          {"valid, KubeFed's own FTC for secrets",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: secrets, namespace: NS}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedSecret, pluralName: federatedsecrets, scope: Namespaced, version: v1beta1}
  propagation: Enabled
  targetType: {kind: Secret, pluralName: secrets, scope: Namespaced, version: v1}
)",
           nullptr},
          {"valid without plural names (KubeFed defaulted them)",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: statefulsets.apps, namespace: NS}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedStatefulSet, scope: Namespaced, version: v1beta1}
  propagation: Disabled
  targetType: {group: apps, kind: StatefulSet, scope: Namespaced, version: v1}
  statusCollection: Enabled
)",
           nullptr},
          {"name without the group",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: daemonsets, namespace: NS}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedDaemonSet, pluralName: federateddaemonsets, scope: Namespaced, version: v1beta1}
  propagation: Enabled
  targetType: {group: apps, kind: DaemonSet, pluralName: daemonsets, scope: Namespaced, version: v1}
)",
           "name must be 'TARGET_PLURAL_NAME(.TARGET_GROUP_NAME)': expected 'daemonsets.apps' for "
           "this "
           "targetType, got 'daemonsets'"},
          {"name of another type",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: configmaps, namespace: NS}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedSecret, pluralName: federatedsecrets, scope: Namespaced, version: v1beta1}
  propagation: Enabled
  targetType: {kind: Secret, pluralName: secrets, scope: Namespaced, version: v1}
)",
           "expected 'secrets' for this targetType, got 'configmaps'"},
          {"federated group without a dot",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: services, namespace: NS}
spec:
  federatedType: {group: kubefed, kind: FederatedService, pluralName: federatedservices, scope: Namespaced, version: v1beta1}
  propagation: Enabled
  targetType: {kind: Service, pluralName: services, scope: Namespaced, version: v1}
)",
           "federatedType.group should be a domain with at least one dot"},
          {"propagation enum",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: jobs.batch, namespace: NS}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedJob, pluralName: federatedjobs, scope: Namespaced, version: v1beta1}
  propagation: "On"
  targetType: {group: batch, kind: Job, pluralName: jobs, scope: Namespaced, version: v1}
)",
           R"(spec.propagation: Unsupported value: "On": supported values: "Enabled", "Disabled")"},
          {"scope enum",
           R"(apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: roles.rbac.authorization.k8s.io, namespace: NS}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedRole, pluralName: federatedroles, scope: Namespaced, version: v1beta1}
  propagation: Enabled
  targetType: {group: rbac.authorization.k8s.io, kind: Role, pluralName: roles, scope: Global, version: v1}
)",
           R"(spec.targetType.scope: Unsupported value: "Global")"},
      },
      &ApplyManifest);
}

TEST_F(CrdsE2eTest, FederatedDeploymentOverridesAndPlacement) {
  const char* kValid = R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: web, namespace: NS}
spec:
  retainReplicas: true
  template:
    metadata:
      labels: {app: web}
    spec:
      replicas: 3
      selector: {matchLabels: {app: web}}
      strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - name: web
            image: nginx:1.27
            ports: [{containerPort: 80}, {containerPort: 80, protocol: UDP}]
            resources: {limits: {cpu: 0.5, memory: 128Mi}}
  placement:
    clusterSelector:
      matchLabels: {region: eu}
      matchExpressions: [{key: tier, operator: In, values: [gold]}]
  overrides:
  - clusterName: member1
    clusterOverrides:
    - path: /spec/replicas
      value: 5
    - op: add
      path: /spec/template/spec/containers/0/args
      value: ["--v=2"]
    - op: remove
      path: /metadata/labels/app
  - clusterName: member2
    clusterOverrides:
    - {op: replace, path: /spec/template/spec/containers/0/image, value: "nginx:1.28"}
)";
  auto with_overrides = [](absl::string_view overrides) {
    return absl::StrCat(R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: bad, namespace: NS}
spec:
  template: {spec: {replicas: 1}}
  placement: {clusters: [{name: member1}]}
  overrides:
)",
                        overrides);
  };
  std::string forbidden_name = with_overrides(
      "  - {clusterName: member1, clusterOverrides: [{path: /metadata/name, value: x}]}\n");
  std::string forbidden_kind = with_overrides(
      "  - {clusterName: member1, clusterOverrides: [{op: replace, path: /kind, value: Pod}]}\n");
  std::string forbidden_ns = with_overrides(
      "  - {clusterName: member1, clusterOverrides: [{path: /metadata/namespace, value: x}]}\n");
  std::string forbidden_gen = with_overrides(
      "  - {clusterName: member1, clusterOverrides: [{op: add, path: /metadata/generateName, "
      "value: x}]}\n");
  std::string duplicate_cluster = with_overrides(
      "  - {clusterName: member1, clusterOverrides: [{path: /spec/replicas, value: 2}]}\n"
      "  - {clusterName: member1, clusterOverrides: [{path: /spec/paused, value: true}]}\n");
  std::string duplicate_path = with_overrides(
      "  - {clusterName: member1, clusterOverrides: [{path: /spec/replicas, value: 2}, {path: "
      "/spec/replicas, value: 3}]}\n");
  std::string bad_op = with_overrides(
      "  - {clusterName: member1, clusterOverrides: [{op: move, path: /spec/replicas}]}\n");
  std::string relative_path = with_overrides(
      "  - {clusterName: member1, clusterOverrides: [{path: spec/replicas, value: 1}]}\n");
  std::string bad_operator = R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: bad, namespace: NS}
spec:
  template: {}
  placement: {clusterSelector: {matchExpressions: [{key: a, operator: Gt, values: ["1"]}]}}
)";
  std::string template_type_checked = R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: bad, namespace: NS}
spec:
  template: {spec: {replicas: many}}
)";
  std::string no_spec = R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: bad, namespace: NS}
)";
  std::string unknown_field = R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: bad, namespace: NS}
spec:
  template: {metadata: {anything: goes}, spec: {replicaz: 2}}
)";
  RunExamples(
      {
          {"valid", kValid, nullptr},
          {"forbidden /metadata/name", forbidden_name.c_str(),
           "path /metadata/name cannot be overridden: /metadata/name, /metadata/namespace, "
           "/metadata/generateName and /kind come from the federated object"},
          {"forbidden /kind", forbidden_kind.c_str(), "path /kind cannot be overridden"},
          {"forbidden /metadata/namespace", forbidden_ns.c_str(),
           "path /metadata/namespace cannot be overridden"},
          {"forbidden /metadata/generateName", forbidden_gen.c_str(),
           "path /metadata/generateName cannot be overridden"},
          {"cluster twice", duplicate_cluster.c_str(),
           R"(.spec.overrides: duplicate entries for key [clusterName="member1"])"},
          {"path twice", duplicate_path.c_str(),
           R"(.clusterOverrides: duplicate entries for key [path="/spec/replicas"])"},
          {"bad op", bad_op.c_str(),
           R"(Unsupported value: "move": supported values: "add", "remove", "replace")"},
          {"relative path", relative_path.c_str(),
           "path spec/replicas must be a JSON pointer starting with /"},
          {"selector operator", bad_operator.c_str(), R"(Unsupported value: "Gt")"},
          {"template is typed", template_type_checked.c_str(),
           ".spec.template.spec.replicas: expected numeric (int or float), got string"},
          {"spec required", no_spec.c_str(), "spec: Required value"},
          {"template fields are known", unknown_field.c_str(),
           ".spec.template.spec.replicaz: field not declared in schema"},
      },
      &ApplyManifest);

  // op defaults to replace; unknown template fields are pruned but metadata is kept.
  auto op = Kubectl(kHost, {"get", "fdeploy", "web", "-n", ns_, "-o",
                            "jsonpath={.spec.overrides[0].clusterOverrides[0].op} "
                            "{.spec.template.spec.template.metadata.labels.app}"});
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(*op, "replace web");
  auto table = Kubectl(kHost, {"get", "federateddeployments", "-n", ns_});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(absl::StartsWith(*table, "NAME") && absl::StrContains(*table, "PROPAGATED") &&
              absl::StrContains(*table, "REASON") && absl::StrContains(*table, "AGE"))
      << *table;
  // The template keeps the target's field documentation.
  auto explain = Kubectl(kHost, {"explain", "federateddeployments.spec.template.spec.replicas"});
  ASSERT_TRUE(explain.ok()) << explain.status();
  EXPECT_TRUE(absl::StrContains(*explain, "Number of desired pods")) << *explain;
  // Listing the kubefed category finds it.
  auto category = Kubectl(kHost, {"get", "kubefed", "-n", ns_, "-o", "name"});
  ASSERT_TRUE(category.ok()) << category.status();
  EXPECT_TRUE(absl::StrContains(*category, "federateddeployment.types.kubefed.io/web"))
      << *category;
}

TEST_F(CrdsE2eTest, RetainReplicasOnlyForScalableTypes) {
  RunExamples(
      {
          {"ReplicaSet has it",
           R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedReplicaSet
metadata: {name: rs, namespace: NS}
spec: {retainReplicas: true, template: {spec: {replicas: 2}}}
)",
           nullptr},
          {"ConfigMap has not",
           R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedConfigMap
metadata: {name: cm, namespace: NS}
spec: {retainReplicas: true, template: {data: {a: b}}}
)",
           R"(.spec.retainReplicas: field not declared in schema)"},
          {"FederatedNamespace is namespaced",
           R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedNamespace
metadata: {name: NS, namespace: NS}
spec: {placement: {clusters: []}}
)",
           nullptr},
      },
      &ApplyManifest);
}

TEST_F(CrdsE2eTest, KubeFedConfigDefaultsAndImmutableScope) {
  ASSERT_EQ(ApplyManifest(R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: kubefed, namespace: NS}
spec: {scope: Namespaced}
)"),
            "");
  auto defaults = Kubectl(
      kHost,
      {"get", "kubefedconfig", "kubefed", "-n", ns_, "-o",
       "jsonpath={.spec.controllerDuration.availableDelay} "
       "{.spec.controllerDuration.unavailableDelay} {.spec.controllerDuration.cacheSyncTimeout} "
       "{.spec.leaderElect.leaseDuration} {.spec.leaderElect.renewDeadline} "
       "{.spec.leaderElect.retryPeriod} {.spec.leaderElect.resourceLock} "
       "{.spec.clusterHealthCheck.period} {.spec.clusterHealthCheck.failureThreshold} "
       "{.spec.clusterHealthCheck.successThreshold} {.spec.clusterHealthCheck.timeout} "
       "{.spec.syncController.maxConcurrentReconciles} {.spec.syncController.adoptResources} "
       "{.spec.statusController.maxConcurrentReconciles} {.spec.featureGates[*].name}"});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(*defaults,
            "20s 60s 5m 15s 10s 5s configmaps 10s 3 1 3s 1 Enabled 1 "
            "PushReconciler RawResourceStatusCollection SchedulerPreferences");
  RunExamples(
      {
          {"scope change", R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: kubefed, namespace: NS}
spec: {scope: Cluster}
)",
           "scope is immutable"},
          {"lease not longer than renew deadline", R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: other, namespace: NS}
spec: {scope: Cluster, leaderElect: {leaseDuration: 5s, renewDeadline: 10s}}
)",
           "leaseDuration must be greater than renewDeadline"},
          {"zero duration", R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: other, namespace: NS}
spec: {scope: Cluster, clusterHealthCheck: {timeout: 0s}}
)",
           "should be a duration greater than 0"},
          {"feature gate twice", R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: other, namespace: NS}
spec: {scope: Cluster, featureGates: [{name: PushReconciler, configuration: Enabled}, {name: PushReconciler, configuration: Disabled}]}
)",
           R"(.spec.featureGates: duplicate entries for key [name="PushReconciler"])"},
      },
      &ApplyManifest);
}

// KubeFed's defaulting webhook adds every feature gate a list leaves out and sorts the list;
// kfed's MutatingAdmissionPolicy (kubefedconfigs-defaults.yaml) does the same in the apiserver.
TEST_F(CrdsE2eTest, KubeFedConfigFeatureGatesCompletedAndSortedLikeKubeFed) {
  auto create = [](absl::string_view manifest) -> std::string {
    auto out = Kubectl(kHost, {"create", "-f", "-"}, absl::StrReplaceAll(manifest, {{"NS", ns_}}));
    return out.ok() ? "" : std::string(out.status().message());
  };
  auto gates = [](const std::string& name) {
    auto out = Kubectl(kHost, {"get", "kubefedconfig", name, "-n", ns_, "-o",
                               "jsonpath={range .spec.featureGates[*]}{.name}={.configuration} "
                               "{end}"});
    return out.ok() ? *out : std::string(out.status().message());
  };
  // The defaulting spec of KubeFed's e2e suite: two gates given, the third added, sorted.
  ASSERT_EQ(create(R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: gates-partial, namespace: NS}
spec:
  scope: Cluster
  controllerDuration: {availableDelay: 31s}
  featureGates:
  - {name: SchedulerPreferences, configuration: Disabled}
  - {name: PushReconciler, configuration: Disabled}
)"),
            "");
  EXPECT_EQ(gates("gates-partial"),
            "PushReconciler=Disabled RawResourceStatusCollection=Disabled "
            "SchedulerPreferences=Disabled ");
  auto delay = Kubectl(kHost, {"get", "kubefedconfig", "gates-partial", "-n", ns_, "-o",
                               "jsonpath={.spec.controllerDuration.availableDelay}"});
  ASSERT_TRUE(delay.ok()) << delay.status();
  EXPECT_EQ(*delay, "31s");  // the user's values are kept

  ASSERT_EQ(create(R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: gates-empty, namespace: NS}
spec: {scope: Cluster, featureGates: []}
)"),
            "");
  EXPECT_EQ(gates("gates-empty"),
            "PushReconciler=Enabled RawResourceStatusCollection=Disabled "
            "SchedulerPreferences=Enabled ");

  // On update too: a list cut down to one gate gets the others back.
  auto patched = Kubectl(
      kHost, {"patch", "kubefedconfig", "gates-empty", "-n", ns_, "--type=json", "-p",
              R"([{"op":"replace","path":"/spec/featureGates","value":)"
              R"([{"name":"RawResourceStatusCollection","configuration":"Enabled"}]}])"});
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(gates("gates-empty"),
            "PushReconciler=Enabled RawResourceStatusCollection=Enabled "
            "SchedulerPreferences=Enabled ");

  // Lists the CRD refuses are left to its validation (not silently repaired).
  EXPECT_THAT(create(R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: gates-unknown, namespace: NS}
spec: {scope: Cluster, featureGates: [{name: Foo, configuration: Enabled}]}
)"),
              ::testing::HasSubstr(R"(Unsupported value: "Foo")"));
  EXPECT_THAT(create(R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: gates-twice, namespace: NS}
spec: {scope: Cluster, featureGates: [{name: PushReconciler, configuration: Enabled}, {name: PushReconciler, configuration: Disabled}]}
)"),
              ::testing::HasSubstr("Duplicate value"));
  EXPECT_THAT(create(R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: gates-incomplete, namespace: NS}
spec: {scope: Cluster, featureGates: [{name: PushReconciler}]}
)"),
              ::testing::HasSubstr("configuration: Required value"));
}

TEST_F(CrdsE2eTest, ReplicaSchedulingPreferenceAndPropagatedVersion) {
  RunExamples(
      {
          {"valid RSP", R"(apiVersion: scheduling.kubefed.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: web, namespace: NS}
spec:
  targetKind: FederatedDeployment
  totalReplicas: 9
  rebalance: true
  clusters:
    "*": {weight: 1}
    member1: {minReplicas: 2, maxReplicas: 6, weight: 2}
)",
           nullptr},
          {"max below min", R"(apiVersion: scheduling.kubefed.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: bad, namespace: NS}
spec: {targetKind: FederatedDeployment, totalReplicas: 3, clusters: {member1: {minReplicas: 4, maxReplicas: 2}}}
)",
           "maxReplicas must not be less than minReplicas"},
          {"target kind", R"(apiVersion: scheduling.kubefed.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: bad, namespace: NS}
spec: {targetKind: FederatedJob, totalReplicas: 3}
)",
           R"(Unsupported value: "FederatedJob")"},
      },
      &ApplyManifest);
  auto table = Kubectl(kHost, {"get", "rsp", "-n", ns_});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(absl::StrContains(*table, "TOTAL-REPLICAS")) << *table;
  // PropagatedVersion: status only, written through the status subresource.
  ASSERT_EQ(ApplyManifest(R"(apiVersion: core.kubefed.io/v1alpha1
kind: PropagatedVersion
metadata: {name: deployment-web, namespace: NS}
)"),
            "");
  auto status =
      Kubectl(kHost, {"apply", "--server-side", kFieldManager, "--subresource=status", "-f", "-"},
              absl::StrReplaceAll(R"(apiVersion: core.kubefed.io/v1alpha1
kind: PropagatedVersion
metadata: {name: deployment-web, namespace: NS}
status:
  templateVersion: 0123456789abcdef
  overridesVersion: fedcba9876543210
  clusterVersions: [{clusterName: member1, version: "gen:1"}, {clusterName: member2, version: "rv:42"}]
)",
                                  {{"NS", ns_}}));
  ASSERT_TRUE(status.ok()) << status.status();
  auto read = Kubectl(kHost, {"get", "propagatedversion", "deployment-web", "-n", ns_, "-o",
                              "jsonpath={.status.clusterVersions[*].version}"});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "gen:1 rv:42");
}

TEST_F(CrdsE2eTest, FederatedTypeFromRecursiveSchemaInstalls) {
  // CustomResourceDefinition embeds the recursive JSONSchemaProps; the generator cuts the
  // recursion, and the apiserver takes the result and keeps deep fields (no pruning).
  auto openapi = json::Parse(ReadTextFileOrFail(
      "federated_types/crds/testdata/openapi/apis_apiextensions.k8s.io_v1.json"));
  ASSERT_TRUE(openapi.ok()) << openapi.status();
  TargetType crd{"apiextensions.k8s.io",      "v1",  "CustomResourceDefinition",
                 "customresourcedefinitions", false, {"crd"}};
  auto yaml = GenerateYaml(*openapi, crd);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  ASSERT_EQ(Apply({"-n", ns_, "-f", "-"}, *yaml), "");
  ASSERT_TRUE(Kubectl(kHost, {"wait", "--for=condition=Established", "--timeout=60s",
                              "crd/federatedcustomresourcedefinitions.types.kubefed.io"})
                  .ok());
  ASSERT_EQ(ApplyManifest(R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedCustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  placement: {clusters: [{name: member1}]}
  template:
    spec:
      group: example.com
      names: {kind: Widget, plural: widgets}
      scope: Namespaced
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
                  size: {type: integer, minimum: 1}
)"),
            "");
  auto deep = Kubectl(
      kHost, {"get", "fcrd", "widgets.example.com", "-o",
              "jsonpath={.spec.template.spec.versions[0].schema.openAPIV3Schema.properties.spec"
              ".properties.size.minimum}"});
  ASSERT_TRUE(deep.ok()) << deep.status();
  EXPECT_EQ(*deep, "1");
  (void)Kubectl(kHost, {"delete", "fcrd", "widgets.example.com", "--wait=false"});
}

}  // namespace
}  // namespace kfed::federated_types
