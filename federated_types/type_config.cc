#include "federated_types/type_config.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "base/k8s_names.h"
#include "base/status_macros.h"
#include "federated_types/field_readers.h"
#include "federated_types/keys.h"

namespace kfed::federated_types {
namespace {

using rapidjson::Value;

absl::StatusOr<ApiResource> ParseApiResource(const Value& v, absl::string_view path,
                                             std::string* scope_text) {
  if (!v.IsObject()) return FieldError(path, "must be an object");
  ApiResource r;
  RETURN_IF_ERROR(ReadString(v, "group", path, &r.group));
  RETURN_IF_ERROR(ReadString(v, "version", path, &r.version));
  RETURN_IF_ERROR(ReadString(v, "kind", path, &r.kind));
  RETURN_IF_ERROR(ReadString(v, "pluralName", path, &r.plural_name));
  RETURN_IF_ERROR(ReadString(v, "scope", path, scope_text));
  if (*scope_text == kClusterScope) {
    r.scope = Scope::kCluster;
  } else if (*scope_text == kNamespacedScope) {
    r.scope = Scope::kNamespaced;
  } else if (scope_text->empty()) {
    return FieldError(absl::StrCat(path, ".scope"), "Required value");
  } else {
    return FieldError(absl::StrCat(path, ".scope"),
                      absl::StrCat("Unsupported value: \"", *scope_text,
                                   "\": supported values: \"Cluster\", \"Namespaced\""));
  }
  return r;
}

absl::Status ValidateApiResource(const ApiResource& r, absl::string_view path) {
  if (!r.group.empty()) {
    std::string e = k8s::CheckDns1123Subdomain(r.group);
    if (!e.empty()) return FieldError(absl::StrCat(path, ".group"), e);
  }
  if (r.version.empty()) return FieldError(absl::StrCat(path, ".version"), "Required value");
  if (std::string e = k8s::CheckDns1035Label(r.version); !e.empty()) {
    return FieldError(absl::StrCat(path, ".version"), e);
  }
  if (r.kind.empty()) return FieldError(absl::StrCat(path, ".kind"), "Required value");
  if (std::string e = k8s::CheckDns1035Label(absl::AsciiStrToLower(r.kind)); !e.empty()) {
    return FieldError(absl::StrCat(path, ".kind"), e);
  }
  if (r.plural_name.empty()) {
    return FieldError(absl::StrCat(path, ".pluralName"), "Required value");
  }
  if (std::string e = k8s::CheckDns1035Label(r.plural_name); !e.empty()) {
    return FieldError(absl::StrCat(path, ".pluralName"), e);
  }
  return absl::OkStatus();
}

absl::Status ValidateFederatedApiResource(const ApiResource& r, absl::string_view path) {
  if (r.group.empty()) return FieldError(absl::StrCat(path, ".group"), "Required value");
  if (!absl::StrContains(r.group, '.')) {
    return FieldError(absl::StrCat(path, ".group"), "should be a domain with at least one dot");
  }
  return ValidateApiResource(r, path);
}

void SetIfEmpty(std::string* value, absl::string_view fallback) {
  if (value->empty()) *value = std::string(fallback);
}

Value ApiResourceToJson(const ApiResource& r, rapidjson::Document::AllocatorType& a) {
  Value v(rapidjson::kObjectType);
  if (!r.group.empty()) json::SetString(v, "group", r.group, a);
  json::SetString(v, "version", r.version, a);
  json::SetString(v, "kind", r.kind, a);
  json::SetString(v, "pluralName", r.plural_name, a);
  json::SetString(v, "scope", ScopeName(r.scope), a);
  return v;
}

}  // namespace

absl::string_view ScopeName(Scope scope) {
  return scope == Scope::kCluster ? kClusterScope : kNamespacedScope;
}

std::string ApiResource::ApiVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

bool TypeConfig::IsNamespace() const { return name == kNamespacesTypeConfigName; }

bool TypeConfig::ServiceStatusCollectionEnabled() const {
  return StatusEnabled() && name == "services" && status_type.has_value();
}

std::string PluralName(absl::string_view kind) {
  std::string lower = absl::AsciiStrToLower(kind);
  for (absl::string_view suffix : {"s", "x", "ch", "sh", "z", "o"}) {
    if (absl::EndsWith(lower, suffix)) return absl::StrCat(lower, "es");
  }
  if (absl::EndsWith(lower, "y")) {
    lower.pop_back();
    return absl::StrCat(lower, "ies");
  }
  return absl::StrCat(lower, "s");
}

std::string TypeConfigName(absl::string_view target_plural, absl::string_view target_group) {
  if (target_group.empty()) return std::string(target_plural);
  return absl::StrCat(target_plural, ".", target_group);
}

void SetTypeConfigDefaults(TypeConfig* config) {
  std::vector<absl::string_view> parts = absl::StrSplit(config->name, absl::MaxSplits('.', 1));
  SetIfEmpty(&config->target_type.plural_name, parts[0]);
  if (parts.size() > 1) SetIfEmpty(&config->target_type.group, parts[1]);
  SetIfEmpty(&config->federated_type.plural_name, PluralName(config->federated_type.kind));
  if (config->status_type.has_value()) {
    ApiResource& status = *config->status_type;
    SetIfEmpty(&status.plural_name, PluralName(status.kind));
    SetIfEmpty(&status.group, config->federated_type.group);
    SetIfEmpty(&status.version, config->federated_type.version);
  }
}

absl::Status ValidateTypeConfig(const TypeConfig& config) {
  const std::string expected =
      TypeConfigName(config.target_type.plural_name, config.target_type.group);
  if (config.name != expected) {
    return FieldError("metadata.name",
                      absl::StrCat("\"", config.name,
                                   "\": name must be 'TARGET_PLURAL_NAME(.TARGET_GROUP_NAME)' (\"",
                                   expected, "\")"));
  }
  RETURN_IF_ERROR(ValidateApiResource(config.target_type, "spec.targetType"));
  RETURN_IF_ERROR(ValidateFederatedApiResource(config.federated_type, "spec.federatedType"));
  if (config.status_type.has_value()) {
    RETURN_IF_ERROR(ValidateFederatedApiResource(*config.status_type, "spec.statusType"));
  }
  if (config.IsNamespace() && config.federated_type.scope != Scope::kNamespaced) {
    return FieldError("spec.federatedType.scope",
                      "FederatedNamespace must be Namespaced (objects are named <ns>/<ns>)");
  }
  return absl::OkStatus();
}

absl::StatusOr<TypeConfig> ParseTypeConfig(const Value& ftc) {
  if (!ftc.IsObject()) return FieldError("FederatedTypeConfig", "must be an object");
  TypeConfig config;
  const Value* metadata = json::Find(ftc, "metadata");
  if (metadata == nullptr || !metadata->IsObject()) {
    return FieldError("metadata", "Required value");
  }
  RETURN_IF_ERROR(ReadString(*metadata, "name", "metadata", &config.name));
  if (config.name.empty()) return FieldError("metadata.name", "Required value");
  if (const Value* annotations = json::Find(*metadata, "annotations");
      annotations != nullptr && annotations->IsObject()) {
    config.sensitive = json::GetString(*annotations, kSensitiveTypeAnnotation) == "true";
  }

  const Value* spec = json::Find(ftc, "spec");
  if (spec == nullptr || !spec->IsObject()) return FieldError("spec", "Required value");

  std::string scope;
  const Value* target = json::Find(*spec, "targetType");
  if (target == nullptr) return FieldError("spec.targetType", "Required value");
  ASSIGN_OR_RETURN(config.target_type, ParseApiResource(*target, "spec.targetType", &scope));

  const Value* federated = json::Find(*spec, "federatedType");
  if (federated == nullptr) return FieldError("spec.federatedType", "Required value");
  scope.clear();
  ASSIGN_OR_RETURN(config.federated_type,
                   ParseApiResource(*federated, "spec.federatedType", &scope));

  if (const Value* status = json::Find(*spec, "statusType");
      status != nullptr && !status->IsNull()) {
    scope.clear();
    ASSIGN_OR_RETURN(ApiResource s, ParseApiResource(*status, "spec.statusType", &scope));
    config.status_type = std::move(s);
  }

  std::string propagation;
  RETURN_IF_ERROR(ReadString(*spec, "propagation", "spec", &propagation));
  if (propagation == kEnabled) {
    config.propagation_enabled = true;
  } else if (propagation == kDisabled) {
    config.propagation_enabled = false;
  } else if (propagation.empty()) {
    return FieldError("spec.propagation", "Required value");
  } else {
    return FieldError("spec.propagation",
                      absl::StrCat("Unsupported value: \"", propagation,
                                   "\": supported values: \"Enabled\", \"Disabled\""));
  }

  std::string collection;
  RETURN_IF_ERROR(ReadString(*spec, "statusCollection", "spec", &collection));
  if (collection == kEnabled) {
    config.status_collection_enabled = true;
  } else if (collection == kDisabled) {
    config.status_collection_enabled = false;
  } else if (!collection.empty()) {
    return FieldError("spec.statusCollection",
                      absl::StrCat("Unsupported value: \"", collection,
                                   "\": supported values: \"Enabled\", \"Disabled\""));
  }

  SetTypeConfigDefaults(&config);
  RETURN_IF_ERROR(ValidateTypeConfig(config));
  return config;
}

rapidjson::Document TypeConfigToJson(const TypeConfig& config) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::SetString(doc, "apiVersion", kCoreV1Beta1, a);
  json::SetString(doc, "kind", kFederatedTypeConfigKind, a);
  Value& metadata = json::EnsureObject(doc, "metadata", a);
  json::SetString(metadata, "name", config.name, a);
  if (config.sensitive) {
    json::SetString(json::EnsureObject(metadata, "annotations", a), kSensitiveTypeAnnotation,
                    "true", a);
  }
  Value& spec = json::EnsureObject(doc, "spec", a);
  spec.AddMember("targetType", ApiResourceToJson(config.target_type, a), a);
  json::SetString(spec, "propagation", config.propagation_enabled ? kEnabled : kDisabled, a);
  spec.AddMember("federatedType", ApiResourceToJson(config.federated_type, a), a);
  if (config.status_type.has_value()) {
    spec.AddMember("statusType", ApiResourceToJson(*config.status_type, a), a);
  }
  if (config.status_collection_enabled.has_value()) {
    json::SetString(spec, "statusCollection",
                    *config.status_collection_enabled ? kEnabled : kDisabled, a);
  }
  return doc;
}

