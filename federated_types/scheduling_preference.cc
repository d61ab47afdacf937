#include "federated_types/scheduling_preference.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "federated_types/field_readers.h"

namespace kfed::federated_types {
namespace {

using rapidjson::Value;

absl::Status InvalidValue(absl::string_view field, int64_t value, absl::string_view why) {
  return FieldError(field, absl::StrCat("Invalid value: ", value, ": ", why));
}

absl::Status CheckNotNegative(absl::string_view field, int64_t value) {
  if (value >= 0) return absl::OkStatus();
  return InvalidValue(field, value, "must be greater than or equal to 0");
}

absl::StatusOr<ClusterPreference> ParseClusterPreference(const Value& v, absl::string_view path) {
  ClusterPreference preference;
  if (v.IsNull()) return preference;  // Go decodes null into the zero value
  if (!v.IsObject()) return FieldError(path, "must be an object");
  RETURN_IF_ERROR(ReadInt(v, "minReplicas", path, &preference.min_replicas));
  RETURN_IF_ERROR(ReadInt(v, "weight", path, &preference.weight));
  const Value* max = json::Find(v, "maxReplicas");
  if (max != nullptr && !max->IsNull()) {
    int64_t value = 0;
    RETURN_IF_ERROR(ReadInt(v, "maxReplicas", path, &value));
    preference.max_replicas = value;
  }
  return preference;
}

}  // namespace

absl::StatusOr<ReplicaSchedulingPreference> ParseReplicaSchedulingPreference(const Value& object) {
  if (!object.IsObject()) return FieldError("object", "must be an object");
  ReplicaSchedulingPreference rsp;
  const Value* spec = json::Find(object, "spec");
  if (spec != nullptr && !spec->IsNull()) {
    if (!spec->IsObject()) return FieldError("spec", "must be an object");
    RETURN_IF_ERROR(ReadString(*spec, "targetKind", "spec", &rsp.target_kind));
    int64_t total = 0;
    RETURN_IF_ERROR(ReadInt(*spec, "totalReplicas", "spec", &total));
    // KubeFed's field is an int32: a larger number fails to decode there.
    if (total > std::numeric_limits<int32_t>::max() ||
        total < std::numeric_limits<int32_t>::min()) {
      return InvalidValue("spec.totalReplicas", total, "must fit in 32 bits");
    }
    rsp.total_replicas = static_cast<int32_t>(total);
    RETURN_IF_ERROR(ReadBool(*spec, "rebalance", "spec", &rsp.rebalance));
    RETURN_IF_ERROR(ReadBool(*spec, "intersectWithClusterSelector", "spec",
                             &rsp.intersect_with_cluster_selector));
    const Value* clusters = json::Find(*spec, "clusters");
    if (clusters != nullptr && !clusters->IsNull()) {
      if (!clusters->IsObject()) return FieldError("spec.clusters", "must be an object");
      for (auto it = clusters->MemberBegin(); it != clusters->MemberEnd(); ++it) {
        std::string name(it->name.GetString(), it->name.GetStringLength());
        ASSIGN_OR_RETURN(
            ClusterPreference preference,
            ParseClusterPreference(it->value, absl::StrCat("spec.clusters[", name, "]")));
        // A repeated key: the last one wins, as in Go's decoder.
        rsp.clusters[std::move(name)] = preference;
      }
    }
  }
  RETURN_IF_ERROR(ValidateReplicaSchedulingPreference(rsp));
  return rsp;
}

absl::Status ValidateReplicaSchedulingPreference(const ReplicaSchedulingPreference& rsp) {
  if (rsp.target_kind.empty()) return FieldError("spec.targetKind", "Required value");
  if (rsp.target_kind != kFederatedDeploymentKind && rsp.target_kind != kFederatedReplicaSetKind) {
    return FieldError(
        "spec.targetKind",
        absl::StrCat("Unsupported value: \"", rsp.target_kind, "\": supported values: \"",
                     kFederatedDeploymentKind, "\", \"", kFederatedReplicaSetKind, "\""));
  }
  RETURN_IF_ERROR(CheckNotNegative("spec.totalReplicas", rsp.total_replicas));
  return ValidateClusterPreferences(rsp.clusters);
}

absl::Status ValidateClusterPreferences(const ClusterPreferences& clusters) {
  for (const auto& [name, preference] : clusters) {
    const std::string path = absl::StrCat("spec.clusters[", name, "]");
    RETURN_IF_ERROR(CheckNotNegative(absl::StrCat(path, ".minReplicas"), preference.min_replicas));
    if (preference.max_replicas.has_value()) {
      RETURN_IF_ERROR(
          CheckNotNegative(absl::StrCat(path, ".maxReplicas"), *preference.max_replicas));
      if (*preference.max_replicas < preference.min_replicas) {
        return InvalidValue(
            absl::StrCat(path, ".maxReplicas"), *preference.max_replicas,
            absl::StrCat("must not be less than minReplicas (", preference.min_replicas, ")"));
      }
    }
    RETURN_IF_ERROR(CheckNotNegative(absl::StrCat(path, ".weight"), preference.weight));
  }
  return absl::OkStatus();
}

ClusterPreferences EffectiveClusterPreferences(const ReplicaSchedulingPreference& rsp) {
  if (!rsp.clusters.empty()) return rsp.clusters;
  ClusterPreference even;
  even.weight = 1;
  return {{std::string(kAllClustersPreference), even}};
}

}  // namespace kfed::federated_types
