#include "status/http_api.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/clock.h"
#include "base/json.h"
#include "status/access_fake.h"

namespace kfed::status {
namespace {

constexpr int64_t kStart = 1000;

class HttpApiTest : public ::testing::Test {
 protected:
  HttpApiTest()
      : store_(Options(), clock_),
        access_(reviewer_, store_, AccessOptions{}, clock_),
        api_(store_, access_, "0.1.0-test") {
    reviewer_.AddToken("root-token", "root");
    reviewer_.AllowAll("root");
    store_.SetRenderer("configmaps", ConfigMapsType(), nullptr);
  }

  static TypeInfo ConfigMapsType() {
    return TypeInfo{"types.kubefed.io", "federatedconfigmaps", true, Sensitivity::kNone};
  }

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
    HttpReply reply = api_.Get(path, params, token_);
    EXPECT_EQ(reply.status, want_status) << path << ": " << reply.body;
    EXPECT_EQ(reply.content_type, "application/json") << path;
    absl::StatusOr<rapidjson::Document> doc = json::Parse(reply.body);
    EXPECT_TRUE(doc.ok()) << reply.body;
    return doc.ok() ? std::move(*doc) : rapidjson::Document();
  }

  FakeClock clock_{absl::FromUnixMillis(1700000000000)};
  testing::FakeAccessReviewer reviewer_;
  StatusStore store_;
  AccessControl access_;
  HttpApi api_;
  std::string token_ = "Bearer root-token";
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
  store_.SetRenderer("configmaps", ConfigMapsType(),
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
  HttpReply index = api_.Get("/", {}, "");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<html"), std::string::npos);
  EXPECT_EQ(api_.Get("/index.html", {}, "").body, index.body);
  EXPECT_EQ(api_.Get("/no-such-file.js", {}, "").status, 404);
}

}  // namespace
}  // namespace kfed::status

namespace kfed::status {
namespace {

// Who may see what: a token per user, RBAC from the fake reviewer.
class HttpApiAccessTest : public HttpApiTest {
 protected:
  HttpApiAccessTest() {
    reviewer_.AddToken("alice-token", "alice", {"team-a"});
    reviewer_.Allow("alice", {"get", "types.kubefed.io", "federatedconfigmaps", "demo", "", ""});
    store_.SetRenderer(
        "secrets", TypeInfo{"types.kubefed.io", "federatedsecrets", true, Sensitivity::kSecretData},
        [](const std::string&, const std::string&,
           const std::string&) -> absl::StatusOr<RenderResult> {
          return RenderResult{R"({"kind":"Secret","stringData":{"password":"hunter2-TOPSECRET"}})",
                              R"([{"path":"/stringData/password","value":"hunter3-TOPSECRET"}])",
                              ""};
        });
    AddObject("visible", std::string(kStatePropagated));
    v1::FederatedObject other;
    other.mutable_ref()->set_type("configmaps");
    other.mutable_ref()->set_namespace_("other");
    other.mutable_ref()->set_name("hidden");
    store_.UpsertObject(other);
    v1::FederatedObject secret;
    secret.mutable_ref()->set_type("secrets");
    secret.mutable_ref()->set_namespace_("demo");
    secret.mutable_ref()->set_name("db");
    store_.UpsertObject(secret);
  }
};

TEST_F(HttpApiAccessTest, NoTokenOrABadOneIs401WithWwwAuthenticate) {
  const std::vector<std::string> headers = {"", "Bearer wrong", "Basic YTpi",
                                            "Bearer " + std::string(9000, 'x')};
  for (const std::string& header : headers) {
    for (const char* path :
         {"/api/v1/version", "/api/v1/objects", "/api/v1/watch", "/api/v1/nope"}) {
      HttpReply reply = api_.Get(path, {{"timeout_seconds", "0"}}, header);
      EXPECT_EQ(reply.status, 401) << path << " " << header.substr(0, 20) << ": " << reply.body;
      EXPECT_EQ(reply.headers["WWW-Authenticate"], "Bearer realm=\"kfed\"");
      EXPECT_NE(reply.body.find("\"error\""), std::string::npos);
    }
  }
  // The dashboard's files need no token (the page asks for one).
  EXPECT_EQ(api_.Get("/", {}, "").status, 200);
}

TEST_F(HttpApiAccessTest, ANamespaceReaderSeesItsNamespaceOnly) {
  token_ = "Bearer alice-token";
  rapidjson::Document whoami = GetJson("/api/v1/whoami", {}, 200);
  EXPECT_EQ(json::GetString(whoami, "username"), "alice");
  EXPECT_EQ(json::Serialize(whoami["groups"]), "[\"team-a\"]");

  rapidjson::Document list = GetJson("/api/v1/objects", {}, 200);
  ASSERT_EQ(list["objects"].Size(), 1u) << json::Serialize(list);
  EXPECT_EQ(json::GetString(list["objects"][0]["ref"], "name"), "visible");

  rapidjson::Document forbidden =
      GetJson("/api/v1/object", {{"type", "configmaps"}, {"namespace", "other"}, {"name", "hidden"}},
              403);
  EXPECT_EQ(json::GetString(forbidden, "error"),
            "user \"alice\" may not get federatedconfigmaps.types.kubefed.io \"hidden\" in "
            "namespace \"other\"");
  rapidjson::Document clusters = GetJson("/api/v1/clusters", {}, 403);
  EXPECT_NE(json::GetString(clusters, "error").find("may not list kubefedclusters"),
            std::string::npos);

  v1::Cluster cluster;
  cluster.set_name("member1");
  store_.UpsertCluster(cluster);
  rapidjson::Document watch = GetJson("/api/v1/watch", {{"resume_from", "0"}}, 200);
  std::vector<std::string> names;
  for (const rapidjson::Value& e : watch["events"].GetArray()) {
    if (e.HasMember("object")) names.push_back(json::GetString(e["object"]["ref"], "name"));
    EXPECT_FALSE(e.HasMember("cluster")) << json::Serialize(e);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"visible"}));
}

