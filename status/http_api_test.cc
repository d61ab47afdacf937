#include "status/http_api.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/clock.h"
#include "base/json.h"

namespace kfed::status {
namespace {

constexpr int64_t kStart = 1000;

class HttpApiTest : public ::testing::Test {
 protected:
  HttpApiTest() : store_(Options(), clock_), api_(store_, "0.1.0-test") {}

  static StoreOptions Options() {
    StoreOptions o;
    o.initial_revision = kStart;
    o.history_size = 5;
    return o;
  }

  void AddObject(const std::string& name, const std::string& state) {
    v1::FederatedObject o;
    o.mutable_ref()->set_type("configmaps");
    o.mutable_ref()->set_kind("FederatedConfigMap");
    o.mutable_ref()->set_namespace_("demo");
    o.mutable_ref()->set_name(name);
    o.set_generation(2);
    o.set_propagation("True");
    v1::ClusterState* c = o.add_clusters();
    c->set_cluster("member1");
    c->set_state(state);
    c->set_propagation_latency_seconds(0.5);
    store_.UpsertObject(o);
  }

  // GETs and parses the JSON body.
  rapidjson::Document GetJson(const std::string& path,
                              const std::map<std::string, std::string>& params, int want_status) {
    HttpReply reply = api_.Get(path, params);
    EXPECT_EQ(reply.status, want_status) << path << ": " << reply.body;
    EXPECT_EQ(reply.content_type, "application/json") << path;
    absl::StatusOr<rapidjson::Document> doc = json::Parse(reply.body);
    EXPECT_TRUE(doc.ok()) << reply.body;
    return doc.ok() ? std::move(*doc) : rapidjson::Document();
  }

