// KubeFed's propagated versions: the template and overrides hashes recorded in
// (Cluster)PropagatedVersion status, the per-member `gen:`/`rv:` version strings, and the
// pure bookkeeping of PropagatedVersion status. Hashes are byte-for-byte KubeFed's, so version
// records written by KubeFed are understood after a migration (and the other way round).
#ifndef KFED_FEDERATED_TYPES_VERSIONS_H_
#define KFED_FEDERATED_TYPES_VERSIONS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

// md5 hex of Go's json.Encoder output for `value` held as an unstructured object.
std::string HashUnstructured(const rapidjson::Value& value);

// KubeFed's GetTemplateHash: the hash of `spec.template` of a federated object; "" when the
// object has no spec.template. InvalidArgument when spec or spec.template is present but not
// an object (KubeFed's accessor error).
absl::StatusOr<std::string> TemplateVersion(const rapidjson::Value& federated_object);

// KubeFed's GetOverrideHash: the hash of {"overrides": spec.overrides} where spec.overrides is
// read through KubeFed's typed struct: each item is {clusterName, clusterOverrides (omitted when
// empty)}, each override {op (omitted when empty), path, value (omitted when null)}, unknown
// fields dropped, field names matched case-insensitively, numbers inside values as float64.
// "" when the object has no spec; `{"overrides":null}` is hashed when spec.overrides is absent.
// InvalidArgument when a field has the wrong JSON type (KubeFed's unmarshal error).
absl::StatusOr<std::string> OverridesVersion(const rapidjson::Value& federated_object);

// The version of a member object: "gen:<metadata.generation>" when the generation is non-zero,
// else "rv:<metadata.resourceVersion>".
std::string ObjectVersion(const rapidjson::Value& member_object);

inline constexpr absl::string_view kGenerationPrefix = "gen:";
inline constexpr absl::string_view kResourceVersionPrefix = "rv:";

// Name of the (Cluster)PropagatedVersion for a federated object: "<lowercase kind>-<name>".
std::string PropagatedVersionName(absl::string_view target_kind, absl::string_view name);
// Namespace of the PropagatedVersion: the federated object's namespace, except for the
// Namespace target type where it is the namespace's own name. "" for cluster-scoped.
std::string PropagatedVersionNamespace(absl::string_view target_kind,
                                       absl::string_view federated_namespace,
                                       absl::string_view federated_name);

struct ClusterVersion {
  std::string cluster_name;
  std::string version;
  bool operator==(const ClusterVersion& other) const {
    return cluster_name == other.cluster_name && version == other.version;
  }
};

struct PropagatedVersionStatus {
  std::string template_version;
  std::string overrides_version;
  std::vector<ClusterVersion> cluster_versions;  // sorted by cluster_name
  bool operator==(const PropagatedVersionStatus& other) const {
    return template_version == other.template_version &&
           overrides_version == other.overrides_version &&
           cluster_versions == other.cluster_versions;
  }
};

// Reads the status of a (Cluster)PropagatedVersion object; missing fields are empty.
absl::StatusOr<PropagatedVersionStatus> ParsePropagatedVersionStatus(
    const rapidjson::Value& propagated_version);

// The recorded member versions, by cluster, usable only while the template and overrides are
// unchanged: empty when either hash differs from `status` (everything needs an update).
std::map<std::string, std::string> RecordedVersions(const PropagatedVersionStatus& status,
                                                    absl::string_view template_version,
                                                    absl::string_view overrides_version);

// KubeFed's VersionManager.Update as a pure function. `old_status` (nullptr when none was
// recorded) keeps its versions for selected clusters that `new_versions` does not mention,
// provided the template and overrides are unchanged; an empty version means the member was
// removed and drops the cluster. The result is sorted by cluster.
PropagatedVersionStatus UpdatePropagatedVersionStatus(
    const PropagatedVersionStatus* old_status, absl::string_view template_version,
    absl::string_view overrides_version, const std::vector<std::string>& selected_clusters,
    const std::map<std::string, std::string>& new_versions);

// A complete (Cluster)PropagatedVersion object for `federated_object` (its apiVersion, kind,
// name, namespace and uid feed the owner reference). `federated_namespaced` picks the kind.
rapidjson::Document BuildPropagatedVersion(const rapidjson::Value& federated_object,
                                           absl::string_view target_kind, bool federated_namespaced,
                                           const PropagatedVersionStatus& status);

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_VERSIONS_H_
