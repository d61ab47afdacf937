#include "overrides/overrides.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/json.h"
#include "base/testing.h"

namespace kfed::overrides {
namespace {

using ::kfed::testing::Json;

constexpr char kDeployment[] = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
  "spec": {"replicas": 1, "template": {"spec": {"containers": [
    {"name": "web", "image": "nginx:1.25", "args": ["--a"]}]}}}})";

TEST(ValidateOverridesTest, Table) {
  struct Case {
    std::string name;
    std::string overrides;
    std::string error;  // empty: valid
  };
  const std::vector<Case> cases = {
      {"null means none", "null", ""},
      {"empty", "[]", ""},
      {"typical",
       R"([{"clusterName":"member1","clusterOverrides":[{"path":"/spec/replicas","value":5},
           {"op":"add","path":"/metadata/labels/tier","value":"gold"},
           {"op":"remove","path":"/spec/paused"}]},
          {"clusterName":"member2","clusterOverrides":[{"op":"replace","path":"/apiVersion","value":"apps/v1beta2"}]}])",
       ""},
      {"no clusterOverrides", R"([{"clusterName":"member1"}])", ""},
      {"null clusterOverrides and op", R"([{"clusterName":"a","clusterOverrides":null},
          {"clusterName":"b","clusterOverrides":[{"op":null,"path":"/x"}]}])",
       ""},
      {"same path for different clusters",
       R"([{"clusterName":"a","clusterOverrides":[{"path":"/spec/replicas","value":1}]},
          {"clusterName":"b","clusterOverrides":[{"path":"/spec/replicas","value":2}]}])",
       ""},
      {"not an array", R"({"clusterName":"a"})", "overrides must be an array"},
      {"entry not an object", R"(["a"])", "overrides[0]: must be an object"},
      {"missing clusterName", R"([{"clusterOverrides":[]}])",
       R"(overrides[0]: "clusterName" must be a non-empty string)"},
      {"empty clusterName", R"([{"clusterName":""}])",
       R"(overrides[0]: "clusterName" must be a non-empty string)"},
      {"cluster twice",
       R"([{"clusterName":"member1"},{"clusterName":"member2"},{"clusterName":"member1"}])",
       R"(overrides[2] for cluster "member1": cluster appears more than once (first in overrides[0]))"},
      {"clusterOverrides not an array", R"([{"clusterName":"member1","clusterOverrides":{}}])",
       R"(overrides[0] for cluster "member1": "clusterOverrides" must be an array)"},
      {"clusterOverride not an object", R"([{"clusterName":"member1","clusterOverrides":[3]}])",
       R"(overrides[0] for cluster "member1": clusterOverrides[0]: must be an object)"},
      {"forbidden name",
       R"([{"clusterName":"member1"},{"clusterName":"member2","clusterOverrides":[{"path":"/metadata/name","value":"x"}]}])",
       R"(overrides[1] for cluster "member2": clusterOverrides[0]: path "/metadata/name" may not be overridden)"},
      {"forbidden namespace",
       R"([{"clusterName":"m","clusterOverrides":[{"op":"remove","path":"/metadata/namespace"}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[0]: path "/metadata/namespace" may not be overridden)"},
      {"forbidden generateName",
       R"([{"clusterName":"m","clusterOverrides":[{"op":"add","path":"/metadata/generateName","value":"x-"}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[0]: path "/metadata/generateName" may not be overridden)"},
      {"forbidden kind",
       R"([{"clusterName":"m","clusterOverrides":[{"path":"/spec/replicas","value":1},{"path":"/kind","value":"ReplicaSet"}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[1]: path "/kind" may not be overridden)"},
      {"path twice",
       R"([{"clusterName":"m","clusterOverrides":[{"path":"/spec/replicas","value":1},{"path":"/spec/paused","value":true},
           {"op":"add","path":"/spec/replicas","value":2}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[2]: path "/spec/replicas" appears more than once (first in clusterOverrides[0]))"},
      {"unsupported op",
       R"([{"clusterName":"m","clusterOverrides":[{"op":"move","path":"/a","from":"/b"}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[0]: op "move" is not supported (want add, remove or replace))"},
      {"op not a string", R"([{"clusterName":"m","clusterOverrides":[{"op":1,"path":"/a"}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[0]: "op" must be a string)"},
      {"missing path", R"([{"clusterName":"m","clusterOverrides":[{"op":"add","value":1}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[0]: "path" must be a string)"},
      {"invalid pointer",
       R"([{"clusterName":"m","clusterOverrides":[{"path":"spec/replicas","value":1}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[0]: invalid JSON pointer "spec/replicas": must be empty or start with "/")"},
      {"invalid escape",
       R"([{"clusterName":"m","clusterOverrides":[{"path":"/metadata/labels/a~b","value":1}]}])",
       R"(overrides[0] for cluster "m": clusterOverrides[0]: invalid JSON pointer "/metadata/labels/a~b": "~" must be followed by "0" or "1")"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = ValidateOverrides(Json(c.overrides));
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(status.message(), c.error);
    }
  }
}