  FakeClock clock_{absl::FromUnixMillis(1700000000000)};
  StatusStore store_;
  HttpApi api_;
};

TEST_F(HttpApiTest, VersionAndClustersUseTheProtoJsonMapping) {
  rapidjson::Document version = GetJson("/api/v1/version", {}, 200);
  EXPECT_EQ(json::GetString(version, "version"), "0.1.0-test");

  v1::Cluster c;
  c.set_name("member1");
  c.set_health("Ready");
  c.set_kubernetes_version("v1.36.3");
  (*c.mutable_labels())["region"] = "eu";
  store_.UpsertCluster(c);
  rapidjson::Document clusters = GetJson("/api/v1/clusters", {}, 200);
  ASSERT_TRUE(clusters["clusters"].IsArray());
  const rapidjson::Value& m1 = clusters["clusters"][0];
  EXPECT_EQ(json::GetString(m1, "name"), "member1");
  EXPECT_EQ(json::GetString(m1, "kubernetesVersion"), "v1.36.3");
  EXPECT_EQ(json::GetString(m1["labels"], "region"), "eu");
  // Empty strings are printed; int64 is a string.
  EXPECT_EQ(json::GetString(m1, "reason", "absent"), "");
  EXPECT_EQ(json::GetString(m1, "lastTransitionUnixMs"), "1700000000000");
  EXPECT_EQ(json::GetString(clusters, "revision"), "1001");
}

TEST_F(HttpApiTest, ObjectsWithFilters) {
  AddObject("a", "Propagated");
  AddObject("b", "Error");
  rapidjson::Document all = GetJson("/api/v1/objects", {}, 200);
  ASSERT_EQ(all["objects"].Size(), 2u);
  const rapidjson::Value& a = all["objects"][0];
  EXPECT_EQ(json::GetString(a["ref"], "type"), "configmaps");
  EXPECT_EQ(json::GetString(a["ref"], "namespace"), "demo");
  EXPECT_EQ(json::GetString(a, "generation"), "2");
  EXPECT_EQ(a["clusters"][0]["propagationLatencySeconds"].GetDouble(), 0.5);
  EXPECT_EQ(json::GetString(a["clusters"][0], "memberGeneration"), "0");

  rapidjson::Document errors = GetJson("/api/v1/objects", {{"state", "Error"}}, 200);
  ASSERT_EQ(errors["objects"].Size(), 1u);
  EXPECT_EQ(json::GetString(errors["objects"][0]["ref"], "name"), "b");
  EXPECT_EQ(GetJson("/api/v1/objects", {{"type", "secrets"}}, 200)["objects"].Size(), 0u);
  EXPECT_EQ(GetJson("/api/v1/objects", {{"namespace", "demo"}}, 200)["objects"].Size(), 2u);
  rapidjson::Document bad = GetJson("/api/v1/objects", {{"state", "Broken"}}, 400);
  EXPECT_NE(json::GetString(bad, "error").find("want Propagated"), std::string::npos);
}

TEST_F(HttpApiTest, ObjectDetailAnd404) {
  AddObject("a", "Propagated");
  store_.SetRenderer("configmaps",
                     [](const std::string&, const std::string& name,
                        const std::string& cluster) -> absl::StatusOr<RenderResult> {
                       return RenderResult{"{\"metadata\":{\"name\":\"" + name + "\"}}",
                                           "[{\"path\":\"/data/x\"}]", ""};
                     });
  rapidjson::Document detail = GetJson(
      "/api/v1/object",
      {{"type", "configmaps"}, {"namespace", "demo"}, {"name", "a"}, {"cluster", "member1"}}, 200);
  EXPECT_EQ(json::GetString(detail["object"]["ref"], "name"), "a");
  EXPECT_EQ(json::GetString(detail, "renderedJson"), "{\"metadata\":{\"name\":\"a\"}}");
  EXPECT_EQ(json::GetString(detail, "overridesJson"), "[{\"path\":\"/data/x\"}]");
  EXPECT_EQ(json::GetString(detail, "renderError", "absent"), "");

  rapidjson::Document missing = GetJson(
      "/api/v1/object", {{"type", "configmaps"}, {"namespace", "demo"}, {"name", "zz"}}, 404);
  EXPECT_EQ(json::GetString(missing, "error"), "no federated object configmaps demo/zz");
  GetJson("/api/v1/object", {{"type", "configmaps"}}, 400);
  GetJson("/api/v1/nothing", {}, 404);
  store_.RemoveRenderer("configmaps");
}

TEST_F(HttpApiTest, WatchFromZeroGivesTheStateThenLongPollsForChanges) {
  AddObject("a", "Pending");
  rapidjson::Document first = GetJson("/api/v1/watch", {{"resume_from", "0"}}, 200);
  ASSERT_EQ(first["events"].Size(), 2u);
  EXPECT_EQ(json::GetString(first["events"][0], "type"), "ADDED");
  EXPECT_EQ(json::GetString(first["events"][0]["object"]["ref"], "name"), "a");
  EXPECT_EQ(json::GetString(first["events"][1], "type"), "BOOKMARK");
  const std::string revision = json::GetString(first, "revision");
  EXPECT_EQ(revision, "1001");

  // Nothing new: the poll ends at its timeout with no events and the same revision.
  rapidjson::Document idle =
      GetJson("/api/v1/watch", {{"resume_from", revision}, {"timeout_seconds", "0"}}, 200);
  EXPECT_EQ(idle["events"].Size(), 0u);
  EXPECT_EQ(json::GetString(idle, "revision"), revision);

  // A change while the poll waits ends it with the change.
  std::thread poll([&] {
    rapidjson::Document changed =
        GetJson("/api/v1/watch", {{"resume_from", revision}, {"timeout_seconds", "60"}}, 200);
    ASSERT_EQ(changed["events"].Size(), 1u);
    EXPECT_EQ(json::GetString(changed["events"][0], "type"), "MODIFIED");
    EXPECT_EQ(json::GetString(changed["events"][0]["object"]["clusters"][0], "state"),
              "Propagated");
    EXPECT_EQ(json::GetString(changed, "revision"), "1002");
  });
  AddObject("a", "Propagated");
  poll.join();
}

TEST_F(HttpApiTest, WatchFromTooOldARevisionIs410) {
  for (int i = 0; i < 10; ++i) AddObject("o" + std::to_string(i), "Pending");
  rapidjson::Document gone =
      GetJson("/api/v1/watch", {{"resume_from", "1001"}, {"timeout_seconds", "0"}}, 410);
  EXPECT_NE(json::GetString(gone, "error").find("list again"), std::string::npos);
  GetJson("/api/v1/watch", {{"resume_from", "abc"}}, 400);
  GetJson("/api/v1/watch", {{"resume_from", "1010"}, {"timeout_seconds", "x"}}, 400);
  // A revision from the history works.
  rapidjson::Document recent =
      GetJson("/api/v1/watch", {{"resume_from", "1008"}, {"timeout_seconds", "0"}}, 200);
  EXPECT_EQ(recent["events"].Size(), 2u);
}

TEST_F(HttpApiTest, ServesTheDashboard) {
  HttpReply index = api_.Get("/", {});
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<html"), std::string::npos);
  EXPECT_EQ(api_.Get("/index.html", {}).body, index.body);
  EXPECT_EQ(api_.Get("/no-such-file.js", {}).status, 404);
}

}  // namespace
}  // namespace kfed::status
