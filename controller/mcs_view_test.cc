#include "controller/mcs_view.h"

#include <memory>

#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Json;

kube::ObjectPtr Object(const std::string& text) {
  return std::make_shared<const rapidjson::Document>(Json(text));
}

TEST(McsViewTest, CountEndpointsTreatsUnsetReadyAsReady) {
  struct Case {
    const char* slice;
    int ready;
    int total;
  } cases[] = {
      {R"({"endpoints":[]})", 0, 0},
      {R"({})", 0, 0},
      {R"({"endpoints":[{"addresses":["10.0.0.1"]}]})", 1, 1},
      {R"({"endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true}},
                        {"addresses":["10.0.0.2"],"conditions":{"ready":false}},
                        {"addresses":["10.0.0.3"],"conditions":{}}]})",
       2, 3},
  };
  for (const Case& c : cases) {
    McsEndpointCount count{"m1", "id1", 0, 0};
    CountEndpoints(Json(c.slice), count);
    EXPECT_EQ(count.ready, c.ready) << c.slice;
    EXPECT_EQ(count.total, c.total) << c.slice;
  }
  // Several slices add up.
  McsEndpointCount count;
  CountEndpoints(Json(R"({"endpoints":[{"conditions":{"ready":false}}]})"), count);
  CountEndpoints(Json(R"({"endpoints":[{},{}]})"), count);
  EXPECT_EQ(count.ready, 2);
  EXPECT_EQ(count.total, 3);
}

TEST(McsViewTest, ExportConditionsInApiOrder) {
  auto se = Json(R"({"status":{"conditions":[
      {"type":"Ready","status":"True","reason":"Exported","message":"in m1"},
      {"type":"Other","status":"True"},
      {"type":"Valid","status":"True","reason":"Valid","message":""},
      {"type":"Conflict","status":"True","reason":"PortConflict","message":"port http"}]}})");
  std::vector<mcs::Condition> got = ExportConditions(se);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (mcs::Condition{"Valid", "True", "Valid", ""}));
  EXPECT_EQ(got[1], (mcs::Condition{"Conflict", "True", "PortConflict", "port http"}));
  EXPECT_EQ(got[2], (mcs::Condition{"Ready", "True", "Exported", "in m1"}));
  EXPECT_TRUE(ExportConditions(Json(R"({"status":{}})")).empty());
  EXPECT_TRUE(ExportConditions(Json(R"({"status":{"conditions":"bad"}})")).empty());
}

TEST(McsViewTest, ServesMcsApiNeedsBothResources) {
  EXPECT_TRUE(ServesMcsApi(Json(R"({"kind":"APIResourceList","resources":[
      {"name":"serviceexports"},{"name":"serviceexports/status"},{"name":"serviceimports"}]})")));
  EXPECT_FALSE(ServesMcsApi(Json(R"({"resources":[{"name":"serviceexports"}]})")));
  EXPECT_FALSE(ServesMcsApi(Json(R"({"resources":[]})")));
  EXPECT_FALSE(ServesMcsApi(Json(R"({"kind":"Status"})")));
  EXPECT_FALSE(ServesMcsApi(Json(R"([1,2])")));
}

