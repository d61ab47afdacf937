#include "controller/replica_scheduling_plan.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "base/json.h"
#include "base/json_patch.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Json;
namespace ft = ::kfed::federated_types;

ft::ReplicaSchedulingPreference Rsp(const char* spec) {
  auto rsp = ft::ParseReplicaSchedulingPreference(Json(absl::StrCat(R"({"spec":)", spec, "}")));
  EXPECT_TRUE(rsp.ok()) << rsp.status();
  return rsp.ok() ? *rsp : ft::ReplicaSchedulingPreference();
}

std::vector<ft::ClusterInfo> Ready(const std::vector<std::string>& names) {
  std::vector<ft::ClusterInfo> clusters;
  for (const std::string& name : names) clusters.push_back({name, {}});
  return clusters;
}

MemberReplicaState Member(int64_t current, std::optional<int64_t> capacity = std::nullopt,
                          bool recheck = false) {
  MemberReplicaState m;
  m.current_replicas = current;
  m.estimated_capacity = capacity;
  m.needs_recheck = recheck;
  return m;
}

// A FederatedDeployment demo/web with the given spec (placement, overrides).
rapidjson::Document FedDeployment(const std::string& spec) {
  return Json(absl::StrCat(
      R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedDeployment",
          "metadata":{"namespace":"demo","name":"web","resourceVersion":"77"},
          "spec":)",
      spec, "}"));
}

struct Fixture {
  ft::ReplicaSchedulingPreference rsp;
  rapidjson::Document object;
  rapidjson::Document federated_namespace;
  ReplicaSchedulingRequest request;

  Fixture(const char* rsp_spec, const std::string& object_spec, std::vector<ft::ClusterInfo> ready)
      : rsp(Rsp(rsp_spec)), object(FedDeployment(object_spec)) {
    request.preference = &rsp;
    request.federated_object = &object;
    request.ready_clusters = std::move(ready);
    request.key = "demo/web";
  }
  void SetFederatedNamespace(const char* spec) {
    federated_namespace = Json(absl::StrCat(
        R"({"kind":"FederatedNamespace","metadata":{"namespace":"demo","name":"demo"},"spec":)",
        spec, "}"));
    request.federated_namespace = &federated_namespace;
  }
};

void ExpectJson(const rapidjson::Value& got, const char* want, const std::string& what) {
  auto expected = Json(want);
  EXPECT_TRUE(json::Equal(got, expected))
      << what << "\n got: " << json::Serialize(got) << "\nwant: " << json::Serialize(expected);
}

