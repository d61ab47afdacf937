#include "federated_types/crds/crdgen.h"

#include <algorithm>
#include <deque>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/json.h"
#include "base/yaml_json.h"
#include "federated_types/keys.h"

namespace kfed::federated_types {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr absl::string_view kFederatedGroup = kTypesGroup;
constexpr absl::string_view kFederatedVersion = kV1Beta1;
constexpr absl::string_view kObjectMetaRef = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

// Bounds that keep the CEL rules below cheap enough for the apiserver's cost estimator.
constexpr int kMaxOverrideClusters = 1000;
constexpr int kMaxClusterOverrides = 500;
constexpr int kMaxPathLength = 1024;

Value Str(absl::string_view s, Alloc& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

void Add(Value& object, absl::string_view key, Value value, Alloc& a) {
  object.AddMember(Str(key, a), value, a);
}

void AddStr(Value& object, absl::string_view key, absl::string_view value, Alloc& a) {
  Add(object, key, Str(value, a), a);
}

Value Copy(const Value& v, Alloc& a) { return Value(v, a); }

// Removes object[key] keeping the other members in order (json::Remove moves the last
// member into the gap, which would shuffle the generated YAML).
void EraseKey(Value& object, absl::string_view key) {
  if (!object.IsObject()) return;
  auto it = object.FindMember(rapidjson::StringRef(key.data(), key.size()));
  if (it != object.MemberEnd()) object.EraseMember(it);
}

bool IsTrue(const Value* v) { return v != nullptr && v->IsBool() && v->GetBool(); }

absl::string_view View(const Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

// The formats apiextensions.k8s.io/v1 accepts; others (int-or-string, ...) are dropped.
bool SupportedFormat(absl::string_view f) {
  static const std::set<std::string, std::less<>> kFormats = {
      "bsonobjectid", "uri",    "email",    "hostname",   "ipv4",     "ipv6",
      "cidr",         "mac",    "uuid",     "uuid3",      "uuid4",    "uuid5",
      "isbn",         "isbn10", "isbn13",   "creditcard", "ssn",      "hexcolor",
      "rgbcolor",     "byte",   "password", "date",       "duration", "datetime",
      "date-time",    "int32",  "int64",    "float",      "double",
  };
  return kFormats.count(f) > 0;
}

// A schema node seen through an optional overlay: the referencing node's own keys
// (description, nullable, ...) win over the referenced schema's, except the reference itself
// and defaults.
struct SchemaView {
  const Value* overlay;  // may be null
  const Value& base;

  const Value* Get(absl::string_view key) const {
    if (overlay != nullptr && key != "$ref" && key != "allOf" && key != "default") {
      if (const Value* v = json::Find(*overlay, key)) return v;
    }
    // A referenced type's own description is not repeated at every use.
    if (overlay != nullptr && key == "description") return nullptr;
    return json::Find(base, key);
  }
};

class Structuralizer {
 public:
  Structuralizer(const Value* components, const SchemaOptions& options, Alloc& alloc)
      : components_(components), options_(options), alloc_(alloc) {}

  Value Convert(const Value& node, int depth) {
    if (!node.IsObject()) return AnyValue(nullptr);
    if (depth > options_.max_depth) {
      ++stats_.depth_cuts;
      return AnyValue(&node);
    }
    if (stats_.nodes >= options_.max_nodes) {
      ++stats_.budget_cuts;
      return AnyValue(&node);
    }
    if (const Value* ref = json::Find(node, "$ref"); ref != nullptr && ref->IsString()) {
      return ConvertRef(View(*ref), node, depth);
    }
    const Value* all_of = json::Find(node, "allOf");
    if (all_of != nullptr && all_of->IsArray() && !all_of->Empty()) {
      const Value& first = (*all_of)[0];
      const Value* ref = json::Find(first, "$ref");
      if (all_of->Size() == 1 && ref != nullptr && ref->IsString() && first.MemberCount() == 1) {
        return ConvertRef(View(*ref), node, depth);
      }
      return ConvertAllOf(node, *all_of, depth);
    }
    return ConvertPlain(SchemaView{nullptr, node}, depth);
  }

  // Metadata of a template: labels, annotations and the rest are kept as given; the
  // apiserver of each member validates them.
  Value Metadata(const Value* description) {
    Value out(rapidjson::kObjectType);
    if (options_.descriptions && description != nullptr && description->IsString()) {
      Add(out, "description", Copy(*description, alloc_), alloc_);
    }
    AddStr(out, "type", "object", alloc_);
    Add(out, "x-kubernetes-preserve-unknown-fields", Value(true), alloc_);
    ++stats_.nodes;
    return out;
  }

  const SchemaStats& stats() const { return stats_; }

 private:
  // Accepts any value: the fallback wherever a faithful structural schema is impossible.
  Value AnyValue(const Value* described) {
    Value out(rapidjson::kObjectType);
    const Value* d = described == nullptr ? nullptr : json::Find(*described, "description");
    if (options_.descriptions && d != nullptr && d->IsString()) {
      Add(out, "description", Copy(*d, alloc_), alloc_);
    }
    Add(out, "x-kubernetes-preserve-unknown-fields", Value(true), alloc_);
    ++stats_.nodes;
    return out;
  }

  const Value* Lookup(absl::string_view ref) const {
    if (components_ == nullptr) return nullptr;
    size_t slash = ref.rfind('/');
    absl::string_view name = slash == absl::string_view::npos ? ref : ref.substr(slash + 1);
    return json::Find(*components_, name);
  }

  static absl::string_view RefName(absl::string_view ref) {
    size_t slash = ref.rfind('/');
    return slash == absl::string_view::npos ? ref : ref.substr(slash + 1);
  }

  Value ConvertRef(absl::string_view ref, const Value& overlay, int depth) {
    absl::string_view name = RefName(ref);
    if (name == kObjectMetaRef) return Metadata(json::Find(overlay, "description"));
    const Value* target = Lookup(ref);
    if (target == nullptr || !target->IsObject()) {
      ++stats_.unresolved_refs;
      return AnyValue(&overlay);
    }
    if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
      ++stats_.cycles;
      return AnyValue(&overlay);
    }
    stack_.emplace_back(name);
    Value out;
    if (json::Find(*target, "$ref") != nullptr || json::Find(*target, "allOf") != nullptr) {
      // A reference to a reference or to a composition: materialize the overlay on a copy.
      rapidjson::Document& merged = Scratch();
      merged.CopyFrom(*target, merged.GetAllocator());
      EraseKey(merged, "description");
      for (const auto& m : overlay.GetObject()) {
        absl::string_view key = View(m.name);
        if (key == "$ref" || key == "allOf" || key == "default") continue;
        json::Set(merged, key, m.value, merged.GetAllocator());
      }
      out = Convert(merged, depth);
    } else {
      out = ConvertPlain(SchemaView{&overlay, *target}, depth);
    }
    stack_.pop_back();
    return out;
  }

  // allOf with several parts: properties and required lists are united, other keywords
  // taken from the first part that has them (the node's own keywords first).
  Value ConvertAllOf(const Value& node, const Value& all_of, int depth) {
    rapidjson::Document& merged = Scratch();
    merged.SetObject();
    Alloc& a = merged.GetAllocator();
    std::vector<std::string> pushed;
    auto merge_in = [&](const Value& part) {
      for (const auto& m : part.GetObject()) {
        absl::string_view key = View(m.name);
        if (key == "allOf" || key == "$ref" || key == "default") continue;
        Value* existing = json::FindMutable(merged, key);
        if (existing == nullptr) {
          json::Set(merged, key, m.value, a);
        } else if (key == "properties" && existing->IsObject() && m.value.IsObject()) {
          for (const auto& p : m.value.GetObject()) {
            if (json::Find(*existing, View(p.name)) == nullptr)
              json::Set(*existing, View(p.name), p.value, a);
          }
        } else if (key == "required" && existing->IsArray() && m.value.IsArray()) {
          for (const auto& r : m.value.GetArray()) existing->PushBack(Value(r, a), a);
        }
      }
    };
    merge_in(node);
    bool cyclic = false;
    for (const auto& part : all_of.GetArray()) {
      if (!part.IsObject()) continue;
      const Value* ref = json::Find(part, "$ref");
      if (ref != nullptr && ref->IsString()) {
        absl::string_view name = RefName(View(*ref));
        const Value* target = Lookup(View(*ref));
        if (target == nullptr) {
          ++stats_.unresolved_refs;
          continue;
        }
        if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
          cyclic = true;
          break;
        }
        pushed.emplace_back(name);
        merge_in(*target);
      } else {
        merge_in(part);
      }
    }
    if (cyclic) {
      ++stats_.cycles;
      return AnyValue(&node);
    }
    for (const std::string& name : pushed) stack_.push_back(name);
    Value out = Convert(merged, depth);
    stack_.resize(stack_.size() - pushed.size());
    return out;
  }

  void CopyIf(const SchemaView& v, Value& out, absl::string_view key, bool (Value::*is)() const) {
    const Value* x = v.Get(key);
    if (x != nullptr && (x->*is)()) Add(out, key, Copy(*x, alloc_), alloc_);
  }

  Value ConvertPlain(const SchemaView& v, int depth) {
    ++stats_.nodes;
    Value out(rapidjson::kObjectType);
    const Value* description = options_.descriptions ? v.Get("description") : nullptr;
    if (description != nullptr && description->IsString()) {
      Add(out, "description", Copy(*description, alloc_), alloc_);
    }
    if (IsTrue(v.Get("x-kubernetes-int-or-string"))) {
      Add(out, "x-kubernetes-int-or-string", Value(true), alloc_);
      return out;
    }
    const Value* type_value = v.Get("type");
    std::string type =
        type_value != nullptr && type_value->IsString() ? std::string(View(*type_value)) : "";
    if (type.empty()) {
      const Value* alternatives = v.Get("anyOf");
      if (alternatives == nullptr) alternatives = v.Get("oneOf");
      if (alternatives != nullptr && alternatives->IsArray()) {
        std::set<std::string> types;
        bool simple = true;
        for (const auto& alt : alternatives->GetArray()) {
          const Value* t = json::Find(alt, "type");
          if (t == nullptr || !t->IsString() || json::Find(alt, "properties") ||
              json::Find(alt, "items")) {
            simple = false;
            break;
          }
          types.insert(std::string(View(*t)));
        }
        if (simple && types == std::set<std::string>{"integer", "string"}) {
          Add(out, "x-kubernetes-int-or-string", Value(true), alloc_);
          return out;
        }
        // string-or-number (Quantity) and other unions have no structural form.
        ++stats_.unions;
        Add(out, "x-kubernetes-preserve-unknown-fields", Value(true), alloc_);
        return out;
      }
      const Value* properties = v.Get("properties");
      if (properties != nullptr && properties->IsObject()) {
        type = "object";
      } else if (v.Get("items") != nullptr) {
        type = "array";
      } else if (v.Get("additionalProperties") != nullptr) {
        type = "object";
      } else {
        // No type at all: any value.
        Add(out, "x-kubernetes-preserve-unknown-fields", Value(true), alloc_);
        return out;
      }
    }
    static const std::set<std::string, std::less<>> kTypes = {"object",  "array",  "string",
                                                              "integer", "number", "boolean"};
    if (!kTypes.count(type)) {
      Add(out, "x-kubernetes-preserve-unknown-fields", Value(true), alloc_);
      return out;
    }
    AddStr(out, "type", type, alloc_);
    if (const Value* f = v.Get("format");
        f != nullptr && f->IsString() && SupportedFormat(View(*f))) {
      Add(out, "format", Copy(*f, alloc_), alloc_);
    }
    if (const Value* e = v.Get("enum"); e != nullptr && e->IsArray() && !e->Empty()) {
      bool ok = true;
      for (const auto& x : e->GetArray()) {
        if (type == "string"                          ? !x.IsString()
            : (type == "integer" || type == "number") ? !x.IsNumber()
                                                      : true) {
          ok = false;
        }
      }
      if (ok) Add(out, "enum", Copy(*e, alloc_), alloc_);
    }
    if (IsTrue(v.Get("nullable"))) Add(out, "nullable", Value(true), alloc_);

    if (type == "string") {
      CopyIf(v, out, "minLength", &Value::IsUint64);
      CopyIf(v, out, "maxLength", &Value::IsUint64);
      CopyIf(v, out, "pattern", &Value::IsString);
    } else if (type == "integer" || type == "number") {
      CopyIf(v, out, "minimum", &Value::IsNumber);
      CopyIf(v, out, "exclusiveMinimum", &Value::IsBool);
      CopyIf(v, out, "maximum", &Value::IsNumber);
      CopyIf(v, out, "exclusiveMaximum", &Value::IsBool);
      CopyIf(v, out, "multipleOf", &Value::IsNumber);
    } else if (type == "object") {
      ConvertObject(v, depth, out);
    } else if (type == "array") {
      ConvertArray(v, depth, out);
    }
    return out;
  }

  void ConvertObject(const SchemaView& v, int depth, Value& out) {
    const Value* properties = v.Get("properties");
    const Value* additional = v.Get("additionalProperties");
    bool preserve = IsTrue(v.Get("x-kubernetes-preserve-unknown-fields"));
    CopyIf(v, out, "minProperties", &Value::IsUint64);
    CopyIf(v, out, "maxProperties", &Value::IsUint64);
    if (properties != nullptr && properties->IsObject() && !properties->ObjectEmpty()) {
      Value props(rapidjson::kObjectType);
      for (const auto& p : properties->GetObject()) {
        if (stats_.nodes >= options_.max_nodes) {
          // Out of budget: the fields not listed yet are kept as given.
          ++stats_.budget_cuts;
          preserve = true;
          break;
        }
        Add(props, View(p.name), Convert(p.value, depth + 1), alloc_);
      }
      Value required(rapidjson::kArrayType);
      if (const Value* r = v.Get("required"); r != nullptr && r->IsArray()) {
        std::set<std::string> seen;
        for (const auto& name : r->GetArray()) {
          if (name.IsString() && json::Find(props, View(name)) &&
              seen.insert(std::string(View(name))).second) {
            required.PushBack(Copy(name, alloc_), alloc_);
          }
        }
      }
      Add(out, "properties", std::move(props), alloc_);
      if (!required.Empty()) Add(out, "required", std::move(required), alloc_);
      // A structural schema cannot have both properties and additionalProperties.
      if ((additional != nullptr && additional->IsObject()) || IsTrue(additional)) preserve = true;
    } else if (additional != nullptr && additional->IsObject()) {
      Add(out, "additionalProperties", Convert(*additional, depth + 1), alloc_);
    } else if (!(additional != nullptr && additional->IsBool() && !additional->GetBool())) {
      // A free-form object (RawExtension, JSON, additionalProperties: true).
      preserve = true;
    }
    if (const Value* mt = v.Get("x-kubernetes-map-type");
        mt != nullptr && mt->IsString() && (View(*mt) == "granular" || View(*mt) == "atomic")) {
      Add(out, "x-kubernetes-map-type", Copy(*mt, alloc_), alloc_);
    }
    if (preserve) Add(out, "x-kubernetes-preserve-unknown-fields", Value(true), alloc_);
  }

  void ConvertArray(const SchemaView& v, int depth, Value& out) {
    CopyIf(v, out, "minItems", &Value::IsUint64);
    CopyIf(v, out, "maxItems", &Value::IsUint64);
    const Value* items = v.Get("items");
    Value converted =
        items != nullptr && items->IsObject() ? Convert(*items, depth + 1) : AnyValue(nullptr);
    const Value* list_type = v.Get("x-kubernetes-list-type");
    absl::string_view lt = list_type != nullptr && list_type->IsString() ? View(*list_type) : "";
    Value keys_out(rapidjson::kArrayType);
    if (lt == "set") {
      const std::string item_type = json::GetString(converted, "type");
      if (item_type != "string" && item_type != "integer" && item_type != "number" &&
          item_type != "boolean") {
        lt = "";
      }
    } else if (lt == "map") {
      // Map keys must be required properties (or have defaults, which templates drop).
      const Value* keys = v.Get("x-kubernetes-list-map-keys");
      const Value* props = json::Find(converted, "properties");
      const Value* required = json::Find(converted, "required");
      bool ok = keys != nullptr && keys->IsArray() && !keys->Empty() && props != nullptr &&
                required != nullptr;
      if (ok) {
        for (const auto& k : keys->GetArray()) {
          bool is_required = false;
          for (const auto& r : required->GetArray()) is_required |= r == k;
          const Value* kp = k.IsString() ? json::Find(*props, View(k)) : nullptr;
          const std::string kt = kp == nullptr ? "" : json::GetString(*kp, "type");
          if (!is_required || kt.empty() || kt == "object" || kt == "array") ok = false;
          if (ok) keys_out.PushBack(Copy(k, alloc_), alloc_);
        }
      }
      if (!ok) lt = "";
    } else if (lt != "atomic") {
      lt = "";
    }
    Add(out, "items", std::move(converted), alloc_);
    if (!lt.empty()) {
      AddStr(out, "x-kubernetes-list-type", lt, alloc_);
      if (lt == "map") Add(out, "x-kubernetes-list-map-keys", std::move(keys_out), alloc_);
    }
  }

  rapidjson::Document& Scratch() {
    scratch_.emplace_back();
    return scratch_.back();
  }

  const Value* components_;
  const SchemaOptions& options_;
  Alloc& alloc_;
  SchemaStats stats_;
  std::vector<std::string> stack_;
  std::deque<rapidjson::Document> scratch_;  // materialized merges; outlive the conversion
};

// Removes `required` below `schema`, except the keys of list-type map lists (which the
// apiserver insists on). A template may leave out what a cluster's override adds; members
// validate the objects kfed creates.
void DropRequired(Value& schema, const Value* keep) {
  if (!schema.IsObject()) return;
  if (Value* required = json::FindMutable(schema, "required");
      required != nullptr && required->IsArray()) {
    if (keep == nullptr) {
      EraseKey(schema, "required");
    } else {
      Value& r = *required;
      for (rapidjson::SizeType i = r.Size(); i > 0; --i) {
        bool is_key = false;
        for (const auto& k : keep->GetArray()) is_key |= k == r[i - 1];
        if (!is_key) r.Erase(r.Begin() + (i - 1));
      }
      if (r.Empty()) EraseKey(schema, "required");
    }
  }
  if (Value* props = json::FindMutable(schema, "properties");
      props != nullptr && props->IsObject()) {
    for (auto& p : props->GetObject()) DropRequired(p.value, nullptr);
  }
  if (Value* additional = json::FindMutable(schema, "additionalProperties"))
    DropRequired(*additional, nullptr);
  if (Value* items = json::FindMutable(schema, "items")) {
    const Value* keys = json::GetString(schema, "x-kubernetes-list-type") == "map"
                            ? json::Find(schema, "x-kubernetes-list-map-keys")
                            : nullptr;
    DropRequired(*items, keys);
  }
}

// The template schema of a target whose root schema is `root`: status is not templated,
// nothing is required (but list-map keys), and metadata is kept as given.
TemplateSchema BuildTemplate(const Value& root, const Value* components,
                             const SchemaOptions& options) {
  TemplateSchema result;
  rapidjson::Document& out = result.schema;
  rapidjson::Document trimmed;
  trimmed.CopyFrom(root, trimmed.GetAllocator());
  if (Value* props = json::FindMutable(trimmed, "properties")) EraseKey(*props, "status");
  EraseKey(trimmed, "required");
  EraseKey(trimmed, "x-kubernetes-validations");
  Structuralizer s(components, options, out.GetAllocator());
  Value converted = s.Convert(trimmed, /*depth=*/0);
  out.SetObject();
  Alloc& a = out.GetAllocator();
  if (converted.IsObject() && json::GetString(converted, "type") == "object") {
    out.CopyFrom(converted, a);
  } else {
    // The root itself was cut (tiny budget): an object that accepts anything.
    AddStr(out, "type", "object", a);
    Add(out, "x-kubernetes-preserve-unknown-fields", Value(true), a);
  }
  DropRequired(out, nullptr);
  Value& props = json::EnsureObject(out, "properties", a);
  Value metadata = s.Metadata(nullptr);
  json::Set(props, "metadata", metadata, a);
  for (absl::string_view field : {"apiVersion", "kind"}) {
    const Value* existing = json::Find(props, field);
    if (existing == nullptr || json::GetString(*existing, "type") != "string") {
      Value string_schema(rapidjson::kObjectType);
      AddStr(string_schema, "type", "string", a);
      json::Set(props, field, string_schema, a);
    }
  }
  // properties must come before x-kubernetes-preserve-unknown-fields for stable output;
  // EnsureObject appends, so move the flag last if present.
  if (Value* puf = json::FindMutable(out, "x-kubernetes-preserve-unknown-fields")) {
    Value flag = std::move(*puf);
    EraseKey(out, "x-kubernetes-preserve-unknown-fields");
    Add(out, "x-kubernetes-preserve-unknown-fields", std::move(flag), a);
  }
  result.stats = s.stats();
  return result;
}

bool GvkMatches(const Value& schema, const TargetType& target) {
  const Value* gvks = json::Find(schema, "x-kubernetes-group-version-kind");
  if (gvks == nullptr || !gvks->IsArray()) return false;
  for (const auto& gvk : gvks->GetArray()) {
    if (json::GetString(gvk, "group") == target.group &&
        json::GetString(gvk, "version") == target.version &&
        json::GetString(gvk, "kind") == target.kind) {
      return true;
    }
  }
  return false;
}

// ---- The Federated<Kind> CRD --------------------------------------------------------------

// One property for Schema::Object. initializer_list elements are const, and a rapidjson
// Value is move-only, so the value is mutable to be moved out exactly once.
struct Prop {
  Prop(absl::string_view n, Value&& v) : name(n), value(std::move(v)) {}
  absl::string_view name;
  mutable Value value;
};

// Small builders for the fixed parts of the schema.
class Schema {
 public:
  explicit Schema(Alloc& a) : a_(a) {}

