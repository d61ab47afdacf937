// The Federated<Kind> CRD generator: given a target type and its schema (an OpenAPI v3
// document as kube-apiserver serves it, or a CRD), builds the types.kubefed.io/v1beta1 CRD
// that wraps it (template, placement, overrides, status) and the FederatedTypeConfig that
// enables it. The same job as `kubefedctl enable`, minus the cluster access.
//
// The template schema is the target's schema made structural (valid in a CRD): `$ref`s
// inlined, `allOf` wrappers merged, int-or-string and free-form fields mapped to the
// x-kubernetes extensions, defaults, CEL rules and unsupported keywords dropped, and the
// object metadata reduced to `x-kubernetes-preserve-unknown-fields`. Nothing in a template is
// required (except the keys of list-type map lists): a field the template leaves out may come
// from a cluster's override, and the member clusters validate what kfed creates. Recursive schemas
// and huge ones never crash or explode it: a cycle, the depth limit or the size budget turns the
// field where it happens into `x-kubernetes-preserve-unknown-fields: true` (accept anything).
//
// Pure: no I/O. Errors are kInvalidArgument naming what is missing or malformed.
#ifndef KFED_FEDERATED_TYPES_CRDS_CRDGEN_H_
#define KFED_FEDERATED_TYPES_CRDS_CRDGEN_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federated_types/type_config.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

// The API type a Federated<Kind> wraps.
struct TargetType {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string kind;     // "Deployment"
  std::string plural;   // "deployments"
  bool namespaced = true;
  // The target's short names; the federated type gets each with an "f" prefix ("fdeploy"),
  // as kubefedctl enable did.
  std::vector<std::string> short_names;

  // "deployments.apps", "configmaps": the FederatedTypeConfig name.
  std::string QualifiedName() const;
};

struct SchemaOptions {
  // Deepest schema nesting kept below spec.template; deeper fields accept anything.
  int max_depth = 32;
  // Most schema nodes kept in the template; fields past the budget accept anything.
  size_t max_nodes = 25'000;
  // Keep field descriptions (what `kubectl explain` shows). Descriptions of referenced types
  // are not repeated where a field references them; the field's own description is kept.
  bool descriptions = true;
};

// What the conversion had to give up on, for tests and for the CLI to report.
struct SchemaStats {
  size_t nodes = 0;            // schema nodes in the result
  size_t cycles = 0;           // recursive references cut
  size_t depth_cuts = 0;       // fields past max_depth
  size_t budget_cuts = 0;      // fields past max_nodes
  size_t unresolved_refs = 0;  // $refs naming no schema
  size_t unions = 0;           // anyOf/oneOf that became preserve-unknown-fields
};

struct TemplateSchema {
  rapidjson::Document schema;  // the spec.template schema
  SchemaStats stats;
};

// The template schema of `target` from an OpenAPI v3 document (the JSON served at
// /openapi/v3/apis/<group>/<version> or /openapi/v3/api/v1): the component schema whose
// x-kubernetes-group-version-kind names the target.
absl::StatusOr<TemplateSchema> TemplateSchemaFromOpenApi(const rapidjson::Value& openapi,
                                                         const TargetType& target,
                                                         const SchemaOptions& options = {});

// The template schema from a CRD's openAPIV3Schema for `target.version`.
absl::StatusOr<TemplateSchema> TemplateSchemaFromCrd(const rapidjson::Value& crd,
                                                     const TargetType& target,
                                                     const SchemaOptions& options = {});

// The target type a CRD defines, for `version` ("" = the storage version).
absl::StatusOr<TargetType> TargetTypeFromCrd(const rapidjson::Value& crd,
                                             absl::string_view version);

// PluralName (KubeFed's plural of a kind) comes from federated_types/type_config.h: one
// definition for the controller, kfedctl and the generator.

// The Federated<Kind> CRD (apiextensions.k8s.io/v1). `spec.retainReplicas` is offered only
// when the template has an int32 spec.replicas. The FederatedNamespace is namespaced although
// namespaces are not (KubeFed's rule).
rapidjson::Document FederatedCrd(const TargetType& target, const rapidjson::Value& template_schema);

// The FederatedTypeConfig enabling `target` with propagation Enabled (no namespace set: it is
// applied into the federation namespace).
rapidjson::Document FederatedTypeConfig(const TargetType& target);

// The ten types KubeFed enables by default, with the OpenAPI v3 document each comes from
// ("api/v1", "apis/apps/v1", ...: the path after /openapi/v3/).
struct DefaultType {
  TargetType target;
  std::string openapi_path;
};
const std::vector<DefaultType>& DefaultTypes();

// "apis/apps/v1" -> "apis_apps_v1.json": the file name a saved OpenAPI document gets.
std::string OpenApiFileName(absl::string_view openapi_path);

// The generated file for `target`: the CRD and the FederatedTypeConfig as one YAML stream,
// after a header comment. Deterministic, so committed files can be compared.
absl::StatusOr<std::string> GenerateYaml(const rapidjson::Value& openapi, const TargetType& target,
                                         const SchemaOptions& options = {});
std::string RenderYaml(const TargetType& target, const rapidjson::Value& template_schema);

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_CRDS_CRDGEN_H_
