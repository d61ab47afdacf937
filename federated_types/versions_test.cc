#include "federated_types/versions.h"

#include <fstream>
#include <sstream>

#include "base/json.h"
#include "base/testing.h"
#include "federated_types/go_json.h"
#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::Json;

TEST(TemplateVersionTest, HashesGoEncodingOfTemplate) {
  auto fed = Json(R"({"spec":{"template":{"spec":{"replicas":3},
                      "metadata":{"labels":{"app":"nginx"}}},"placement":{}}})");
  // md5 of {"metadata":{"labels":{"app":"nginx"}},"spec":{"replicas":3}}\n
  EXPECT_EQ(*TemplateVersion(fed), "1b1005456938e765689be8acb11b4db1");
}

// testdata/go_hash_cases.json holds HTML characters, U+2028/9, control characters, invalid
// UTF-8, duplicate keys and numbers of every form, plus overrides with unknown fields,
// case-insensitive field names, null and large-integer values. The expected hashes were
// computed by Go (encoding/json after decoding as Kubernetes unstructured, and through
// KubeFed's override structs); \b and \f are left out as Go changed their escaping in 1.22.
TEST(GoGroundTruthTest, TrickyTemplateAndOverrides) {
  std::ifstream in("federated_types/testdata/go_hash_cases.json", std::ios::binary);
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto fed = Json(text.str());
  EXPECT_EQ(*TemplateVersion(fed), "b9198b99fc76fe13bf488146d0a2775d");
  EXPECT_EQ(*OverridesVersion(fed), "5e9e38f958f9fc67fb58ad54ed01ad94");
}

TEST(TemplateVersionTest, IndependentOfKeyOrderAndWhitespace) {
  auto a = Json(R"({"spec":{"template":{"b":1,"a":[1,2,{"y":1,"x":2}]}}})");
  auto b = Json(R"({"spec":{"template":{ "a" : [1, 2, {"x":2, "y":1}], "b" : 1 }}})");
  EXPECT_EQ(*TemplateVersion(a), *TemplateVersion(b));
  EXPECT_EQ(*TemplateVersion(a), Md5Hex("{\"a\":[1,2,{\"x\":2,\"y\":1}],\"b\":1}\n"));
}

TEST(TemplateVersionTest, MissingTemplateIsEmpty) {
  EXPECT_EQ(*TemplateVersion(Json(R"({})")), "");
  EXPECT_EQ(*TemplateVersion(Json(R"({"spec":{}})")), "");
}

TEST(TemplateVersionTest, NonObjectTemplateIsAnError) {
  auto r = TemplateVersion(Json(R"({"spec":{"template":null}})"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("spec.template"), absl::string_view::npos);
  EXPECT_FALSE(TemplateVersion(Json(R"({"spec":[]})")).ok());
}

TEST(OverridesVersionTest, HashesKubeFedTypedStruct) {
  // Field order follows KubeFed's structs, op omitted when empty, unknown fields dropped,
  // empty clusterOverrides omitted, numbers as float64, HTML escaping.
  auto fed = Json(R"({"spec":{"overrides":[
      {"clusterOverrides":[{"value":5,"path":"/spec/replicas","extra":1},
                           {"op":"add","path":"/metadata/labels/x","value":"<y>"}],
       "clusterName":"c1"},
      {"clusterName":"c2","clusterOverrides":[]}]}})");
  EXPECT_EQ(*OverridesVersion(fed), "15e77fe979b9939de1e4c722ab9df098");
}

TEST(OverridesVersionTest, AbsentOverridesHashNull) {
  EXPECT_EQ(*OverridesVersion(Json(R"({"spec":{}})")), "2979b7538b527abe06492021841caf47");
  EXPECT_EQ(*OverridesVersion(Json(R"({"spec":{"overrides":null}})")),
            "2979b7538b527abe06492021841caf47");
  EXPECT_EQ(*OverridesVersion(Json(R"({"spec":{"overrides":[]}})")),
            Md5Hex("{\"overrides\":[]}\n"));
}

TEST(OverridesVersionTest, NoSpecIsEmpty) {
  EXPECT_EQ(*OverridesVersion(Json(R"({"metadata":{}})")), "");
  EXPECT_EQ(*OverridesVersion(Json(R"({"spec":null})")), "");
}

TEST(OverridesVersionTest, NullValueOmittedAndLargeIntegersAsFloat64) {
  auto fed = Json(R"({"spec":{"overrides":[{"clusterName":"a","clusterOverrides":[
      {"op":"remove","path":"/x","value":null},
      {"path":"/y","value":{"b":9007199254740993,"a":1.0}}]}]}})");
  EXPECT_EQ(*OverridesVersion(fed),
            Md5Hex("{\"overrides\":[{\"clusterName\":\"a\",\"clusterOverrides\":["
                   "{\"op\":\"remove\",\"path\":\"/x\"},"
                   "{\"path\":\"/y\",\"value\":{\"a\":1,\"b\":9007199254740992}}]}]}\n"));
}

TEST(OverridesVersionTest, FieldNamesMatchCaseInsensitively) {
  auto a = Json(R"({"spec":{"overrides":[{"ClusterName":"a"}]}})");
  auto b = Json(R"({"spec":{"overrides":[{"clusterName":"a"}]}})");
  EXPECT_EQ(*OverridesVersion(a), *OverridesVersion(b));
}