  Value Type(absl::string_view type, absl::string_view description = "") {
    Value v(rapidjson::kObjectType);
    if (!description.empty()) AddStr(v, "description", description, a_);
    AddStr(v, "type", type, a_);
    return v;
  }
  Value Strings(std::initializer_list<absl::string_view> values) {
    Value v(rapidjson::kArrayType);
    for (absl::string_view s : values) v.PushBack(Str(s, a_), a_);
    return v;
  }
  Value Object(absl::string_view description, std::initializer_list<Prop> properties,
               std::initializer_list<absl::string_view> required = {}) {
    Value props(rapidjson::kObjectType);
    for (const Prop& p : properties) Add(props, p.name, std::move(p.value), a_);
    return Object(description, std::move(props), required);
  }
  Value Object(absl::string_view description, Value props,
               std::initializer_list<absl::string_view> required = {}) {
    Value v = Type("object", description);
    Add(v, "properties", std::move(props), a_);
    if (required.size() > 0) Add(v, "required", Strings(required), a_);
    return v;
  }
  Value Array(absl::string_view description, Value items) {
    Value v = Type("array", description);
    Add(v, "items", std::move(items), a_);
    return v;
  }
  Value Rule(absl::string_view rule, absl::string_view message, bool message_expression = false) {
    Value v(rapidjson::kObjectType);
    AddStr(v, "rule", rule, a_);
    AddStr(v, message_expression ? "messageExpression" : "message", message, a_);
    return v;
  }
  Value Column(absl::string_view name, absl::string_view type, absl::string_view path,
               absl::string_view description = "") {
    Value v(rapidjson::kObjectType);
    AddStr(v, "name", name, a_);
    AddStr(v, "type", type, a_);
    AddStr(v, "jsonPath", path, a_);
    if (!description.empty()) AddStr(v, "description", description, a_);
    return v;
  }

