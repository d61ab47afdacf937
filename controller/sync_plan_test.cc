#include "controller/sync_plan.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "federated_types/type_config.h"
#include "federated_types/versions.h"

namespace kfed::controller {
namespace {
namespace ft = ::kfed::federated_types;

ft::TypeConfig TypeNamed(const std::string& name) {
  for (const ft::TypeConfig& c : ft::DefaultTypeConfigs()) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no default type " << name;
  return {};
}

rapidjson::Document Parse(const std::string& text) {
  auto doc = json::Parse(text);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return std::move(*doc);
}

// A FederatedConfigMap demo/cfg placed on member1 and member2.
const char kFedConfigMap[] = R"({
  "apiVersion": "types.kubefed.io/v1beta1", "kind": "FederatedConfigMap",
  "metadata": {"name": "cfg", "namespace": "demo", "generation": 1},
  "spec": {
    "template": {"data": {"a": "1"}},
    "placement": {"clusters": [{"name": "member1"}, {"name": "member2"}]},
    "overrides": [{"clusterName": "member2", "clusterOverrides": [{"path": "/data/a", "value": "2"}]}]
  }
})";

const char kFedNamespace[] = R"({
  "apiVersion": "types.kubefed.io/v1beta1", "kind": "FederatedNamespace",
  "metadata": {"name": "demo", "namespace": "demo"},
  "spec": {"placement": {"clusterSelector": {}}}
})";

const char kLiveManaged[] = R"({
  "apiVersion": "v1", "kind": "ConfigMap",
  "metadata": {"name": "cfg", "namespace": "demo", "resourceVersion": "42",
               "labels": {"kubefed.io/managed": "true"}},
  "data": {"a": "1"}
})";

class SyncPlanTest : public ::testing::Test {
 protected:
  SyncPlanTest()
      : type_(TypeNamed("configmaps")),
        fed_(Parse(kFedConfigMap)),
        fed_ns_(Parse(kFedNamespace)),
        live_(Parse(kLiveManaged)) {
    request_.federated_object = &fed_;
    request_.type_config = &type_;
    request_.federated_namespace = &fed_ns_;
    request_.clusters = {Cluster("member1"), Cluster("member2"), Cluster("member3")};
  }
  static ClusterState Cluster(const std::string& name, const rapidjson::Value* live = nullptr) {
    ClusterState c;
    c.name = name;
    c.ready = true;
    c.synced = true;
    c.live = live;
    return c;
  }
  const ClusterAction* ActionFor(const std::vector<ClusterAction>& actions,
                                 const std::string& cluster) {
    for (const ClusterAction& a : actions) {
      if (a.cluster == cluster) return &a;
    }
    return nullptr;
  }

  ft::TypeConfig type_;
  rapidjson::Document fed_, fed_ns_, live_;
  PlanRequest request_;
};

TEST_F(SyncPlanTest, CreatesInSelectedClustersWithOverridesAndManagedLabel) {
  Plan plan = PlanPropagation(request_);
  EXPECT_EQ(plan.aggregate_reason, "");
  EXPECT_EQ(plan.selected, (std::set<std::string>{"member1", "member2"}));
  ASSERT_EQ(plan.actions.size(), 2u);
  const ClusterAction* m2 = ActionFor(plan.actions, "member2");
  ASSERT_NE(m2, nullptr);
  EXPECT_EQ(m2->op, Operation::kCreate);
  EXPECT_EQ(json::Serialize((*m2->desired)["data"]), R"({"a":"2"})");
  EXPECT_EQ(json::GetString((*m2->desired)["metadata"]["labels"], "kubefed.io/managed"), "true");
  EXPECT_EQ(json::GetString((*m2->desired)["metadata"], "namespace"), "demo");
  EXPECT_EQ(ActionFor(plan.actions, "member3"), nullptr);
}