TEST(OverridesVersionTest, WrongTypesAreErrorsNamingThePath) {
  struct Case {
    const char* json;
    const char* path;
  };
  const Case cases[] = {
      {R"({"spec":{"overrides":{}}})", "spec.overrides"},
      {R"({"spec":{"overrides":[1]}})", "spec.overrides[0]"},
      {R"({"spec":{"overrides":[{"clusterName":3}]}})", "spec.overrides[0].clusterName"},
      {R"({"spec":{"overrides":[{"clusterName":"a","clusterOverrides":{}}]}})",
       "spec.overrides[0].clusterOverrides"},
      {R"({"spec":{"overrides":[{"clusterName":"a","clusterOverrides":[{"path":1}]}]}})",
       "spec.overrides[0].clusterOverrides[0].path"},
  };
  for (const Case& c : cases) {
    auto r = OverridesVersion(Json(c.json));
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.path), absl::string_view::npos) << r.status();
  }
}

TEST(ObjectVersionTest, GenerationOrResourceVersion) {
  EXPECT_EQ(ObjectVersion(Json(R"({"metadata":{"generation":4,"resourceVersion":"77"}})")),
            "gen:4");
  EXPECT_EQ(ObjectVersion(Json(R"({"metadata":{"generation":0,"resourceVersion":"77"}})")),
            "rv:77");
  EXPECT_EQ(ObjectVersion(Json(R"({"metadata":{"resourceVersion":"12"}})")), "rv:12");
}

TEST(PropagatedVersionTest, NameAndNamespace) {
  EXPECT_EQ(PropagatedVersionName("Deployment", "web"), "deployment-web");
  EXPECT_EQ(PropagatedVersionName("ClusterRole", "admin"), "clusterrole-admin");
  EXPECT_EQ(PropagatedVersionNamespace("Deployment", "ns1", "web"), "ns1");
  EXPECT_EQ(PropagatedVersionNamespace("Namespace", "ns1", "ns1"), "ns1");
  EXPECT_EQ(PropagatedVersionNamespace("Namespace", "", "ns2"), "ns2");
}

TEST(PropagatedVersionTest, RecordedVersionsOnlyWhileHashesMatch) {
  PropagatedVersionStatus status{"t1", "o1", {{"a", "gen:1"}, {"b", "rv:5"}}};
  auto same = RecordedVersions(status, "t1", "o1");
  EXPECT_EQ(same.size(), 2u);
  EXPECT_EQ(same["b"], "rv:5");
  EXPECT_TRUE(RecordedVersions(status, "t2", "o1").empty());
  EXPECT_TRUE(RecordedVersions(status, "t1", "o2").empty());
}

TEST(PropagatedVersionTest, UpdateKeepsUnchangedSelectedClustersAndSorts) {
  PropagatedVersionStatus old{"t", "o", {{"a", "gen:1"}, {"b", "gen:2"}, {"c", "gen:3"}}};
  // b updated, c no longer selected, d created, a untouched but selected.
  auto got = UpdatePropagatedVersionStatus(&old, "t", "o", {"a", "b", "d"},
                                           {{"d", "rv:9"}, {"b", "gen:5"}});
  PropagatedVersionStatus want{"t", "o", {{"a", "gen:1"}, {"b", "gen:5"}, {"d", "rv:9"}}};
  EXPECT_EQ(got, want);
}

TEST(PropagatedVersionTest, UpdateDropsOldVersionsWhenHashesChange) {
  PropagatedVersionStatus old{"t", "o", {{"a", "gen:1"}}};
  auto got = UpdatePropagatedVersionStatus(&old, "t2", "o", {"a", "b"}, {{"b", "gen:1"}});
  PropagatedVersionStatus want{"t2", "o", {{"b", "gen:1"}}};
  EXPECT_EQ(got, want);
}

TEST(PropagatedVersionTest, EmptyVersionMeansRemoved) {
  auto got = UpdatePropagatedVersionStatus(nullptr, "t", "o", {"a"}, {{"a", ""}, {"b", "rv:1"}});
  PropagatedVersionStatus want{"t", "o", {{"b", "rv:1"}}};
  EXPECT_EQ(got, want);
}

TEST(PropagatedVersionTest, BuildAndParseRoundTrip) {
  auto fed = Json(R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedDeployment",
                      "metadata":{"name":"web","namespace":"ns1","uid":"u-1"}})");
  PropagatedVersionStatus status{"t", "o", {{"a", "gen:1"}}};
  auto pv = BuildPropagatedVersion(fed, "Deployment", /*federated_namespaced=*/true, status);
  EXPECT_EQ(
      kfed::json::Serialize(pv),
      R"({"apiVersion":"core.kubefed.io/v1alpha1","kind":"PropagatedVersion",)"
      R"("metadata":{"name":"deployment-web","namespace":"ns1","ownerReferences":)"
      R"([{"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedDeployment",)"
      R"("name":"web","uid":"u-1"}]},"status":{"templateVersion":"t",)"
      R"("overridesVersion":"o","clusterVersions":[{"clusterName":"a","version":"gen:1"}]}})");
  auto parsed = ParsePropagatedVersionStatus(pv);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, status);

  auto cluster_pv = BuildPropagatedVersion(fed, "ClusterRole", false, status);
  EXPECT_EQ(kfed::json::GetString(cluster_pv, "kind"), "ClusterPropagatedVersion");
  EXPECT_EQ(kfed::json::FindPath(cluster_pv, {"metadata", "namespace"}), nullptr);
}

}  // namespace
}  // namespace kfed::federated_types
