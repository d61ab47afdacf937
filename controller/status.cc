#include "controller/status.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"

namespace kfed::controller {
namespace {

constexpr char kPropagation[] = "Propagation";
constexpr char kCheckClusters[] = "CheckClusters";

// KubeFed's CheckClusters rule with RawResourceStatusCollection: a propagated cluster whose
// member object has no `status` does not count as done.
bool MissesRemoteStatus(const StatusInput& input, const ClusterOutcome& outcome) {
  return input.collect_remote_status && outcome.status.empty() &&
         (outcome.remote_status == nullptr || outcome.remote_status->IsNull());
}

// Whether the remote status to write (`want`, may be null) differs from the one written
// (`have`, may be null). JSON equality: member order and number representation do not matter.
bool RemoteStatusDiffers(const rapidjson::Value* have, const rapidjson::Value* want) {
  const bool have_one = have != nullptr && !have->IsNull();
  const bool want_one = want != nullptr && !want->IsNull();
  if (have_one != want_one) return true;
  return have_one && !(*have == *want);
}

std::string DeriveMessageWithoutNote(const StatusInput& input, const std::string& reason) {
  if (!input.aggregate_message.empty()) return input.aggregate_message;
  if (reason != kCheckClusters) return "";
  std::vector<std::string> failing;
  for (const auto& [name, outcome] : input.clusters) {
    if (!outcome.status.empty()) {
      failing.push_back(absl::StrCat(name, ": ", outcome.status));
    } else if (MissesRemoteStatus(input, outcome)) {
      failing.push_back(absl::StrCat(name, ": no remote status"));
    }
  }
  return absl::StrCat(failing.size(), " of ", input.clusters.size(), " clusters not propagated (",
                      absl::StrJoin(failing, ", "), ")");
}

std::string DeriveMessage(const StatusInput& input, const std::string& reason) {
  std::string message = DeriveMessageWithoutNote(input, reason);
  if (input.note.empty()) return message;
  return message.empty() ? input.note : absl::StrCat(message, "; ", input.note);
}

bool ClustersDiffer(const rapidjson::Value* current, const StatusInput& input) {
  const rapidjson::Value* clusters = current ? json::Find(*current, "clusters") : nullptr;
  size_t have = clusters && clusters->IsArray() ? clusters->Size() : 0;
  if (have != input.clusters.size()) return true;
  if (have == 0) return false;
  for (const rapidjson::Value& c : clusters->GetArray()) {
    auto it = input.clusters.find(json::GetString(c, "name"));
    if (it == input.clusters.end()) return true;
    if (json::GetString(c, "status") != it->second.status) return true;
    if (json::GetString(c, "message") != it->second.message) return true;
    if (RemoteStatusDiffers(json::Find(c, "remoteStatus"), it->second.remote_status)) return true;
  }
  return false;
}

}  // namespace

std::string FormatKubeTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

StatusUpdate ComputeStatus(const rapidjson::Value* current, const StatusInput& input) {
  if (current != nullptr && !current->IsObject()) current = nullptr;
  StatusUpdate update;
  rapidjson::Document& out = update.status;
  out.SetObject();
  auto& alloc = out.GetAllocator();
  if (current != nullptr) out.CopyFrom(*current, alloc);

  // observedGeneration.
  const rapidjson::Value* gen = current ? json::Find(*current, "observedGeneration") : nullptr;
  bool generation_updated =
      gen == nullptr || !gen->IsInt64() || gen->GetInt64() != input.generation;
  json::Set(out, "observedGeneration", rapidjson::Value(static_cast<int64_t>(input.generation)),
            alloc);

  std::string reason = input.aggregate_reason;
  if (reason.empty()) {
    for (const auto& [name, outcome] : input.clusters) {
      if (!outcome.status.empty() || MissesRemoteStatus(input, outcome)) {
        reason = kCheckClusters;
        break;
      }
    }
  }
  std::string message = DeriveMessage(input, reason);

  // status.clusters, sorted by name.
  bool clusters_changed = ClustersDiffer(current, input);
  if (clusters_changed) {
    rapidjson::Value clusters(rapidjson::kArrayType);
    for (const auto& [name, outcome] : input.clusters) {
      rapidjson::Value c(rapidjson::kObjectType);
      json::SetString(c, "name", name, alloc);
      if (!outcome.status.empty()) json::SetString(c, "status", outcome.status, alloc);
      if (!outcome.message.empty()) json::SetString(c, "message", outcome.message, alloc);
      if (outcome.remote_status != nullptr && !outcome.remote_status->IsNull()) {
        json::Set(c, "remoteStatus", *outcome.remote_status, alloc);
      }
      clusters.PushBack(c, alloc);
    }
    if (clusters.Empty()) {
      json::Remove(out, "clusters");
    } else {
      json::Set(out, "clusters", clusters, alloc);
    }
  }

  // The Propagation condition.
  rapidjson::Value* existing = json::FindMutable(out, "conditions");
  if (existing == nullptr || !existing->IsArray()) {
    json::Set(out, "conditions", rapidjson::Value(rapidjson::kArrayType), alloc);
  }
  rapidjson::Value& conditions = *json::FindMutable(out, "conditions");
  rapidjson::Value* condition = nullptr;
  for (rapidjson::Value& c : conditions.GetArray()) {
    if (json::GetString(c, "type") == kPropagation) condition = &c;
  }
  bool new_condition = condition == nullptr;
  if (new_condition) {
    rapidjson::Value c(rapidjson::kObjectType);
    json::SetString(c, "type", kPropagation, alloc);
    conditions.PushBack(c, alloc);
    condition = &conditions[conditions.Size() - 1];
  }
  const std::string new_status = reason.empty() ? "True" : "False";
  const std::string now = FormatKubeTime(input.now);
  bool transition = new_condition || json::GetString(*condition, "status") != new_status ||
                    json::GetString(*condition, "reason") != reason;
  bool message_changed = json::GetString(*condition, "message") != message;
  if (transition) {
    json::SetString(*condition, "status", new_status, alloc);
    if (reason.empty()) {
      json::Remove(*condition, "reason");
    } else {
      json::SetString(*condition, "reason", reason, alloc);
    }
    json::SetString(*condition, "lastTransitionTime", now, alloc);
  }
  if (message_changed) {
    if (message.empty()) {
      json::Remove(*condition, "message");
    } else {
      json::SetString(*condition, "message", message, alloc);
    }
  }
  bool update_required =
      transition || clusters_changed || message_changed || input.resources_updated;
  if (update_required) json::SetString(*condition, "lastUpdateTime", now, alloc);

  update.changed = generation_updated || update_required;
  return update;
}

}  // namespace kfed::controller
