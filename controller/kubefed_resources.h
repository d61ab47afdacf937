// The GroupVersionResources of KubeFed's own kinds, built from federated_types/keys.h, and of
// a FederatedTypeConfig's types: one definition for every controller.
#ifndef KFED_CONTROLLER_KUBEFED_RESOURCES_H_
#define KFED_CONTROLLER_KUBEFED_RESOURCES_H_

#include "federated_types/type_config.h"
#include "kube/resource.h"

namespace kfed::controller {

kube::GroupVersionResource KubeFedClustersResource();
kube::GroupVersionResource KubeFedConfigsResource();
kube::GroupVersionResource FederatedTypeConfigsResource();
kube::GroupVersionResource FederatedNamespacesResource();
// The PropagatedVersion of a namespaced federated type, and of a cluster-scoped one.
kube::GroupVersionResource PropagatedVersionsResource();
kube::GroupVersionResource ClusterPropagatedVersionsResource();
// KEP-2149's ClusterProperty (about.k8s.io/v1alpha1, cluster-scoped), in members.
kube::GroupVersionResource ClusterPropertiesResource();
// ReplicaSchedulingPreference (scheduling.kubefed.io/v1alpha1) and the kinds it targets
// (types.kubefed.io/v1beta1), in the host.
kube::GroupVersionResource ReplicaSchedulingPreferencesResource();
kube::GroupVersionResource FederatedDeploymentsResource();
kube::GroupVersionResource FederatedReplicaSetsResource();

// Of one federated type: its Federated<Kind> on the host, its target type in the members, and
// the (Cluster)PropagatedVersion that records its versions.
kube::GroupVersionResource FederatedResourceOf(const federated_types::TypeConfig& type);
kube::GroupVersionResource TargetResourceOf(const federated_types::TypeConfig& type);
kube::GroupVersionResource VersionResourceOf(const federated_types::TypeConfig& type);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_KUBEFED_RESOURCES_H_
