#include "controller/scheduling_controller.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/kubefed_resources.h"
#include "federated_types/kubefed_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Eventually;
using ::kfed::testing::Json;

const kube::GroupVersionResource kEvents{"", "v1", "events", true, "Event"};
const kube::GroupVersionResource kDeployments{"apps", "v1", "deployments", true, "Deployment"};
const kube::GroupVersionResource kPods{"", "v1", "pods", true, "Pod"};

constexpr char kTarget[] = R"({"apiVersion":"types.kubefed.io/v1beta1",
  "kind":"FederatedDeployment","metadata":{"name":"web","namespace":"ns"},
  "spec":{"template":{"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}}}},
          "placement":{"clusters":[{"name":"m1"}]}%s}})";

class SchedulingControllerTest : public ::testing::Test {
 protected:
  ~SchedulingControllerTest() override {
    if (controller_) controller_->Stop();
    events_.Stop();
  }

  std::shared_ptr<kube::FakeClient> Join(const std::string& name, bool ready = true) {
    auto& client = members_[name];
    if (client == nullptr) client = std::make_shared<kube::FakeClient>();
    auto m = std::make_shared<MemberCluster>();
    m->name = name;
    m->ready = ready;
    m->client = client;
    m->client_generation = 1;
    registry_.Upsert(m);
    return client;
  }

  void CreateRsp(const std::string& spec) {
    auto out = host_.Create(
        ReplicaSchedulingPreferencesResource(), "ns",
        Json(absl::StrCat(R"({"apiVersion":"scheduling.kubefed.io/v1alpha1",)",
                          R"("kind":"ReplicaSchedulingPreference",)",
                          R"("metadata":{"name":"web","namespace":"ns"},"spec":)", spec, "}")),
        {});
    ASSERT_TRUE(out.ok()) << out.status();
  }

  void CreateTarget(const std::string& extra_spec = "") {
    std::string text = kTarget;
    text.replace(text.find("%s"), 2, extra_spec);
    auto out = host_.Create(FederatedDeploymentsResource(), "ns", Json(text), {});
    ASSERT_TRUE(out.ok()) << out.status();
  }

  // "m1,m2 | m1=3 m2=6": the target's placement list and /spec/replicas overrides.
  std::string Scheduled() {
    auto target = host_.Get(FederatedDeploymentsResource(), "ns", "web");
    if (!target.ok()) return target.status().ToString();
    std::vector<std::string> placement;
    const rapidjson::Value* clusters =
        json::FindPath(**target, {"spec", "placement", "clusters"});
    if (clusters != nullptr && clusters->IsArray()) {
      for (const auto& c : clusters->GetArray()) placement.push_back(json::GetString(c, "name"));
    }
    std::vector<std::string> overrides;
    const rapidjson::Value* list = json::FindPath(**target, {"spec", "overrides"});
    if (list != nullptr && list->IsArray()) {
      for (const auto& o : list->GetArray()) {
        const rapidjson::Value* co = json::Find(o, "clusterOverrides");
        if (co == nullptr) continue;
        for (const auto& p : co->GetArray()) {
          if (json::GetString(p, "path") == "/spec/replicas" && p["value"].IsInt64()) {
            overrides.push_back(
                absl::StrCat(json::GetString(o, "clusterName"), "=", p["value"].GetInt64()));
          }
        }
      }
    }
    return absl::StrCat(absl::StrJoin(placement, ","), " | ", absl::StrJoin(overrides, " "));
  }

  // Reasons of the events about the RSP.
  std::string EventReasons() {
    auto list = host_.List(kEvents, "ns", {});
    if (!list.ok()) return "";
    std::vector<std::string> reasons;
    for (const auto& e : list->items) {
      reasons.push_back(absl::StrCat(json::GetString(*e, "reason"), ":",
                                     json::GetString(*e, "message")));
    }
    return absl::StrJoin(reasons, "\n");
  }

  void Start() {
    SchedulingControllerOptions o;
    o.cluster_change_delay = absl::Milliseconds(10);
    o.status_store = &store_;
    controller_ = std::make_unique<SchedulingController>(host_, registry_, metrics_, events_, o);
    registry_.MarkSynced();
    controller_->Start();
  }

