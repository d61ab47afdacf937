#include "controller/pod_analysis.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Json;

// 2024-05-01T12:00:00Z
const absl::Time kNow = absl::FromUnixSeconds(1714564800);

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

std::string RunningPod(const char* ready_status = "True") {
  return absl::StrCat(R"({"metadata":{"name":"run"},"status":{"phase":"Running","conditions":[)",
                      R"({"type":"PodScheduled","status":"True"},)",
                      R"({"type":"Ready","status":")", ready_status, R"("}]}})");
}

std::string UnschedulablePod(absl::Duration ago, const char* phase = "Pending") {
  return absl::StrCat(R"({"metadata":{"name":"wait"},"status":{"phase":")", phase,
                      R"(","conditions":[{"type":"PodScheduled","status":"False",)",
                      R"("reason":"Unschedulable","lastTransitionTime":")", Rfc3339(kNow - ago),
                      R"("}]}})");
}

std::string Array(const std::vector<std::string>& pods) {
  return absl::StrCat("[", absl::StrJoin(pods, ","), "]");
}

TEST(PodAnalysisTest, Table) {
  struct Case {
    const char* name;
    std::string pods;
    int64_t total, running_and_ready, unschedulable;
    bool needs_recheck;
  };
  const std::string other =
      R"({"metadata":{"name":"other"},"status":{"phase":"Pending","conditions":[]}})";
  const Case cases[] = {
      // KubeFed's pod_helper_test.go TestAnalyze.
      {"kubefed: 3 running, 2 unschedulable long, 1 just now",
       Array({RunningPod(), RunningPod(), RunningPod(), UnschedulablePod(absl::Minutes(10)),
              UnschedulablePod(absl::Minutes(10)), UnschedulablePod(absl::ZeroDuration())}),
       6, 3, 2, true},
      {"kubefed: other pending pod", Array({other}), 1, 0, 0, false},
      // The threshold is strict: exactly 60 s is not yet longer than it.
      {"at the threshold", Array({UnschedulablePod(absl::Seconds(60))}), 1, 0, 0, true},
      {"past the threshold", Array({UnschedulablePod(absl::Seconds(61))}), 1, 0, 1, false},
      {"all unschedulable long", Array({UnschedulablePod(absl::Hours(1))}), 1, 0, 1, false},
      // KubeFed counts a Ready condition of a running pod whatever its status.
      {"running but not ready counts", Array({RunningPod("False")}), 1, 1, 0, false},
      {"running pod's unschedulable condition is ignored",
       Array({UnschedulablePod(absl::Hours(1), "Running")}), 1, 0, 0, false},
      {"failed pod unschedulable counts", Array({UnschedulablePod(absl::Hours(1), "Failed")}), 1, 0,
       1, false},
      {"no lastTransitionTime is long ago",
       R"([{"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable"}]}}])",
       1, 0, 1, false},
      {"scheduled false for another reason",
       R"([{"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulerError"}]}}])",
       1, 0, 0, false},
      {"pending without conditions, no status", R"([{"status":{"phase":"Pending"}},{}])", 2, 0, 0,
       false},
      {"pod list", absl::StrCat(R"({"kind":"PodList","items":)", Array({RunningPod(), other}), "}"),
       2, 1, 0, false},
      {"empty pod list", R"({"kind":"PodList","items":null})", 0, 0, 0, false},
      {"offset time",
       R"([{"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","lastTransitionTime":"2024-05-01T13:58:30+02:00"}]}}])",
       1, 0, 1, false},
  };
  for (const Case& c : cases) {
    auto result = AnalyzePods(Json(c.pods), kNow);
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.status();
    EXPECT_EQ(result->total, c.total) << c.name;
    EXPECT_EQ(result->running_and_ready, c.running_and_ready) << c.name;
    EXPECT_EQ(result->unschedulable, c.unschedulable) << c.name;
    EXPECT_EQ(result->needs_recheck(), c.needs_recheck) << c.name;
  }
}

TEST(PodAnalysisTest, MalformedPods) {
  struct Case {
    const char* name;
    const char* pods;
    const char* want;
  };
  const Case cases[] = {
      {"not a list", R"("pods")", "pods: must be a PodList or an array of Pods"},
      {"pod not an object", R"([1])", "pods[0]: must be an object"},
      {"bad time",
       R"([{"metadata":{"name":"web-1"},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","lastTransitionTime":"yesterday"}]}}])",
       "pods[0] (web-1).status.conditions[0].lastTransitionTime: not an RFC 3339 time"},
      {"empty time",
       R"([{"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","lastTransitionTime":""}]}}])",
       "pods[0].status.conditions[0].lastTransitionTime: not an RFC 3339 time"},
      {"phase not a string", R"([{"status":{"phase":3}}])",
       "pods[0].status.phase: must be a string"},
      {"conditions not an array", R"([{"status":{"conditions":{}}}])",
       "pods[0].status.conditions: must be an array"},
  };
  for (const Case& c : cases) {
    auto result = AnalyzePods(Json(c.pods), kNow);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(absl::StartsWith(result.status().message(), c.want))
        << c.name << ": " << result.status();
  }
}

