#include "controller/kubefed_config_status.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/status.h"
#include "federated_types/keys.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

namespace {

constexpr int kWriteAttempts = 3;
constexpr absl::string_view kAllHonouredMessage = "every field of this KubeFedConfig takes effect";

int64_t Generation(const rapidjson::Value& object) {
  const rapidjson::Value* g = json::FindPath(object, {"metadata", "generation"});
  return g != nullptr && g->IsInt64() ? g->GetInt64() : 0;
}

}  // namespace

std::string IgnoredSettingsMessage(const std::vector<ft::IgnoredSetting>& ignored) {
  std::string message;
  for (const ft::IgnoredSetting& s : ignored) {
    absl::StrAppend(&message, message.empty() ? "" : "; ", s.field, " (", s.value,
                    ") is not applied: ", s.why);
  }
  return message;
}

SettingsStatus ComputeSettingsStatus(const rapidjson::Value& kubefedconfig,
                                     const std::vector<ft::IgnoredSetting>& ignored,
                                     absl::Time now) {
  SettingsStatus out;
  out.honoured = ignored.empty();
  out.message = out.honoured ? std::string(kAllHonouredMessage) : IgnoredSettingsMessage(ignored);
  const std::string status = out.honoured ? "True" : "False";
  const absl::string_view reason =
      out.honoured ? ft::kAllFieldsHonouredReason : ft::kIgnoredFieldsReason;
  const int64_t generation = Generation(kubefedconfig);

  out.object = json::Clone(kubefedconfig);
  auto& a = out.object.GetAllocator();
  rapidjson::Value& st = json::EnsureObject(out.object, "status", a);
  rapidjson::Value* conditions = json::FindMutable(st, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) {
    json::Set(st, "conditions", rapidjson::Value(rapidjson::kArrayType), a);
    conditions = json::FindMutable(st, "conditions");
  }
  rapidjson::Value* existing = nullptr;
  for (rapidjson::Value& c : conditions->GetArray()) {
    if (json::GetString(c, "type") == ft::kSettingsHonouredCondition) existing = &c;
  }
  if (existing != nullptr) {
    const rapidjson::Value* observed = json::Find(*existing, "observedGeneration");
    const bool same =
        json::GetString(*existing, "status") == status &&
        json::GetString(*existing, "reason") == reason &&
        json::GetString(*existing, "message") == out.message &&
        observed != nullptr && observed->IsInt64() && observed->GetInt64() == generation &&
        !json::GetString(*existing, "lastTransitionTime").empty();
    if (same) return out;
  }
  out.changed = true;
  const std::string transition =
      existing != nullptr && json::GetString(*existing, "status") == status &&
              !json::GetString(*existing, "lastTransitionTime").empty()
          ? json::GetString(*existing, "lastTransitionTime")
          : FormatKubeTime(now);
  rapidjson::Value condition(rapidjson::kObjectType);
  json::SetString(condition, "type", ft::kSettingsHonouredCondition, a);
  json::SetString(condition, "status", status, a);
  json::SetString(condition, "reason", reason, a);
  json::SetString(condition, "message", out.message, a);
  json::SetString(condition, "lastTransitionTime", transition, a);
  json::Set(condition, "observedGeneration", rapidjson::Value(generation), a);
  if (existing != nullptr) {
    *existing = std::move(condition);
  } else {
    conditions->PushBack(std::move(condition), a);
  }
  return out;
}

absl::StatusOr<SettingsStatus> ReportSettings(kube::Client& host,
                                              const std::string& kubefed_namespace,
                                              const ft::KubeFedConfig& config, absl::Time now,
                                              const std::string& field_manager) {
  const kube::GroupVersionResource gvr = KubeFedConfigsResource();
  const std::string qualified = absl::StrCat(kubefed_namespace, "/", ft::kKubeFedConfigName);
  const std::vector<ft::IgnoredSetting> ignored = ft::IgnoredSettings(config);
  absl::Status last;
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    absl::StatusOr<kube::ObjectPtr> current =
        host.Get(gvr, kubefed_namespace, ft::kKubeFedConfigName);
    if (!current.ok()) {
      return absl::Status(current.status().code(),
                          absl::StrCat("reading KubeFedConfig ", qualified, ": ",
                                       current.status().message()));
    }
    SettingsStatus computed = ComputeSettingsStatus(**current, ignored, now);
    if (!computed.changed) return computed;
    absl::StatusOr<kube::ObjectPtr> written =
        host.UpdateStatus(gvr, kubefed_namespace, computed.object, {field_manager});
    if (written.ok()) {
      computed.object = json::Clone(**written);
      return computed;
    }
    last = written.status();
    if (!kube::IsConflict(last)) break;
  }
  return absl::Status(last.code(), absl::StrCat("writing the status of KubeFedConfig ", qualified,
                                                ": ", last.message()));
}

}  // namespace kfed::controller
