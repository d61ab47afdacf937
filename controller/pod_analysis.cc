#include "controller/pod_analysis.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/status_macros.h"

namespace kfed::controller {
namespace {

using rapidjson::Value;

absl::Status Invalid(absl::string_view where, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
}

// object[name] as a string: absent or null is "", another type an error.
absl::StatusOr<std::string> StringField(const Value& object, absl::string_view name,
                                        absl::string_view where) {
  const Value* v = json::Find(object, name);
  if (v == nullptr || v->IsNull()) return std::string();
  if (!v->IsString()) return Invalid(absl::StrCat(where, ".", name), "must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

// A metav1.Time: absent or null is the zero time (long ago), else RFC 3339.
absl::StatusOr<absl::Time> TimeField(const Value& object, absl::string_view name,
                                     absl::string_view where) {
  const Value* v = json::Find(object, name);
  if (v == nullptr || v->IsNull()) return absl::InfinitePast();
  const std::string field = absl::StrCat(where, ".", name);
  if (!v->IsString()) return Invalid(field, "must be a string");
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(v->GetString(), v->GetStringLength()), &t,
                       &error)) {
    return Invalid(field, absl::StrCat("not an RFC 3339 time: ", error));
  }
  return t;
}

// object[name] as an int64: absent or null is 0.
absl::StatusOr<int64_t> IntField(const Value& object, absl::string_view name,
                                 absl::string_view where) {
  const Value* v = json::Find(object, name);
  if (v == nullptr || v->IsNull()) return 0;
  if (!v->IsInt64()) return Invalid(absl::StrCat(where, ".", name), "must be an integer");
  return v->GetInt64();
}

absl::Status AnalyzePod(const Value& pod, absl::string_view where, absl::Time now,
                        PodAnalysis* result) {
  if (!pod.IsObject()) return Invalid(where, "must be an object");
  ++result->total;
  const Value* status = json::Find(pod, "status");
  if (status == nullptr || status->IsNull()) return absl::OkStatus();
  const std::string status_path = absl::StrCat(where, ".status");
  if (!status->IsObject()) return Invalid(status_path, "must be an object");
  ASSIGN_OR_RETURN(const std::string phase, StringField(*status, "phase", status_path));
  const Value* conditions = json::Find(*status, "conditions");
  if (conditions == nullptr || conditions->IsNull()) return absl::OkStatus();
  if (!conditions->IsArray()) {
    return Invalid(absl::StrCat(status_path, ".conditions"), "must be an array");
  }
  const bool running = phase == "Running";
  for (rapidjson::SizeType i = 0; i < conditions->Size(); ++i) {
    const Value& condition = (*conditions)[i];
    const std::string path = absl::StrCat(status_path, ".conditions[", i, "]");
    if (!condition.IsObject()) return Invalid(path, "must be an object");
    ASSIGN_OR_RETURN(const std::string type, StringField(condition, "type", path));
    ASSIGN_OR_RETURN(const std::string condition_status, StringField(condition, "status", path));
    ASSIGN_OR_RETURN(const std::string reason, StringField(condition, "reason", path));
    ASSIGN_OR_RETURN(const absl::Time since, TimeField(condition, "lastTransitionTime", path));
    if (running) {
      if (type == "Ready") ++result->running_and_ready;  // whatever its status (KubeFed)
    } else if (type == "PodScheduled" && condition_status == "False" && reason == "Unschedulable") {
      ++result->unschedulable_now;
      if (since + kUnschedulableThreshold < now) ++result->unschedulable;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PodAnalysis> AnalyzePods(const Value& pods, absl::Time now) {
  const Value* items = &pods;
  if (pods.IsObject()) {
    items = json::Find(pods, "items");
    if (items == nullptr || items->IsNull()) return PodAnalysis();
  }
  if (!items->IsArray()) return Invalid("pods", "must be a PodList or an array of Pods");
  PodAnalysis result;
  for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
    const Value& pod = (*items)[i];
    std::string where = absl::StrCat("pods[", i, "]");
    if (const Value* metadata = json::Find(pod, "metadata")) {
      const std::string name = json::GetString(*metadata, "name");
      if (!name.empty()) absl::StrAppend(&where, " (", name, ")");
    }
    RETURN_IF_ERROR(AnalyzePod(pod, where, now, &result));
  }
  return result;
}

absl::StatusOr<WorkloadReplicas> ReadWorkloadReplicas(const Value& member_object) {
  WorkloadReplicas result;
  if (const Value* spec = json::Find(member_object, "spec")) {
    ASSIGN_OR_RETURN(result.replicas, IntField(*spec, "replicas", "spec"));
  }
  if (const Value* status = json::Find(member_object, "status")) {
    ASSIGN_OR_RETURN(result.ready_replicas, IntField(*status, "readyReplicas", "status"));
  }
  return result;
}

absl::StatusOr<k8s::Labels> PodSelectorLabels(const Value& member_object) {
  const Value* match_labels = json::FindPath(member_object, {"spec", "selector", "matchLabels"});
  if (match_labels == nullptr || match_labels->IsNull()) {
    return absl::InvalidArgumentError("missing selector on object");
  }
  auto labels = k8s::LabelsFromJson(match_labels);
  if (!labels.ok()) {
    return Invalid("spec.selector.matchLabels", labels.status().message());
  }
  return labels;
}

MemberReplicaState EstimateMemberReplicas(const WorkloadReplicas& workload,
                                          const PodAnalysis* pods) {
  MemberReplicaState state;
  if (!workload.NeedsPodAnalysis()) {
    state.current_replicas = workload.ready_replicas;
    return state;
  }
  CHECK(pods != nullptr) << "the member's pods must be analyzed when replicas != readyReplicas";
  state.current_replicas = pods->running_and_ready;
  if (pods->unschedulable > 0) {
    state.estimated_capacity = workload.replicas - pods->unschedulable;
  }
  state.needs_recheck = pods->needs_recheck();
  return state;
}

std::string DescribeMemberStates(const std::map<std::string, MemberReplicaState>& members,
                                 const std::map<std::string, WorkloadReplicas>& seen) {
  std::vector<std::string> parts;
  for (const auto& [cluster, state] : members) {
    std::string part = absl::StrCat(cluster, " running ", state.current_replicas);
    auto it = seen.find(cluster);
    if (it != seen.end()) {
      absl::StrAppend(&part, " of ", it->second.replicas, "/", it->second.ready_replicas,
                      " (spec/ready)");
    }
    if (state.estimated_capacity) absl::StrAppend(&part, ", capacity ", *state.estimated_capacity);
    parts.push_back(std::move(part));
  }
  return parts.empty() ? "no member holds the workload" : absl::StrJoin(parts, "; ");
}

}  // namespace kfed::controller