TEST(ReplicaSchedulingPlanTest, Table) {
  struct Case {
    const char* name;
    const char* rsp;
    std::string object_spec;
    std::vector<std::string> ready;
    std::map<std::string, MemberReplicaState> members;
    std::map<std::string, int64_t> want_replicas;
    const char* want_placement;  // nullptr: unchanged
    const char* want_overrides;  // nullptr: unchanged
    bool want_recheck = false;
  };
  const std::vector<Case> cases = {
      {"fresh object: every ready cluster placed, zeros included",
       R"({"targetKind":"FederatedDeployment","totalReplicas":6,
           "clusters":{"A":{"weight":1},"B":{"weight":2}}})",
       R"({"template":{"spec":{"replicas":1}}})",
       {"C", "A", "B"},
       {},
       {{"A", 2}, {"B", 4}, {"C", 0}},
       R"([{"name":"A"},{"name":"B"},{"name":"C"}])",
       R"([{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":2}]},
           {"clusterName":"B","clusterOverrides":[{"path":"/spec/replicas","value":4}]},
           {"clusterName":"C","clusterOverrides":[{"path":"/spec/replicas","value":0}]}])"},
      {"no clusters in the RSP spreads evenly",
       R"({"targetKind":"FederatedDeployment","totalReplicas":4})",
       R"({"placement":{"clusters":[{"name":"B"},{"name":"A"}]},
           "overrides":[{"clusterName":"B","clusterOverrides":[{"path":"/spec/replicas","value":2}]},
                        {"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":2}]}]})",
       {"A", "B"},
       {},
       {{"A", 2}, {"B", 2}},
       nullptr,
       nullptr},
      {"existing overrides kept, replicas updated in place with their op",
       R"({"targetKind":"FederatedDeployment","totalReplicas":9,"clusters":{"*":{"weight":1}}})",
       R"({"placement":{"clusters":[{"name":"B"}],"clusterSelector":{"matchLabels":{"x":"y"}}},
           "overrides":[
             {"clusterName":"B","clusterOverrides":[
               {"path":"/spec/template/spec/containers/0/image","value":"web:2"},
               {"op":"add","path":"/spec/replicas","value":1}]},
             {"clusterName":"gone","clusterOverrides":[
               {"path":"/spec/replicas","value":3},
               {"op":"add","path":"/metadata/labels/tier","value":"gold"}]},
             {"clusterName":"A","clusterOverrides":[
               {"op":"remove","path":"/spec/paused"}]}]})",
       {"A", "B", "C"},
       {},
       {{"A", 3}, {"B", 3}, {"C", 3}},
       R"([{"name":"A"},{"name":"B"},{"name":"C"}])",
       R"([{"clusterName":"B","clusterOverrides":[
             {"path":"/spec/template/spec/containers/0/image","value":"web:2"},
             {"op":"add","path":"/spec/replicas","value":3}]},
           {"clusterName":"gone","clusterOverrides":[
             {"op":"add","path":"/metadata/labels/tier","value":"gold"}]},
           {"clusterName":"A","clusterOverrides":[
             {"op":"remove","path":"/spec/paused"},
             {"path":"/spec/replicas","value":3}]},
           {"clusterName":"C","clusterOverrides":[{"path":"/spec/replicas","value":3}]}])"},
      {"up to date: placement compared as a set, nothing written",
       R"({"targetKind":"FederatedDeployment","totalReplicas":3,"clusters":{"A":{"weight":1}}})",
       R"({"placement":{"clusters":[{"name":"B"},{"name":"A"}]},
           "overrides":[{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":3},
                                                               {"path":"/spec/paused","value":true}]},
                        {"clusterName":"B","clusterOverrides":[{"path":"/spec/replicas","value":0}]}]})",
       {"A", "B"},
       {},
       {{"A", 3}, {"B", 0}},
       nullptr,
       nullptr},
      {"a number value is truncated as KubeFed does: 3.7 is 3",
       R"({"targetKind":"FederatedDeployment","totalReplicas":3,"clusters":{"A":{"weight":1}}})",
       R"({"placement":{"clusters":[{"name":"A"}]},
           "overrides":[{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":3.7}]}]})",
       {"A"},
       {},
       {{"A", 3}},
       nullptr,
       nullptr},
      {"a value that is not a number is rewritten",
       R"({"targetKind":"FederatedDeployment","totalReplicas":3,"clusters":{"A":{"weight":1}}})",
       R"({"placement":{"clusters":[{"name":"A"}]},
           "overrides":[{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":"3"}]}]})",
       {"A"},
       {},
       {{"A", 3}},
       nullptr,
       R"([{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":3}]}])"},
      {"placement only: overrides already match",
       R"({"targetKind":"FederatedDeployment","totalReplicas":2,"clusters":{"A":{"weight":1}}})",
       R"({"placement":{"clusters":[{"name":"A"}]},
           "overrides":[{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":2}]},
                        {"clusterName":"B","clusterOverrides":[{"path":"/spec/replicas","value":0}]}]})",
       {"A", "B"},
       {},
       {{"A", 2}, {"B", 0}},
       R"([{"name":"A"},{"name":"B"}])",
       nullptr},
      {"a cluster that is no longer ready loses its replicas override and its placement",
       R"({"targetKind":"FederatedDeployment","totalReplicas":4})",
       R"({"placement":{"clusters":[{"name":"A"},{"name":"B"}]},
           "overrides":[{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":2}]},
                        {"clusterName":"B","clusterOverrides":[{"path":"/spec/replicas","value":2}]}]})",
       {"A"},
       {},
       {{"A", 4}},
       R"([{"name":"A"}])",
       R"([{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":4}]},
           {"clusterName":"B","clusterOverrides":[]}])"},
      {"null clusterOverrides of a scheduled cluster becomes a list",
       R"({"targetKind":"FederatedDeployment","totalReplicas":1})",
       R"({"placement":{"clusters":[{"name":"A"}]},
           "overrides":[{"clusterName":"A","clusterOverrides":null}]})",
       {"A"},
       {},
       {{"A", 1}},
       nullptr,
       R"([{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":1}]}])"},
      {"capacity: the override asks for plan + overflow",
       R"({"targetKind":"FederatedDeployment","totalReplicas":50,"rebalance":true})",
       R"({})",
       {"A", "B", "C"},
       {{"C", Member(3, 10)}},
       // Planned A 20, B 20, C 10 with C's overflow 6 (key "demo/web"; KubeFed's own test
       // with key "" has overflow 7).
       {{"A", 20}, {"B", 20}, {"C", 16}},
       R"([{"name":"A"},{"name":"B"},{"name":"C"}])",
       R"([{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":20}]},
           {"clusterName":"B","clusterOverrides":[{"path":"/spec/replicas","value":20}]},
           {"clusterName":"C","clusterOverrides":[{"path":"/spec/replicas","value":16}]}])"},
      {"without rebalance running replicas stay; recheck carried",
       R"({"targetKind":"FederatedDeployment","totalReplicas":10})",
       R"({})",
       {"A", "B"},
       {{"A", Member(8, std::nullopt, true)}, {"B", Member(0)}},
       {{"A", 8}, {"B", 2}},
       R"([{"name":"A"},{"name":"B"}])",
       R"([{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":8}]},
           {"clusterName":"B","clusterOverrides":[{"path":"/spec/replicas","value":2}]}])",
       true},
      {"members of clusters not scheduled are ignored",
       R"({"targetKind":"FederatedDeployment","totalReplicas":2})",
       R"({})",
       {"A"},
       {{"Z", Member(5, 1, true)}},
       {{"A", 2}},
       R"([{"name":"A"}])",
       R"([{"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":2}]}])"},
  };
  for (const Case& c : cases) {
    Fixture f(c.rsp, c.object_spec, Ready(c.ready));
    f.request.members = c.members;
    auto result = PlanReplicaScheduling(f.request);
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.status();
    EXPECT_EQ(result->replicas, c.want_replicas) << c.name;
    EXPECT_EQ(result->needs_recheck, c.want_recheck) << c.name;
    EXPECT_EQ(result->placement_changed(), c.want_placement != nullptr) << c.name;
    if (c.want_placement != nullptr) {
      ExpectJson(result->placement_clusters, c.want_placement, c.name);
    }
    EXPECT_EQ(result->overrides_changed(), c.want_overrides != nullptr) << c.name;
    if (c.want_overrides != nullptr) ExpectJson(result->overrides, c.want_overrides, c.name);
    EXPECT_EQ(result->update_needed(), c.want_placement != nullptr || c.want_overrides != nullptr)
        << c.name;
  }
}