 private:
  Alloc& a_;
};

bool HasInt32Replicas(const Value& template_schema) {
  const Value* replicas =
      json::FindPath(template_schema, {"properties", "spec", "properties", "replicas"});
  return replicas != nullptr && json::GetString(*replicas, "type") == "integer" &&
         json::GetString(*replicas, "format") == "int32";
}

Value PlacementSchema(Schema& s, Alloc& a) {
  Value cluster = s.Object("", {{"name", s.Type("string", "Name of a KubeFedCluster.")}}, {"name"});
  Value operator_schema = s.Type("string", "Relationship of the key to the values.");
  Add(operator_schema, "enum", s.Strings({"In", "NotIn", "Exists", "DoesNotExist"}), a);
  Value values =
      s.Array("Values for In and NotIn; empty for Exists and DoesNotExist.", s.Type("string"));
  Value expression = s.Object("",
                              {{"key", s.Type("string", "The label key.")},
                               {"operator", std::move(operator_schema)},
                               {"values", std::move(values)}},
                              {"key", "operator"});
  Value match_labels = s.Type("object", "Labels a cluster must have (all of them).");
  Add(match_labels, "additionalProperties", s.Type("string"), a);
  Value selector = s.Object(
      "Selects KubeFedClusters by label when clusters is not set: nil selects none, {} all.",
      {{"matchLabels", std::move(match_labels)},
       {"matchExpressions",
        s.Array("Label requirements a cluster must meet (all of them).", std::move(expression))}});
  Add(selector, "x-kubernetes-map-type", Str("atomic", a), a);
  return s.Object(
      "Where the object is propagated. A non-nil clusters list wins (an empty list selects no "
      "cluster); otherwise clusterSelector decides.",
      {{"clusters", s.Array("The clusters to propagate to, by name.", std::move(cluster))},
       {"clusterSelector", std::move(selector)}});
}

Value OverridesSchema(Schema& s, Alloc& a) {
  Value op = s.Type("string", "The JSON Patch operation: add, remove or replace (the default).");
  Add(op, "enum", s.Strings({"add", "remove", "replace"}), a);
  AddStr(op, "default", "replace", a);
  Value path = s.Type("string", "A JSON pointer (RFC 6901) into the object, e.g. /spec/replicas.");
  Add(path, "minLength", Value(1), a);
  Add(path, "maxLength", Value(kMaxPathLength), a);
  Value value(rapidjson::kObjectType);
  AddStr(value, "description", "The value for add and replace (any JSON value).", a);
  Add(value, "nullable", Value(true), a);
  Add(value, "x-kubernetes-preserve-unknown-fields", Value(true), a);
  Value patch =
      s.Object("", {{"op", std::move(op)}, {"path", std::move(path)}, {"value", std::move(value)}},
               {"path"});
  Value rules(rapidjson::kArrayType);
  rules.PushBack(s.Rule("self.path.startsWith('/')",
                        "'path ' + self.path + ' must be a JSON pointer starting with /'", true),
                 a);
  rules.PushBack(
      s.Rule("!(self.path in ['/metadata/name', '/metadata/namespace', '/metadata/generateName', "
             "'/kind'])",
             "'path ' + self.path + ' cannot be overridden: /metadata/name, /metadata/namespace, "
             "/metadata/generateName and /kind come from the federated object'",
             true),
      a);
  Add(patch, "x-kubernetes-validations", std::move(rules), a);

  Value patches =
      s.Array("JSON Patch operations applied in order; a path may appear once.", std::move(patch));
  Add(patches, "maxItems", Value(kMaxClusterOverrides), a);
  AddStr(patches, "x-kubernetes-list-type", "map", a);
  Add(patches, "x-kubernetes-list-map-keys", s.Strings({"path"}), a);

  Value cluster_name = s.Type("string", "The KubeFedCluster these overrides apply to.");
  Add(cluster_name, "minLength", Value(1), a);
  Add(cluster_name, "maxLength", Value(253), a);
  Value item = s.Object(
      "", {{"clusterName", std::move(cluster_name)}, {"clusterOverrides", std::move(patches)}},
      {"clusterName"});
  Value overrides =
      s.Array("Per-cluster changes to the template; a cluster may appear once.", std::move(item));
  Add(overrides, "maxItems", Value(kMaxOverrideClusters), a);
  AddStr(overrides, "x-kubernetes-list-type", "map", a);
  Add(overrides, "x-kubernetes-list-map-keys", s.Strings({"clusterName"}), a);
  return overrides;
}

Value StatusSchema(Schema& s, Alloc& a) {
  Value time1 = s.Type("string", "Last time the condition was updated.");
  AddStr(time1, "format", "date-time", a);
  Value time2 = s.Type("string", "Last time the condition changed status.");
  AddStr(time2, "format", "date-time", a);
  Value cond_status = s.Type("string", "True, False or Unknown.");
  Add(cond_status, "enum", s.Strings({"True", "False", "Unknown"}), a);
  Value condition =
      s.Object("",
               {{"type", s.Type("string", "The condition type: Propagation.")},
                {"status", std::move(cond_status)},
                {"reason", s.Type("string",
                                  "Why propagation is not complete: ClusterRetrievalFailed, "
                                  "ComputePlacementFailed, CheckClusters, NamespaceNotFederated.")},
                {"message", s.Type("string",
                                   "kfed: what keeps propagation from completing, in words.")},
                {"lastUpdateTime", std::move(time1)},
                {"lastTransitionTime", std::move(time2)}},
               {"type", "status"});
  Value remote(rapidjson::kObjectType);
  AddStr(remote, "description", "The status of the object in the member cluster, when collected.",
         a);
  Add(remote, "x-kubernetes-preserve-unknown-fields", Value(true), a);
  Value cluster = s.Object(
      "",
      {{"name", s.Type("string", "The cluster name.")},
       {"status", s.Type("string",
                         "Empty when propagation to this cluster succeeded, else the reason "
                         "(CreationFailed, UpdateFailed, ClusterNotReady, ...).")},
       {"message", s.Type("string",
                          "kfed: what went wrong in this cluster (the member's error, the "
                          "override path), for a user to act on.")},
       {"remoteStatus", std::move(remote)}},
      {"name"});
  Value observed = s.Type("integer", "The generation of the federated object the status is for.");
  AddStr(observed, "format", "int64", a);
  Value conditions = s.Array("", std::move(condition));
  Value clusters = s.Array("Propagation status per placed cluster.", std::move(cluster));
  return s.Object("Propagation status, written by the sync controller.",
                  {{"observedGeneration", std::move(observed)},
                   {"conditions", std::move(conditions)},
                   {"clusters", std::move(clusters)}});
}

std::string FederatedKind(const TargetType& t) { return "Federated" + t.kind; }

}  // namespace

