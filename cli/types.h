// Finding the API type a user names on the command line ("daemonsets.apps", "daemonsets",
// "DaemonSet", "ds", "statefulsets.v1.apps") and the FederatedTypeConfig enabling it.
#ifndef KFED_CLI_TYPES_H_
#define KFED_CLI_TYPES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federated_types/crds/crdgen.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace kfed::cli {

// The served resource `type` names: matched against plural, `plural.group`,
// `plural.version.group`, kind, singular and short names (case-insensitive), preferring the
// group's preferred version. kInvalidArgument when nothing or several groups match, naming
// the candidates.
absl::StatusOr<kube::ApiResource> ResolveType(const std::vector<kube::ApiResource>& resources,
                                              absl::string_view type);

federated_types::TargetType TargetTypeOf(const kube::ApiResource& resource);

// What kfedctl needs of a FederatedTypeConfig. (Not federated_types::TypeConfig: its
// library and crdgen's both define PluralName, so one binary cannot link both.)
struct TypeInfo {
  std::string name;                      // the FTC's name: "deployments.apps"
  kube::GroupVersionResource target;     // kind and scope filled
  kube::GroupVersionResource federated;  // kind and scope filled
  bool IsNamespace() const { return name == "namespaces"; }
};

// Reads an FTC object; kInvalidArgument naming a missing field.
absl::StatusOr<TypeInfo> ParseTypeInfo(const rapidjson::Value& ftc);

// The federated object's {namespace, name} for a target object: a FederatedNamespace for
// namespace `ns` is `ns/ns`.
std::pair<std::string, std::string> FederatedName(const TypeInfo& type,
                                                  absl::string_view target_namespace,
                                                  absl::string_view target_name);

// Every FTC in the federation namespace.
absl::StatusOr<std::vector<TypeInfo>> ListTypeInfos(kube::Client& host,
                                                    absl::string_view kubefed_namespace);

// The FederatedTypeConfig in `kubefed_namespace` whose target is `type`: by FTC name first
// (`deployments.apps`), else by resolving `type` with discovery. kNotFound ("type X is not
// enabled ... run kfedctl enable X") when there is none.
absl::StatusOr<TypeInfo> FindTypeConfig(kube::Client& host, kube::Discovery* discovery,
                                        absl::string_view kubefed_namespace,
                                        absl::string_view type);

}  // namespace kfed::cli

#endif  // KFED_CLI_TYPES_H_
