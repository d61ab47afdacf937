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

TEST(ClusterHealthTest, SeededReadyHoldsTheFirstFailuresToTheThreshold) {
  // A restarted controller whose member the host shows Ready: one slow probe does not make
  // it offline.
  ClusterHealth h(2, 1);
  h.Seed(ProbeResult::kOk, T(-100));
  EXPECT_TRUE(h.has_published());
  EXPECT_TRUE(h.ready());
  EXPECT_FALSE(h.Observe(ProbeResult::kUnreachable, T(0), "timeout"));
  EXPECT_TRUE(h.ready());
  // The first probe that agrees is written once (this process's lastProbeTime), then no more.
  EXPECT_TRUE(h.Observe(ProbeResult::kOk, T(1)));
  EXPECT_EQ(h.last_transition(), T(-100));
  EXPECT_FALSE(h.Observe(ProbeResult::kOk, T(2)));
  EXPECT_FALSE(h.Observe(ProbeResult::kUnreachable, T(2), "timeout"));
  EXPECT_TRUE(h.Observe(ProbeResult::kUnreachable, T(3), "timeout"));
  EXPECT_FALSE(h.ready());
  EXPECT_EQ(h.detail(), "timeout");
}

TEST(ClusterHealthTest, SeedTakesOnlyReadyAndOnlyBeforeTheFirstProbe) {
  ClusterHealth failed(3, 1);
  failed.Seed(ProbeResult::kUnreachable, T(-100));
  EXPECT_FALSE(failed.has_published());
  EXPECT_TRUE(failed.Observe(ProbeResult::kOk, T(0)));  // published at once
  EXPECT_TRUE(failed.ready());

  ClusterHealth probed(3, 1);
  EXPECT_TRUE(probed.Observe(ProbeResult::kUnreachable, T(0)));
  probed.Seed(ProbeResult::kOk, T(-100));
  EXPECT_FALSE(probed.ready());

  // A malformed configuration is published at once, seeded or not.
  ClusterHealth malformed(3, 1);
  malformed.Seed(ProbeResult::kOk, T(-100));
  EXPECT_TRUE(malformed.Observe(ProbeResult::kConfigMalformed, T(0), "bad CA"));
  EXPECT_EQ(malformed.published(), ProbeResult::kConfigMalformed);
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

TEST(ClusterHealthTest, MessagesNameTheProblem) {
  ClusterHealth h(2, 1);
  rapidjson::Document d;
  EXPECT_TRUE(h.Observe(ProbeResult::kConfigMalformed, T(0), "secret \"s\" not found"));
  EXPECT_EQ(json::GetString(h.Conditions(d.GetAllocator())[0], "message"),
            "cluster's configuration may be malformed: secret \"s\" not found");
  // The configuration changed but is still malformed: the new reason is published.
  EXPECT_FALSE(h.Observe(ProbeResult::kConfigMalformed, T(1), "secret \"s\" not found"));
  EXPECT_TRUE(h.Observe(ProbeResult::kConfigMalformed, T(2), "data.token is missing"));
  EXPECT_EQ(json::GetString(h.Conditions(d.GetAllocator())[1], "message"),
            "cluster's configuration may be malformed: data.token is missing");
  // A failing probe publishes the detail of the probe that flipped the state, and keeps it
  // while the failure lasts (timings in error texts must not rewrite the status).
  EXPECT_FALSE(h.Observe(ProbeResult::kUnreachable, T(3), "certificate problem after 1 ms"));
  EXPECT_TRUE(h.Observe(ProbeResult::kUnreachable, T(4), "certificate problem after 2 ms"));
  EXPECT_FALSE(h.Observe(ProbeResult::kUnreachable, T(5), "certificate problem after 3 ms"));
  EXPECT_EQ(json::GetString(h.Conditions(d.GetAllocator())[0], "message"),
            "cluster is not reachable: certificate problem after 2 ms");
  // Healthy again: KubeFed's message alone.
  EXPECT_TRUE(h.Observe(ProbeResult::kOk, T(6), "ignored"));
  EXPECT_EQ(json::GetString(h.Conditions(d.GetAllocator())[0], "message"),
            "/healthz responded with ok");
}

}  // namespace
}  // namespace kfed::controller
