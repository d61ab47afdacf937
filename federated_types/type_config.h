// FederatedTypeConfig (core.kubefed.io/v1beta1) as a value: parsing with KubeFed's defaulting
// and validation, naming rules, and the ten types KubeFed enables by default.
//
// Naming: an FTC is named `<target plural>[.<target group>]` ("deployments.apps",
// "configmaps"). Missing target plural/group are taken from that name; a missing federated
// (and status) plural is the lowercase kind plus "es" after s/x/ch/sh/z/o, "ies" replacing a
// trailing y, else "s". The `namespaces` FTC is special: its federated type,
// FederatedNamespace, is namespaced although Namespace is cluster-scoped, and a
// FederatedNamespace for namespace `ns` is named `ns/ns` (namespace ns, name ns).
#ifndef KFED_FEDERATED_TYPES_TYPE_CONFIG_H_
#define KFED_FEDERATED_TYPES_TYPE_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

enum class Scope { kCluster, kNamespaced };

absl::string_view ScopeName(Scope scope);  // "Cluster" / "Namespaced"

// spec.targetType / spec.federatedType / spec.statusType.
struct ApiResource {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string plural_name;
  Scope scope = Scope::kNamespaced;

  // "apps/v1", or "v1" for the core group.
  std::string ApiVersion() const;
  bool operator==(const ApiResource& o) const {
    return group == o.group && version == o.version && kind == o.kind &&
           plural_name == o.plural_name && scope == o.scope;
  }
};

struct TypeConfig {
  std::string name;  // metadata.name
  ApiResource target_type;
  bool propagation_enabled = true;  // spec.propagation Enabled|Disabled
  ApiResource federated_type;
  std::optional<ApiResource> status_type;
  std::optional<bool> status_collection_enabled;  // spec.statusCollection, absent = nullopt
  // metadata.annotations["kfed.io/sensitive"] == "true" (keys.h).
  bool sensitive = false;

  // This is the `namespaces` FTC.
  bool IsNamespace() const;
  // The target type is namespaced (KubeFed's GetNamespaced).
  bool TargetNamespaced() const { return target_type.scope == Scope::kNamespaced; }
  // Federated objects are namespaced: always for FederatedNamespace, else as the target.
  bool FederatedNamespaced() const { return IsNamespace() || TargetNamespaced(); }
  // spec.statusCollection is Enabled (KubeFed's GetStatusEnabled): with the feature gate
  // RawResourceStatusCollection, the sync controller copies each member object's `status`
  // into status.clusters[].remoteStatus.
  bool StatusEnabled() const { return status_collection_enabled.value_or(false); }
  // KubeFed's isEnabledFederatedServiceStatusCollection: statusCollection Enabled, the FTC is
  // `services` and has a statusType. The status controller (controller/status_controller.h)
  // then keeps a <statusType> object per federated object, unless RawResourceStatusCollection
  // is enabled (KubeFed runs either, never both).
  bool ServiceStatusCollectionEnabled() const;
  // The target is the core Secret (the status API never shows its values).
  bool TargetIsSecret() const { return target_type.group.empty() && target_type.kind == "Secret"; }
};

// The plural KubeFed derives from a kind (see the file comment).
std::string PluralName(absl::string_view kind);

// `<plural>[.<group>]`.
std::string TypeConfigName(absl::string_view target_plural, absl::string_view target_group);

// KubeFed's SetFederatedTypeConfigDefaults (plus statusType group/version from the federated
// type). Only fills empty fields.
void SetTypeConfigDefaults(TypeConfig* config);

// KubeFed's validation. InvalidArgument naming the field ("spec.federatedType.group: ...").
absl::Status ValidateTypeConfig(const TypeConfig& config);

// Parses an FTC object (metadata.name + spec), applies defaults, validates. Errors name the
// field; a field of the wrong JSON type is an error.
absl::StatusOr<TypeConfig> ParseTypeConfig(const rapidjson::Value& ftc);

// The FTC object (apiVersion, kind, metadata.name, spec) for `config`.
rapidjson::Document TypeConfigToJson(const TypeConfig& config);

// The name of a federated object for a target object: `ns/ns` for namespaces (a
// FederatedNamespace lives in the namespace it federates), else the target's own
// namespace/name. Returned as {namespace, name}.
struct QualifiedName {
  std::string namespace_;
  std::string name;
  bool operator==(const QualifiedName& o) const {
    return namespace_ == o.namespace_ && name == o.name;
  }
};
QualifiedName FederatedNameForTarget(const TypeConfig& config, absl::string_view target_namespace,
                                     absl::string_view target_name);

// The ten types KubeFed enables by default, in this order: namespaces, configmaps, secrets,
// serviceaccounts, services, deployments.apps, replicasets.apps, jobs.batch,
// ingresses.networking.k8s.io, clusterroles.rbac.authorization.k8s.io. Federated types are
// `types.kubefed.io/v1beta1` `Federated<Kind>` with the target's scope (FederatedNamespace:
// namespaced); propagation Enabled; statusType and statusCollection unset.
std::vector<TypeConfig> DefaultTypeConfigs();

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_TYPE_CONFIG_H_
