#include "federated_types/placement.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::Json;

const std::vector<ClusterInfo>& Clusters() {
  static const auto* clusters = new std::vector<ClusterInfo>{
      {"eu-1", {{"region", "eu"}, {"tier", "gold"}}},
      {"eu-2", {{"region", "eu"}}},
      {"us-1", {{"region", "us"}, {"tier", "gold"}}},
  };
  return *clusters;
}

using Set = std::set<std::string>;

TEST(PlacementTest, RulesForOneObject) {
  struct Case {
    const char* name;
    const char* object;
    Set want;
  };
  const Case cases[] = {
      {"no spec", R"({})", {}},
      {"no placement", R"({"spec":{}})", {}},
      {"null placement", R"({"spec":{"placement":null}})", {}},
      {"empty placement", R"({"spec":{"placement":{}}})", {}},
      {"clusters list",
       R"({"spec":{"placement":{"clusters":[{"name":"eu-2"},{"name":"us-1"}]}}})",
       {"eu-2", "us-1"}},
      {"empty clusters list selects none",
       R"({"spec":{"placement":{"clusters":[],"clusterSelector":{}}}})",
       {}},
      {"clusters win over selector",
       R"({"spec":{"placement":{"clusters":[{"name":"eu-1"}],"clusterSelector":{"matchLabels":{"region":"us"}}}}})",
       {"eu-1"}},
      {"null clusters falls back to selector",
       R"({"spec":{"placement":{"clusters":null,"clusterSelector":{"matchLabels":{"region":"us"}}}}})",
       {"us-1"}},
      {"unknown clusters dropped",
       R"({"spec":{"placement":{"clusters":[{"name":"gone"},{"name":"eu-1"}]}}})",
       {"eu-1"}},
      {"empty selector selects all",
       R"({"spec":{"placement":{"clusterSelector":{}}}})",
       {"eu-1", "eu-2", "us-1"}},
      {"null selector selects none", R"({"spec":{"placement":{"clusterSelector":null}}})", {}},
      {"match labels",
       R"({"spec":{"placement":{"clusterSelector":{"matchLabels":{"tier":"gold"}}}}})",
       {"eu-1", "us-1"}},
      {"match expressions",
       R"({"spec":{"placement":{"clusterSelector":{"matchExpressions":[
           {"key":"region","operator":"In","values":["eu"]},
           {"key":"tier","operator":"DoesNotExist"}]}}}})",
       {"eu-2"}},
  };
  for (const Case& c : cases) {
    auto object = Json(c.object);
    PlacementRequest request;
    request.federated_object = &object;
    request.clusters = &Clusters();
    auto result = ComputePlacement(request);
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.status();
    EXPECT_EQ(result->outcome, PlacementOutcome::kSelected) << c.name;
    EXPECT_EQ(result->clusters, c.want) << c.name;
  }
}

TEST(PlacementTest, SelectorOnlyIgnoresClusters) {
  auto object = Json(
      R"({"spec":{"placement":{"clusters":[{"name":"eu-1"}],"clusterSelector":{"matchLabels":{"region":"us"}}}}})");
  PlacementRequest request;
  request.federated_object = &object;
  request.clusters = &Clusters();
  request.selector_only = true;
  EXPECT_EQ(ComputePlacement(request)->clusters, Set({"us-1"}));
}

TEST(PlacementTest, NamespacedTypesIntersectWithFederatedNamespace) {
  auto object = Json(R"({"metadata":{"namespace":"team","name":"cm"},
      "spec":{"placement":{"clusterSelector":{"matchLabels":{"tier":"gold"}}}}})");
  auto fed_ns = Json(R"({"metadata":{"namespace":"team","name":"team"},
      "spec":{"placement":{"clusters":[{"name":"eu-1"},{"name":"eu-2"}]}}})");
  PlacementRequest request;
  request.federated_object = &object;
  request.clusters = &Clusters();
  request.target_namespaced = true;
  request.federated_namespace = &fed_ns;
  auto result = ComputePlacement(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->outcome, PlacementOutcome::kSelected);
  EXPECT_EQ(result->clusters, Set({"eu-1"}));
}

TEST(PlacementTest, MissingFederatedNamespace) {
  auto object = Json(R"({"metadata":{"namespace":"team","name":"cm"},
      "spec":{"placement":{"clusterSelector":{}}}})");
  PlacementRequest request;
  request.federated_object = &object;
  request.clusters = &Clusters();
  request.target_namespaced = true;
  auto result = ComputePlacement(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->outcome, PlacementOutcome::kNamespaceNotFederated);
  EXPECT_TRUE(result->clusters.empty());

  // Namespaced scope: the object's placement is used as is.
  request.limited_scope = true;
  result = ComputePlacement(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->outcome, PlacementOutcome::kSelected);
  EXPECT_EQ(result->clusters, Set({"eu-1", "eu-2", "us-1"}));
}