TEST_F(SyncPlanTest, UpToDateObjectNeedsNoWriteAndKeepsItsVersion) {
  request_.clusters = {Cluster("member1", &live_)};
  request_.recorded_versions = {{"member1", "rv:42"}};
  Plan plan = PlanPropagation(request_);
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].op, Operation::kNone);
  EXPECT_EQ(plan.actions[0].status, "");
  EXPECT_EQ(plan.actions[0].version, "rv:42");
}

TEST_F(SyncPlanTest, DriftedOrUnrecordedObjectIsUpdated) {
  request_.clusters = {Cluster("member1", &live_)};
  request_.recorded_versions = {{"member1", "rv:41"}};  // someone wrote since
  Plan plan = PlanPropagation(request_);
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].op, Operation::kUpdate);
  EXPECT_EQ(json::GetString((*plan.actions[0].desired)["metadata"], "resourceVersion"), "42");
  request_.recorded_versions.clear();  // template changed: versions discarded
  EXPECT_EQ(PlanPropagation(request_).actions[0].op, Operation::kUpdate);
}

TEST_F(SyncPlanTest, ClusterLeavingPlacementLosesItsManagedCopy) {
  request_.clusters = {Cluster("member1"), Cluster("member3", &live_)};
  Plan plan = PlanPropagation(request_);
  const ClusterAction* m3 = ActionFor(plan.actions, "member3");
  ASSERT_NE(m3, nullptr);
  EXPECT_EQ(m3->op, Operation::kDelete);
  EXPECT_FALSE(m3->selected);
}

TEST_F(SyncPlanTest, ExplicitlyUnmanagedObjectIsNeverTouched) {
  rapidjson::Document unmanaged = json::Clone(live_);
  unmanaged["metadata"]["labels"]["kubefed.io/managed"] = "false";
  request_.clusters = {Cluster("member1", &unmanaged), Cluster("member3", &unmanaged)};
  Plan plan = PlanPropagation(request_);
  ASSERT_EQ(plan.actions.size(), 1u);  // member3 (not placed): nothing at all
  EXPECT_EQ(plan.actions[0].cluster, "member1");
  EXPECT_EQ(plan.actions[0].op, Operation::kNone);
  EXPECT_EQ(plan.actions[0].status, "ManagedLabelFalse");
}

TEST_F(SyncPlanTest, UnreadyAndUnsyncedClustersAreNotActedOn) {
  ClusterState down = Cluster("member1", &live_);
  down.ready = false;
  ClusterState unsynced = Cluster("member2");
  unsynced.synced = false;
  ClusterState unsynced_unplaced = Cluster("member3", &live_);
  unsynced_unplaced.synced = false;
  request_.clusters = {down, unsynced, unsynced_unplaced};
  Plan plan = PlanPropagation(request_);
  EXPECT_TRUE(plan.requeue);
  ASSERT_EQ(plan.actions.size(), 2u);
  EXPECT_EQ(ActionFor(plan.actions, "member1")->status, "ClusterNotReady");
  EXPECT_EQ(ActionFor(plan.actions, "member1")->op, Operation::kNone);
  EXPECT_EQ(ActionFor(plan.actions, "member2")->status, "CachedRetrievalFailed");
  EXPECT_EQ(ActionFor(plan.actions, "member3"), nullptr);  // no delete through a cold cache
}

