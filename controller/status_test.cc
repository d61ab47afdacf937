#include "controller/status.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace kfed::controller {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);  // 2023-11-14T22:13:20Z
const absl::Time kT1 = kT0 + absl::Minutes(1);

StatusInput Input(std::map<std::string, ClusterOutcome> clusters, absl::Time now,
                  std::string reason = "", int64_t generation = 1) {
  StatusInput in;
  in.generation = generation;
  in.aggregate_reason = std::move(reason);
  in.clusters = std::move(clusters);
  in.now = now;
  return in;
}

const rapidjson::Value& Propagation(const rapidjson::Document& status) {
  return status["conditions"][0];
}

TEST(StatusTest, FirstSuccessfulPropagation) {
  StatusUpdate u = ComputeStatus(nullptr, Input({{"member2", {}}, {"member1", {}}}, kT0));
  EXPECT_TRUE(u.changed);
  EXPECT_EQ(
      json::Serialize(u.status),
      R"({"observedGeneration":1,"clusters":[{"name":"member1"},{"name":"member2"}],)"
      R"("conditions":[{"type":"Propagation","status":"True",)"
      R"("lastTransitionTime":"2023-11-14T22:13:20Z","lastUpdateTime":"2023-11-14T22:13:20Z"}]})");
}

TEST(StatusTest, NoteIsAppendedToTheMessage) {
  StatusInput in = Input({{"member1", {}}}, kT0);
  in.note = "spec.placement.clusters names clusters that are not joined: nowhere";
  StatusUpdate u = ComputeStatus(nullptr, in);
  EXPECT_EQ(json::GetString(Propagation(u.status), "status"), "True");
  EXPECT_EQ(json::GetString(Propagation(u.status), "message"), in.note);
  in.clusters["member2"] = {"CreationFailed", "boom"};
  u = ComputeStatus(&u.status, in);
  EXPECT_EQ(json::GetString(Propagation(u.status), "message"),
            "1 of 2 clusters not propagated (member2: CreationFailed); " + in.note);
}

TEST(StatusTest, UnchangedInputNeedsNoWrite) {
  StatusUpdate first = ComputeStatus(nullptr, Input({{"member1", {}}}, kT0));
  StatusUpdate second = ComputeStatus(&first.status, Input({{"member1", {}}}, kT1));
  EXPECT_FALSE(second.changed);
  EXPECT_EQ(json::GetString(Propagation(second.status), "lastUpdateTime"), "2023-11-14T22:13:20Z");
}

TEST(StatusTest, FailingClusterGivesCheckClustersWithMessage) {
  StatusUpdate first = ComputeStatus(nullptr, Input({{"member1", {}}, {"member2", {}}}, kT0));
  StatusUpdate u = ComputeStatus(
      &first.status,
      Input({{"member1", {}},
             {"member2", {"ApplyOverridesFailed", "overrides[0] path /spec/x not found"}}},
            kT1));
  EXPECT_TRUE(u.changed);
  const rapidjson::Value& c = Propagation(u.status);
  EXPECT_EQ(json::GetString(c, "status"), "False");
  EXPECT_EQ(json::GetString(c, "reason"), "CheckClusters");
  EXPECT_EQ(json::GetString(c, "message"),
            "1 of 2 clusters not propagated (member2: ApplyOverridesFailed)");
  EXPECT_EQ(json::GetString(c, "lastTransitionTime"), "2023-11-14T22:14:20Z");
  EXPECT_EQ(json::GetString(u.status["clusters"][1], "status"), "ApplyOverridesFailed");
  EXPECT_EQ(json::GetString(u.status["clusters"][1], "message"),
            "overrides[0] path /spec/x not found");
}

TEST(StatusTest, AggregateReasonWinsAndClustersMayBeEmpty) {
  StatusInput in = Input({}, kT0, "NamespaceNotFederated");
  in.aggregate_message = "namespace \"demo\" has no FederatedNamespace";
  StatusUpdate u = ComputeStatus(nullptr, in);
  EXPECT_TRUE(u.changed);
  EXPECT_FALSE(u.status.HasMember("clusters"));
  EXPECT_EQ(json::GetString(Propagation(u.status), "reason"), "NamespaceNotFederated");
  EXPECT_EQ(json::GetString(Propagation(u.status), "message"), in.aggregate_message);
}

TEST(StatusTest, GenerationChangeAloneIsWrittenWithoutTransition) {
  StatusUpdate first = ComputeStatus(nullptr, Input({{"member1", {}}}, kT0));
  StatusUpdate u = ComputeStatus(&first.status, Input({{"member1", {}}}, kT1, "", 2));
  EXPECT_TRUE(u.changed);
  EXPECT_EQ(u.status["observedGeneration"].GetInt64(), 2);
  EXPECT_EQ(json::GetString(Propagation(u.status), "lastTransitionTime"), "2023-11-14T22:13:20Z");
}