// KubeFed's plugin_test.go TestUpdateOverridesMap, for cluster1.
TEST(ReplicaSchedulingPlanTest, KubeFedUpdateOverridesMap) {
  const std::string two_overrides =
      R"({"overrides":[{"clusterName":"cluster1","clusterOverrides":[
            {"path":"/spec/replicas","value":0},{"path":"/ultimate/answer","value":42}]}]})";
  struct Case {
    const char* name;
    const char* rsp;
    std::string object_spec;
    std::vector<std::string> ready;
    const char* want_cluster1;
  };
  const Case cases[] = {
      {"retain other overrides when removing replica override for unscheduled",
       R"({"targetKind":"FederatedDeployment","totalReplicas":1})",
       two_overrides,
       {"cluster2"},
       R"([{"path":"/ultimate/answer","value":42}])"},
      {"update existing replica override",
       R"({"targetKind":"FederatedDeployment","totalReplicas":5})",
       two_overrides,
       {"cluster1"},
       R"([{"path":"/spec/replicas","value":5},{"path":"/ultimate/answer","value":42}])"},
      {"add new replica override",
       R"({"targetKind":"FederatedDeployment","totalReplicas":0})",
       R"({"overrides":[{"clusterName":"cluster1","clusterOverrides":[
             {"path":"/ultimate/answer","value":42}]}]})",
       {"cluster1"},
       R"([{"path":"/ultimate/answer","value":42},{"path":"/spec/replicas","value":0}])"},
  };
  for (const Case& c : cases) {
    Fixture f(c.rsp, c.object_spec, Ready(c.ready));
    auto result = PlanReplicaScheduling(f.request);
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.status();
    ASSERT_TRUE(result->overrides_changed()) << c.name;
    const rapidjson::Value* cluster1 = nullptr;
    for (const auto& entry : result->overrides.GetArray()) {
      if (json::GetString(entry, "clusterName") == "cluster1") {
        cluster1 = json::Find(entry, "clusterOverrides");
      }
    }
    ASSERT_NE(cluster1, nullptr) << c.name;
    ExpectJson(*cluster1, c.want_cluster1, c.name);
  }
}