QualifiedName FederatedNameForTarget(const TypeConfig& config, absl::string_view target_namespace,
                                     absl::string_view target_name) {
  if (config.IsNamespace()) {
    return QualifiedName{std::string(target_name), std::string(target_name)};
  }
  return QualifiedName{std::string(target_namespace), std::string(target_name)};
}

std::vector<TypeConfig> DefaultTypeConfigs() {
  struct Row {
    const char* group;
    const char* version;
    const char* kind;
    const char* plural;
    Scope scope;
  };
  static constexpr Row kRows[] = {
      {"", "v1", "Namespace", "namespaces", Scope::kCluster},
      {"", "v1", "ConfigMap", "configmaps", Scope::kNamespaced},
      {"", "v1", "Secret", "secrets", Scope::kNamespaced},
      {"", "v1", "ServiceAccount", "serviceaccounts", Scope::kNamespaced},
      {"", "v1", "Service", "services", Scope::kNamespaced},
      {"apps", "v1", "Deployment", "deployments", Scope::kNamespaced},
      {"apps", "v1", "ReplicaSet", "replicasets", Scope::kNamespaced},
      {"batch", "v1", "Job", "jobs", Scope::kNamespaced},
      {"networking.k8s.io", "v1", "Ingress", "ingresses", Scope::kNamespaced},
      {"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", Scope::kCluster},
  };
  std::vector<TypeConfig> configs;
  for (const Row& row : kRows) {
    TypeConfig c;
    c.name = TypeConfigName(row.plural, row.group);
    c.target_type = ApiResource{row.group, row.version, row.kind, row.plural, row.scope};
    c.propagation_enabled = true;
    const std::string fed_kind = absl::StrCat("Federated", row.kind);
    c.federated_type = ApiResource{std::string(kTypesGroup), std::string(kV1Beta1), fed_kind,
                                   PluralName(fed_kind), row.scope};
    if (c.IsNamespace()) c.federated_type.scope = Scope::kNamespaced;
    configs.push_back(std::move(c));
  }
  return configs;
}

}  // namespace kfed::federated_types
