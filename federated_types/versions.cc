#include "federated_types/versions.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "federated_types/go_json.h"
#include "federated_types/keys.h"

namespace kfed::federated_types {
namespace {

using rapidjson::Value;

absl::string_view TypeName(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "bool";
    case rapidjson::kNumberType:
      return "number";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kObjectType:
      return "object";
  }
  return "unknown";
}

absl::Status TypeError(absl::string_view path, absl::string_view want, const Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": expected ", want, ", got ", TypeName(got)));
}

// Go's encoding/json matches struct field names case-insensitively.
bool FieldIs(const Value& name, absl::string_view field) {
  return absl::EqualsIgnoreCase(absl::string_view(name.GetString(), name.GetStringLength()), field);
}

// Reads a Go `string` field: null leaves it empty.
absl::Status ReadString(const Value& v, absl::string_view path, std::string* out) {
  if (v.IsNull()) return absl::OkStatus();
  if (!v.IsString()) return TypeError(path, "string", v);
  out->assign(v.GetString(), v.GetStringLength());
  return absl::OkStatus();
}

// Appends one ClusterOverride {op,omitempty; path; value,omitempty} in struct field order.
absl::Status AppendClusterOverride(const Value& item, absl::string_view path, std::string* out) {
  std::string op, patch_path;
  const Value* value = nullptr;
  if (!item.IsNull()) {
    if (!item.IsObject()) return TypeError(path, "object", item);
    for (const auto& m : item.GetObject()) {
      if (FieldIs(m.name, "op")) {
        RETURN_IF_ERROR(ReadString(m.value, absl::StrCat(path, ".op"), &op));
      } else if (FieldIs(m.name, "path")) {
        RETURN_IF_ERROR(ReadString(m.value, absl::StrCat(path, ".path"), &patch_path));
      } else if (FieldIs(m.name, "value")) {
        value = m.value.IsNull() ? nullptr : &m.value;
      }
    }
  }
  out->push_back('{');
  if (!op.empty()) {
    out->append("\"op\":");
    AppendGoString(op, out);
    out->push_back(',');
  }
  out->append("\"path\":");
  AppendGoString(patch_path, out);
  if (value != nullptr) {
    out->append(",\"value\":");
    AppendGoJson(*value, GoNumbers::kFloat64, out);
  }
  out->push_back('}');
  return absl::OkStatus();
}

// Appends one GenericOverrideItem {clusterName; clusterOverrides,omitempty}.
absl::Status AppendOverrideItem(const Value& item, absl::string_view path, std::string* out) {
  std::string cluster_name;
  const Value* cluster_overrides = nullptr;
  if (!item.IsNull()) {
    if (!item.IsObject()) return TypeError(path, "object", item);
    for (const auto& m : item.GetObject()) {
      if (FieldIs(m.name, "clusterName")) {
        RETURN_IF_ERROR(ReadString(m.value, absl::StrCat(path, ".clusterName"), &cluster_name));
      } else if (FieldIs(m.name, "clusterOverrides")) {
        if (m.value.IsNull()) {
          cluster_overrides = nullptr;
        } else if (!m.value.IsArray()) {
          return TypeError(absl::StrCat(path, ".clusterOverrides"), "array", m.value);
        } else {
          cluster_overrides = &m.value;
        }
      }
    }
  }
  out->append("{\"clusterName\":");
  AppendGoString(cluster_name, out);
  if (cluster_overrides != nullptr && !cluster_overrides->Empty()) {
    out->append(",\"clusterOverrides\":[");
    for (rapidjson::SizeType i = 0; i < cluster_overrides->Size(); ++i) {
      if (i > 0) out->push_back(',');
      RETURN_IF_ERROR(AppendClusterOverride((*cluster_overrides)[i],
                                            absl::StrCat(path, ".clusterOverrides[", i, "]"), out));
    }
    out->push_back(']');
  }
  out->push_back('}');
  return absl::OkStatus();
}

int64_t GetInt64(const Value& object, absl::string_view name) {
  const Value* v = json::Find(object, name);
  if (v == nullptr || !v->IsInt64()) return 0;
  return v->GetInt64();
}

}  // namespace

