// Every KubeFed string kfed writes or reads: API groups and versions, kinds, labels,
// annotations, finalizers, per-cluster propagation statuses, aggregate reasons, KubeFedCluster
// conditions and event reasons. One place, used by every component; the values are KubeFed
// v0.10's, so objects written by KubeFed are understood by kfed and the other way round.
#ifndef KFED_FEDERATED_TYPES_KEYS_H_
#define KFED_FEDERATED_TYPES_KEYS_H_

#include "absl/strings/string_view.h"

namespace kfed::federated_types {

// ---- API groups and versions -------------------------------------------------------------
inline constexpr absl::string_view kCoreGroup = "core.kubefed.io";
inline constexpr absl::string_view kTypesGroup = "types.kubefed.io";
inline constexpr absl::string_view kSchedulingGroup = "scheduling.kubefed.io";
inline constexpr absl::string_view kCoreV1Beta1 = "core.kubefed.io/v1beta1";
inline constexpr absl::string_view kCoreV1Alpha1 = "core.kubefed.io/v1alpha1";
inline constexpr absl::string_view kTypesV1Beta1 = "types.kubefed.io/v1beta1";
inline constexpr absl::string_view kSchedulingV1Alpha1 = "scheduling.kubefed.io/v1alpha1";
inline constexpr absl::string_view kV1Beta1 = "v1beta1";
inline constexpr absl::string_view kV1Alpha1 = "v1alpha1";

// ---- Resources (plural names) of the KubeFed kinds ---------------------------------------
inline constexpr absl::string_view kKubeFedClustersResource = "kubefedclusters";
inline constexpr absl::string_view kKubeFedConfigsResource = "kubefedconfigs";
inline constexpr absl::string_view kFederatedTypeConfigsResource = "federatedtypeconfigs";
inline constexpr absl::string_view kPropagatedVersionsResource = "propagatedversions";
inline constexpr absl::string_view kClusterPropagatedVersionsResource = "clusterpropagatedversions";
inline constexpr absl::string_view kFederatedNamespacesResource = "federatednamespaces";
inline constexpr absl::string_view kReplicaSchedulingPreferencesResource =
    "replicaschedulingpreferences";
inline constexpr absl::string_view kFederatedDeploymentsResource = "federateddeployments";
inline constexpr absl::string_view kFederatedReplicaSetsResource = "federatedreplicasets";

// ---- Kinds -------------------------------------------------------------------------------
// KEP-2149 (ClusterId for ClusterSet identification): the about.k8s.io ClusterProperty
// objects kfed keeps in every member, and the label on the ones kfed wrote.
inline constexpr absl::string_view kAboutGroup = "about.k8s.io";
inline constexpr absl::string_view kClusterPropertiesResource = "clusterproperties";
inline constexpr absl::string_view kClusterPropertyKind = "ClusterProperty";
inline constexpr absl::string_view kClusterPropertiesCrdName = "clusterproperties.about.k8s.io";
inline constexpr absl::string_view kClusterIdProperty = "cluster.clusterset.k8s.io";
inline constexpr absl::string_view kClusterSetProperty = "clusterset.k8s.io";
inline constexpr absl::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr absl::string_view kManagedByKfed = "kfed";

inline constexpr absl::string_view kKubeFedClusterKind = "KubeFedCluster";
inline constexpr absl::string_view kFederatedTypeConfigKind = "FederatedTypeConfig";
inline constexpr absl::string_view kKubeFedConfigKind = "KubeFedConfig";
inline constexpr absl::string_view kPropagatedVersionKind = "PropagatedVersion";
inline constexpr absl::string_view kClusterPropagatedVersionKind = "ClusterPropagatedVersion";
inline constexpr absl::string_view kReplicaSchedulingPreferenceKind = "ReplicaSchedulingPreference";
// The kinds a ReplicaSchedulingPreference may target (spec.targetKind).
inline constexpr absl::string_view kFederatedDeploymentKind = "FederatedDeployment";
inline constexpr absl::string_view kFederatedReplicaSetKind = "FederatedReplicaSet";
inline constexpr absl::string_view kFederatedNamespaceKind = "FederatedNamespace";
inline constexpr absl::string_view kNamespaceKind = "Namespace";
inline constexpr absl::string_view kServiceKind = "Service";
inline constexpr absl::string_view kServiceAccountKind = "ServiceAccount";

// Well-known names.
inline constexpr absl::string_view kKubeFedConfigName = "kubefed";
// kfed only (KubeFed's KubeFedConfig has no status): the condition the leading controller
// manager writes into KubeFedConfig `kubefed`'s status.conditions when it reads it, saying
// which settings it accepts without applying them (False, IgnoredFields) or that it applies
// all (True, AllFieldsHonoured). The Warning Event on the KubeFedConfig carries the reason.
inline constexpr absl::string_view kSettingsHonouredCondition = "SettingsHonoured";
inline constexpr absl::string_view kIgnoredFieldsReason = "IgnoredFields";
inline constexpr absl::string_view kAllFieldsHonouredReason = "AllFieldsHonoured";
inline constexpr absl::string_view kNamespacesTypeConfigName = "namespaces";
inline constexpr absl::string_view kDefaultKubeFedNamespace = "kube-federation-system";
inline constexpr absl::string_view kClusterScope = "Cluster";
inline constexpr absl::string_view kNamespacedScope = "Namespaced";
inline constexpr absl::string_view kEnabled = "Enabled";
inline constexpr absl::string_view kDisabled = "Disabled";
inline constexpr absl::string_view kControllerRunning = "Running";
inline constexpr absl::string_view kControllerNotRunning = "NotRunning";

// ---- Labels, annotations, finalizers -----------------------------------------------------
// On every propagated object; "false" marks an object as explicitly unmanaged.
inline constexpr absl::string_view kManagedLabel = "kubefed.io/managed";
inline constexpr absl::string_view kManagedLabelValueTrue = "true";
inline constexpr absl::string_view kManagedLabelValueFalse = "false";
// On federated objects: "true" leaves member copies in place (unlabelled) on deletion.
inline constexpr absl::string_view kOrphanAnnotation = "kubefed.io/orphan";
inline constexpr absl::string_view kOrphanAnnotationTrue = "true";
// On federated objects: JSON DeleteOptions used when deleting member copies.
inline constexpr absl::string_view kDeleteOptionAnnotation = "kubefed.io/deleteoption";
inline constexpr absl::string_view kSyncControllerFinalizer = "kubefed.io/sync-controller";
inline constexpr absl::string_view kFederatedTypeConfigFinalizer =
    "core.kubefed.io/federated-type-config";
// kfed only (KubeFed never sets it): on member objects, the comma-separated sorted keys of the
// annotations kfed copied from the template on its last write. See render.h.
inline constexpr absl::string_view kTemplateAnnotationsAnnotation = "kfed.io/template-annotations";
// On a FederatedTypeConfig: "true" marks the type sensitive, so the status API and the
// dashboard show none of its values (status/redact.h). Secrets always are.
inline constexpr absl::string_view kSensitiveTypeAnnotation = "kfed.io/sensitive";

// ---- Federated object status -------------------------------------------------------------
inline constexpr absl::string_view kPropagationConditionType = "Propagation";

// Per-cluster propagation status (status.clusters[].status). "" means propagated.
inline constexpr absl::string_view kClusterPropagationOK = "";
inline constexpr absl::string_view kWaitingForRemoval = "WaitingForRemoval";
inline constexpr absl::string_view kClusterNotReady = "ClusterNotReady";
inline constexpr absl::string_view kCachedRetrievalFailed = "CachedRetrievalFailed";
inline constexpr absl::string_view kComputeResourceFailed = "ComputeResourceFailed";
inline constexpr absl::string_view kApplyOverridesFailed = "ApplyOverridesFailed";
inline constexpr absl::string_view kCreationFailed = "CreationFailed";
inline constexpr absl::string_view kUpdateFailed = "UpdateFailed";
inline constexpr absl::string_view kDeletionFailed = "DeletionFailed";
inline constexpr absl::string_view kLabelRemovalFailed = "LabelRemovalFailed";
inline constexpr absl::string_view kRetrievalFailed = "RetrievalFailed";
inline constexpr absl::string_view kAlreadyExists = "AlreadyExists";
inline constexpr absl::string_view kFieldRetentionFailed = "FieldRetentionFailed";
inline constexpr absl::string_view kVersionRetrievalFailed = "VersionRetrievalFailed";
inline constexpr absl::string_view kClientRetrievalFailed = "ClientRetrievalFailed";
inline constexpr absl::string_view kManagedLabelFalse = "ManagedLabelFalse";
inline constexpr absl::string_view kCreationTimedOut = "CreationTimedOut";
inline constexpr absl::string_view kUpdateTimedOut = "UpdateTimedOut";
inline constexpr absl::string_view kDeletionTimedOut = "DeletionTimedOut";
inline constexpr absl::string_view kLabelRemovalTimedOut = "LabelRemovalTimedOut";

// All per-cluster statuses other than "", in KubeFed's declaration order.
inline constexpr absl::string_view kClusterPropagationStatuses[] = {
    kWaitingForRemoval,      kClusterNotReady,       kCachedRetrievalFailed, kComputeResourceFailed,
    kApplyOverridesFailed,   kCreationFailed,        kUpdateFailed,          kDeletionFailed,
    kLabelRemovalFailed,     kRetrievalFailed,       kAlreadyExists,         kFieldRetentionFailed,
    kVersionRetrievalFailed, kClientRetrievalFailed, kManagedLabelFalse,     kCreationTimedOut,
    kUpdateTimedOut,         kDeletionTimedOut,      kLabelRemovalTimedOut,
};

// Aggregate reason of the Propagation condition. "" goes with status True.
inline constexpr absl::string_view kAggregateSuccess = "";
inline constexpr absl::string_view kClusterRetrievalFailed = "ClusterRetrievalFailed";
inline constexpr absl::string_view kComputePlacementFailed = "ComputePlacementFailed";
inline constexpr absl::string_view kCheckClusters = "CheckClusters";
inline constexpr absl::string_view kNamespaceNotFederated = "NamespaceNotFederated";

// ---- KubeFedCluster conditions -----------------------------------------------------------
inline constexpr absl::string_view kClusterReadyCondition = "Ready";
inline constexpr absl::string_view kClusterOfflineCondition = "Offline";
inline constexpr absl::string_view kClusterConfigMalformedCondition = "ConfigMalformed";

inline constexpr absl::string_view kClusterReadyReason = "ClusterReady";
inline constexpr absl::string_view kClusterReadyMessage = "/healthz responded with ok";
inline constexpr absl::string_view kClusterNotReadyReason = "ClusterNotReady";
inline constexpr absl::string_view kClusterNotReadyMessage = "/healthz responded without ok";
inline constexpr absl::string_view kClusterNotReachableReason = "ClusterNotReachable";
inline constexpr absl::string_view kClusterNotReachableMessage = "cluster is not reachable";
inline constexpr absl::string_view kClusterReachableReason = "ClusterReachable";
inline constexpr absl::string_view kClusterReachableMessage = "cluster is reachable";
inline constexpr absl::string_view kClusterConfigMalformedReason = "ClusterConfigMalformed";
inline constexpr absl::string_view kClusterConfigMalformedMessage =
    "cluster's configuration may be malformed";

// ---- Event reasons (on federated objects) ------------------------------------------------
inline constexpr absl::string_view kEventCreateInCluster = "CreateInCluster";
inline constexpr absl::string_view kEventCreateInClusterFailed = "CreateInClusterFailed";
inline constexpr absl::string_view kEventUpdateInCluster = "UpdateInCluster";
inline constexpr absl::string_view kEventUpdateInClusterFailed = "UpdateInClusterFailed";
inline constexpr absl::string_view kEventDeleteInCluster = "DeleteInCluster";
inline constexpr absl::string_view kEventDeleteInClusterFailed = "DeleteInClusterFailed";
inline constexpr absl::string_view kEventRemoveManagedLabelFromInCluster =
    "RemoveManagedLabelFromInCluster";
inline constexpr absl::string_view kEventRemoveManagedLabelFromInClusterFailed =
    "RemoveManagedLabelFromInClusterFailed";
inline constexpr absl::string_view kEventEnsureFinalizerError = "EnsureFinalizerError";
inline constexpr absl::string_view kEventOperationTimeoutError = "OperationTimeoutError";
inline constexpr absl::string_view kEventInvalidName = "InvalidName";
inline constexpr absl::string_view kEventWaitForRemovalInCluster = "WaitForRemovalInCluster";
// Warning when a template sets metadata.finalizers (dropped, as KubeFed does).
inline constexpr absl::string_view kEventFinalizersNotSupported = "FinalizersNotSupported";

// ---- Feature gates -----------------------------------------------------------------------
inline constexpr absl::string_view kFeaturePushReconciler = "PushReconciler";
inline constexpr absl::string_view kFeatureSchedulerPreferences = "SchedulerPreferences";
inline constexpr absl::string_view kFeatureRawResourceStatusCollection =
    "RawResourceStatusCollection";

// ---- Field names used across components --------------------------------------------------
inline constexpr absl::string_view kSpecField = "spec";
inline constexpr absl::string_view kTemplateField = "template";
inline constexpr absl::string_view kPlacementField = "placement";
inline constexpr absl::string_view kClustersField = "clusters";
inline constexpr absl::string_view kClusterSelectorField = "clusterSelector";
inline constexpr absl::string_view kOverridesField = "overrides";
inline constexpr absl::string_view kRetainReplicasField = "retainReplicas";

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_KEYS_H_
