#include "controller/kubefed_config_status.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/kubefed_resources.h"
#include "federated_types/kubefed_config.h"
#include "kube/client_fake.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Json;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);  // 2027-01-15T08:00:00Z
const absl::Time kT1 = kT0 + absl::Minutes(5);

const rapidjson::Value* Condition(const rapidjson::Value& object) {
  const rapidjson::Value* conditions = json::FindPath(object, {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return nullptr;
  for (const rapidjson::Value& c : conditions->GetArray()) {
    if (json::GetString(c, "type") == "SettingsHonoured") return &c;
  }
  return nullptr;
}

TEST(IgnoredSettingsTest, TheTwoClusterDelaysWithTheirValues) {
  ft::KubeFedConfig config = ft::DefaultKubeFedConfig();
  config.unavailable_delay = absl::Seconds(90);
  const std::vector<ft::IgnoredSetting> ignored = ft::IgnoredSettings(config);
  ASSERT_EQ(ignored.size(), 2u);
  EXPECT_EQ(ignored[0].field, "controllerDuration.availableDelay");
  EXPECT_EQ(ignored[0].value, "20s");
  EXPECT_EQ(ignored[1].field, "controllerDuration.unavailableDelay");
  EXPECT_EQ(ignored[1].value, "1m30s");
  EXPECT_EQ(IgnoredSettingsMessage(ignored),
            "controllerDuration.availableDelay (20s) is not applied: kfed re-plans the moment a "
            "cluster's readiness changes (KubeFed waited this long before re-processing every "
            "object); controllerDuration.unavailableDelay (1m30s) is not applied: kfed re-plans "
            "the moment a cluster's readiness changes (KubeFed waited this long before "
            "re-processing every object)");
}

TEST(ComputeSettingsStatusTest, WritesTheConditionOnceAndKeepsOtherConditions) {
  const std::vector<ft::IgnoredSetting> ignored =
      ft::IgnoredSettings(ft::DefaultKubeFedConfig());
  rapidjson::Document object = Json(R"({"metadata":{"name":"kubefed","generation":3},
      "spec":{"scope":"Cluster"},
      "status":{"conditions":[{"type":"Other","status":"True"}]}})");
  SettingsStatus first = ComputeSettingsStatus(object, ignored, kT0);
  EXPECT_TRUE(first.changed);
  EXPECT_FALSE(first.honoured);
  const rapidjson::Value* c = Condition(first.object);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(json::GetString(*c, "status"), "False");
  EXPECT_EQ(json::GetString(*c, "reason"), "IgnoredFields");
  EXPECT_EQ(json::GetString(*c, "message"), IgnoredSettingsMessage(ignored));
  EXPECT_EQ(json::GetString(*c, "lastTransitionTime"), "2027-01-15T08:00:00Z");
  EXPECT_EQ((*c)["observedGeneration"].GetInt64(), 3);
  EXPECT_EQ(first.object["status"]["conditions"].Size(), 2u) << "the other condition is kept";
  EXPECT_EQ(json::Serialize(first.object["spec"]), R"({"scope":"Cluster"})");

  // Read again (a restart): nothing to write, no Event.
  SettingsStatus again = ComputeSettingsStatus(first.object, ignored, kT1);
  EXPECT_FALSE(again.changed);

  // A new generation (someone edited the spec): rewritten, the transition time kept.
  first.object["metadata"]["generation"].SetInt64(4);
  SettingsStatus edited = ComputeSettingsStatus(first.object, ignored, kT1);
  EXPECT_TRUE(edited.changed);
  EXPECT_EQ(json::GetString(*Condition(edited.object), "lastTransitionTime"),
            "2027-01-15T08:00:00Z");
  EXPECT_EQ((*Condition(edited.object))["observedGeneration"].GetInt64(), 4);

  // Nothing ignored: True, and the transition moves.
  SettingsStatus honoured = ComputeSettingsStatus(edited.object, {}, kT1);
  EXPECT_TRUE(honoured.changed);
  EXPECT_TRUE(honoured.honoured);
  EXPECT_EQ(json::GetString(*Condition(honoured.object), "status"), "True");
  EXPECT_EQ(json::GetString(*Condition(honoured.object), "reason"), "AllFieldsHonoured");
  EXPECT_EQ(json::GetString(*Condition(honoured.object), "lastTransitionTime"),
            "2027-01-15T08:05:00Z");
}

TEST(ComputeSettingsStatusTest, MalformedStatusIsReplacedNotTrusted) {
  rapidjson::Document object =
      Json(R"({"metadata":{"name":"kubefed","generation":1},"status":{"conditions":"bogus"}})");
  SettingsStatus s = ComputeSettingsStatus(object, ft::IgnoredSettings(ft::DefaultKubeFedConfig()),
                                           kT0);
  EXPECT_TRUE(s.changed);
  ASSERT_NE(Condition(s.object), nullptr);
  EXPECT_EQ(s.object["status"]["conditions"].Size(), 1u);
}

class ReportSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rapidjson::Document config =
        ft::KubeFedConfigToJson(ft::DefaultKubeFedConfig(), "kube-federation-system");
    ASSERT_TRUE(host_.Create(KubeFedConfigsResource(), "kube-federation-system", config, {}).ok());
  }
  kube::FakeClient host_;
};

TEST_F(ReportSettingsTest, WritesTheStatusOnceAndNamesTheKubeFedConfigOnErrors) {
  absl::StatusOr<SettingsStatus> first = ReportSettings(
      host_, "kube-federation-system", ft::DefaultKubeFedConfig(), kT0, "kfed");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->changed);
  auto stored = host_.Get(KubeFedConfigsResource(), "kube-federation-system", "kubefed");
  ASSERT_TRUE(stored.ok());
  const rapidjson::Value* c = Condition(**stored);
  ASSERT_NE(c, nullptr) << json::Serialize(**stored);
  EXPECT_EQ(json::GetString(*c, "reason"), "IgnoredFields");
  EXPECT_EQ(json::GetString(first->object["metadata"], "name"), "kubefed");

  absl::StatusOr<SettingsStatus> second = ReportSettings(
      host_, "kube-federation-system", ft::DefaultKubeFedConfig(), kT1, "kfed");
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->changed) << "a restart writes nothing";

  // A conflict is retried; a refusal is returned naming the object.
  ft::KubeFedConfig changed = ft::DefaultKubeFedConfig();
  changed.available_delay = absl::Seconds(7);
  host_.InjectError("updatestatus", "", kube::ConflictError("the object has been modified"));
  absl::StatusOr<SettingsStatus> retried =
      ReportSettings(host_, "kube-federation-system", changed, kT1, "kfed");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_NE(retried->message.find("availableDelay (7s)"), std::string::npos);

  changed.available_delay = absl::Seconds(8);
  host_.InjectError("updatestatus", "",
                    absl::PermissionDeniedError("kubefedconfigs.core.kubefed.io \"kubefed\" is "
                                                "forbidden"));
  absl::StatusOr<SettingsStatus> refused =
      ReportSettings(host_, "kube-federation-system", changed, kT1, "kfed");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "writing the status of KubeFedConfig kube-federation-system/kubefed: "
            "kubefedconfigs.core.kubefed.io \"kubefed\" is forbidden");
}

}  // namespace
}  // namespace kfed::controller