std::string HashUnstructured(const Value& value) {
  return Md5Hex(GoJsonEncode(value, GoNumbers::kUnstructured));
}

absl::StatusOr<std::string> TemplateVersion(const Value& federated_object) {
  const Value* spec = json::Find(federated_object, kSpecField);
  if (spec == nullptr) return std::string();
  if (!spec->IsObject()) return TypeError("spec", "object", *spec);
  const Value* tmpl = json::Find(*spec, kTemplateField);
  if (tmpl == nullptr) return std::string();
  if (!tmpl->IsObject()) return TypeError("spec.template", "object", *tmpl);
  return HashUnstructured(*tmpl);
}

absl::StatusOr<std::string> OverridesVersion(const Value& federated_object) {
  const Value* spec = nullptr;
  // KubeFed decodes the whole object into a struct whose `spec` is a pointer: absent or null
  // means no spec, and no hash.
  if (federated_object.IsObject()) {
    for (const auto& m : federated_object.GetObject()) {
      if (FieldIs(m.name, "spec")) spec = m.value.IsNull() ? nullptr : &m.value;
    }
  }
  if (spec == nullptr) return std::string();
  if (!spec->IsObject()) return TypeError("spec", "object", *spec);
  const Value* overrides = nullptr;
  for (const auto& m : spec->GetObject()) {
    if (FieldIs(m.name, "overrides")) overrides = m.value.IsNull() ? nullptr : &m.value;
  }
  std::string encoded = "{\"overrides\":";
  if (overrides == nullptr) {
    encoded.append("null");
  } else {
    if (!overrides->IsArray()) return TypeError("spec.overrides", "array", *overrides);
    encoded.push_back('[');
    for (rapidjson::SizeType i = 0; i < overrides->Size(); ++i) {
      if (i > 0) encoded.push_back(',');
      RETURN_IF_ERROR(
          AppendOverrideItem((*overrides)[i], absl::StrCat("spec.overrides[", i, "]"), &encoded));
    }
    encoded.push_back(']');
  }
  encoded.append("}\n");
  return Md5Hex(encoded);
}

std::string ObjectVersion(const Value& member_object) {
  const Value* metadata = json::Find(member_object, "metadata");
  if (metadata != nullptr) {
    int64_t generation = GetInt64(*metadata, "generation");
    if (generation != 0) return absl::StrCat(kGenerationPrefix, generation);
    return absl::StrCat(kResourceVersionPrefix, json::GetString(*metadata, "resourceVersion"));
  }
  return std::string(kResourceVersionPrefix);
}

std::string PropagatedVersionName(absl::string_view target_kind, absl::string_view name) {
  return absl::StrCat(absl::AsciiStrToLower(target_kind), "-", name);
}

std::string PropagatedVersionNamespace(absl::string_view target_kind,
                                       absl::string_view federated_namespace,
                                       absl::string_view federated_name) {
  if (target_kind == kNamespaceKind) return std::string(federated_name);
  return std::string(federated_namespace);
}

absl::StatusOr<PropagatedVersionStatus> ParsePropagatedVersionStatus(
    const Value& propagated_version) {
  PropagatedVersionStatus status;
  const Value* s = json::Find(propagated_version, "status");
  if (s == nullptr || s->IsNull()) return status;
  if (!s->IsObject()) return TypeError("status", "object", *s);
  if (const Value* v = json::Find(*s, "templateVersion")) {
    RETURN_IF_ERROR(ReadString(*v, "status.templateVersion", &status.template_version));
  }
  if (const Value* v = json::Find(*s, "overridesVersion")) {
    RETURN_IF_ERROR(ReadString(*v, "status.overridesVersion", &status.overrides_version));
  }
  if (const Value* v = json::Find(*s, "clusterVersions"); v != nullptr && !v->IsNull()) {
    if (!v->IsArray()) return TypeError("status.clusterVersions", "array", *v);
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
      const Value& item = (*v)[i];
      const std::string path = absl::StrCat("status.clusterVersions[", i, "]");
      if (!item.IsObject()) return TypeError(path, "object", item);
      ClusterVersion cv;
      if (const Value* f = json::Find(item, "clusterName")) {
        RETURN_IF_ERROR(ReadString(*f, absl::StrCat(path, ".clusterName"), &cv.cluster_name));
      }
      if (const Value* f = json::Find(item, "version")) {
        RETURN_IF_ERROR(ReadString(*f, absl::StrCat(path, ".version"), &cv.version));
      }
      status.cluster_versions.push_back(std::move(cv));
    }
  }
  return status;
}