// Why a placed cluster gets no write, one row each: KubeFed's status reason and kfed's
// message. member1 holds a managed copy, member2 none; a skip never deletes and always
// re-plans (requeue).
TEST_F(SyncPlanTest, PlacedClustersThatAreNotWrittenSayWhy) {
  struct Row {
    const char* what;
    void (*setup)(ClusterState& c, PlanRequest& r);
    bool with_copy;  // member1 holds a managed copy
    const char* want_status;
    const char* want_message;
  } rows[] = {
      {"not ready",
       [](ClusterState& c, PlanRequest&) {
         c.ready = false;
         c.not_ready_message = "cluster is not reachable: SSL certificate problem";
       },
       true, "ClusterNotReady",
       "cluster is not ready: cluster is not reachable: SSL certificate problem"},
      {"cache not synced",
       [](ClusterState& c, PlanRequest&) {
         c.synced = false;
         c.sync_error = "list configmaps: forbidden";
       },
       false, "CachedRetrievalFailed",
       "the member cache has not synced yet: list configmaps: forbidden"},
      {"Ready without a client (KubeFed's ClientRetrievalFailed)",
       [](ClusterState& c, PlanRequest&) {
         c.client_error = "the cluster controller published it Ready without a client";
       },
       true, "ClientRetrievalFailed",
       "no client for the cluster: the cluster controller published it Ready without a client"},
      {"versions not computable, a copy exists (KubeFed's VersionRetrievalFailed)",
       [](ClusterState&, PlanRequest& r) {
         r.versions_error = "overrides: spec.overrides[0].clusterName: want string, got number";
       },
       true, "VersionRetrievalFailed",
       "cannot compute the version of the federated object: overrides: "
       "spec.overrides[0].clusterName: want string, got number"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    PlanRequest request = request_;
    ClusterState member1 = Cluster("member1", row.with_copy ? &live_ : nullptr);
    row.setup(member1, request);
    request.clusters = {member1, Cluster("member2")};
    Plan plan = PlanPropagation(request);
    const ClusterAction* m1 = ActionFor(plan.actions, "member1");
    ASSERT_NE(m1, nullptr);
    EXPECT_EQ(m1->op, Operation::kNone);
    EXPECT_EQ(m1->status, row.want_status);
    EXPECT_EQ(m1->message, row.want_message);
    EXPECT_TRUE(m1->selected);
    // The other placed cluster is handled as usual: its copy is created (a create needs no
    // version, so even uncomputable versions do not hold it back).
    ASSERT_NE(ActionFor(plan.actions, "member2"), nullptr);
    EXPECT_EQ(ActionFor(plan.actions, "member2")->op, Operation::kCreate);
  }
}

// A cluster without a client is not deleted from either, and a deletion waits for it.
TEST_F(SyncPlanTest, AClusterWithoutAClientIsNeverDeletedFrom) {
  ClusterState no_client = Cluster("member1", &live_);
  no_client.client_error = "no client";
  ClusterState unplaced = Cluster("member3", &live_);
  unplaced.client_error = "no client";
  request_.clusters = {no_client, Cluster("member2"), unplaced};
  Plan plan = PlanPropagation(request_);
  EXPECT_EQ(ActionFor(plan.actions, "member3"), nullptr) << "not deleted, not reported";
  EXPECT_TRUE(plan.requeue);

  DeletionPlan deletion = PlanDeletion(request_);
  EXPECT_EQ(deletion.waiting, (std::vector<std::string>{"member1", "member3"}));
  for (const ClusterAction& a : deletion.actions) EXPECT_NE(a.cluster, "member1");
}

TEST_F(SyncPlanTest, PlacementOfClustersThatAreNotJoinedIsNoted) {
  fed_["spec"]["placement"]["clusters"][1]["name"] = "nowhere";
  request_.clusters = {Cluster("member1"), Cluster("member2")};
  Plan plan = PlanPropagation(request_);
  EXPECT_EQ(plan.aggregate_reason, "");
  EXPECT_EQ(plan.note, "spec.placement.clusters names clusters that are not joined: nowhere");
  EXPECT_EQ(plan.selected, std::set<std::string>{"member1"});
}

TEST_F(SyncPlanTest, BadPlacementDeletesNothing) {
  fed_["spec"]["placement"]["clusters"] = "not-a-list";
  request_.clusters = {Cluster("member1", &live_), Cluster("member3", &live_)};
  Plan plan = PlanPropagation(request_);
  EXPECT_EQ(plan.aggregate_reason, "ComputePlacementFailed");
  EXPECT_NE(plan.aggregate_message.find("placement"), std::string::npos);
  EXPECT_TRUE(plan.actions.empty());
}

TEST_F(SyncPlanTest, InvalidOverrideReportsApplyOverridesFailedWithPath) {
  fed_["spec"]["overrides"][0]["clusterOverrides"][0]["path"] = "/data/missing/deeper";
  Plan plan = PlanPropagation(request_);
  const ClusterAction* m2 = ActionFor(plan.actions, "member2");
  ASSERT_NE(m2, nullptr);
  EXPECT_EQ(m2->op, Operation::kNone);
  EXPECT_EQ(m2->status, "ApplyOverridesFailed");
  EXPECT_NE(m2->message.find("/data/missing/deeper"), std::string::npos) << m2->message;
  EXPECT_EQ(ActionFor(plan.actions, "member1")->op, Operation::kCreate);  // others unaffected
}

TEST_F(SyncPlanTest, NamespaceNotFederatedSelectsNothingAndRemovesCopies) {
  request_.federated_namespace = nullptr;
  request_.clusters = {Cluster("member1", &live_)};
  Plan plan = PlanPropagation(request_);
  EXPECT_EQ(plan.aggregate_reason, "NamespaceNotFederated");
  EXPECT_TRUE(plan.selected.empty());
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].op, Operation::kDelete);
}