  // "ns/name kind total [problem] | cluster=planned(member replicas/ready or ?) ..." of what
  // the status store shows.
  std::string Shown() {
    std::vector<std::string> out;
    const status::v1::ListSchedulingPreferencesResponse list = store_.ListSchedulingPreferences({});
    for (const auto& p : list.preferences()) {
      std::string line = absl::StrCat(p.namespace_(), "/", p.name(), " ", p.target_kind(), " ",
                                      p.total_replicas());
      if (!p.problem_reason().empty()) absl::StrAppend(&line, " ", p.problem_reason());
      absl::StrAppend(&line, " |");
      for (const auto& c : p.clusters()) {
        absl::StrAppend(&line, " ", c.cluster(), "=", c.planned_replicas(), "(",
                        c.member_known() ? absl::StrCat(c.member_replicas(), "/",
                                                        c.member_ready_replicas())
                                         : "?",
                        ")");
      }
      out.push_back(line);
    }
    return absl::StrJoin(out, "\n");
  }

  kube::FakeClient host_;
  status::StatusStore store_;
  std::map<std::string, std::shared_ptr<kube::FakeClient>> members_;
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  EventRecorder events_{host_, "test"};
  std::unique_ptr<SchedulingController> controller_;
};

TEST_F(SchedulingControllerTest, WritesPlacementAndReplicaOverridesByWeight) {
  Join("m1");
  Join("m2");
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":9,
                "clusters":{"m1":{"weight":1},"m2":{"weight":2}}})");
  Start();
  EXPECT_TRUE(Eventually([&] { return Scheduled() == "m1,m2 | m1=3 m2=6"; })) << Scheduled();
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(EventReasons(), "ReplicasScheduled"); }));
  // The distribution is recorded after the write and the event (ASan once read it between).
  const std::map<std::string, int64_t> want{{"m1", 3}, {"m2", 6}};
  EXPECT_TRUE(Eventually([&] { return controller_->Distributions()["ns/web"].replicas == want; }));
  EXPECT_EQ(controller_->Distributions()["ns/web"].replicas, want);
}

// Most FederatedDeployments have no RSP: their events queue nothing (before, each one queued
// an RSP pass that found no RSP: a thousand objects' creates, finalizers and statuses).
TEST_F(SchedulingControllerTest, TargetsWithoutAnRspQueueNothing) {
  Join("m1");
  for (int i = 0; i < 20; ++i) {
    std::string text = kTarget;
    text.replace(text.find("%s"), 2, "");
    text.replace(text.find("\"web\""), 5, absl::StrCat("\"other-", i, "\""));
    ASSERT_TRUE(host_.Create(FederatedDeploymentsResource(), "ns", Json(text), {}).ok());
  }
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":2})");
  // Everything above is in the informers' first lists, whose events are all dispatched
  // before the pool's first pass (it waits for the caches to sync).
  Start();
  ASSERT_TRUE(::kfed::testing::Eventually([&] { return Scheduled() == "m1 | m1=2"; }))
      << Scheduled();
  const double adds = metrics_.Counter("workqueue_adds_total", "", {"name"})
                          ->Value({"replicaschedulingpreference"});
  // The RSP, its target and the target's update by this controller: a handful, not 20 more.
  EXPECT_LT(adds, 20) << adds;
}

// Without an RSP nothing reads the FederatedDeployments and FederatedReplicaSets: they are not
// watched (a second cache of every FederatedDeployment beside the sync controller's) until
// the first RSP appears; then its target is scheduled once that cache has synced.
TEST_F(SchedulingControllerTest, WatchesTargetsOnlyOnceAnRspExists) {
  Join("m1");
  CreateTarget();
  Start();
  // The RSP and FederatedNamespace informers list, then watch.
  ASSERT_TRUE(Eventually([&] { return host_.ActiveWatches() >= 2; }));
  EXPECT_EQ(host_.ActiveWatches(), 2);
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":2})");
  ASSERT_TRUE(Eventually([&] { return Scheduled() == "m1 | m1=2"; })) << Scheduled();
  EXPECT_TRUE(Eventually([&] { return host_.ActiveWatches() == 4; })) << host_.ActiveWatches();
}

