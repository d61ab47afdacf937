// Rendering the desired member object of a federated object for one cluster, and deciding
// whether a member object needs an update. Pure functions on JSON values.
//
// RenderForCluster follows KubeFed v0.10's sync controller, in its order:
//   1. Template (spec.template; an absent template is {} as namespaces need nothing else):
//      metadata.name from the federated object; metadata.namespace from the federated object
//      (removed for the Namespace type and cluster-scoped types); kind from the type config
//      (a template naming another kind is an error naming both); apiVersion from the type
//      config unless the template sets one (KubeFed lets a template pick the version, e.g. for
//      Ingress). Template finalizers are dropped with a warning, as KubeFed does.
//   2. On update (a live member object is given), member-owned fields are retained:
//      metadata.resourceVersion and metadata.finalizers of the live object; annotations by
//      the merge rule below; for Services spec.clusterIP, spec.clusterIPs,
//      spec.healthCheckNodePort, and each ports[].nodePort of the live port with the same
//      name, protocol and port (a missing protocol counts as TCP, Kubernetes' default, where
//      KubeFed compared it literally); for ServiceAccounts `secrets` when the template has none;
//      spec.replicas when the federated object sets spec.retainReplicas.
//   3. The cluster's overrides (spec.overrides, via //overrides).
//   4. The label kubefed.io/managed=true.
//
// Annotations (kfed improves on KubeFed, which dropped template annotations and kept only the
// member's): template annotations are propagated and merged with the member's:
//   - annotations set in the member cluster (by its controllers or users) are kept;
//   - a template annotation wins over a member annotation with the same key;
//   - an annotation the template set on an earlier write but no longer has is removed.
// To know which keys it set, kfed records them on the member object in the annotation
// `kfed.io/template-annotations`: the sorted template keys joined with ",". The record is
// absent when the template has no annotations, so for templates without annotations the
// member object is exactly what KubeFed would write (live annotations kept as they are). The
// key is reserved: a template setting it has it ignored, with a warning.
#ifndef KFED_FEDERATED_TYPES_RENDER_H_
#define KFED_FEDERATED_TYPES_RENDER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federated_types/type_config.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

struct RenderRequest {
  const rapidjson::Value* federated_object = nullptr;  // required
  const TypeConfig* type_config = nullptr;             // required
  std::string cluster;
  // The member object when updating, nullptr when creating.
  const rapidjson::Value* live = nullptr;
};

struct RenderedObject {
  rapidjson::Document object;
  // Things the user should hear about, e.g. dropped template finalizers; the controller
  // records them as Warning events (reason kEventFinalizersNotSupported for finalizers).
  std::vector<std::string> warnings;
};

// Steps 1-4 above. On error the status (InvalidArgument for bad input) carries the
// per-cluster propagation status to report; read it with RenderFailureStatus.
absl::StatusOr<RenderedObject> RenderForCluster(const RenderRequest& request);

// The per-cluster status for a RenderForCluster error: ComputeResourceFailed (step 1),
// FieldRetentionFailed (step 2) or ApplyOverridesFailed (step 3); ComputeResourceFailed for a
// status RenderForCluster did not produce.
std::string RenderFailureStatus(const absl::Status& status);

// Step 1 alone: the template as a member object, before retention, overrides and label.
absl::StatusOr<RenderedObject> ObjectFromTemplate(const rapidjson::Value& federated_object,
                                                  const TypeConfig& type_config);

// Step 2 alone: retains member-owned fields of `live` in `desired` (see the file comment).
absl::Status RetainClusterFields(absl::string_view target_kind,
                                 const rapidjson::Value& federated_object,
                                 const rapidjson::Value& live, rapidjson::Document* desired);

// The annotation merge rule alone: `template_annotations` (nullptr: none) merged into
// `live_annotations` (nullptr: none, as on creation), with the record of template keys.
// The result may be empty.
rapidjson::Value MergeAnnotations(const rapidjson::Value* template_annotations,
                                  const rapidjson::Value* live_annotations,
                                  rapidjson::Document::AllocatorType& alloc);

// KubeFed's ObjectNeedsUpdate: true when `recorded_version` (the PropagatedVersion entry for
// the cluster, "" when none) differs from the live object's version (ObjectVersion), or when
// the version is generation-based ("gen:") and name, namespace, labels or annotations differ
// (labels/annotations absent and empty count as equal). The spec is never compared, so
// defaulting by the member's API server does not cause update loops.
bool NeedsUpdate(const rapidjson::Value& desired, const rapidjson::Value& live,
                 absl::string_view recorded_version);

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_RENDER_H_