TEST(PodAnalysisTest, WorkloadReplicas) {
  auto both = ReadWorkloadReplicas(Json(R"({"spec":{"replicas":5},"status":{"readyReplicas":3}})"));
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->replicas, 5);
  EXPECT_EQ(both->ready_replicas, 3);
  EXPECT_TRUE(both->NeedsPodAnalysis());

  // Absent fields are 0: a member scaled to 0 (no readyReplicas) needs no pods.
  auto none = ReadWorkloadReplicas(Json(R"({"spec":{"replicas":0},"status":{}})"));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->replicas, 0);
  EXPECT_EQ(none->ready_replicas, 0);
  EXPECT_FALSE(none->NeedsPodAnalysis());

  auto bad = ReadWorkloadReplicas(Json(R"({"spec":{"replicas":"3"}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "spec.replicas: must be an integer");
  bad = ReadWorkloadReplicas(Json(R"({"status":{"readyReplicas":1.5}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "status.readyReplicas: must be an integer");
}

TEST(PodAnalysisTest, PodSelectorLabels) {
  auto labels = PodSelectorLabels(Json(
      R"({"spec":{"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"x","operator":"Exists"}]}}})"));
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(*labels, (k8s::Labels{{"app", "web"}}));

  auto all = PodSelectorLabels(Json(R"({"spec":{"selector":{"matchLabels":{}}}})"));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_TRUE(all->empty());

  auto missing = PodSelectorLabels(
      Json(R"({"spec":{"selector":{"matchExpressions":[{"key":"x","operator":"Exists"}]}}})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "missing selector on object");

  auto bad = PodSelectorLabels(Json(R"({"spec":{"selector":{"matchLabels":{"app":1}}}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "spec.selector.matchLabels: "))
      << bad.status();
}

TEST(PodAnalysisTest, DescribeMemberStates) {
  EXPECT_EQ(DescribeMemberStates({}, {}), "no member holds the workload");
  MemberReplicaState full;
  full.current_replicas = 2;
  full.estimated_capacity = 2;
  MemberReplicaState fresh;
  EXPECT_EQ(DescribeMemberStates({{"member1", full}, {"member2", fresh}},
                                 {{"member1", WorkloadReplicas{3, 2}}}),
            "member1 running 2 of 3/2 (spec/ready), capacity 2; member2 running 0");
}

TEST(PodAnalysisTest, EstimateMemberReplicas) {
  struct Case {
    const char* name;
    WorkloadReplicas workload;
    PodAnalysis pods;
    MemberReplicaState want;
  };
  auto pods = [](int64_t running, int64_t unschedulable, int64_t unschedulable_now) {
    PodAnalysis p;
    p.running_and_ready = running;
    p.unschedulable = unschedulable;
    p.unschedulable_now = unschedulable_now;
    p.total = running + unschedulable_now;
    return p;
  };
  auto state = [](int64_t current, std::optional<int64_t> capacity, bool recheck) {
    MemberReplicaState s;
    s.current_replicas = current;
    s.estimated_capacity = capacity;
    s.needs_recheck = recheck;
    return s;
  };
  const Case cases[] = {
      {"all ready: pods not looked at", {4, 4}, pods(0, 3, 3), state(4, std::nullopt, false)},
      {"not all ready, none unschedulable", {5, 3}, pods(3, 0, 0), state(3, std::nullopt, false)},
      {"unschedulable long: capacity", {5, 3}, pods(3, 2, 2), state(3, 3, false)},
      {"unschedulable briefly: recheck, no capacity yet",
       {5, 3},
       pods(3, 0, 2),
       state(3, std::nullopt, true)},
      {"some long, some briefly", {5, 2}, pods(2, 1, 3), state(2, 4, true)},
      // Pods of the old ReplicaSet in a rollout match the selector too.
      {"capacity below zero is kept", {2, 0}, pods(0, 3, 3), state(0, -1, false)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EstimateMemberReplicas(c.workload, &c.pods), c.want) << c.name;
  }
  EXPECT_EQ(EstimateMemberReplicas({3, 3}, nullptr), state(3, std::nullopt, false));
}

}  // namespace
}  // namespace kfed::controller