TEST_F(SchedulingControllerTest, MinAndMaxAreHonoured) {
  Join("m1");
  Join("m2");
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":10,
                "clusters":{"m1":{"weight":1,"minReplicas":4},
                            "m2":{"weight":9,"maxReplicas":5}}})");
  Start();
  EXPECT_TRUE(Eventually([&] { return Scheduled() == "m1,m2 | m1=5 m2=5"; })) << Scheduled();
}

TEST_F(SchedulingControllerTest, KeepsTheUsersOtherOverrides) {
  Join("m1");
  Join("m2");
  CreateTarget(R"(,"overrides":[{"clusterName":"m1","clusterOverrides":[
      {"path":"/spec/template/spec/containers/0/image","value":"nginx:2"}]}])");
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":4})");
  Start();
  ASSERT_TRUE(Eventually([&] { return Scheduled() == "m1,m2 | m1=2 m2=2"; })) << Scheduled();
  auto target = host_.Get(FederatedDeploymentsResource(), "ns", "web");
  ASSERT_TRUE(target.ok());
  const rapidjson::Value& first = (**target)["spec"]["overrides"][0];
  EXPECT_EQ(json::GetString(first, "clusterName"), "m1");
  EXPECT_EQ(json::GetString(first["clusterOverrides"][0], "value"), "nginx:2");
}

TEST_F(SchedulingControllerTest, ClusterThatIsNotReadyLosesItsReplicasAndGetsThemBack) {
  Join("m1");
  Join("m2");
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":9,
                "clusters":{"m1":{"weight":1},"m2":{"weight":2}}})");
  Start();
  ASSERT_TRUE(Eventually([&] { return Scheduled() == "m1,m2 | m1=3 m2=6"; })) << Scheduled();
  Join("m2", /*ready=*/false);
  EXPECT_TRUE(Eventually([&] { return Scheduled() == "m1 | m1=9"; })) << Scheduled();
  Join("m2", /*ready=*/true);
  EXPECT_TRUE(Eventually([&] { return Scheduled() == "m1,m2 | m1=3 m2=6"; })) << Scheduled();
}

TEST_F(SchedulingControllerTest, DeletedRspLeavesTheLastPlacement) {
  Join("m1");
  Join("m2");
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":9,
                "clusters":{"m1":{"weight":1},"m2":{"weight":2}}})");
  Start();
  ASSERT_TRUE(Eventually([&] { return Scheduled() == "m1,m2 | m1=3 m2=6"; })) << Scheduled();
  ASSERT_TRUE(host_.Delete(ReplicaSchedulingPreferencesResource(), "ns", "web", {}).ok());
  ASSERT_TRUE(Eventually([&] { return controller_->Distributions().count("ns/web") == 0; }));
  Join("m2", /*ready=*/false);  // would re-plan, were the RSP still there
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(Scheduled(), "m1,m2 | m1=3 m2=6");
}

TEST_F(SchedulingControllerTest, UnknownTargetKindIsReportedAndNothingWritten) {
  Join("m1");
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedStatefulSet","totalReplicas":3})");
  Start();
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(EventReasons(), "InvalidPreference"); }))
      << EventReasons();
  EXPECT_THAT(EventReasons(), ::testing::HasSubstr("targetKind"));
  EXPECT_EQ(Scheduled(), "m1 | ");
}

TEST_F(SchedulingControllerTest, NegativeTotalAndMaxBelowMinAreReported) {
  Join("m1");
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":-1})");
  Start();
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(EventReasons(), "totalReplicas"); }))
      << EventReasons();
  auto rsp = host_.Get(ReplicaSchedulingPreferencesResource(), "ns", "web");
  ASSERT_TRUE(rsp.ok());
  rapidjson::Document edited = json::Clone(**rsp);
  edited["spec"]["totalReplicas"].SetInt(3);
  json::Set(edited["spec"], "clusters",
            Json(R"({"m1":{"minReplicas":3,"maxReplicas":1}})"), edited.GetAllocator());
  ASSERT_TRUE(host_.Update(ReplicaSchedulingPreferencesResource(), "ns", edited, {}).ok());
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(EventReasons(), "maxReplicas"); }))
      << EventReasons();
  EXPECT_EQ(Scheduled(), "m1 | ");
}