std::map<std::string, std::string> RecordedVersions(const PropagatedVersionStatus& status,
                                                    absl::string_view template_version,
                                                    absl::string_view overrides_version) {
  std::map<std::string, std::string> versions;
  if (status.template_version != template_version ||
      status.overrides_version != overrides_version) {
    return versions;
  }
  for (const ClusterVersion& cv : status.cluster_versions) {
    versions[cv.cluster_name] = cv.version;
  }
  return versions;
}

PropagatedVersionStatus UpdatePropagatedVersionStatus(
    const PropagatedVersionStatus* old_status, absl::string_view template_version,
    absl::string_view overrides_version, const std::vector<std::string>& selected_clusters,
    const std::map<std::string, std::string>& new_versions) {
  std::map<std::string, std::string> merged = new_versions;
  if (old_status != nullptr && old_status->template_version == template_version &&
      old_status->overrides_version == overrides_version) {
    const std::set<std::string> selected(selected_clusters.begin(), selected_clusters.end());
    for (const ClusterVersion& old : old_status->cluster_versions) {
      if (selected.count(old.cluster_name) == 0) continue;
      merged.emplace(old.cluster_name, old.version);  // keeps a new version when present
    }
  }
  PropagatedVersionStatus status;
  status.template_version = std::string(template_version);
  status.overrides_version = std::string(overrides_version);
  for (const auto& [cluster, version] : merged) {
    if (version.empty()) continue;  // no version: the member was removed
    status.cluster_versions.push_back(ClusterVersion{cluster, version});
  }
  // std::map iteration already yields clusters in bytewise order, as Go's sort does.
  return status;
}

rapidjson::Document BuildPropagatedVersion(const Value& federated_object,
                                           absl::string_view target_kind, bool federated_namespaced,
                                           const PropagatedVersionStatus& status) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  const Value* metadata = json::Find(federated_object, "metadata");
  const Value empty(rapidjson::kObjectType);
  const Value& meta = metadata != nullptr ? *metadata : empty;
  const std::string name = json::GetString(meta, "name");

  json::SetString(doc, "apiVersion", kCoreV1Alpha1, a);
  json::SetString(doc, "kind",
                  federated_namespaced ? kPropagatedVersionKind : kClusterPropagatedVersionKind, a);
  Value& out_meta = json::EnsureObject(doc, "metadata", a);
  json::SetString(out_meta, "name", PropagatedVersionName(target_kind, name), a);
  if (federated_namespaced) {
    json::SetString(
        out_meta, "namespace",
        PropagatedVersionNamespace(target_kind, json::GetString(meta, "namespace"), name), a);
  }
  Value owner(rapidjson::kObjectType);
  json::SetString(owner, "apiVersion", json::GetString(federated_object, "apiVersion"), a);
  json::SetString(owner, "kind", json::GetString(federated_object, "kind"), a);
  json::SetString(owner, "name", name, a);
  json::SetString(owner, "uid", json::GetString(meta, "uid"), a);
  Value owners(rapidjson::kArrayType);
  owners.PushBack(owner, a);
  out_meta.AddMember("ownerReferences", owners, a);

  Value& out_status = json::EnsureObject(doc, "status", a);
  json::SetString(out_status, "templateVersion", status.template_version, a);
  json::SetString(out_status, "overridesVersion", status.overrides_version, a);
  Value versions(rapidjson::kArrayType);
  for (const ClusterVersion& cv : status.cluster_versions) {
    Value item(rapidjson::kObjectType);
    json::SetString(item, "clusterName", cv.cluster_name, a);
    json::SetString(item, "version", cv.version, a);
    versions.PushBack(item, a);
  }
  out_status.AddMember("clusterVersions", versions, a);
  return doc;
}

}  // namespace kfed::federated_types