TEST_F(HttpApiAccessTest, SecretValuesNeverLeaveAndTheHostBeingDownFailsClosed) {
  HttpReply reply = api_.Get(
      "/api/v1/object",
      {{"type", "secrets"}, {"namespace", "demo"}, {"name", "db"}, {"cluster", "member1"}}, token_);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body.find("TOPSECRET"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("[redacted: 17 bytes]"), std::string::npos) << reply.body;

  reviewer_.Fail(absl::UnavailableError("connection refused"));
  clock_.Advance(absl::Minutes(5));  // past every cached review
  rapidjson::Document down = GetJson("/api/v1/objects", {}, 503);
  EXPECT_NE(json::GetString(down, "error").find("cannot verify the bearer token"),
            std::string::npos);
}

// ReplicaSchedulingPreferences: root sees every one with its distribution; alice, who may
// `get` RSPs in demo only, sees demo's; bob, who may not, sees none (an empty list, as
// Kubernetes' own lists of what one may not read are not an error here either); the host
// being down fails closed.
TEST_F(HttpApiAccessTest, SchedulingPreferencesFollowRbacPerNamespace) {
  auto rsp = [](const std::string& ns, const std::string& name) {
    v1::SchedulingPreference p;
    p.set_namespace_(ns);
    p.set_name(name);
    p.set_target_kind("FederatedDeployment");
    p.set_total_replicas(9);
    v1::ReplicaDistribution* m2 = p.add_clusters();
    m2->set_cluster("member2");
    m2->set_planned_replicas(6);
    m2->set_member_known(true);
    m2->set_member_replicas(6);
    m2->set_member_ready_replicas(4);
    v1::ReplicaDistribution* m1 = p.add_clusters();
    m1->set_cluster("member1");
    m1->set_planned_replicas(3);
    return p;
  };
  store_.UpsertSchedulingPreference(rsp("demo", "web"));
  v1::SchedulingPreference other = rsp("other", "api");
  other.set_problem_reason("ReplicasUnplaced");
  other.set_problem_message("2 of 9 replicas fit in no ready cluster");
  store_.UpsertSchedulingPreference(other);

  rapidjson::Document all = GetJson("/api/v1/schedulingpreferences", {}, 200);
  ASSERT_EQ(all["preferences"].Size(), 2u) << json::Serialize(all);
  const rapidjson::Value& web = all["preferences"][0];
  EXPECT_EQ(json::GetString(web, "namespace"), "demo");
  EXPECT_EQ(json::GetString(web, "targetKind"), "FederatedDeployment");
  EXPECT_EQ(json::GetString(web, "totalReplicas"), "9");  // int64 as a JSON string
  // Clusters sorted by name; a member without a copy says so.
  EXPECT_EQ(json::GetString(web["clusters"][0], "cluster"), "member1");
  EXPECT_EQ(web["clusters"][0]["memberKnown"].GetBool(), false);
  EXPECT_EQ(json::GetString(web["clusters"][1], "plannedReplicas"), "6");
  EXPECT_EQ(json::GetString(web["clusters"][1], "memberReadyReplicas"), "4");
  EXPECT_EQ(json::GetString(all["preferences"][1], "problemReason"), "ReplicasUnplaced");
  rapidjson::Document filtered =
      GetJson("/api/v1/schedulingpreferences", {{"namespace", "other"}}, 200);
  ASSERT_EQ(filtered["preferences"].Size(), 1u);
  EXPECT_EQ(json::GetString(filtered["preferences"][0], "name"), "api");

  reviewer_.Allow("alice",
                  {"get", "scheduling.kubefed.io", "replicaschedulingpreferences", "demo", "", ""});
  token_ = "Bearer alice-token";
  rapidjson::Document alice = GetJson("/api/v1/schedulingpreferences", {}, 200);
  ASSERT_EQ(alice["preferences"].Size(), 1u) << json::Serialize(alice);
  EXPECT_EQ(json::GetString(alice["preferences"][0], "name"), "web");

  // RBAC denies: may read federated ConfigMaps but not RSPs.
  reviewer_.AddToken("bob-token", "bob");
  reviewer_.Allow("bob", {"get", "types.kubefed.io", "federatedconfigmaps", "", "", ""});
  token_ = "Bearer bob-token";
  rapidjson::Document bob = GetJson("/api/v1/schedulingpreferences", {}, 200);
  EXPECT_EQ(bob["preferences"].Size(), 0u) << json::Serialize(bob);
  EXPECT_EQ(GetJson("/api/v1/objects", {}, 200)["objects"].Size(), 2u);  // what bob may see

  token_ = "Bearer nobody";
  GetJson("/api/v1/schedulingpreferences", {}, 401);
  token_ = "Bearer root-token";
  reviewer_.Fail(absl::UnavailableError("connection refused"));
  clock_.Advance(absl::Minutes(5));
  GetJson("/api/v1/schedulingpreferences", {}, 503);
}