TEST_F(SchedulingControllerTest, MissingTargetIsReportedThenScheduledWhenCreated) {
  Join("m1");
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":2})");
  Start();
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(EventReasons(), "TargetNotFound"); }))
      << EventReasons();
  CreateTarget();
  EXPECT_TRUE(Eventually([&] { return Scheduled() == "m1 | m1=2"; })) << Scheduled();
}

TEST_F(SchedulingControllerTest, MaxReplicasThatCannotHoldTheTotalIsReported) {
  Join("m1");
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":5,
                "clusters":{"m1":{"weight":1,"maxReplicas":2}}})");
  Start();
  EXPECT_TRUE(Eventually([&] { return Scheduled() == "m1 | m1=2"; })) << Scheduled();
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(EventReasons(), "ReplicasUnplaced"); }))
      << EventReasons();
}

TEST_F(SchedulingControllerTest, RebalanceMovesReplicasAClusterCannotRun) {
  Join("m1");
  auto m2 = Join("m2");
  // m2 runs 2 of its 6 replicas; 4 pods have been unschedulable for long: capacity 2.
  ASSERT_TRUE(m2->Create(kDeployments, "ns",
                         Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
                                  "metadata":{"name":"web","namespace":"ns",
                                              "labels":{"kubefed.io/managed":"true"}},
                                  "spec":{"replicas":6,"selector":{"matchLabels":{"app":"web"}}},
                                  "status":{"readyReplicas":2}})"),
                         {})
                  .ok());
  for (int i = 0; i < 6; ++i) {
    const bool running = i < 2;
    std::string pod = absl::StrCat(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-)", i,
        R"(","namespace":"ns","labels":{"app":"web"}},"status":)",
        running ? R"({"phase":"Running","conditions":[{"type":"Ready","status":"True"}]})"
                : R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
                     "reason":"Unschedulable","lastTransitionTime":"2020-01-01T00:00:00Z"}]})",
        "}");
    ASSERT_TRUE(m2->Create(kPods, "ns", Json(pod), {}).ok());
  }
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":9,"rebalance":true,
                "clusters":{"m1":{"weight":1},"m2":{"weight":2}}})");
  Start();
  // m2 is asked for its capacity plus its overflow (KubeFed), m1 takes the rest.
  EXPECT_TRUE(Eventually([&] { return Scheduled() == "m1,m2 | m1=7 m2=6"; })) << Scheduled();
}

TEST_F(SchedulingControllerTest, NegativeCapacityIsClampedToZero) {
  auto m1 = Join("m1");
  Join("m2");
  // m1 asks for 2 replicas and has 3 pods unschedulable for long (a rollout's old and new
  // pods): KubeFed estimated capacity -1 and wrote a negative override.
  ASSERT_TRUE(m1->Create(kDeployments, "ns",
                         Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
                                  "metadata":{"name":"web","namespace":"ns",
                                              "labels":{"kubefed.io/managed":"true"}},
                                  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}}},
                                  "status":{"readyReplicas":0}})"),
                         {})
                  .ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(m1->Create(kPods, "ns",
                           Json(absl::StrCat(
                               R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-)", i,
                               R"(","namespace":"ns","labels":{"app":"web"}},"status":{
                               "phase":"Pending","conditions":[{"type":"PodScheduled",
                               "status":"False","reason":"Unschedulable",
                               "lastTransitionTime":"2020-01-01T00:00:00Z"}]}})")),
                           {})
                    .ok());
  }
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":4,"rebalance":true,
                "clusters":{"m1":{"weight":1},"m2":{"weight":1}}})");
  Start();
  EXPECT_TRUE(Eventually([&] {
    auto d = controller_->Distributions()["ns/web"].replicas;
    return d.count("m1") == 1 && d["m1"] >= 0 && d["m2"] == 4;
  })) << Scheduled();
  EXPECT_FALSE(absl::StrContains(Scheduled(), "=-")) << Scheduled();
}