std::string TargetType::QualifiedName() const {
  return group.empty() ? plural : plural + "." + group;
}

absl::StatusOr<TemplateSchema> TemplateSchemaFromOpenApi(const rapidjson::Value& openapi,
                                                         const TargetType& target,
                                                         const SchemaOptions& options) {
  const Value* schemas = json::FindPath(openapi, {"components", "schemas"});
  if (schemas == nullptr || !schemas->IsObject()) {
    return absl::InvalidArgumentError("not an OpenAPI v3 document: no components.schemas");
  }
  for (const auto& m : schemas->GetObject()) {
    if (GvkMatches(m.value, target)) return BuildTemplate(m.value, schemas, options);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "no schema in the OpenAPI document has x-kubernetes-group-version-kind ",
      target.group.empty() ? "core" : target.group, "/", target.version, ", Kind=", target.kind));
}

absl::StatusOr<TargetType> TargetTypeFromCrd(const rapidjson::Value& crd,
                                             absl::string_view version) {
  if (json::GetString(crd, "kind") != "CustomResourceDefinition") {
    return absl::InvalidArgumentError("not a CustomResourceDefinition");
  }
  const Value* spec = json::Find(crd, "spec");
  if (spec == nullptr) return absl::InvalidArgumentError("CRD has no spec");
  TargetType t;
  t.group = json::GetString(*spec, "group");
  const Value* names = json::Find(*spec, "names");
  if (names != nullptr) {
    t.kind = json::GetString(*names, "kind");
    t.plural = json::GetString(*names, "plural");
    if (const Value* sn = json::Find(*names, "shortNames"); sn != nullptr && sn->IsArray()) {
      for (const auto& n : sn->GetArray()) {
        if (n.IsString()) t.short_names.emplace_back(View(n));
      }
    }
  }
  t.namespaced = json::GetString(*spec, "scope") != "Cluster";
  const Value* versions = json::Find(*spec, "versions");
  if (versions != nullptr && versions->IsArray()) {
    for (const auto& v : versions->GetArray()) {
      std::string name = json::GetString(v, "name");
      if ((version.empty() && json::Find(v, "storage") && json::Find(v, "storage")->IsBool() &&
           json::Find(v, "storage")->GetBool()) ||
          (!version.empty() && name == version)) {
        t.version = name;
      }
    }
  }
  if (t.group.empty() || t.kind.empty() || t.plural.empty()) {
    return absl::InvalidArgumentError("CRD lacks spec.group, spec.names.kind or spec.names.plural");
  }
  if (t.version.empty()) {
    return absl::InvalidArgumentError(version.empty()
                                          ? std::string("CRD has no storage version")
                                          : absl::StrCat("CRD has no version ", version));
  }
  return t;
}