TEST(ReplicaSchedulingPlanTest, NothingToDoWithoutReadyClusters) {
  Fixture f(R"({"targetKind":"FederatedDeployment","totalReplicas":3})", R"({})", {});
  auto result = PlanReplicaScheduling(f.request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->clusters.empty());
  EXPECT_TRUE(result->replicas.empty());
  EXPECT_FALSE(result->update_needed());
  EXPECT_TRUE(result->MergePatch().IsNull());
}

std::vector<ft::ClusterInfo> LabelledClusters() {
  return {{"eu-1", {{"region", "eu"}}}, {"eu-2", {{"region", "eu"}}}, {"us-1", {{"region", "us"}}}};
}

TEST(ReplicaSchedulingPlanTest, IntersectWithClusterSelector) {
  const char* rsp =
      R"({"targetKind":"FederatedDeployment","totalReplicas":4,"intersectWithClusterSelector":true})";
  // The target's clusters list is ignored: only its selector counts.
  Fixture f(rsp,
            R"({"placement":{"clusters":[{"name":"us-1"}],
                             "clusterSelector":{"matchLabels":{"region":"eu"}}}})",
            LabelledClusters());
  f.SetFederatedNamespace(R"({"placement":{"clusterSelector":{}}})");
  ASSERT_EQ(*SchedulingClusters(f.request), (std::vector<std::string>{"eu-1", "eu-2"}));
  auto result = PlanReplicaScheduling(f.request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->replicas, (std::map<std::string, int64_t>{{"eu-1", 2}, {"eu-2", 2}}));
  ExpectJson(result->placement_clusters, R"([{"name":"eu-1"},{"name":"eu-2"}])", "placement");

  // The FederatedNamespace narrows it further, by its selector.
  f.SetFederatedNamespace(R"({"placement":{"clusterSelector":{"matchExpressions":[
      {"key":"region","operator":"In","values":["eu"]}]},"clusters":[{"name":"eu-1"}]}})");
  EXPECT_EQ(*SchedulingClusters(f.request), (std::vector<std::string>{"eu-1", "eu-2"}));
  f.request.ready_clusters = {LabelledClusters()[1], LabelledClusters()[2]};  // eu-1 not ready
  EXPECT_EQ(*SchedulingClusters(f.request), (std::vector<std::string>{"eu-2"}));
}

TEST(ReplicaSchedulingPlanTest, IntersectSelectingNothingDoesNothing) {
  const char* rsp =
      R"({"targetKind":"FederatedDeployment","totalReplicas":4,"intersectWithClusterSelector":true})";
  struct Case {
    const char* name;
    const char* object_spec;
    const char* namespace_spec;
  };
  const Case cases[] = {
      {"target without a selector", R"({"placement":{"clusters":[{"name":"eu-1"}]}})",
       R"({"placement":{"clusterSelector":{}}})"},
      {"target selects no ready cluster",
       R"({"placement":{"clusterSelector":{"matchLabels":{"region":"ap"}}}})",
       R"({"placement":{"clusterSelector":{}}})"},
      // A FederatedNamespace placed by a list selects nothing here.
      {"namespace placed by a cluster list", R"({"placement":{"clusterSelector":{}}})",
       R"({"placement":{"clusters":[{"name":"eu-1"},{"name":"us-1"}]}})"},
  };
  for (const Case& c : cases) {
    Fixture f(rsp, c.object_spec, LabelledClusters());
    f.SetFederatedNamespace(c.namespace_spec);
    auto result = PlanReplicaScheduling(f.request);
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.status();
    EXPECT_TRUE(result->clusters.empty()) << c.name;
    EXPECT_FALSE(result->update_needed()) << c.name;
  }
}