TEST(ForbiddenPathTest, MatchesKubeFed) {
  EXPECT_TRUE(IsForbiddenOverridePath("/metadata/name"));
  EXPECT_TRUE(IsForbiddenOverridePath("/metadata/namespace"));
  EXPECT_TRUE(IsForbiddenOverridePath("/metadata/generateName"));
  EXPECT_TRUE(IsForbiddenOverridePath("/kind"));
  // KubeFed lets apiVersion vary per cluster.
  EXPECT_FALSE(IsForbiddenOverridePath("/apiVersion"));
  EXPECT_FALSE(IsForbiddenOverridePath("/metadata/labels"));
}

TEST(ApplyClusterOverridesTest, Table) {
  struct Case {
    std::string name;
    std::string overrides;
    std::string cluster;
    std::string want;   // expected object (member order ignored) when ok
    std::string error;  // non-empty: expected error
  };
  const std::vector<Case> cases = {
      {"no entry for the cluster is a no-op",
       R"([{"clusterName":"other","clusterOverrides":[{"path":"/spec/replicas","value":9}]}])",
       "member1", kDeployment, ""},
      {"default op is replace, applied in order",
       R"([{"clusterName":"member1","clusterOverrides":[
           {"path":"/spec/replicas","value":5},
           {"op":"add","path":"/metadata/labels/tier","value":"gold"},
           {"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--b"},
           {"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.26"},
           {"op":"remove","path":"/metadata/labels/app"}]}])",
       "member1",
       R"({"apiVersion":"apps/v1","kind":"Deployment",
           "metadata":{"name":"web","namespace":"shop","labels":{"tier":"gold"}},
           "spec":{"replicas":5,"template":{"spec":{"containers":[
             {"name":"web","image":"nginx:1.26","args":["--a","--b"]}]}}}})",
       ""},
      {"value may be any JSON",
       R"([{"clusterName":"m","clusterOverrides":[
           {"op":"add","path":"/spec/template/spec/nodeSelector","value":{"disk":"ssd"}},
           {"path":"/spec/template/spec/containers","value":[]}]}])",
       "m",
       R"({"apiVersion":"apps/v1","kind":"Deployment",
           "metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
           "spec":{"replicas":1,"template":{"spec":{"containers":[],"nodeSelector":{"disk":"ssd"}}}}})",
       ""},
      {"replace of a missing member sets it, as in KubeFed",
       R"([{"clusterName":"m","clusterOverrides":[{"path":"/spec/paused","value":true}]}])", "m",
       R"({"apiVersion":"apps/v1","kind":"Deployment",
           "metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
           "spec":{"replicas":1,"paused":true,"template":{"spec":{"containers":[
             {"name":"web","image":"nginx:1.25","args":["--a"]}]}}}})",
       ""},
      {"a missing value is null, as in KubeFed",
       R"([{"clusterName":"m","clusterOverrides":[{"op":"add","path":"/spec/template/spec/hostname"}]}])",
       "m",
       R"({"apiVersion":"apps/v1","kind":"Deployment",
           "metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
           "spec":{"replicas":1,"template":{"spec":{"hostname":null,"containers":[
             {"name":"web","image":"nginx:1.25","args":["--a"]}]}}}})",
       ""},
      {"apiVersion may be overridden",
       R"([{"clusterName":"m","clusterOverrides":[{"path":"/apiVersion","value":"apps/v1beta2"}]}])",
       "m",
       R"({"apiVersion":"apps/v1beta2","kind":"Deployment",
           "metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
           "spec":{"replicas":1,"template":{"spec":{"containers":[
             {"name":"web","image":"nginx:1.25","args":["--a"]}]}}}})",
       ""},
      {"replace under a missing parent fails",
       R"([{"clusterName":"member1"},{"clusterName":"member2","clusterOverrides":[
           {"path":"/spec/replicas","value":2},{"path":"/spec/strategy/type","value":"Recreate"}]}])",
       "member2", "",
       R"(overrides[1] for cluster "member2": clusterOverrides[1] (replace /spec/strategy/type): path not found: /spec/strategy does not exist)"},
      {"remove of a missing path fails",
       R"([{"clusterName":"member1","clusterOverrides":[{"op":"remove","path":"/spec/paused"}]}])",
       "member1", "",
       R"(overrides[0] for cluster "member1": clusterOverrides[0] (remove /spec/paused): path not found)"},
      {"array index out of range",
       R"([{"clusterName":"m","clusterOverrides":[{"path":"/spec/template/spec/containers/1/image","value":"x"}]}])",
       "m", "",
       R"(overrides[0] for cluster "m": clusterOverrides[0] (replace /spec/template/spec/containers/1/image): array index 1 out of range at /spec/template/spec/containers (size 1))"},
      {"an invalid entry for another cluster fails every cluster",
       R"([{"clusterName":"m","clusterOverrides":[{"path":"/spec/replicas","value":2}]},
          {"clusterName":"other","clusterOverrides":[{"path":"/metadata/name","value":"x"}]}])",
       "m", "",
       R"(overrides[1] for cluster "other": clusterOverrides[0]: path "/metadata/name" may not be overridden)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    rapidjson::Document object = Json(kDeployment);
    const std::string before = json::Serialize(object);
    absl::Status status = ApplyClusterOverrides(Json(c.overrides), c.cluster, &object);
    if (!c.error.empty()) {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(status.message(), c.error);
      EXPECT_EQ(json::Serialize(object), before);
      continue;
    }
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_TRUE(json::Equal(object, Json(c.want)))
        << "got " << json::Serialize(object) << " want " << c.want;
  }
}