absl::StatusOr<TemplateSchema> TemplateSchemaFromCrd(const rapidjson::Value& crd,
                                                     const TargetType& target,
                                                     const SchemaOptions& options) {
  const Value* versions = json::FindPath(crd, {"spec", "versions"});
  if (versions == nullptr || !versions->IsArray())
    return absl::InvalidArgumentError("CRD has no spec.versions");
  for (const auto& v : versions->GetArray()) {
    if (json::GetString(v, "name") != target.version) continue;
    const Value* schema = json::FindPath(v, {"schema", "openAPIV3Schema"});
    if (schema == nullptr || !schema->IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat("CRD version ", target.version, " has no openAPIV3Schema"));
    }
    return BuildTemplate(*schema, /*components=*/nullptr, options);
  }
  return absl::InvalidArgumentError(absl::StrCat("CRD has no version ", target.version));
}

rapidjson::Document FederatedCrd(const TargetType& target,
                                 const rapidjson::Value& template_schema) {
  rapidjson::Document crd(rapidjson::kObjectType);
  Alloc& a = crd.GetAllocator();
  Schema s(a);
  const std::string kind = FederatedKind(target);
  const std::string plural = PluralName(kind);
  // KubeFed's one exception: FederatedNamespace is namespaced (objects named <ns>/<ns>).
  const bool namespaced = target.namespaced || target.QualifiedName() == "namespaces";

  AddStr(crd, "apiVersion", "apiextensions.k8s.io/v1", a);
  AddStr(crd, "kind", "CustomResourceDefinition", a);
  Value metadata(rapidjson::kObjectType);
  AddStr(metadata, "name", absl::StrCat(plural, ".", kFederatedGroup), a);
  Add(crd, "metadata", std::move(metadata), a);

  Value names(rapidjson::kObjectType);
  AddStr(names, "kind", kind, a);
  AddStr(names, "listKind", kind + "List", a);
  AddStr(names, "plural", plural, a);
  AddStr(names, "singular", absl::AsciiStrToLower(kind), a);
  if (!target.short_names.empty()) {
    Value short_names(rapidjson::kArrayType);
    for (const std::string& n : target.short_names) short_names.PushBack(Str("f" + n, a), a);
    Add(names, "shortNames", std::move(short_names), a);
  }
  Add(names, "categories", s.Strings({"kubefed"}), a);

  Value template_copy(template_schema, a);
  if (!template_copy.IsObject()) template_copy = s.Type("object");
  std::string template_description =
      absl::StrCat("The ", target.kind, " to create in each selected cluster: the ", target.kind,
                   " schema with metadata kept as given.");
  EraseKey(template_copy, "description");
  Value described(rapidjson::kObjectType);
  AddStr(described, "description", template_description, a);
  for (auto& m : template_copy.GetObject()) described.AddMember(m.name, m.value, a);

  Value spec_props(rapidjson::kObjectType);
  Add(spec_props, "template", std::move(described), a);
  Add(spec_props, "placement", PlacementSchema(s, a), a);
  Add(spec_props, "overrides", OverridesSchema(s, a), a);
  if (HasInt32Replicas(template_schema)) {
    Add(spec_props, "retainReplicas",
        s.Type("boolean",
               "Keep spec.replicas of the object in each member cluster (e.g. set by an "
               "autoscaler there) instead of the template's."),
        a);
  }
  Value spec =
      s.Object(absl::StrCat("What to propagate (template), where (placement) and with which "
                            "per-cluster changes (overrides)."),
               std::move(spec_props));

  Value root = s.Object(absl::StrCat(kind, " propagates a ", target.kind,
                                     " to the member clusters its placement selects."),
                        {{"apiVersion", s.Type("string")},
                         {"kind", s.Type("string")},
                         {"metadata", s.Type("object")},
                         {"spec", std::move(spec)},
                         {"status", StatusSchema(s, a)}},
                        {"spec"});

  Value version(rapidjson::kObjectType);
  AddStr(version, "name", kFederatedVersion, a);
  Add(version, "served", Value(true), a);
  Add(version, "storage", Value(true), a);
  Value subresources(rapidjson::kObjectType);
  Add(subresources, "status", Value(rapidjson::kObjectType), a);
  Add(version, "subresources", std::move(subresources), a);
  Value columns(rapidjson::kArrayType);
  columns.PushBack(
      s.Column("Propagated", "string", ".status.conditions[?(@.type=='Propagation')].status",
               "Whether the object was propagated to every selected cluster."),
      a);
  columns.PushBack(
      s.Column("Reason", "string", ".status.conditions[?(@.type=='Propagation')].reason",
               "Why propagation is incomplete."),
      a);
  columns.PushBack(s.Column("Age", "date", ".metadata.creationTimestamp"), a);
  Add(version, "additionalPrinterColumns", std::move(columns), a);
  Value schema(rapidjson::kObjectType);
  Add(schema, "openAPIV3Schema", std::move(root), a);
  Add(version, "schema", std::move(schema), a);
  Value versions(rapidjson::kArrayType);
  versions.PushBack(version, a);

  Value crd_spec(rapidjson::kObjectType);
  AddStr(crd_spec, "group", kFederatedGroup, a);
  Add(crd_spec, "names", std::move(names), a);
  AddStr(crd_spec, "scope", namespaced ? "Namespaced" : "Cluster", a);
  Add(crd_spec, "versions", std::move(versions), a);
  Add(crd, "spec", std::move(crd_spec), a);
  return crd;
}

