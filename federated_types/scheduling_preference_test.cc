#include "federated_types/scheduling_preference.h"

#include "absl/strings/match.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::Json;

TEST(SchedulingPreferenceTest, ParsesKubeFedExample) {
  // KubeFed's example/scheduling/federateddeployment-rsp.yaml, plus the optional fields.
  auto object = Json(R"({
    "apiVersion": "scheduling.kubefed.io/v1alpha1", "kind": "ReplicaSchedulingPreference",
    "metadata": {"name": "test-deployment", "namespace": "test-namespace"},
    "spec": {
      "targetKind": "FederatedDeployment", "totalReplicas": 10, "rebalance": true,
      "intersectWithClusterSelector": true,
      "clusters": {
        "cluster1": {"weight": 2},
        "cluster2": {"weight": 3, "minReplicas": 1, "maxReplicas": 8},
        "*": {"maxReplicas": 0}
      }
    },
    "status": {}
  })");
  auto rsp = ParseReplicaSchedulingPreference(object);
  ASSERT_TRUE(rsp.ok()) << rsp.status();
  EXPECT_EQ(rsp->target_kind, "FederatedDeployment");
  EXPECT_EQ(rsp->total_replicas, 10);
  EXPECT_TRUE(rsp->rebalance);
  EXPECT_TRUE(rsp->intersect_with_cluster_selector);
  ClusterPreference c1;
  c1.weight = 2;
  ClusterPreference c2;
  c2.weight = 3;
  c2.min_replicas = 1;
  c2.max_replicas = 8;
  ClusterPreference all;
  all.max_replicas = 0;
  EXPECT_EQ(rsp->clusters, (ClusterPreferences{{"cluster1", c1}, {"cluster2", c2}, {"*", all}}));
}

TEST(SchedulingPreferenceTest, Defaults) {
  auto rsp = ParseReplicaSchedulingPreference(
      Json(R"({"spec": {"targetKind": "FederatedReplicaSet", "totalReplicas": 0,
                        "rebalance": null, "clusters": {"a": {}, "b": null}}})"));
  ASSERT_TRUE(rsp.ok()) << rsp.status();
  EXPECT_EQ(rsp->target_kind, "FederatedReplicaSet");
  EXPECT_FALSE(rsp->rebalance);
  EXPECT_FALSE(rsp->intersect_with_cluster_selector);
  EXPECT_EQ(rsp->clusters, (ClusterPreferences{{"a", {}}, {"b", {}}}));
  EXPECT_FALSE(rsp->clusters["a"].max_replicas.has_value());  // unbounded
}

TEST(SchedulingPreferenceTest, EffectiveClusterPreferences) {
  ReplicaSchedulingPreference rsp;
  ClusterPreference even;
  even.weight = 1;
  // No clusters: KubeFed schedules as if {"*": {weight: 1}} were given.
  EXPECT_EQ(EffectiveClusterPreferences(rsp), (ClusterPreferences{{"*", even}}));
  ClusterPreference only;
  only.min_replicas = 3;
  rsp.clusters = {{"a", only}};
  EXPECT_EQ(EffectiveClusterPreferences(rsp), rsp.clusters);
}

TEST(SchedulingPreferenceTest, Errors) {
  struct Case {
    const char* name;
    const char* object;
    const char* want;  // the whole message
  };
  const Case cases[] = {
      {"not an object", R"([])", "object: must be an object"},
      {"no spec", R"({})", "spec.targetKind: Required value"},
      {"spec not an object", R"({"spec": 1})", "spec: must be an object"},
      {"unknown kind", R"({"spec": {"targetKind": "FederatedStatefulSet", "totalReplicas": 1}})",
       "spec.targetKind: Unsupported value: \"FederatedStatefulSet\": supported values: "
       "\"FederatedDeployment\", \"FederatedReplicaSet\""},
      {"target kind not a string", R"({"spec": {"targetKind": 3}})",
       "spec.targetKind: must be a string"},
      {"negative total", R"({"spec": {"targetKind": "FederatedDeployment", "totalReplicas": -1}})",
       "spec.totalReplicas: Invalid value: -1: must be greater than or equal to 0"},
      {"total beyond int32",
       R"({"spec": {"targetKind": "FederatedDeployment", "totalReplicas": 2147483648}})",
       "spec.totalReplicas: Invalid value: 2147483648: must fit in 32 bits"},
      {"total not an integer",
       R"({"spec": {"targetKind": "FederatedDeployment", "totalReplicas": 1.5}})",
       "spec.totalReplicas: must be an integer"},
      {"rebalance not a boolean",
       R"({"spec": {"targetKind": "FederatedDeployment", "rebalance": "yes"}})",
       "spec.rebalance: must be a boolean"},
      {"intersect not a boolean",
       R"({"spec": {"targetKind": "FederatedDeployment", "intersectWithClusterSelector": 1}})",
       "spec.intersectWithClusterSelector: must be a boolean"},
      {"clusters not an object",
       R"({"spec": {"targetKind": "FederatedDeployment", "clusters": []}})",
       "spec.clusters: must be an object"},
      {"preference not an object",
       R"({"spec": {"targetKind": "FederatedDeployment", "clusters": {"eu-1": 3}}})",
       "spec.clusters[eu-1]: must be an object"},
      {"negative min",
       R"({"spec": {"targetKind": "FederatedDeployment", "clusters": {"eu-1": {"minReplicas": -2}}}})",
       "spec.clusters[eu-1].minReplicas: Invalid value: -2: must be greater than or equal to 0"},
      {"negative max",
       R"({"spec": {"targetKind": "FederatedDeployment", "clusters": {"*": {"maxReplicas": -1}}}})",
       "spec.clusters[*].maxReplicas: Invalid value: -1: must be greater than or equal to 0"},
      {"negative weight",
       R"({"spec": {"targetKind": "FederatedDeployment", "clusters": {"us": {"weight": -5}}}})",
       "spec.clusters[us].weight: Invalid value: -5: must be greater than or equal to 0"},
      {"min above max",
       R"({"spec": {"targetKind": "FederatedDeployment",
                    "clusters": {"eu-1": {"minReplicas": 2, "maxReplicas": 1}}}})",
       "spec.clusters[eu-1].maxReplicas: Invalid value: 1: must not be less than minReplicas (2)"},
      {"max not an integer",
       R"({"spec": {"targetKind": "FederatedDeployment", "clusters": {"eu-1": {"maxReplicas": "3"}}}})",
       "spec.clusters[eu-1].maxReplicas: must be an integer"},
  };
  for (const Case& c : cases) {
    auto rsp = ParseReplicaSchedulingPreference(Json(c.object));
    ASSERT_FALSE(rsp.ok()) << c.name;
    EXPECT_EQ(rsp.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(rsp.status().message(), c.want) << c.name;
  }
}

TEST(SchedulingPreferenceTest, MaxEqualToMinIsValid) {
  auto rsp = ParseReplicaSchedulingPreference(
      Json(R"({"spec": {"targetKind": "FederatedDeployment", "totalReplicas": 4,
                        "clusters": {"a": {"minReplicas": 2, "maxReplicas": 2}}}})"));
  ASSERT_TRUE(rsp.ok()) << rsp.status();
  EXPECT_EQ(rsp->clusters["a"].max_replicas, 2);
}

}  // namespace
}  // namespace kfed::federated_types
