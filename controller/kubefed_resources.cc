#include "controller/kubefed_resources.h"

#include <string>

#include "absl/strings/string_view.h"
#include "federated_types/keys.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;
namespace {

kube::GroupVersionResource Make(absl::string_view group, absl::string_view version,
                                absl::string_view resource, bool namespaced,
                                absl::string_view kind) {
  return {std::string(group), std::string(version), std::string(resource), namespaced,
          std::string(kind)};
}

}  // namespace

kube::GroupVersionResource KubeFedClustersResource() {
  return Make(ft::kCoreGroup, ft::kV1Beta1, ft::kKubeFedClustersResource, true,
              ft::kKubeFedClusterKind);
}

kube::GroupVersionResource KubeFedConfigsResource() {
  return Make(ft::kCoreGroup, ft::kV1Beta1, ft::kKubeFedConfigsResource, true,
              ft::kKubeFedConfigKind);
}

kube::GroupVersionResource FederatedTypeConfigsResource() {
  return Make(ft::kCoreGroup, ft::kV1Beta1, ft::kFederatedTypeConfigsResource, true,
              ft::kFederatedTypeConfigKind);
}

kube::GroupVersionResource FederatedNamespacesResource() {
  return Make(ft::kTypesGroup, ft::kV1Beta1, ft::kFederatedNamespacesResource, true,
              ft::kFederatedNamespaceKind);
}

kube::GroupVersionResource PropagatedVersionsResource() {
  return Make(ft::kCoreGroup, ft::kV1Alpha1, ft::kPropagatedVersionsResource, true,
              ft::kPropagatedVersionKind);
}

kube::GroupVersionResource ClusterPropagatedVersionsResource() {
  return Make(ft::kCoreGroup, ft::kV1Alpha1, ft::kClusterPropagatedVersionsResource, false,
              ft::kClusterPropagatedVersionKind);
}

kube::GroupVersionResource ClusterPropertiesResource() {
  return Make(ft::kAboutGroup, ft::kV1Alpha1, ft::kClusterPropertiesResource, false,
              ft::kClusterPropertyKind);
}

kube::GroupVersionResource ReplicaSchedulingPreferencesResource() {
  return Make(ft::kSchedulingGroup, ft::kV1Alpha1, ft::kReplicaSchedulingPreferencesResource, true,
              ft::kReplicaSchedulingPreferenceKind);
}

kube::GroupVersionResource FederatedDeploymentsResource() {
  return Make(ft::kTypesGroup, ft::kV1Beta1, ft::kFederatedDeploymentsResource, true,
              ft::kFederatedDeploymentKind);
}

kube::GroupVersionResource FederatedReplicaSetsResource() {
  return Make(ft::kTypesGroup, ft::kV1Beta1, ft::kFederatedReplicaSetsResource, true,
              ft::kFederatedReplicaSetKind);
}

kube::GroupVersionResource FederatedResourceOf(const ft::TypeConfig& type) {
  const ft::ApiResource& f = type.federated_type;
  return {f.group, f.version, f.plural_name, type.FederatedNamespaced(), f.kind};
}

kube::GroupVersionResource TargetResourceOf(const ft::TypeConfig& type) {
  const ft::ApiResource& t = type.target_type;
  return {t.group, t.version, t.plural_name, t.scope == ft::Scope::kNamespaced, t.kind};
}

kube::GroupVersionResource VersionResourceOf(const ft::TypeConfig& type) {
  return type.FederatedNamespaced() ? PropagatedVersionsResource()
                                    : ClusterPropagatedVersionsResource();
}

}  // namespace kfed::controller