// Exported services (Multi-Cluster Services): root sees every one with its exports'
// conditions and endpoint counts, and the members' MCS part; alice, who may `get`
// serviceexports in demo only and may not list clusters, sees demo's service and no members;
// bob sees nothing; the host being down fails closed.
TEST_F(HttpApiAccessTest, MultiClusterServicesFollowRbacPerNamespace) {
  auto service = [](const std::string& ns, const std::string& name) {
    v1::MultiClusterService s;
    s.set_namespace_(ns);
    s.set_name(name);
    s.set_type("ClusterSetIP");
    s.add_ips("240.96.0.1");
    v1::ServiceImportPort* port = s.add_ports();
    port->set_name("http");
    port->set_protocol("TCP");
    port->set_port(80);
    v1::ServiceExportState* e = s.add_exports();
    e->set_cluster("member1");
    e->set_cluster_id("uid-1");
    v1::ExportCondition* c = e->add_conditions();
    c->set_type("Conflict");
    c->set_status("True");
    c->set_reason("PortConflict");
    c->set_message("port http: 80/TCP from member2 wins");
    v1::SourceEndpoints* ep = s.add_endpoints();
    ep->set_cluster("member1");
    ep->set_ready(2);
    ep->set_total(3);
    s.add_importing_clusters("member1");
    s.add_importing_clusters("member2");
    s.set_last_reconcile_unix_ms(1700000000000);
    return s;
  };
  store_.UpsertMultiClusterService(service("demo", "web"));
  store_.UpsertMultiClusterService(service("other", "api"));
  v1::McsMember m3;
  m3.set_cluster("member3");
  m3.set_state("NoCrds");
  m3.set_message("does not serve the mcs-api CRDs");
  v1::McsMember m1;
  m1.set_cluster("member1");
  m1.set_state("Active");
  store_.SetMcsMembers({m3, m1});

  rapidjson::Document all = GetJson("/api/v1/multiclusterservices", {}, 200);
  ASSERT_EQ(all["services"].Size(), 2u) << json::Serialize(all);
  const rapidjson::Value& web = all["services"][0];
  EXPECT_EQ(json::GetString(web, "namespace"), "demo");
  EXPECT_EQ(json::GetString(web, "type"), "ClusterSetIP");
  EXPECT_EQ(json::Serialize(web["ips"]), R"(["240.96.0.1"])");
  EXPECT_EQ(web["ports"][0]["port"].GetInt(), 80);
  EXPECT_EQ(json::GetString(web["exports"][0], "clusterId"), "uid-1");
  EXPECT_EQ(json::GetString(web["exports"][0]["conditions"][0], "reason"), "PortConflict");
  EXPECT_EQ(web["endpoints"][0]["ready"].GetInt(), 2);
  EXPECT_EQ(web["endpoints"][0]["total"].GetInt(), 3);
  EXPECT_EQ(json::Serialize(web["importingClusters"]), R"(["member1","member2"])");
  EXPECT_EQ(json::GetString(web, "lastReconcileUnixMs"), "1700000000000");  // int64: a string
  ASSERT_EQ(all["members"].Size(), 2u);
  EXPECT_EQ(json::GetString(all["members"][0], "cluster"), "member1");  // sorted
  EXPECT_EQ(json::GetString(all["members"][1], "state"), "NoCrds");
  rapidjson::Document filtered =
      GetJson("/api/v1/multiclusterservices", {{"namespace", "other"}}, 200);
  ASSERT_EQ(filtered["services"].Size(), 1u);
  EXPECT_EQ(json::GetString(filtered["services"][0], "name"), "api");

  reviewer_.Allow("alice", {"get", "multicluster.x-k8s.io", "serviceexports", "demo", "", ""});
  token_ = "Bearer alice-token";
  rapidjson::Document alice = GetJson("/api/v1/multiclusterservices", {}, 200);
  ASSERT_EQ(alice["services"].Size(), 1u) << json::Serialize(alice);
  EXPECT_EQ(json::GetString(alice["services"][0], "name"), "web");
  EXPECT_EQ(alice["members"].Size(), 0u);  // alice may not list clusters

  reviewer_.AddToken("bob-token", "bob");
  reviewer_.Allow("bob", {"get", "types.kubefed.io", "federatedconfigmaps", "", "", ""});
  token_ = "Bearer bob-token";
  rapidjson::Document bob = GetJson("/api/v1/multiclusterservices", {}, 200);
  EXPECT_EQ(bob["services"].Size(), 0u) << json::Serialize(bob);

  token_ = "Bearer nobody";
  GetJson("/api/v1/multiclusterservices", {}, 401);
  token_ = "Bearer root-token";
  reviewer_.Fail(absl::UnavailableError("connection refused"));
  clock_.Advance(absl::Minutes(5));
  GetJson("/api/v1/multiclusterservices", {}, 503);
}

}  // namespace
}  // namespace kfed::status