TEST(PlacementTest, SystemNamespacesAreNeverPropagated) {
  for (const char* ns : {"kube-system", "kube-public", "default", "fed-system"}) {
    auto object = Json(absl::StrCat(R"({"metadata":{"namespace":")", ns, R"(","name":")", ns,
                                    R"("},"spec":{"placement":{"clusterSelector":{}}}})"));
    PlacementRequest request;
    request.federated_object = &object;
    request.clusters = &Clusters();
    request.target_is_namespace = true;
    request.kubefed_namespace = "fed-system";
    auto result = ComputePlacement(request);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->outcome, PlacementOutcome::kIgnoredSystemNamespace) << ns;
    EXPECT_TRUE(result->clusters.empty());
  }
  // An ordinary namespace, and kube-federation-system when it is not the federation namespace.
  for (const char* ns : {"team", "kube-federation-system"}) {
    auto object = Json(absl::StrCat(R"({"metadata":{"namespace":")", ns, R"(","name":")", ns,
                                    R"("},"spec":{"placement":{"clusterSelector":{}}}})"));
    PlacementRequest request;
    request.federated_object = &object;
    request.clusters = &Clusters();
    request.target_is_namespace = true;
    request.kubefed_namespace = "fed-system";
    EXPECT_EQ(ComputePlacement(request)->outcome, PlacementOutcome::kSelected) << ns;
  }
  EXPECT_TRUE(IsSystemNamespace("kube-system", "x"));
  EXPECT_TRUE(IsSystemNamespace("x", "x"));
  EXPECT_FALSE(IsSystemNamespace("kube-node-lease", "x"));
}

// As in KubeFed, only the namespaces themselves are exempt: objects inside kube-system follow
// the FederatedNamespace rule like any other (a Namespaced-scope control plane propagates the
// objects of its own namespace this way).
TEST(PlacementTest, ObjectsInSystemNamespacesFollowTheFederatedNamespace) {
  auto object = Json(R"({"metadata":{"namespace":"kube-system","name":"cm"},
      "spec":{"placement":{"clusterSelector":{}}}})");
  PlacementRequest request;
  request.federated_object = &object;
  request.clusters = &Clusters();
  request.target_namespaced = true;
  EXPECT_EQ(ComputePlacement(request)->outcome, PlacementOutcome::kNamespaceNotFederated);
  auto fed_ns = Json(R"({"metadata":{"namespace":"kube-system","name":"kube-system"},
      "spec":{"placement":{"clusters":[{"name":"us-1"}]}}})");
  request.federated_namespace = &fed_ns;
  auto result = ComputePlacement(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->outcome, PlacementOutcome::kSelected);
  EXPECT_EQ(result->clusters, Set({"us-1"}));
}

TEST(PlacementTest, MalformedPlacementIsAnErrorNamingTheField) {
  struct Case {
    const char* object;
    const char* field;
  };
  const Case cases[] = {
      {R"({"spec":{"placement":[]}})", "spec.placement"},
      {R"({"spec":{"placement":{"clusters":{}}}})", "spec.placement.clusters"},
      {R"({"spec":{"placement":{"clusters":["eu-1"]}}})", "spec.placement.clusters[0]"},
      {R"({"spec":{"placement":{"clusters":[{"name":5}]}}})", "spec.placement.clusters[0].name"},
      {R"({"spec":{"placement":{"clusterSelector":{"matchExpressions":[{"key":"a","operator":"In"}]}}}})",
       "spec.placement.clusterSelector"},
  };
  for (const Case& c : cases) {
    auto object = Json(c.object);
    PlacementRequest request;
    request.federated_object = &object;
    request.clusters = &Clusters();
    auto result = ComputePlacement(request);
    ASSERT_FALSE(result.ok()) << c.object;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(result.status().message(), c.field)) << result.status();
  }
  // A malformed FederatedNamespace placement is reported as such.
  auto object = Json(R"({"spec":{"placement":{"clusterSelector":{}}}})");
  auto fed_ns = Json(R"({"spec":{"placement":{"clusters":7}}})");
  PlacementRequest request;
  request.federated_object = &object;
  request.clusters = &Clusters();
  request.target_namespaced = true;
  request.federated_namespace = &fed_ns;
  auto result = ComputePlacement(request);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::StartsWith(result.status().message(), "FederatedNamespace: spec.placement"))
      << result.status();
}

}  // namespace
}  // namespace kfed::federated_types