rapidjson::Document FederatedTypeConfig(const TargetType& target) {
  rapidjson::Document ftc(rapidjson::kObjectType);
  Alloc& a = ftc.GetAllocator();
  const std::string kind = FederatedKind(target);
  const bool federated_namespaced = target.namespaced || target.QualifiedName() == "namespaces";
  AddStr(ftc, "apiVersion", kCoreV1Beta1, a);
  AddStr(ftc, "kind", kFederatedTypeConfigKind, a);
  Value metadata(rapidjson::kObjectType);
  AddStr(metadata, "name", target.QualifiedName(), a);
  Add(ftc, "metadata", std::move(metadata), a);
  Value target_type(rapidjson::kObjectType);
  if (!target.group.empty()) AddStr(target_type, "group", target.group, a);
  AddStr(target_type, "version", target.version, a);
  AddStr(target_type, "kind", target.kind, a);
  AddStr(target_type, "pluralName", target.plural, a);
  AddStr(target_type, "scope", target.namespaced ? "Namespaced" : "Cluster", a);
  Value federated_type(rapidjson::kObjectType);
  AddStr(federated_type, "group", kFederatedGroup, a);
  AddStr(federated_type, "version", kFederatedVersion, a);
  AddStr(federated_type, "kind", kind, a);
  AddStr(federated_type, "pluralName", PluralName(kind), a);
  AddStr(federated_type, "scope", federated_namespaced ? "Namespaced" : "Cluster", a);
  Value spec(rapidjson::kObjectType);
  Add(spec, "targetType", std::move(target_type), a);
  AddStr(spec, "propagation", "Enabled", a);
  Add(spec, "federatedType", std::move(federated_type), a);
  Add(ftc, "spec", std::move(spec), a);
  return ftc;
}

