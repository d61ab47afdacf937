#include "controller/cluster_health.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace kfed::controller {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

absl::Time T(int s) { return kT0 + absl::Seconds(s); }

TEST(ClusterHealthTest, FirstProbeIsPublishedAtOnce) {
  ClusterHealth h(3, 1);
  EXPECT_TRUE(h.Observe(ProbeResult::kOk, T(0)));
  EXPECT_TRUE(h.ready());
}

TEST(ClusterHealthTest, FailuresFlipOnlyAfterThreshold) {
  ClusterHealth h(3, 1);
  h.Observe(ProbeResult::kOk, T(0));
  EXPECT_FALSE(h.Observe(ProbeResult::kUnreachable, T(10)));
  EXPECT_FALSE(h.Observe(ProbeResult::kUnreachable, T(20)));
  EXPECT_TRUE(h.ready());
  EXPECT_TRUE(h.Observe(ProbeResult::kUnreachable, T(30)));
  EXPECT_FALSE(h.ready());
  EXPECT_EQ(h.published(), ProbeResult::kUnreachable);
}

TEST(ClusterHealthTest, AnInterruptedStreakStartsOver) {
  ClusterHealth h(2, 1);
  h.Observe(ProbeResult::kOk, T(0));
  EXPECT_FALSE(h.Observe(ProbeResult::kUnreachable, T(1)));
  EXPECT_FALSE(h.Observe(ProbeResult::kOk, T(2)));
  EXPECT_FALSE(h.Observe(ProbeResult::kUnreachable, T(3)));
  EXPECT_TRUE(h.ready());
  EXPECT_TRUE(h.Observe(ProbeResult::kUnreachable, T(4)));
}

TEST(ClusterHealthTest, RecoveryNeedsSuccessThreshold) {
  ClusterHealth h(1, 2);
  h.Observe(ProbeResult::kNotOk, T(0));
  EXPECT_FALSE(h.Observe(ProbeResult::kOk, T(1)));
  EXPECT_TRUE(h.Observe(ProbeResult::kOk, T(2)));
  EXPECT_TRUE(h.ready());
}

TEST(ClusterHealthTest, ConfigMalformedIsImmediate) {
  ClusterHealth h(3, 1);
  h.Observe(ProbeResult::kOk, T(0));
  EXPECT_TRUE(h.Observe(ProbeResult::kConfigMalformed, T(1)));
}

TEST(ClusterHealthTest, ConditionsUseKubeFedReasons) {
  ClusterHealth h(1, 1);
  h.Observe(ProbeResult::kOk, T(0));
  h.Observe(ProbeResult::kUnreachable, T(10));
  rapidjson::Document d;
  rapidjson::Value c = h.Conditions(d.GetAllocator());
  EXPECT_EQ(
      json::Serialize(c),
      R"([{"type":"Ready","status":"False","reason":"ClusterNotReachable","message":"cluster is not reachable",)"
      R"("lastProbeTime":"2023-11-14T22:13:30Z","lastTransitionTime":"2023-11-14T22:13:30Z"},)"
      R"({"type":"Offline","status":"True","reason":"ClusterNotReachable","message":"cluster is not reachable",)"
      R"("lastProbeTime":"2023-11-14T22:13:30Z","lastTransitionTime":"2023-11-14T22:13:30Z"}])");
  h.Observe(ProbeResult::kOk, T(20));
  rapidjson::Value ready = h.Conditions(d.GetAllocator());
  EXPECT_EQ(json::GetString(ready[0], "reason"), "ClusterReady");
  EXPECT_EQ(json::GetString(ready[0], "message"), "/healthz responded with ok");
}

}  // namespace
}  // namespace kfed::controller