TEST(ReplicaSchedulingPlanTest, IntersectNeedsFederatedNamespace) {
  Fixture f(
      R"({"targetKind":"FederatedDeployment","totalReplicas":4,"intersectWithClusterSelector":true})",
      R"({"placement":{"clusterSelector":{}}})", LabelledClusters());
  auto result = PlanReplicaScheduling(f.request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(result.status().message(), "demo/web")) << result.status();

  // Without intersecting, neither the namespace nor the selector is read.
  Fixture plain(
      R"({"targetKind":"FederatedDeployment","totalReplicas":4})",
      R"({"placement":{"clusterSelector":{"matchExpressions":[{"key":"a","operator":"Bad"}]}}})",
      LabelledClusters());
  EXPECT_TRUE(PlanReplicaScheduling(plain.request).ok());
}

TEST(ReplicaSchedulingPlanTest, MalformedObjects) {
  struct Case {
    const char* name;
    const char* object_spec;
    const char* want;
  };
  const Case cases[] = {
      {"clusters not a list", R"({"placement":{"clusters":{"name":"A"}}})",
       "spec.placement.clusters: must be an array"},
      {"overrides not a list", R"({"overrides":{}})", "spec.overrides: must be an array"},
      {"cluster twice", R"({"overrides":[{"clusterName":"A"},{"clusterName":"A"}]})",
       "spec.overrides[1]: cluster \"A\" appears more than once"},
      {"forbidden path",
       R"({"overrides":[{"clusterName":"A","clusterOverrides":[{"path":"/metadata/name","value":"x"}]}]})",
       "spec.overrides[0].clusterOverrides[0]: cluster \"A\" has an invalid path: /metadata/name"},
      {"path twice",
       R"({"overrides":[{"clusterName":"B","clusterOverrides":[{"path":"/spec/replicas","value":1},{"path":"/spec/replicas","value":2}]}]})",
       "spec.overrides[0].clusterOverrides[1]: path \"/spec/replicas\" appears more than once for "
       "cluster \"B\""},
  };
  for (const Case& c : cases) {
    Fixture f(R"({"targetKind":"FederatedDeployment","totalReplicas":1})", c.object_spec,
              Ready({"A"}));
    auto result = PlanReplicaScheduling(f.request);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(result.status().message(), c.want) << c.name;
  }
}

TEST(ReplicaSchedulingPlanTest, MergePatch) {
  Fixture f(
      R"({"targetKind":"FederatedDeployment","totalReplicas":3,"clusters":{"A":{"weight":1}}})",
      R"({"template":{"spec":{"replicas":9}},
                "placement":{"clusterSelector":{"matchLabels":{"x":"y"}}},
                "overrides":[{"clusterName":"B","clusterOverrides":[{"path":"/spec/paused","value":true}]}]})",
      Ready({"A", "B"}));
  auto result = PlanReplicaScheduling(f.request);
  ASSERT_TRUE(result.ok()) << result.status();
  rapidjson::Document patch = result->MergePatch();
  ExpectJson(patch, R"({"metadata":{"resourceVersion":"77"},"spec":{
      "placement":{"clusters":[{"name":"A"},{"name":"B"}]},
      "overrides":[{"clusterName":"B","clusterOverrides":[{"path":"/spec/paused","value":true},
                                                          {"path":"/spec/replicas","value":0}]},
                   {"clusterName":"A","clusterOverrides":[{"path":"/spec/replicas","value":3}]}]}})",
             "patch");

  // Applied, the object keeps its template and selector; scheduling it again changes nothing.
  rapidjson::Document updated = json::Clone(f.object);
  ASSERT_TRUE(json::ApplyMergePatch(patch, &updated).ok());
  ExpectJson(*json::FindPath(updated, {"spec", "template"}), R"({"spec":{"replicas":9}})",
             "template");
  ExpectJson(*json::FindPath(updated, {"spec", "placement", "clusterSelector"}),
             R"({"matchLabels":{"x":"y"}})", "selector");
  f.request.federated_object = &updated;
  auto again = PlanReplicaScheduling(f.request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->update_needed());
  EXPECT_TRUE(again->MergePatch().IsNull());
}

}  // namespace
}  // namespace kfed::controller