TEST_F(SyncPlanTest, DeletionDeletesManagedCopiesAndWaitsOnlyForRelevantClusters) {
  ClusterState down_unplaced = Cluster("member3");
  down_unplaced.ready = false;  // outside the placement, no copy known: must not block
  ClusterState down_placed = Cluster("member2");
  down_placed.ready = false;
  request_.clusters = {Cluster("member1", &live_), down_placed, down_unplaced};
  DeletionPlan plan = PlanDeletion(request_);
  EXPECT_FALSE(plan.orphan);
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].op, Operation::kDelete);
  EXPECT_EQ(plan.waiting, std::vector<std::string>{"member2"});
  EXPECT_FALSE(plan.done());

  request_.clusters = {Cluster("member1"), Cluster("member2"), down_unplaced};
  EXPECT_TRUE(PlanDeletion(request_).done());
}

TEST_F(SyncPlanTest, OrphanDeletionOnlyUnlabels) {
  json::SetString(json::EnsureObject(fed_["metadata"], "annotations", fed_.GetAllocator()),
                  "kubefed.io/orphan", "true", fed_.GetAllocator());
  request_.clusters = {Cluster("member1", &live_)};
  DeletionPlan plan = PlanDeletion(request_);
  EXPECT_TRUE(plan.orphan);
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].op, Operation::kRemoveManagedLabel);
}

TEST_F(SyncPlanTest, OnlyClusterComputesOneActionWithPlacementOverAll) {
  fed_["spec"]["placement"].RemoveMember("clusters");
  json::Set(fed_["spec"]["placement"], "clusterSelector",
            *json::Parse(R"({"matchLabels":{"env":"prod"}})"), fed_.GetAllocator());
  request_.clusters[1].labels = {{"env", "prod"}};
  request_.only_cluster = "member2";
  Plan plan = PlanPropagation(request_);
  EXPECT_EQ(plan.selected, std::set<std::string>{"member2"});
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].cluster, "member2");
  EXPECT_EQ(plan.actions[0].op, Operation::kCreate);
  request_.only_cluster = "member1";
  EXPECT_TRUE(PlanPropagation(request_).actions.empty());
}

TEST_F(SyncPlanTest, HostNamespaceIsUnlabelledNotDeleted) {
  ft::TypeConfig ns_type = TypeNamed("namespaces");
  rapidjson::Document fed_ns = Parse(
      R"({"metadata":{"name":"demo","namespace":"demo"},"spec":{"placement":{"clusters":[]}}})");
  rapidjson::Document host_ns = Parse(
      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo","uid":"u-1","labels":{"kubefed.io/managed":"true"}}})");
  request_.type_config = &ns_type;
  request_.federated_object = &fed_ns;
  request_.federated_namespace = &fed_ns;
  request_.host_namespace_uid = "u-1";
  request_.clusters = {Cluster("host", &host_ns)};
  Plan plan = PlanPropagation(request_);
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].op, Operation::kRemoveManagedLabel);
}

}  // namespace
}  // namespace kfed::controller
