#include "controller/status_publish.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace kfed::controller {
namespace {

TEST(StatusPublishTest, CoarseStatePerCluster) {
  struct Case {
    std::string name;
    PublishedCluster in;
    std::string state, reason, message;
  };
  auto with = [](Operation op, std::string plan_status, std::string failed_status,
                 bool waiting = false) {
    PublishedCluster c;
    c.cluster = "member1";
    c.op = op;
    c.plan_status = std::move(plan_status);
    c.plan_message = c.plan_status.empty() ? "" : "plan says so";
    c.failed_status = std::move(failed_status);
    c.failed_message = c.failed_status.empty() ? "" : "it failed";
    c.waiting_for_removal = waiting;
    return c;
  };
  const std::vector<Case> cases = {
      {"up to date", with(Operation::kNone, "", ""), "Propagated", "", ""},
      {"create in flight", with(Operation::kCreate, "", ""), "Pending", "", ""},
      {"update in flight", with(Operation::kUpdate, "", ""), "Pending", "", ""},
      {"update failed", with(Operation::kUpdate, "", "UpdateFailed"), "Error", "UpdateFailed",
       "it failed"},
      {"create failed", with(Operation::kCreate, "", "CreationFailed"), "Error", "CreationFailed",
       "it failed"},
      {"delete in flight", with(Operation::kDelete, "", ""), "Deleting", "", ""},
      {"unlabel in flight", with(Operation::kRemoveManagedLabel, "", ""), "Deleting", "", ""},
      {"delete failed", with(Operation::kDelete, "", "DeletionFailed"), "Error", "DeletionFailed",
       "it failed"},
      {"bad override", with(Operation::kNone, "ApplyOverridesFailed", ""), "Error",
       "ApplyOverridesFailed", "plan says so"},
      {"cluster down", with(Operation::kNone, "ClusterNotReady", ""), "Error", "ClusterNotReady",
       "plan says so"},
      {"cache syncing", with(Operation::kNone, "CachedRetrievalFailed", ""), "Pending",
       "CachedRetrievalFailed", "plan says so"},
      {"copy going away", with(Operation::kNone, "WaitingForRemoval", ""), "Deleting",
       "WaitingForRemoval", "plan says so"},
      {"deletion waits", with(Operation::kNone, "", "", /*waiting=*/true), "Deleting", "",
       "waiting for the cluster to confirm removal"},
  };
  for (const Case& c : cases) {
    PublishedCluster in = c.in;
    in.latency_seconds = 0.25;
    in.member_generation = 3;
    status::v1::ClusterState s = ClusterStateFor(in);
    EXPECT_EQ(s.cluster(), "member1") << c.name;
    EXPECT_EQ(s.state(), c.state) << c.name;
    EXPECT_EQ(s.reason(), c.reason) << c.name;
    EXPECT_EQ(s.message(), c.message) << c.name;
    EXPECT_EQ(s.propagation_latency_seconds(), 0.25) << c.name;
    EXPECT_EQ(s.member_generation(), 3) << c.name;
    EXPECT_EQ(s.last_transition_unix_ms(), 0) << c.name;
  }
}

TEST(StatusPublishTest, PropagationConditionFromStatus) {
  auto status = json::Parse(
      R"({"conditions":[{"type":"Other","status":"True"},)"
      R"({"type":"Propagation","status":"False","reason":"CheckClusters","message":"m2 failed"}]})");
  ASSERT_TRUE(status.ok());
  status::v1::FederatedObject o;
  SetPropagation(&*status, &o);
  EXPECT_EQ(o.propagation(), "False");
  EXPECT_EQ(o.reason(), "CheckClusters");
  EXPECT_EQ(o.message(), "m2 failed");
  SetPropagation(nullptr, &o);
  EXPECT_EQ(o.propagation(), "False");
  EXPECT_EQ(o.reason(), "");
}

TEST(StatusPublishTest, Generation) {
  auto obj = json::Parse(R"({"metadata":{"generation":4}})");
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(GenerationOf(&*obj), 4);
  EXPECT_EQ(GenerationOf(nullptr), 0);
  auto none = json::Parse(R"({"metadata":{}})");
  EXPECT_EQ(GenerationOf(&*none), 0);
}

}  // namespace
}  // namespace kfed::controller