TEST(McsViewTest, MergeExportConditionsKeepsTransitionWhileStatusStays) {
  auto se = Json(R"({"status":{"conditions":[
      {"type":"Valid","status":"True","reason":"Valid","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"},
      {"type":"Custom","status":"True"}]}})");
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  rapidjson::Document out;
  // Same Valid condition: unchanged, its transition kept; Ready is new.
  EXPECT_TRUE(MergeExportConditions(
      se, {{"Valid", "True", "Valid", ""}, {"Ready", "False", "Pending", "waiting"}}, now, out));
  ASSERT_TRUE(out.IsArray());
  ASSERT_EQ(out.Size(), 3u);  // Valid, Ready, and the other writer's Custom kept
  EXPECT_EQ(json::GetString(out[0], "lastTransitionTime"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(json::GetString(out[1], "lastTransitionTime"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(json::GetString(out[2], "type"), "Custom");
  EXPECT_FALSE(MergeExportConditions(se, {{"Valid", "True", "Valid", ""}}, now, out));
  // The status flips: a new transition time.
  EXPECT_TRUE(MergeExportConditions(se, {{"Valid", "False", "NoService", "no Service"}}, now, out));
  EXPECT_EQ(json::GetString(out[0], "lastTransitionTime"), "2027-01-15T08:00:00Z");
}

TEST(McsViewTest, ViewListsValidExportsOldestFirstThenTheOthers) {
  mcs::MergedService merged;
  merged.type = "ClusterSetIP";
  merged.clusters = {"m2", "m1"};
  merged.ports = {{"http", "TCP", "", 80}};
  merged.session_affinity = "None";
  std::map<std::string, kube::ObjectPtr> exports = {
      {"m1", Object("{}")},
      {"m2", Object("{}")},
      {"a0", Object(R"({"status":{"conditions":[
           {"type":"Valid","status":"False","reason":"NoService","message":"no Service a/b"}]}})")},
  };
  std::map<std::string, std::vector<mcs::Condition>> set = {
      {"m1", {{"Valid", "True", "Valid", ""}, {"Conflict", "True", "PortConflict", "port"}}},
      {"m2", {{"Valid", "True", "Valid", ""}}},
  };
  McsServiceView view =
      BuildServiceView(merged, "240.96.0.1", exports, set, {{"m1", "id1"}, {"m2", "id2"}},
                       {{"m1", "id1", 2, 3}, {"m2", "id2", 1, 1}}, {"m1", "m2", "m3"}, {"m4"});
  ASSERT_EQ(view.exports.size(), 3u);
  EXPECT_EQ(view.exports[0].cluster, "m2");
  EXPECT_EQ(view.exports[1].cluster, "m1");
  EXPECT_EQ(view.exports[1].cluster_id, "id1");
  EXPECT_EQ(view.exports[1].conditions[1].reason, "PortConflict");
  // Not Ready (nothing set this pass): the conditions its object carries.
  EXPECT_EQ(view.exports[2].cluster, "a0");
  EXPECT_EQ(view.exports[2].cluster_id, "");
  ASSERT_EQ(view.exports[2].conditions.size(), 1u);
  EXPECT_EQ(view.exports[2].conditions[0].reason, "NoService");

  status::v1::MultiClusterService s =
      MultiClusterServiceStatus("demo", "web", view, absl::FromUnixMillis(1234));
  EXPECT_EQ(s.namespace_(), "demo");
  EXPECT_EQ(s.name(), "web");
  EXPECT_EQ(s.type(), "ClusterSetIP");
  ASSERT_EQ(s.ips_size(), 1);
  EXPECT_EQ(s.ips(0), "240.96.0.1");
  ASSERT_EQ(s.ports_size(), 1);
  EXPECT_EQ(s.ports(0).name(), "http");
  EXPECT_EQ(s.ports(0).port(), 80);
  EXPECT_EQ(s.ports(0).protocol(), "TCP");
  EXPECT_EQ(s.session_affinity(), "None");
  ASSERT_EQ(s.exports_size(), 3);
  EXPECT_EQ(s.exports(1).conditions(1).type(), "Conflict");
  EXPECT_EQ(s.exports(1).conditions(1).status(), "True");
  EXPECT_EQ(s.exports(1).conditions(1).message(), "port");
  ASSERT_EQ(s.endpoints_size(), 2);
  EXPECT_EQ(s.endpoints(0).cluster(), "m1");
  EXPECT_EQ(s.endpoints(0).ready(), 2);
  EXPECT_EQ(s.endpoints(0).total(), 3);
  EXPECT_EQ(s.importing_clusters_size(), 3);
  ASSERT_EQ(s.namespace_missing_clusters_size(), 1);
  EXPECT_EQ(s.namespace_missing_clusters(0), "m4");
  EXPECT_EQ(s.last_reconcile_unix_ms(), 1234);

  // Nothing valid: no ports, no affinity, no IP.
  McsServiceView none = BuildServiceView({}, "", {{"a0", exports["a0"]}}, {}, {}, {}, {}, {});
  status::v1::MultiClusterService n = MultiClusterServiceStatus("demo", "web", none, absl::Now());
  EXPECT_EQ(n.type(), "");
  EXPECT_EQ(n.ips_size(), 0);
  EXPECT_EQ(n.ports_size(), 0);
  EXPECT_EQ(n.session_affinity(), "");
  ASSERT_EQ(n.exports_size(), 1);
}

TEST(McsViewTest, MemberStatus) {
  status::v1::McsMember m = McsMemberStatus("m1", {std::string(kMcsNoCrds), "no CRDs"});
  EXPECT_EQ(m.cluster(), "m1");
  EXPECT_EQ(m.state(), "NoCrds");
  EXPECT_EQ(m.message(), "no CRDs");
}

}  // namespace
}  // namespace kfed::controller
