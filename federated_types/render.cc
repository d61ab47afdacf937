#include "federated_types/render.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "federated_types/keys.h"
#include "federated_types/versions.h"
#include "overrides/overrides.h"

namespace kfed::federated_types {
namespace {

using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

constexpr absl::string_view kFailurePayloadUrl = "kfed.io/propagation-status";

absl::Status WithFailureStatus(absl::Status status, absl::string_view propagation_status) {
  status.SetPayload(kFailurePayloadUrl, absl::Cord(propagation_status));
  return status;
}

absl::string_view View(const Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

Value Str(absl::string_view s, Allocator& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// Sets object[name] = value, moving `value` (which must use `a`).
void SetMove(Value& object, absl::string_view name, Value value, Allocator& a) {
  if (Value* existing = json::FindMutable(object, name)) {
    *existing = std::move(value);
    return;
  }
  object.AddMember(Str(name, a), value, a);
}

// A deep copy built directly. RapidJSON 1.1's copy constructor copies through its SAX
// handler, which is several times slower and dominated rendering time.
Value DeepCopy(const Value& v, Allocator& a) {
  switch (v.GetType()) {
    case rapidjson::kObjectType: {
      Value out(rapidjson::kObjectType);
      for (const auto& m : v.GetObject()) {
        out.AddMember(Value(m.name.GetString(), m.name.GetStringLength(), a), DeepCopy(m.value, a),
                      a);
      }
      return out;
    }
    case rapidjson::kArrayType: {
      Value out(rapidjson::kArrayType);
      out.Reserve(v.Size(), a);
      for (const Value& e : v.GetArray()) out.PushBack(DeepCopy(e, a), a);
      return out;
    }
    case rapidjson::kStringType:
      return Value(v.GetString(), v.GetStringLength(), a);
    case rapidjson::kNumberType:
      if (v.IsInt64()) return Value(static_cast<int64_t>(v.GetInt64()));
      if (v.IsUint64()) return Value(static_cast<uint64_t>(v.GetUint64()));
      return Value(v.GetDouble());
    case rapidjson::kTrueType:
      return Value(true);
    case rapidjson::kFalseType:
      return Value(false);
    case rapidjson::kNullType:
      break;
  }
  return Value();
}

const Value* FindObject(const Value& object, absl::string_view name) {
  const Value* v = json::Find(object, name);
  return v != nullptr && v->IsObject() ? v : nullptr;
}

// Both absent, or both present and equal (Go's interface{} equality on decoded JSON).
bool SameField(const Value& a, const Value& b, absl::string_view key) {
  const Value* x = json::Find(a, key);
  const Value* y = json::Find(b, key);
  if (x == nullptr || y == nullptr) return x == y;
  return *x == *y;
}

bool SameProtocol(const Value& a, const Value& b) {
  auto protocol = [](const Value& port) -> std::string {
    const Value* p = json::Find(port, "protocol");
    if (p == nullptr || p->IsNull()) return "TCP";
    if (!p->IsString()) return json::Serialize(*p);
    return std::string(View(*p));
  };
  return protocol(a) == protocol(b);
}

absl::Status RetainServiceFields(const Value& live, rapidjson::Document* desired) {
  Allocator& a = desired->GetAllocator();
  const Value* live_spec = FindObject(live, kSpecField);
  if (live_spec == nullptr) return absl::OkStatus();

  if (const Value* hc = json::Find(*live_spec, "healthCheckNodePort")) {
    if (!hc->IsInt64()) {
      return absl::InvalidArgumentError(
          "Error retrieving healthCheckNodePort from service: spec.healthCheckNodePort is not an "
          "integer");
    }
    if (hc->GetInt64() > 0) {
      json::Set(json::EnsureObject(*desired, kSpecField, a), "healthCheckNodePort", *hc, a);
    }
  }
  if (const Value* ip = json::Find(*live_spec, "clusterIP")) {
    if (!ip->IsString()) {
      return absl::InvalidArgumentError(
          "Error retrieving clusterIP from cluster service: spec.clusterIP is not a string");
    }
    if (ip->GetStringLength() > 0) {
      json::Set(json::EnsureObject(*desired, kSpecField, a), "clusterIP", *ip, a);
    }
  }
  if (const Value* ips = json::Find(*live_spec, "clusterIPs")) {
    bool strings = ips->IsArray();
    if (strings) {
      for (const Value& ip : ips->GetArray()) strings = strings && ip.IsString();
    }
    if (!strings) {
      return absl::InvalidArgumentError(
          "Error retrieving clusterIPs from cluster service: spec.clusterIPs is not a list of "
          "strings");
    }
    if (!ips->Empty()) {
      json::Set(json::EnsureObject(*desired, kSpecField, a), "clusterIPs", *ips, a);
    }
  }

  const Value* live_ports = json::Find(*live_spec, "ports");
  if (live_ports == nullptr) return absl::OkStatus();
  if (!live_ports->IsArray()) {
    return absl::InvalidArgumentError(
        "Error retrieving ports from cluster service: spec.ports is not a list");
  }
  Value* desired_spec = json::FindMutable(*desired, kSpecField);
  Value* desired_ports =
      desired_spec != nullptr ? json::FindMutable(*desired_spec, "ports") : nullptr;
  if (desired_ports == nullptr) return absl::OkStatus();
  if (!desired_ports->IsArray()) {
    return absl::InvalidArgumentError(
        "Error retrieving ports from service: spec.ports is not a list");
  }
  for (Value& port : desired_ports->GetArray()) {
    if (!port.IsObject()) continue;
    for (const Value& live_port : live_ports->GetArray()) {
      if (!live_port.IsObject()) continue;
      if (!SameField(port, live_port, "name") || !SameProtocol(port, live_port) ||
          !SameField(port, live_port, "port")) {
        continue;
      }
      if (const Value* node_port = json::Find(live_port, "nodePort")) {
        json::Set(port, "nodePort", *node_port, a);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status RetainServiceAccountFields(const Value& live, rapidjson::Document* desired) {
  if (const Value* secrets = json::Find(*desired, "secrets")) {
    if (!secrets->IsNull() && !secrets->IsArray()) {
      return absl::InvalidArgumentError(
          "Error retrieving secrets from desired service account: secrets is not a list");
    }
    if (secrets->IsArray() && !secrets->Empty()) return absl::OkStatus();
  }
  const Value* live_secrets = json::Find(live, "secrets");
  if (live_secrets == nullptr || live_secrets->IsNull()) return absl::OkStatus();
  if (!live_secrets->IsArray()) {
    return absl::InvalidArgumentError(
        "Error retrieving secrets from service account: secrets is not a list");
  }
  if (!live_secrets->Empty())
    json::Set(*desired, "secrets", *live_secrets, desired->GetAllocator());
  return absl::OkStatus();
}

// A Job's API server generates spec.selector and pod-template labels (controller-uid,
// job-name) unless spec.manualSelector is set, and both are immutable: a PUT without them
// would be refused. Keep the member's where the template sets none (KubeFed did not, so
// updating a FederatedJob failed; kfed improves on it).
absl::Status RetainJobFields(const Value& live, rapidjson::Document* desired) {
  Allocator& a = desired->GetAllocator();
  const Value* live_spec = FindObject(live, kSpecField);
  if (live_spec == nullptr) return absl::OkStatus();
  Value& spec = json::EnsureObject(*desired, kSpecField, a);
  const Value* manual = json::Find(spec, "manualSelector");
  if (manual != nullptr && manual->IsBool() && manual->GetBool()) return absl::OkStatus();
  if (const Value* selector = json::Find(*live_spec, "selector");
      selector != nullptr && json::Find(spec, "selector") == nullptr) {
    json::Set(spec, "selector", *selector, a);
  }
  const Value* live_labels = json::FindPath(*live_spec, {"template", "metadata", "labels"});
  if (live_labels == nullptr || !live_labels->IsObject()) return absl::OkStatus();
  Value& labels = json::EnsureObject(
      json::EnsureObject(json::EnsureObject(spec, "template", a), "metadata", a), "labels", a);
  for (const auto& m : live_labels->GetObject()) {
    absl::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (json::Find(labels, key) == nullptr) json::Set(labels, key, m.value, a);
  }
  return absl::OkStatus();
}

absl::Status RetainReplicas(const Value& federated_object, const Value& live,
                            rapidjson::Document* desired) {
  const Value* spec = FindObject(federated_object, kSpecField);
  const Value* retain = spec != nullptr ? json::Find(*spec, kRetainReplicasField) : nullptr;
  if (retain == nullptr || retain->IsNull()) return absl::OkStatus();
  if (!retain->IsBool()) {
    return absl::InvalidArgumentError("spec.retainReplicas of the federated object is not a bool");
  }
  if (!retain->GetBool()) return absl::OkStatus();
  const Value* live_spec = FindObject(live, kSpecField);
  const Value* replicas = live_spec != nullptr ? json::Find(*live_spec, "replicas") : nullptr;
  if (replicas == nullptr) return absl::OkStatus();
  if (!replicas->IsInt64()) {
    return absl::InvalidArgumentError("spec.replicas of the member object is not an integer");
  }
  Allocator& a = desired->GetAllocator();
  json::Set(json::EnsureObject(*desired, kSpecField, a), "replicas", *replicas, a);
  return absl::OkStatus();
}

std::set<std::string> TrackedKeys(const Value* annotations) {
  std::set<std::string> keys;
  if (annotations == nullptr) return keys;
  const Value* record = json::Find(*annotations, kTemplateAnnotationsAnnotation);
  if (record == nullptr || !record->IsString()) return keys;
  for (absl::string_view key : absl::StrSplit(View(*record), ',', absl::SkipEmpty())) {
    keys.insert(std::string(key));
  }
  return keys;
}

// Empty label/annotation maps and absent ones are equivalent (as in KubeFed's
// ObjectMetaObjEquivalent).
bool MapsEquivalent(const Value* a, const Value* b) {
  const bool a_empty = a == nullptr || a->IsNull() || (a->IsObject() && a->MemberCount() == 0);
  const bool b_empty = b == nullptr || b->IsNull() || (b->IsObject() && b->MemberCount() == 0);
  if (a_empty || b_empty) return a_empty && b_empty;
  return *a == *b;
}

}  // namespace

Value MergeAnnotations(const Value* template_annotations, const Value* live_annotations,
                       Allocator& a) {
  Value merged(rapidjson::kObjectType);
  std::set<std::string> template_keys;
  if (template_annotations != nullptr && template_annotations->IsObject()) {
    for (const auto& m : template_annotations->GetObject()) {
      if (View(m.name) == kTemplateAnnotationsAnnotation) continue;
      template_keys.insert(std::string(View(m.name)));
    }
  }
  if (live_annotations != nullptr && live_annotations->IsObject()) {
    const std::set<std::string> previously_set = TrackedKeys(live_annotations);
    for (const auto& m : live_annotations->GetObject()) {
      const std::string key(View(m.name));
      if (key == kTemplateAnnotationsAnnotation) continue;
      // Set by an earlier template but not by this one: the template removed it.
      if (previously_set.count(key) > 0 && template_keys.count(key) == 0) continue;
      if (template_keys.count(key) > 0) continue;  // the template's value is added below
      merged.AddMember(Value(m.name, a), Value(m.value, a), a);
    }
  }
  if (template_annotations != nullptr && template_annotations->IsObject()) {
    for (const auto& m : template_annotations->GetObject()) {
      if (View(m.name) == kTemplateAnnotationsAnnotation) continue;
      json::Set(merged, View(m.name), m.value, a);
    }
  }
  if (!template_keys.empty()) {
    SetMove(merged, kTemplateAnnotationsAnnotation, Str(absl::StrJoin(template_keys, ","), a), a);
  }
  return merged;
}

absl::StatusOr<RenderedObject> ObjectFromTemplate(const Value& federated_object,
                                                  const TypeConfig& type_config) {
  RenderedObject out;
  rapidjson::Document& obj = out.object;
  obj.SetObject();
  Allocator& a = obj.GetAllocator();

  const Value* spec = json::Find(federated_object, kSpecField);
  if (spec != nullptr && !spec->IsNull() && !spec->IsObject()) {
    return absl::InvalidArgumentError("spec of the federated object is not an object");
  }
  const Value* tmpl =
      spec != nullptr && spec->IsObject() ? json::Find(*spec, kTemplateField) : nullptr;
  if (tmpl != nullptr && !tmpl->IsNull()) {
    if (!tmpl->IsObject()) return absl::InvalidArgumentError("spec.template is not an object");
    Value copy = DeepCopy(*tmpl, a);
    copy.Swap(static_cast<Value&>(obj));
  }

  const std::string& target_kind = type_config.target_type.kind;
  if (const Value* kind = json::Find(obj, "kind"); kind != nullptr && !kind->IsNull()) {
    if (!kind->IsString() || (kind->GetStringLength() > 0 && View(*kind) != target_kind)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec.template.kind ",
          kind->IsString() ? absl::StrCat("\"", View(*kind), "\"") : json::Serialize(*kind),
          " does not match the target kind \"", target_kind, "\" of type config \"",
          type_config.name, "\""));
    }
  }
  if (const Value* api_version = json::Find(obj, "apiVersion");
      api_version != nullptr && !api_version->IsNull() && !api_version->IsString()) {
    return absl::InvalidArgumentError("spec.template.apiVersion is not a string");
  }

  Value* metadata = json::FindMutable(obj, "metadata");
  if (metadata != nullptr && !metadata->IsNull() && !metadata->IsObject()) {
    return absl::InvalidArgumentError("spec.template.metadata is not an object");
  }
  Value& meta = json::EnsureObject(obj, "metadata", a);
  if (const Value* labels = json::Find(meta, "labels");
      labels != nullptr && !labels->IsNull() && !labels->IsObject()) {
    return absl::InvalidArgumentError("spec.template.metadata.labels is not an object");
  }

  const Value* fed_meta = FindObject(federated_object, "metadata");
  const Value empty(rapidjson::kObjectType);
  const Value& fm = fed_meta != nullptr ? *fed_meta : empty;

  if (const Value* finalizers = json::Find(meta, "finalizers");
      finalizers != nullptr && !(finalizers->IsArray() && finalizers->Empty()) &&
      !finalizers->IsNull()) {
    out.warnings.push_back(
        "metadata.finalizers cannot be set via template to avoid conflicting with controllers "
        "in member clusters; they were dropped. Consider using an override to add or remove "
        "elements from this collection.");
  }
  json::Remove(meta, "finalizers");

  if (Value* annotations = json::FindMutable(meta, "annotations")) {
    if (!annotations->IsNull() && !annotations->IsObject()) {
      return absl::InvalidArgumentError("spec.template.metadata.annotations is not an object");
    }
    if (annotations->IsObject() && json::Find(*annotations, kTemplateAnnotationsAnnotation)) {
      out.warnings.push_back(absl::StrCat("the annotation ", kTemplateAnnotationsAnnotation,
                                          " is reserved for kfed and was ignored in the template"));
    }
    Value merged = MergeAnnotations(annotations, nullptr, a);
    if (merged.MemberCount() == 0) {
      json::Remove(meta, "annotations");
    } else {
      *annotations = std::move(merged);
    }
  }

  json::SetString(meta, "name", json::GetString(fm, "name"), a);
  const std::string ns = json::GetString(fm, "namespace");
  if (type_config.IsNamespace() || ns.empty()) {
    json::Remove(meta, "namespace");
  } else {
    json::SetString(meta, "namespace", ns, a);
  }
  json::SetString(obj, "kind", target_kind, a);
  if (json::GetString(obj, "apiVersion").empty()) {
    json::SetString(obj, "apiVersion", type_config.target_type.ApiVersion(), a);
  }
  return out;
}

absl::Status RetainClusterFields(absl::string_view target_kind, const Value& federated_object,
                                 const Value& live, rapidjson::Document* desired) {
  Allocator& a = desired->GetAllocator();
  Value& meta = json::EnsureObject(*desired, "metadata", a);
  const Value* live_meta = FindObject(live, "metadata");

  // A PUT must carry the member's resourceVersion.
  const Value* rv = live_meta != nullptr ? json::Find(*live_meta, "resourceVersion") : nullptr;
  if (rv != nullptr && rv->IsString() && rv->GetStringLength() > 0) {
    json::Set(meta, "resourceVersion", *rv, a);
  } else {
    json::Remove(meta, "resourceVersion");
  }

  // Finalizers are set by controllers in the member cluster.
  const Value* finalizers = live_meta != nullptr ? json::Find(*live_meta, "finalizers") : nullptr;
  if (finalizers != nullptr && finalizers->IsArray() && !finalizers->Empty()) {
    json::Set(meta, "finalizers", *finalizers, a);
  } else {
    json::Remove(meta, "finalizers");
  }

  const Value* live_annotations =
      live_meta != nullptr ? FindObject(*live_meta, "annotations") : nullptr;
  const Value* template_annotations = FindObject(meta, "annotations");
  // MergeAnnotations ignores the record ObjectFromTemplate wrote and derives it again.
  Value merged = MergeAnnotations(template_annotations, live_annotations, a);
  if (merged.MemberCount() == 0) {
    json::Remove(meta, "annotations");
  } else {
    SetMove(meta, "annotations", std::move(merged), a);
  }

  if (target_kind == kServiceKind) return RetainServiceFields(live, desired);
  if (target_kind == kServiceAccountKind) return RetainServiceAccountFields(live, desired);
  if (target_kind == "Job") return RetainJobFields(live, desired);
  return RetainReplicas(federated_object, live, desired);
}

namespace {

// What names a member object; overrides may not change it.
struct ObjectIdentity {
  std::string name;
  std::string ns;
  std::string generate_name;
  std::string kind;
};

ObjectIdentity IdentityOf(const Value& object) {
  ObjectIdentity id;
  id.kind = json::GetString(object, "kind");
  if (const Value* meta = FindObject(object, "metadata")) {
    id.name = json::GetString(*meta, "name");
    id.ns = json::GetString(*meta, "namespace");
    id.generate_name = json::GetString(*meta, "generateName");
  }
  return id;
}

}  // namespace

absl::StatusOr<RenderedObject> RenderForCluster(const RenderRequest& request) {
  if (request.federated_object == nullptr || request.type_config == nullptr) {
    return WithFailureStatus(
        absl::InvalidArgumentError("RenderForCluster needs a federated object and a type config"),
        kComputeResourceFailed);
  }
  auto rendered = ObjectFromTemplate(*request.federated_object, *request.type_config);
  if (!rendered.ok()) {
    return WithFailureStatus(rendered.status(), kComputeResourceFailed);
  }
  RenderedObject out = std::move(rendered).value();

  if (request.live != nullptr) {
    absl::Status retained =
        RetainClusterFields(request.type_config->target_type.kind, *request.federated_object,
                            *request.live, &out.object);
    if (!retained.ok()) {
      return WithFailureStatus(Annotate(retained, "failed to retain fields"),
                               kFieldRetentionFailed);
    }
  }

  const Value* spec = FindObject(*request.federated_object, kSpecField);
  const Value* overrides = spec != nullptr ? json::Find(*spec, kOverridesField) : nullptr;
  const ObjectIdentity before = IdentityOf(out.object);
  if (overrides != nullptr && !overrides->IsNull()) {
    absl::Status applied =
        overrides::ApplyClusterOverrides(*overrides, request.cluster, &out.object);
    if (!applied.ok()) return WithFailureStatus(applied, kApplyOverridesFailed);
  }

  // The managed label goes on last so that no override can remove it.
  Allocator& a = out.object.GetAllocator();
  if (!out.object.IsObject()) {
    return WithFailureStatus(
        absl::InvalidArgumentError("overrides replaced the object with a non-object"),
        kApplyOverridesFailed);
  }
  // KubeFed forbids overriding the paths that identify the object; an override of a parent
  // (e.g. replacing /metadata) must not get around that and write another object.
  const ObjectIdentity after = IdentityOf(out.object);
  struct Field {
    const char* name;
    const std::string& was;
    const std::string& now;
  };
  for (const Field& f : {Field{"metadata.name", before.name, after.name},
                         Field{"metadata.namespace", before.ns, after.ns},
                         Field{"metadata.generateName", before.generate_name, after.generate_name},
                         Field{"kind", before.kind, after.kind}}) {
    if (f.was == f.now) continue;
    return WithFailureStatus(
        absl::InvalidArgumentError(absl::StrCat(
            "overrides for cluster \"", request.cluster, "\" change ", f.name, " from \"", f.was,
            "\" to \"", f.now, "\"; it comes from the federated object and may not be overridden")),
        kApplyOverridesFailed);
  }
  Value& meta = json::EnsureObject(out.object, "metadata", a);
  Value& labels = json::EnsureObject(meta, "labels", a);
  json::SetString(labels, kManagedLabel, kManagedLabelValueTrue, a);
  return out;
}

std::string RenderFailureStatus(const absl::Status& status) {
  auto payload = status.GetPayload(kFailurePayloadUrl);
  if (!payload.has_value()) return std::string(kComputeResourceFailed);
  return std::string(*payload);
}

bool NeedsUpdate(const Value& desired, const Value& live, absl::string_view recorded_version) {
  const std::string version = ObjectVersion(live);
  if (recorded_version != version) return true;
  if (!absl::StartsWith(version, kGenerationPrefix)) return false;
  const Value empty(rapidjson::kObjectType);
  const Value* dm = FindObject(desired, "metadata");
  const Value* lm = FindObject(live, "metadata");
  const Value& d = dm != nullptr ? *dm : empty;
  const Value& l = lm != nullptr ? *lm : empty;
  if (json::GetString(d, "name") != json::GetString(l, "name")) return true;
  if (json::GetString(d, "namespace") != json::GetString(l, "namespace")) return true;
  if (!MapsEquivalent(json::Find(d, "labels"), json::Find(l, "labels"))) return true;
  if (!MapsEquivalent(json::Find(d, "annotations"), json::Find(l, "annotations"))) return true;
  return false;
}

}  // namespace kfed::federated_types
