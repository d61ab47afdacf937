#include "overrides/overrides.h"

#include <cstddef>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/json_patch.h"
#include "base/json_pointer.h"
#include "base/status_macros.h"

namespace kfed::overrides {

using json::ApplyPatchOperations;
using json::JsonPointer;
using json::PatchOp;
using json::PatchOperation;
using json::PatchOptions;
namespace {

constexpr absl::string_view kForbiddenPaths[] = {
    "/metadata/namespace",
    "/metadata/name",
    "/metadata/generateName",
    "/kind",
};

absl::string_view StringOf(const rapidjson::Value& value) {
  return absl::string_view(value.GetString(), value.GetStringLength());
}

// The operations of one cluster, with the position of its entry for error messages.
struct ClusterPatch {
  std::size_t override_index = 0;
  std::vector<PatchOperation> operations;
};

// Validates all of `overrides`; when `cluster` is set and has an entry, fills `*selected`
// with its operations (borrowing values from `overrides`).
absl::Status ParseOverrides(const rapidjson::Value& overrides,
                            std::optional<absl::string_view> cluster,
                            std::optional<ClusterPatch>* selected) {
  if (overrides.IsNull()) return absl::OkStatus();
  if (!overrides.IsArray()) {
    return absl::InvalidArgumentError("overrides must be an array");
  }
  absl::flat_hash_map<absl::string_view, std::size_t> clusters;
  for (rapidjson::SizeType i = 0; i < overrides.Size(); ++i) {
    const rapidjson::Value& item = overrides[i];
    if (!item.IsObject()) {
      return absl::InvalidArgumentError(absl::StrCat("overrides[", i, "]: must be an object"));
    }
    const rapidjson::Value* name = json::Find(item, "clusterName");
    if (name == nullptr || !name->IsString() || name->GetStringLength() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("overrides[", i, "]: \"clusterName\" must be a non-empty string"));
    }
    absl::string_view cluster_name = StringOf(*name);
    // Error context, built only when there is an error.
    auto where = [&] {
      return absl::StrCat("overrides[", i, "] for cluster \"", cluster_name, "\"");
    };
    auto [first, inserted] = clusters.emplace(cluster_name, i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(), ": cluster appears more than once (first in overrides[", first->second, "])"));
    }
    const rapidjson::Value* cluster_overrides = json::Find(item, "clusterOverrides");
    if (cluster_overrides == nullptr || cluster_overrides->IsNull()) continue;
    if (!cluster_overrides->IsArray()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), ": \"clusterOverrides\" must be an array"));
    }
    const bool is_selected = cluster.has_value() && *cluster == cluster_name;
    ClusterPatch patch;
    patch.override_index = i;
    absl::flat_hash_map<absl::string_view, std::size_t> paths;
    for (rapidjson::SizeType j = 0; j < cluster_overrides->Size(); ++j) {
      const rapidjson::Value& entry = (*cluster_overrides)[j];
      auto entry_where = [&] { return absl::StrCat(where(), ": clusterOverrides[", j, "]"); };
      if (!entry.IsObject()) {
        return absl::InvalidArgumentError(absl::StrCat(entry_where(), ": must be an object"));
      }
      PatchOperation operation;
      const rapidjson::Value* op = json::Find(entry, "op");
      absl::string_view op_name;
      if (op != nullptr && !op->IsNull()) {
        if (!op->IsString()) {
          return absl::InvalidArgumentError(
              absl::StrCat(entry_where(), ": \"op\" must be a string"));
        }
        op_name = StringOf(*op);
      }
      if (op_name.empty() || op_name == "replace") {
        operation.op = PatchOp::kReplace;
      } else if (op_name == "add") {
        operation.op = PatchOp::kAdd;
      } else if (op_name == "remove") {
        operation.op = PatchOp::kRemove;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(entry_where(), ": op \"", op_name,
                         "\" is not supported (want add, remove or replace)"));
      }
      const rapidjson::Value* path = json::Find(entry, "path");
      if (path == nullptr || !path->IsString()) {
        return absl::InvalidArgumentError(
            absl::StrCat(entry_where(), ": \"path\" must be a string"));
      }
      absl::string_view path_text = StringOf(*path);
      if (IsForbiddenOverridePath(path_text)) {
        return absl::InvalidArgumentError(
            absl::StrCat(entry_where(), ": path \"", path_text, "\" may not be overridden"));
      }
      absl::StatusOr<JsonPointer> pointer = JsonPointer::Parse(path_text);
      if (!pointer.ok()) return Annotate(pointer.status(), entry_where());
      auto [previous, fresh] = paths.emplace(path_text, j);
      if (!fresh) {
        return absl::InvalidArgumentError(absl::StrCat(
            entry_where(), ": path \"", path_text,
            "\" appears more than once (first in clusterOverrides[", previous->second, "])"));
      }
      if (!is_selected) continue;
      operation.path = *std::move(pointer);
      // A missing value is null, as in KubeFed (see overrides.h).
      if (operation.op != PatchOp::kRemove) operation.value = json::Find(entry, "value");
      patch.operations.push_back(std::move(operation));
    }
    if (is_selected) *selected = std::move(patch);
  }
  return absl::OkStatus();
}

}  // namespace

bool IsForbiddenOverridePath(absl::string_view path) {
  for (absl::string_view forbidden : kForbiddenPaths) {
    if (path == forbidden) return true;
  }
  return false;
}

absl::Status ValidateOverrides(const rapidjson::Value& overrides) {
  std::optional<ClusterPatch> unused;
  return ParseOverrides(overrides, std::nullopt, &unused);
}

absl::Status ApplyClusterOverrides(const rapidjson::Value& overrides, absl::string_view cluster,
                                   rapidjson::Document* object) {
  std::optional<ClusterPatch> patch;
  RETURN_IF_ERROR(ParseOverrides(overrides, cluster, &patch));
  if (!patch.has_value()) return absl::OkStatus();
  PatchOptions options;
  options.replace_sets_missing_member = true;
  std::size_t failed = 0;
  absl::Status status = ApplyPatchOperations(patch->operations, options, object, &failed);
  if (status.ok()) return status;
  return Annotate(status, absl::StrCat("overrides[", patch->override_index, "] for cluster \"",
                                       cluster, "\": clusterOverrides[", failed, "] (",
                                       patch->operations[failed].Describe(), ")"));
}

std::vector<std::string> OverridePathsForCluster(const rapidjson::Value& overrides,
                                                 absl::string_view cluster) {
  std::optional<ClusterPatch> patch;
  std::vector<std::string> paths;
  if (!ParseOverrides(overrides, cluster, &patch).ok() || !patch.has_value()) return paths;
  for (const PatchOperation& operation : patch->operations) {
    paths.push_back(operation.path.ToString());
  }
  return paths;
}

}  // namespace kfed::overrides