TEST_F(SchedulingControllerTest, PodsThatCannotBeListedAreReported) {
  Join("m1");
  auto m2 = Join("m2");
  ASSERT_TRUE(m2->Create(kDeployments, "ns",
                         Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
                                  "metadata":{"name":"web","namespace":"ns",
                                              "labels":{"kubefed.io/managed":"true"}},
                                  "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}}},
                                  "status":{"readyReplicas":1}})"),
                         {})
                  .ok());
  m2->InjectError("list", "pods",
                  absl::PermissionDeniedError("pods is forbidden: cannot list resource pods"),
                  /*count=*/1000);
  CreateTarget();
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":6})");
  Start();
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(EventReasons(), "MemberNotReadable"); }))
      << EventReasons();
  EXPECT_THAT(EventReasons(), ::testing::HasSubstr("kfedctl join"));
  EXPECT_EQ(Scheduled(), "m1 | ");
}

TEST(SchedulingGateTest, DisabledGateStartsNothing) {
  kube::FakeClient host;
  ClusterRegistry registry;
  MetricsRegistry metrics;
  EventRecorder events(host, "test");
  federated_types::KubeFedConfig config = federated_types::DefaultKubeFedConfig();
  for (auto& gate : config.feature_gates) {
    if (gate.name == "SchedulerPreferences") gate.enabled = false;
  }
  EXPECT_EQ(StartSchedulingControllerIfEnabled(config, host, registry, metrics, events, ""),
            nullptr);
  config = federated_types::DefaultKubeFedConfig();  // KubeFed's default: Enabled
  auto controller =
      StartSchedulingControllerIfEnabled(config, host, registry, metrics, events, "");
  EXPECT_NE(controller, nullptr);
  controller->Stop();
  events.Stop();
}

// The status view: each RSP with its planned replicas per cluster and what the member
// reports, its last problem, and gone once the RSP is deleted.
TEST_F(SchedulingControllerTest, PublishesTheDistributionToTheStatusStore) {
  Join("m1");
  std::shared_ptr<kube::FakeClient> m2 = Join("m2");
  // m2 holds kfed's copy with 6 wanted and 4 ready.
  ASSERT_TRUE(m2->Create(kDeployments, "ns",
                         Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
                                  "metadata":{"name":"web","namespace":"ns",
                                              "labels":{"kubefed.io/managed":"true"}},
                                  "spec":{"replicas":6,"selector":{"matchLabels":{"app":"web"}}},
                                  "status":{"replicas":6,"readyReplicas":4}})"),
                         {})
                  .ok());
  CreateRsp(R"({"targetKind":"FederatedDeployment","totalReplicas":9,
                "clusters":{"m1":{"weight":1},"m2":{"weight":2}}})");
  Start();
  // No target yet: the problem is shown, nothing planned.
  EXPECT_TRUE(Eventually([&] {
    return Shown() == "ns/web FederatedDeployment 9 TargetNotFound |";
  })) << Shown();
  CreateTarget();
  EXPECT_TRUE(Eventually([&] {
    return Shown() == "ns/web FederatedDeployment 9 | m1=3(?) m2=6(6/4)";
  })) << Shown();
  const status::v1::ListSchedulingPreferencesResponse listed = store_.ListSchedulingPreferences({});
  ASSERT_EQ(listed.preferences_size(), 1);
  EXPECT_EQ(listed.preferences(0).problem_message(), "");
  EXPECT_GT(listed.preferences(0).last_plan_unix_ms(), 0);

  ASSERT_TRUE(host_.Delete(ReplicaSchedulingPreferencesResource(), "ns", "web", {}).ok());
  EXPECT_TRUE(Eventually([&] { return Shown().empty(); })) << Shown();
}

}  // namespace
}  // namespace kfed::controller
