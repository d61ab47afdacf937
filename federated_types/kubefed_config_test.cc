#include "federated_types/kubefed_config.h"

#include "absl/strings/match.h"
#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::Json;

TEST(GoDurationTest, FormatsLikeGo) {
  struct Case {
    absl::Duration d;
    const char* want;
  };
  const Case cases[] = {
      {absl::ZeroDuration(), "0s"},
      {absl::Seconds(20), "20s"},
      {absl::Seconds(60), "1m0s"},
      {absl::Minutes(5), "5m0s"},
      {absl::Hours(1), "1h0m0s"},
      {absl::Seconds(90), "1m30s"},
      {absl::Milliseconds(1500), "1.5s"},
      {absl::Milliseconds(300), "300ms"},
      {absl::Microseconds(2), "2\xC2\xB5s"},
      {absl::Nanoseconds(5), "5ns"},
      {absl::Nanoseconds(1500), "1.5\xC2\xB5s"},
      {-absl::Seconds(3), "-3s"},
      {absl::Hours(2) + absl::Minutes(45) + absl::Milliseconds(10), "2h45m0.01s"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatGoDuration(c.d), c.want);
}

TEST(GoDurationTest, ParsesLikeGo) {
  EXPECT_EQ(*ParseGoDuration("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseGoDuration("1.5h"), absl::Minutes(90));
  EXPECT_EQ(*ParseGoDuration("300ms"), absl::Milliseconds(300));
  EXPECT_EQ(*ParseGoDuration("2us"), absl::Microseconds(2));
  EXPECT_EQ(*ParseGoDuration("2\xC2\xB5s"), absl::Microseconds(2));
  EXPECT_EQ(*ParseGoDuration("-1m"), -absl::Minutes(1));
  for (const char* bad : {"", "inf", "10", "5 s", "1d", "s"}) {
    EXPECT_FALSE(ParseGoDuration(bad).ok()) << bad;
  }
}

TEST(KubeFedConfigTest, DefaultsMatchKubeFed) {
  auto config = ParseKubeFedConfig(Json(R"({"metadata":{"name":"kubefed"}})"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->namespaced_scope);
  EXPECT_EQ(config->available_delay, absl::Seconds(20));
  EXPECT_EQ(config->unavailable_delay, absl::Seconds(60));
  EXPECT_EQ(config->cache_sync_timeout, absl::Minutes(5));
  EXPECT_EQ(config->lease_duration, absl::Seconds(15));
  EXPECT_EQ(config->renew_deadline, absl::Seconds(10));
  EXPECT_EQ(config->retry_period, absl::Seconds(5));
  EXPECT_EQ(config->resource_lock, "configmaps");
  EXPECT_EQ(config->health_check_period, absl::Seconds(10));
  EXPECT_EQ(config->health_check_failure_threshold, 3);
  EXPECT_EQ(config->health_check_success_threshold, 1);
  EXPECT_EQ(config->health_check_timeout, absl::Seconds(3));
  EXPECT_EQ(config->sync_max_concurrent_reconciles, 1);
  EXPECT_TRUE(config->adopt_resources);
  EXPECT_EQ(config->status_max_concurrent_reconciles, 1);
  std::vector<FeatureGate> want = {{"PushReconciler", true},
                                   {"RawResourceStatusCollection", false},
                                   {"SchedulerPreferences", true}};
  EXPECT_EQ(config->feature_gates, want);
  EXPECT_TRUE(config->FeatureEnabled("PushReconciler"));
  EXPECT_FALSE(config->FeatureEnabled("RawResourceStatusCollection"));
}

TEST(KubeFedConfigTest, GivenFieldsKeptMissingOnesDefaulted) {
  auto config = ParseKubeFedConfig(Json(R"({"spec":{
      "scope":"Namespaced",
      "controllerDuration":{"availableDelay":"30s"},
      "leaderElect":{"resourceLock":"endpoints"},
      "featureGates":[{"name":"SchedulerPreferences","configuration":"Disabled"}],
      "clusterHealthCheck":{"failureThreshold":5},
      "syncController":{"adoptResources":"Disabled"}}})"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->namespaced_scope);
  EXPECT_EQ(config->available_delay, absl::Seconds(30));
  EXPECT_EQ(config->unavailable_delay, absl::Seconds(60));
  EXPECT_EQ(config->resource_lock, "endpoints");
  EXPECT_EQ(config->health_check_failure_threshold, 5);
  EXPECT_EQ(config->health_check_success_threshold, 1);
  EXPECT_FALSE(config->adopt_resources);
  EXPECT_FALSE(config->FeatureEnabled("SchedulerPreferences"));
  EXPECT_TRUE(config->FeatureEnabled("PushReconciler"));
  EXPECT_EQ(config->feature_gates.size(), 3u);
}

TEST(KubeFedConfigTest, SerializesEveryFieldAndRoundTrips) {
  KubeFedConfig config = DefaultKubeFedConfig();
  auto json = KubeFedConfigToJson(config, "kube-federation-system");
  EXPECT_EQ(kfed::json::Serialize(json),
            R"({"apiVersion":"core.kubefed.io/v1beta1","kind":"KubeFedConfig",)"
            R"("metadata":{"name":"kubefed","namespace":"kube-federation-system"},)"
            R"("spec":{"scope":"Cluster","controllerDuration":{"availableDelay":"20s",)"
            R"("unavailableDelay":"1m0s","cacheSyncTimeout":"5m0s"},"leaderElect":)"
            R"({"leaseDuration":"15s","renewDeadline":"10s","retryPeriod":"5s",)"
            R"("resourceLock":"configmaps"},"featureGates":[{"name":"PushReconciler",)"
            R"("configuration":"Enabled"},{"name":"RawResourceStatusCollection",)"
            R"("configuration":"Disabled"},{"name":"SchedulerPreferences",)"
            R"("configuration":"Enabled"}],"clusterHealthCheck":{"period":"10s",)"
            R"("failureThreshold":3,"successThreshold":1,"timeout":"3s"},)"
            R"("syncController":{"maxConcurrentReconciles":1,"adoptResources":"Enabled"},)"
            R"("statusController":{"maxConcurrentReconciles":1}}})");
  config.namespaced_scope = true;
  config.health_check_timeout = absl::Milliseconds(2500);
  auto parsed = ParseKubeFedConfig(KubeFedConfigToJson(config, "ns"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->namespaced_scope);
  EXPECT_EQ(parsed->health_check_timeout, absl::Milliseconds(2500));
}

TEST(KubeFedConfigTest, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  const Case cases[] = {
      {R"({"spec":{"scope":"Global"}})", "spec.scope"},
      {R"({"spec":{"controllerDuration":{"availableDelay":"soon"}}})",
       "spec.controllerDuration.availableDelay"},
      {R"({"spec":{"controllerDuration":{"availableDelay":20}}})",
       "spec.controllerDuration.availableDelay"},
      {R"({"spec":{"controllerDuration":{"unavailableDelay":"0s"}}})",
       "spec.controllerDuration.unavailableDelay"},
      {R"({"spec":{"leaderElect":{"leaseDuration":"10s"}}})", "spec.leaderElect.leaseDuration"},
      {R"({"spec":{"leaderElect":{"retryPeriod":"9s"}}})", "spec.leaderElect.renewDeadline"},
      {R"({"spec":{"leaderElect":{"resourceLock":"etcd"}}})", "spec.leaderElect.resourceLock"},
      {R"({"spec":{"featureGates":[{"name":"Teleport","configuration":"Enabled"}]}})",
       "spec.featureGates.name"},
      {R"({"spec":{"featureGates":[{"name":"PushReconciler","configuration":"Enabled"},
                                   {"name":"PushReconciler","configuration":"Disabled"}]}})",
       "spec.featureGates.name"},
      {R"({"spec":{"featureGates":[{"name":"PushReconciler","configuration":"On"}]}})",
       "spec.featureGates[0].configuration"},
      {R"({"spec":{"clusterHealthCheck":{"successThreshold":0}}})",
       "spec.clusterHealthCheck.successThreshold"},
      {R"({"spec":{"clusterHealthCheck":{"period":"1.5"}}})", "spec.clusterHealthCheck.period"},
      {R"({"spec":{"syncController":{"adoptResources":"Yes"}}})",
       "spec.syncController.adoptResources"},
      {R"({"spec":{"syncController":{"maxConcurrentReconciles":"2"}}})",
       "spec.syncController.maxConcurrentReconciles"},
      {R"({"spec":{"statusController":[]}})", "spec.statusController"},
  };
  for (const Case& c : cases) {
    auto config = ParseKubeFedConfig(Json(c.json));
    ASSERT_FALSE(config.ok()) << c.json;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(config.status().message(), c.field))
        << config.status() << " want " << c.field;
  }
}

}  // namespace
}  // namespace kfed::federated_types