const std::vector<DefaultType>& DefaultTypes() {
  static const auto* types = new std::vector<DefaultType>{
      {{"", "v1", "Namespace", "namespaces", false, {"ns"}}, "api/v1"},
      {{"", "v1", "ConfigMap", "configmaps", true, {"cm"}}, "api/v1"},
      {{"", "v1", "Secret", "secrets", true, {}}, "api/v1"},
      {{"", "v1", "ServiceAccount", "serviceaccounts", true, {"sa"}}, "api/v1"},
      {{"", "v1", "Service", "services", true, {"svc"}}, "api/v1"},
      {{"apps", "v1", "Deployment", "deployments", true, {"deploy"}}, "apis/apps/v1"},
      {{"apps", "v1", "ReplicaSet", "replicasets", true, {"rs"}}, "apis/apps/v1"},
      {{"batch", "v1", "Job", "jobs", true, {}}, "apis/batch/v1"},
      {{"networking.k8s.io", "v1", "Ingress", "ingresses", true, {"ing"}},
       "apis/networking.k8s.io/v1"},
      {{"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, {}},
       "apis/rbac.authorization.k8s.io/v1"},
  };
  return *types;
}

std::string OpenApiFileName(absl::string_view openapi_path) {
  return absl::StrCat(absl::StrReplaceAll(openapi_path, {{"/", "_"}}), ".json");
}

std::string RenderYaml(const TargetType& target, const rapidjson::Value& template_schema) {
  rapidjson::Document crd = FederatedCrd(target, template_schema);
  rapidjson::Document ftc = FederatedTypeConfig(target);
  return absl::StrCat(
      "# Federated", target.kind, " (types.kubefed.io/v1beta1) and the FederatedTypeConfig ",
      target.QualifiedName(), ".\n",
      "# Generated by kfed-crdgen; do not edit. Regenerate with hack/update-crds.sh.\n",
      yaml::ToYamlStream({&crd, &ftc}));
}

absl::StatusOr<std::string> GenerateYaml(const rapidjson::Value& openapi, const TargetType& target,
                                         const SchemaOptions& options) {
  absl::StatusOr<TemplateSchema> t = TemplateSchemaFromOpenApi(openapi, target, options);
  if (!t.ok()) return t.status();
  return RenderYaml(target, t->schema);
}

}  // namespace kfed::federated_types
