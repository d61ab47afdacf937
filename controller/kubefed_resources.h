// The GroupVersionResources of KubeFed's own kinds, built from federated_types/keys.h: one
// definition for every controller.
#ifndef KFED_CONTROLLER_KUBEFED_RESOURCES_H_
#define KFED_CONTROLLER_KUBEFED_RESOURCES_H_

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

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_KUBEFED_RESOURCES_H_
