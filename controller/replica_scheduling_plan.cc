#include "controller/replica_scheduling_plan.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "overrides/overrides.h"

namespace kfed::controller {
namespace {

using rapidjson::Value;
namespace ft = ::kfed::federated_types;

absl::Status Invalid(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

// spec.placement.clusters names as written (nullopt: absent or null), KubeFed's
// GetClusterNames. Only the list is read, so a bad clusterSelector does not stop scheduling
// without intersectWithClusterSelector (it is the sync controller's to report).
absl::StatusOr<std::optional<std::vector<std::string>>> PlacementClusterNames(
    const Value& federated_object) {
  const Value* spec = json::Find(federated_object, "spec");
  if (spec == nullptr || spec->IsNull()) return std::nullopt;
  if (!spec->IsObject()) return Invalid("spec", "must be an object");
  const Value* placement = json::Find(*spec, "placement");
  if (placement == nullptr || placement->IsNull()) return std::nullopt;
  if (!placement->IsObject()) return Invalid("spec.placement", "must be an object");
  const Value* clusters = json::Find(*placement, "clusters");
  if (clusters == nullptr || clusters->IsNull()) return std::nullopt;
  if (!clusters->IsArray()) return Invalid("spec.placement.clusters", "must be an array");
  std::vector<std::string> names;
  for (rapidjson::SizeType i = 0; i < clusters->Size(); ++i) {
    const Value& c = (*clusters)[i];
    const Value* name = c.IsNull() ? nullptr : json::Find(c, "name");
    if (!c.IsNull() && !c.IsObject()) {
      return Invalid(absl::StrCat("spec.placement.clusters[", i, "]"),
                     "must be an object with a name");
    }
    if (name != nullptr && !name->IsNull() && !name->IsString()) {
      return Invalid(absl::StrCat("spec.placement.clusters[", i, "].name"), "must be a string");
    }
    names.push_back(name != nullptr && name->IsString()
                        ? std::string(name->GetString(), name->GetStringLength())
                        : std::string());
  }
  return names;
}

// One spec.overrides entry as KubeFed's GetOverrides reads it.
struct OverrideEntry {
  std::string cluster;
  rapidjson::SizeType index = 0;  // in spec.overrides
  // Index of the /spec/replicas override in clusterOverrides, if any.
  std::optional<rapidjson::SizeType> replicas_index;
};

// spec.overrides, checked as KubeFed's GetOverrides does (each cluster once, each path once
// per cluster, no forbidden path). `overrides` is set to the array, or nullptr when absent.
absl::StatusOr<std::vector<OverrideEntry>> ReadOverrides(const Value& federated_object,
                                                         const Value** overrides) {
  *overrides = nullptr;
  std::vector<OverrideEntry> entries;
  const Value* spec = json::Find(federated_object, "spec");
  if (spec == nullptr || spec->IsNull()) return entries;
  if (!spec->IsObject()) return Invalid("spec", "must be an object");
  const Value* list = json::Find(*spec, "overrides");
  if (list == nullptr || list->IsNull()) return entries;
  if (!list->IsArray()) return Invalid("spec.overrides", "must be an array");
  *overrides = list;
  std::set<std::string> clusters;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const Value& item = (*list)[i];
    const std::string where = absl::StrCat("spec.overrides[", i, "]");
    if (!item.IsNull() && !item.IsObject()) return Invalid(where, "must be an object");
    OverrideEntry entry;
    entry.index = i;
    if (const Value* name = json::Find(item, "clusterName"); name != nullptr && !name->IsNull()) {
      if (!name->IsString()) {
        return Invalid(absl::StrCat(where, ".clusterName"), "must be a string");
      }
      entry.cluster.assign(name->GetString(), name->GetStringLength());
    }
    if (!clusters.insert(entry.cluster).second) {
      return Invalid(where, absl::StrCat("cluster \"", entry.cluster, "\" appears more than once"));
    }
    const Value* ops = json::Find(item, "clusterOverrides");
    if (ops != nullptr && !ops->IsNull()) {
      if (!ops->IsArray()) {
        return Invalid(absl::StrCat(where, ".clusterOverrides"), "must be an array");
      }
      std::set<std::string> paths;
      for (rapidjson::SizeType j = 0; j < ops->Size(); ++j) {
        const Value& op = (*ops)[j];
        const std::string op_where = absl::StrCat(where, ".clusterOverrides[", j, "]");
        if (!op.IsNull() && !op.IsObject()) return Invalid(op_where, "must be an object");
        std::string path;
        if (const Value* p = json::Find(op, "path"); p != nullptr && !p->IsNull()) {
          if (!p->IsString()) return Invalid(absl::StrCat(op_where, ".path"), "must be a string");
          path.assign(p->GetString(), p->GetStringLength());
        }
        if (overrides::IsForbiddenOverridePath(path)) {
          return Invalid(op_where, absl::StrCat("cluster \"", entry.cluster,
                                                "\" has an invalid path: ", path));
        }
        if (!paths.insert(path).second) {
          return Invalid(op_where,
                         absl::StrCat("path \"", path, "\" appears more than once for cluster \"",
                                      entry.cluster, "\""));
        }
        if (path == kReplicasOverridePath) entry.replicas_index = j;
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// The replicas override's value as KubeFed compares it: a JSON number truncated to an
// integer; nullopt for anything else.
std::optional<int64_t> OverrideValue(const Value& override_item) {
  const Value* value = json::Find(override_item, "value");
  if (value == nullptr || !value->IsNumber()) return std::nullopt;
  if (value->IsInt64()) return value->GetInt64();
  const double d = std::trunc(value->GetDouble());
  if (!(d >= -9.2e18 && d <= 9.2e18)) return std::nullopt;  // NaN or beyond int64
  return static_cast<int64_t>(d);
}

// KubeFed's OverrideUpdateNeeded: every /spec/replicas override belongs to a scheduled
// cluster and holds its value, and every scheduled cluster has one.
bool OverridesUpToDate(const Value* overrides, const std::vector<OverrideEntry>& entries,
                       const std::map<std::string, int64_t>& replicas) {
  size_t matching = 0;
  for (const OverrideEntry& entry : entries) {
    if (!entry.replicas_index.has_value()) continue;
    const Value& item = (*overrides)[entry.index]["clusterOverrides"][*entry.replicas_index];
    const std::optional<int64_t> value = OverrideValue(item);
    auto scheduled = replicas.find(entry.cluster);
    if (!value.has_value() || scheduled == replicas.end() || *value != scheduled->second) {
      return false;
    }
    ++matching;
  }
  return matching == replicas.size();
}

Value ReplicasOverride(int64_t replicas, rapidjson::Document::AllocatorType& a) {
  Value op(rapidjson::kObjectType);
  op.AddMember("path",
               Value(kReplicasOverridePath.data(),
                     static_cast<rapidjson::SizeType>(kReplicasOverridePath.size()), a),
               a);
  op.AddMember("value", Value(static_cast<int64_t>(replicas)), a);
  return op;
}

// KubeFed's updateOverridesMap + SetOverrides, keeping the entries' order.
rapidjson::Document RewriteOverrides(const Value* overrides,
                                     const std::vector<OverrideEntry>& entries,
                                     const std::map<std::string, int64_t>& replicas) {
  rapidjson::Document out(rapidjson::kArrayType);
  auto& a = out.GetAllocator();
  if (overrides != nullptr) out.CopyFrom(*overrides, a);
  std::set<std::string> has_entry;
  for (const OverrideEntry& entry : entries) {
    has_entry.insert(entry.cluster);
    Value& item = out[entry.index];
    auto scheduled = replicas.find(entry.cluster);
    if (scheduled == replicas.end()) {
      if (entry.replicas_index.has_value()) {
        Value& ops = item["clusterOverrides"];
        ops.Erase(ops.Begin() + *entry.replicas_index);
      }
      continue;
    }
    if (entry.replicas_index.has_value()) {
      Value& op = item["clusterOverrides"][*entry.replicas_index];
      json::Set(op, "value", Value(static_cast<int64_t>(scheduled->second)), a);
      continue;
    }
    if (item.IsNull()) item.SetObject();  // a null entry is KubeFed's zero-valued one
    Value* ops = json::FindMutable(item, "clusterOverrides");
    if (ops == nullptr) {
      item.AddMember("clusterOverrides", Value(rapidjson::kArrayType), a);
      ops = json::FindMutable(item, "clusterOverrides");
    } else if (ops->IsNull()) {
      ops->SetArray();
    }
    ops->PushBack(ReplicasOverride(scheduled->second, a), a);
  }
  for (const auto& [cluster, count] : replicas) {  // sorted by cluster
    if (has_entry.count(cluster) > 0) continue;
    Value item(rapidjson::kObjectType);
    item.AddMember("clusterName",
                   Value(cluster.data(), static_cast<rapidjson::SizeType>(cluster.size()), a), a);
    Value ops(rapidjson::kArrayType);
    ops.PushBack(ReplicasOverride(count, a), a);
    item.AddMember("clusterOverrides", ops, a);
    out.PushBack(item, a);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SchedulingClusters(
    const ReplicaSchedulingRequest& request) {
  CHECK(request.preference != nullptr);
  CHECK(request.federated_object != nullptr);
  std::vector<std::string> clusters;
  if (request.ready_clusters.empty()) return clusters;
  if (!request.preference->intersect_with_cluster_selector) {
    for (const ft::ClusterInfo& c : request.ready_clusters) clusters.push_back(c.name);
    std::sort(clusters.begin(), clusters.end());
    return clusters;
  }
  // KubeFed reads the FederatedNamespace unconditionally here (also in a Namespaced-scope
  // control plane) and fails when it is not there.
  if (request.federated_namespace == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("intersectWithClusterSelector needs the FederatedNamespace of ", request.key,
                     ", which does not exist"));
  }
  ft::PlacementRequest placement;
  placement.federated_object = request.federated_object;
  placement.clusters = &request.ready_clusters;
  placement.target_namespaced = true;  // FederatedDeployment and FederatedReplicaSet
  placement.federated_namespace = request.federated_namespace;
  placement.selector_only = true;
  ASSIGN_OR_RETURN(ft::PlacementResult selected, ft::ComputePlacement(placement));
  clusters.assign(selected.clusters.begin(), selected.clusters.end());
  return clusters;
}

absl::StatusOr<ReplicaSchedulingResult> PlanReplicaScheduling(
    const ReplicaSchedulingRequest& request) {
  ReplicaSchedulingResult result;
  ASSIGN_OR_RETURN(result.clusters, SchedulingClusters(request));
  if (result.clusters.empty()) return result;
  const Value& object = *request.federated_object;

  ReplicaPlanRequest plan_request;
  plan_request.preferences = ft::EffectiveClusterPreferences(*request.preference);
  plan_request.total_replicas = request.preference->total_replicas;
  plan_request.rebalance = request.preference->rebalance;
  plan_request.available_clusters = result.clusters;
  plan_request.key = request.key;
  for (const std::string& cluster : result.clusters) {
    auto member = request.members.find(cluster);
    if (member == request.members.end()) continue;
    plan_request.current_replicas[cluster] = member->second.current_replicas;
    if (member->second.estimated_capacity.has_value()) {
      plan_request.estimated_capacity[cluster] = *member->second.estimated_capacity;
    }
    result.needs_recheck = result.needs_recheck || member->second.needs_recheck;
  }
  ASSIGN_OR_RETURN(result.plan, PlanReplicas(plan_request));

  // KubeFed's schedule(): every member holding the workload, every planned cluster, and the
  // overflow on top.
  for (const auto& [cluster, count] : plan_request.current_replicas) result.replicas[cluster] = 0;
  for (const auto& [cluster, count] : result.plan.replicas) result.replicas[cluster] = count;
  for (const auto& [cluster, count] : result.plan.overflow) result.replicas[cluster] += count;

  if (const Value* metadata = json::Find(object, "metadata")) {
    result.resource_version = json::GetString(*metadata, "resourceVersion");
  }

  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> current, PlacementClusterNames(object));
  std::vector<std::string> wanted;
  for (const auto& [cluster, count] : result.replicas) wanted.push_back(cluster);  // sorted
  if (current.has_value()) std::sort(current->begin(), current->end());
  if (!current.has_value() || *current != wanted) {
    result.placement_clusters.SetArray();
    auto& a = result.placement_clusters.GetAllocator();
    for (const std::string& cluster : wanted) {
      Value entry(rapidjson::kObjectType);
      entry.AddMember(
          "name", Value(cluster.data(), static_cast<rapidjson::SizeType>(cluster.size()), a), a);
      result.placement_clusters.PushBack(entry, a);
    }
  }

  const Value* overrides = nullptr;
  ASSIGN_OR_RETURN(std::vector<OverrideEntry> entries, ReadOverrides(object, &overrides));
  if (!OverridesUpToDate(overrides, entries, result.replicas)) {
    result.overrides = RewriteOverrides(overrides, entries, result.replicas);
  }
  return result;
}

rapidjson::Document ReplicaSchedulingResult::MergePatch() const {
  rapidjson::Document patch;
  if (!update_needed()) return patch;
  patch.SetObject();
  auto& a = patch.GetAllocator();
  if (!resource_version.empty()) {
    Value metadata(rapidjson::kObjectType);
    json::SetString(metadata, "resourceVersion", resource_version, a);
    patch.AddMember("metadata", metadata, a);
  }
  Value spec(rapidjson::kObjectType);
  if (placement_changed()) {
    Value placement(rapidjson::kObjectType);
    json::Set(placement, "clusters", placement_clusters, a);
    spec.AddMember("placement", placement, a);
  }
  if (overrides_changed()) json::Set(spec, "overrides", overrides, a);
  patch.AddMember("spec", spec, a);
  return patch;
}

}  // namespace kfed::controller