TEST(ApplyClusterOverridesTest, AtomicWhenALaterOverrideFails) {
  rapidjson::Document object = Json(kDeployment);
  const std::string before = json::Serialize(object);
  absl::Status status = ApplyClusterOverrides(Json(R"([{"clusterName":"m","clusterOverrides":[
          {"path":"/spec/replicas","value":7},
          {"op":"add","path":"/metadata/labels/x","value":"y"},
          {"op":"remove","path":"/spec/template/spec/containers/0/command"}]}])"),
                                              "m", &object);
  EXPECT_EQ(
      status.message(),
      R"(overrides[0] for cluster "m": clusterOverrides[2] (remove /spec/template/spec/containers/0/command): path not found)");
  EXPECT_EQ(json::Serialize(object), before);
}

TEST(OverridePathsForClusterTest, ListsPathsInOrder) {
  rapidjson::Document overrides = Json(R"([
      {"clusterName":"a","clusterOverrides":[{"path":"/spec/replicas","value":1},{"op":"remove","path":"/metadata/labels/x~1y"}]},
      {"clusterName":"b"}])");
  EXPECT_EQ(OverridePathsForCluster(overrides, "a"),
            (std::vector<std::string>{"/spec/replicas", "/metadata/labels/x~1y"}));
  EXPECT_TRUE(OverridePathsForCluster(overrides, "b").empty());
  EXPECT_TRUE(OverridePathsForCluster(overrides, "c").empty());
  EXPECT_TRUE(OverridePathsForCluster(Json("[1]"), "a").empty());
}

}  // namespace
}  // namespace kfed::overrides