TEST(StatusTest, ResourcesUpdatedBumpsLastUpdateTimeOnly) {
  StatusUpdate first = ComputeStatus(nullptr, Input({{"member1", {}}}, kT0));
  StatusInput in = Input({{"member1", {}}}, kT1);
  in.resources_updated = true;
  StatusUpdate u = ComputeStatus(&first.status, in);
  EXPECT_TRUE(u.changed);
  EXPECT_EQ(json::GetString(Propagation(u.status), "lastUpdateTime"), "2023-11-14T22:14:20Z");
  EXPECT_EQ(json::GetString(Propagation(u.status), "lastTransitionTime"), "2023-11-14T22:13:20Z");
}

TEST(StatusTest, RecoveryTransitionsBackToTrueAndDropsReason) {
  StatusUpdate bad = ComputeStatus(nullptr, Input({{"member1", {"ClusterNotReady", ""}}}, kT0));
  StatusUpdate good = ComputeStatus(&bad.status, Input({{"member1", {}}}, kT1));
  EXPECT_TRUE(good.changed);
  const rapidjson::Value& c = Propagation(good.status);
  EXPECT_EQ(json::GetString(c, "status"), "True");
  EXPECT_FALSE(c.HasMember("reason"));
  EXPECT_FALSE(c.HasMember("message"));
  EXPECT_FALSE(good.status["clusters"][0].HasMember("status"));
}

TEST(StatusTest, KeepsOtherConditionsAndIgnoresNonObjectStatus) {
  auto current = *json::Parse(R"({"conditions":[{"type":"Other","status":"True"}]})");
  StatusUpdate u = ComputeStatus(&current, Input({}, kT0));
  ASSERT_EQ(u.status["conditions"].Size(), 2u);
  EXPECT_EQ(json::GetString(u.status["conditions"][0], "type"), "Other");
  rapidjson::Value not_object("x");
  EXPECT_TRUE(ComputeStatus(&not_object, Input({}, kT0)).changed);
}

TEST(StatusTest, RemoteStatusIsWrittenComparedAsJsonAndDroppedWithoutCollection) {
  rapidjson::Document ready;
  ready.Parse(R"({"readyReplicas":2,"conditions":[{"type":"Available","status":"True"}]})");
  StatusInput in = Input({{"member1", {}}}, kT0);
  in.collect_remote_status = true;
  in.clusters["member1"].remote_status = &ready;
  StatusUpdate first = ComputeStatus(nullptr, in);
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(json::Serialize(first.status["clusters"]),
            R"([{"name":"member1","remoteStatus":{"readyReplicas":2,"conditions":)"
            R"([{"type":"Available","status":"True"}]}}])");
  EXPECT_EQ(json::GetString(Propagation(first.status), "status"), "True");

  // The same status, members in another order: nothing to write.
  rapidjson::Document reordered;
  reordered.Parse(R"({"conditions":[{"status":"True","type":"Available"}],"readyReplicas":2})");
  in.clusters["member1"].remote_status = &reordered;
  in.now = kT1;
  EXPECT_FALSE(ComputeStatus(&first.status, in).changed);

  // A changed member status is written.
  rapidjson::Document fewer;
  fewer.Parse(R"({"readyReplicas":1})");
  in.clusters["member1"].remote_status = &fewer;
  StatusUpdate second = ComputeStatus(&first.status, in);
  EXPECT_TRUE(second.changed);
  EXPECT_EQ(json::Serialize(second.status["clusters"]),
            R"([{"name":"member1","remoteStatus":{"readyReplicas":1}}])");

  // Collection off: an existing remoteStatus is dropped.
  StatusUpdate off = ComputeStatus(&second.status, Input({{"member1", {}}}, kT1));
  EXPECT_TRUE(off.changed);
  EXPECT_EQ(json::Serialize(off.status["clusters"]), R"([{"name":"member1"}])");
}

TEST(StatusTest, MissingRemoteStatusIsCheckClustersAsInKubeFed) {
  rapidjson::Document ready;
  ready.Parse(R"({"readyReplicas":2})");
  StatusInput in = Input({{"member1", {}}, {"member2", {}}}, kT0);
  in.collect_remote_status = true;
  in.clusters["member1"].remote_status = &ready;
  StatusUpdate u = ComputeStatus(nullptr, in);
  EXPECT_EQ(json::GetString(Propagation(u.status), "status"), "False");
  EXPECT_EQ(json::GetString(Propagation(u.status), "reason"), "CheckClusters");
  EXPECT_EQ(json::GetString(Propagation(u.status), "message"),
            "1 of 2 clusters not propagated (member2: no remote status)");
  // Once it has one, propagation is True.
  in.clusters["member2"].remote_status = &ready;
  u = ComputeStatus(&u.status, in);
  EXPECT_EQ(json::GetString(Propagation(u.status), "status"), "True");
}

}  // namespace
}  // namespace kfed::controller
