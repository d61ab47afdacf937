#include "federated_types/crds/crdgen.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "base/yaml_json.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::Json;

using rapidjson::Value;

rapidjson::Document ReadOpenApi(absl::string_view file) {
  std::ifstream in(absl::StrCat("federated_types/crds/testdata/openapi/", file));
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_FALSE(s.str().empty()) << file;
  return Json(s.str());
}

const TargetType kWidget{"example.com", "v1", "Widget", "widgets", true, {}};

// An OpenAPI v3 document with a Widget whose spec is `spec_schema` plus extra components.
rapidjson::Document WidgetOpenApi(absl::string_view spec_schema,
                                  absl::string_view extra_components = "") {
  return Json(absl::StrCat(
      R"({"components":{"schemas":{)",
      R"("com.example.v1.Widget":{"type":"object","x-kubernetes-group-version-kind":[{"group":"example.com","version":"v1","kind":"Widget"}],)",
      R"("required":["spec"],"properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},)",
      R"("metadata":{"default":{},"allOf":[{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]},)",
      R"("spec":{"description":"The spec.","default":{},"allOf":[{"$ref":"#/components/schemas/com.example.v1.WidgetSpec"}]},)",
      R"("status":{"type":"object","properties":{"phase":{"type":"string"}}}}},)",
      R"("com.example.v1.WidgetSpec":)", spec_schema, extra_components.empty() ? "" : ",",
      extra_components,
      R"(,"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta":{"type":"object","properties":{"name":{"type":"string"}}}}}})"));
}

TemplateSchema Template(const rapidjson::Document& openapi, const SchemaOptions& options = {}) {
  auto t = TemplateSchemaFromOpenApi(openapi, kWidget, options);
  EXPECT_TRUE(t.ok()) << t.status();
  if (!t.ok()) return TemplateSchema{};
  return std::move(*t);
}

const Value* Spec(const TemplateSchema& t) {
  return json::FindPath(t.schema, {"properties", "spec"});
}

// Visits every schema node below `schema`.
void ForEachNode(const Value& schema, const std::function<void(const Value&)>& visit) {
  visit(schema);
  if (const Value* props = json::Find(schema, "properties");
      props != nullptr && props->IsObject()) {
    for (const auto& p : props->GetObject()) ForEachNode(p.value, visit);
  }
  for (const char* key : {"items", "additionalProperties"}) {
    if (const Value* sub = json::Find(schema, key); sub != nullptr && sub->IsObject())
      ForEachNode(*sub, visit);
  }
}

// What the apiserver demands of a structural schema (the parts the generator controls).
void ExpectStructural(const Value& schema) {
  ForEachNode(schema, [](const Value& node) {
    for (const char* forbidden :
         {"$ref", "allOf", "anyOf", "oneOf", "not", "default", "uniqueItems",
          "x-kubernetes-validations", "x-kubernetes-embedded-resource"}) {
      EXPECT_EQ(json::Find(node, forbidden), nullptr)
          << forbidden << " in " << json::Serialize(node);
    }
    bool typed = json::Find(node, "type") != nullptr;
    bool any = json::Find(node, "x-kubernetes-preserve-unknown-fields") != nullptr;
    bool int_or_string = json::Find(node, "x-kubernetes-int-or-string") != nullptr;
    EXPECT_TRUE(typed || any || int_or_string) << json::Serialize(node);
    if (json::Find(node, "properties") != nullptr) {
      EXPECT_EQ(json::Find(node, "additionalProperties"), nullptr) << json::Serialize(node);
    }
    if (json::GetString(node, "type") == "array") {
      EXPECT_NE(json::Find(node, "items"), nullptr);
    }
  });
}

TEST(CrdgenTest, RefsAreInlinedAndDefaultsDropped) {
  auto openapi = WidgetOpenApi(
      R"({"type":"object","properties":{"size":{"type":"integer","format":"int32","default":3},)"
      R"("part":{"description":"Own words.","default":{},"allOf":[{"$ref":"#/components/schemas/com.example.v1.Part"}]},)"
      R"("parts":{"type":"array","items":{"$ref":"#/components/schemas/com.example.v1.Part"}}}})",
      R"("com.example.v1.Part":{"description":"A part.","type":"object","required":["name"],)"
      R"("properties":{"name":{"type":"string","pattern":"^[a-z]+$","maxLength":63}}})");
  TemplateSchema t = Template(openapi);
  ExpectStructural(t.schema);
  const Value* spec = Spec(t);
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(json::GetString(*spec, "description"), "The spec.");
  EXPECT_EQ(json::Serialize(*json::FindPath(*spec, {"properties", "size"})),
            R"({"type":"integer","format":"int32"})");
  // The referencing field's description wins; the referenced type's is not repeated.
  EXPECT_EQ(
      json::Serialize(*json::FindPath(*spec, {"properties", "part"})),
      R"({"description":"Own words.","type":"object","properties":{"name":{"type":"string","maxLength":63,)"
      R"("pattern":"^[a-z]+$"}}})");
  EXPECT_EQ(json::GetString(*json::FindPath(*spec, {"properties", "parts", "items"}), "type"),
            "object");
  // Status is not templated, metadata is kept as given, the root requires nothing.
  EXPECT_EQ(json::FindPath(t.schema, {"properties", "status"}), nullptr);
  EXPECT_EQ(json::Find(t.schema, "required"), nullptr);
  EXPECT_EQ(json::Serialize(*json::FindPath(t.schema, {"properties", "metadata"})),
            R"({"type":"object","x-kubernetes-preserve-unknown-fields":true})");
  EXPECT_EQ(t.stats.cycles + t.stats.depth_cuts + t.stats.budget_cuts + t.stats.unresolved_refs,
            0u);
}

TEST(CrdgenTest, RecursiveSchemaIsCutWithPreserveUnknownFields) {
  // Like JSONSchemaProps: a type that contains itself directly, in a list and in a map.
  auto openapi = WidgetOpenApi(
      R"({"allOf":[{"$ref":"#/components/schemas/com.example.v1.Props"}]})",
      R"("com.example.v1.Props":{"type":"object","properties":{"type":{"type":"string"},)"
      R"("not":{"$ref":"#/components/schemas/com.example.v1.Props"},)"
      R"("items":{"type":"array","items":{"$ref":"#/components/schemas/com.example.v1.Props"}},)"
      R"("properties":{"type":"object","additionalProperties":{"$ref":"#/components/schemas/com.example.v1.Props"}}}})");
  TemplateSchema t = Template(openapi);
  ExpectStructural(t.schema);
  EXPECT_EQ(t.stats.cycles, 3u);
  const Value* spec = Spec(t);
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(json::GetString(*json::FindPath(*spec, {"properties", "type"}), "type"), "string");
  EXPECT_EQ(json::Serialize(*json::FindPath(*spec, {"properties", "not"})),
            R"({"x-kubernetes-preserve-unknown-fields":true})");
  EXPECT_EQ(json::Serialize(*json::FindPath(*spec, {"properties", "items", "items"})),
            R"({"x-kubernetes-preserve-unknown-fields":true})");
  EXPECT_EQ(
      json::Serialize(*json::FindPath(*spec, {"properties", "properties", "additionalProperties"})),
      R"({"x-kubernetes-preserve-unknown-fields":true})");
}

TEST(CrdgenTest, HugeSchemaStaysBounded) {
  // 40 levels, each type referencing two distinct types of the next level twice: fully
  // inlined that is 4^40 nodes. Plus one type with 50,000 properties.
  std::string components;
  for (int level = 0; level < 40; ++level) {
    for (int i = 0; i < 2; ++i) {
      absl::StrAppend(&components, level == 0 && i == 0 ? "" : ",", "\"com.example.v1.T", level,
                      "_", i, "\":{\"type\":\"object\",\"properties\":{");
      for (int f = 0; f < 4; ++f) {
        absl::StrAppend(&components, f == 0 ? "" : ",", "\"f", f,
                        "\":{\"$ref\":\"#/components/schemas/com.example.v1.T", level + 1, "_",
                        f % 2, "\"}");
      }
      absl::StrAppend(&components, "}}");
    }
  }
  absl::StrAppend(&components, ",\"com.example.v1.Wide\":{\"type\":\"object\",\"properties\":{");
  for (int f = 0; f < 50000; ++f)
    absl::StrAppend(&components, f == 0 ? "" : ",", "\"p", f, "\":{\"type\":\"string\"}");
  absl::StrAppend(&components, "}}");
  auto openapi = WidgetOpenApi(
      R"({"type":"object","properties":{"deep":{"$ref":"#/components/schemas/com.example.v1.T0_0"},)"
      R"("wide":{"$ref":"#/components/schemas/com.example.v1.Wide"}}})",
      components);
  SchemaOptions options;
  TemplateSchema t = Template(openapi, options);
  ExpectStructural(t.schema);
  EXPECT_GT(t.stats.budget_cuts + t.stats.depth_cuts, 0u);
  EXPECT_LE(t.stats.nodes, options.max_nodes + 100);
  EXPECT_LT(json::Serialize(t.schema).size(), 8u << 20);

  SchemaOptions shallow;
  shallow.max_depth = 3;
  TemplateSchema s = Template(openapi, shallow);
  ExpectStructural(s.schema);
  EXPECT_GT(s.stats.depth_cuts, 0u);
  // spec (1) > deep (2) > f0 (3) > f0 (4: cut).
  EXPECT_EQ(json::Serialize(*json::FindPath(
                *Spec(s), {"properties", "deep", "properties", "f0", "properties", "f0"})),
            R"({"x-kubernetes-preserve-unknown-fields":true})");
}

TEST(CrdgenTest, UnionsAndFreeFormFields) {
  auto openapi = WidgetOpenApi(
      R"({"type":"object","properties":{)"
      R"("port":{"description":"A port.","allOf":[{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}]},)"
      R"("cpu":{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"},)"
      R"("limits":{"type":"object","additionalProperties":{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}},)"
      R"("raw":{"type":"object"},)"
      R"("anything":{},)"
      R"("labels":{"type":"object","additionalProperties":{"type":"string"}},)"
      R"("tags":{"type":"array","uniqueItems":true,"items":{"type":"string"},"x-kubernetes-list-type":"set"},)"
      R"("id":{"type":"string","format":"int-or-string"},)"
      R"("missing":{"$ref":"#/components/schemas/com.example.v1.Nope"}}})",
      R"("io.k8s.apimachinery.pkg.util.intstr.IntOrString":{"format":"int-or-string","oneOf":[{"type":"integer"},{"type":"string"}]},)"
      R"("io.k8s.apimachinery.pkg.api.resource.Quantity":{"description":"Long text.","oneOf":[{"type":"string"},{"type":"number"}]})");
  TemplateSchema t = Template(openapi);
  ExpectStructural(t.schema);
  const Value& props = *json::FindPath(*Spec(t), {"properties"});
  struct Case {
    const char* field;
    const char* schema;
  } cases[] = {
      {"port", R"({"description":"A port.","x-kubernetes-int-or-string":true})"},
      {"cpu", R"({"x-kubernetes-preserve-unknown-fields":true})"},
      {"limits",
       R"({"type":"object","additionalProperties":{"x-kubernetes-preserve-unknown-fields":true}})"},
      {"raw", R"({"type":"object","x-kubernetes-preserve-unknown-fields":true})"},
      {"anything", R"({"x-kubernetes-preserve-unknown-fields":true})"},
      {"labels", R"({"type":"object","additionalProperties":{"type":"string"}})"},
      {"tags", R"({"type":"array","items":{"type":"string"},"x-kubernetes-list-type":"set"})"},
      {"id", R"({"type":"string"})"},
      {"missing", R"({"x-kubernetes-preserve-unknown-fields":true})"},
  };
  for (const Case& c : cases) {
    const Value* field = json::Find(props, c.field);
    ASSERT_NE(field, nullptr) << c.field;
    EXPECT_EQ(json::Serialize(*field), c.schema) << c.field;
  }
  EXPECT_EQ(t.stats.unresolved_refs, 1u);
}

TEST(CrdgenTest, ListMapKeysMustBeRequired) {
  // Container ports: keys containerPort (required) and protocol (only defaulted).
  auto openapi = WidgetOpenApi(
      R"({"type":"object","properties":{)"
      R"("ports":{"type":"array","items":{"$ref":"#/components/schemas/P"},"x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["containerPort","protocol"]},)"
      R"("named":{"type":"array","items":{"$ref":"#/components/schemas/P"},"x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["containerPort"]}}})",
      R"("P":{"type":"object","required":["containerPort"],"properties":{"containerPort":{"type":"integer"},"protocol":{"type":"string","default":"TCP"}}})");
  TemplateSchema t = Template(openapi);
  const Value& props = *json::FindPath(*Spec(t), {"properties"});
  EXPECT_EQ(json::Find(props["ports"], "x-kubernetes-list-type"), nullptr);
  EXPECT_EQ(json::Find(props["ports"], "x-kubernetes-list-map-keys"), nullptr);
  EXPECT_EQ(json::GetString(props["named"], "x-kubernetes-list-type"), "map");
  EXPECT_EQ(json::Serialize(props["named"]["x-kubernetes-list-map-keys"]), R"(["containerPort"])");
  // Templates require nothing but list-map keys.
  EXPECT_EQ(json::Serialize(props["named"]["items"]["required"]), R"(["containerPort"])");
  EXPECT_EQ(json::Find(props["ports"]["items"], "required"), nullptr);
}

TEST(CrdgenTest, RealDefaultTypesAreStructuralAndRetainReplicasOnlyForScalableOnes) {
  struct Case {
    const char* file;
    TargetType target;
    bool retain_replicas;
  } cases[] = {
      {"apis_apps_v1.json", {"apps", "v1", "Deployment", "deployments", true, {}}, true},
      {"apis_apps_v1.json", {"apps", "v1", "ReplicaSet", "replicasets", true, {}}, true},
      {"apis_apps_v1.json", {"apps", "v1", "StatefulSet", "statefulsets", true, {}}, true},
      {"apis_batch_v1.json", {"batch", "v1", "Job", "jobs", true, {}}, false},
      {"api_v1.json", {"", "v1", "Service", "services", true, {}}, false},
      {"api_v1.json", {"", "v1", "ConfigMap", "configmaps", true, {}}, false},
      {"api_v1.json", {"", "v1", "Namespace", "namespaces", false, {}}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target.QualifiedName());
    rapidjson::Document openapi = ReadOpenApi(c.file);
    auto t = TemplateSchemaFromOpenApi(openapi, c.target);
    ASSERT_TRUE(t.ok()) << t.status();
    ExpectStructural(t->schema);
    EXPECT_EQ(
        t->stats.cycles + t->stats.depth_cuts + t->stats.budget_cuts + t->stats.unresolved_refs,
        0u);
    rapidjson::Document crd = FederatedCrd(c.target, t->schema);
    const Value* spec_props =
        json::FindPath(crd["spec"]["versions"][0],
                       {"schema", "openAPIV3Schema", "properties", "spec", "properties"});
    ASSERT_NE(spec_props, nullptr);
    EXPECT_EQ(json::Find(*spec_props, "retainReplicas") != nullptr, c.retain_replicas);
    EXPECT_NE(json::Find(*spec_props, "template"), nullptr);
    EXPECT_NE(json::Find(*spec_props, "placement"), nullptr);
    EXPECT_NE(json::Find(*spec_props, "overrides"), nullptr);
  }
  // Inside the Deployment: the pod template's metadata keeps labels; the int-or-string
  // rolling-update fields are int-or-string; container ports drop their list-map type.
  rapidjson::Document apps = ReadOpenApi("apis_apps_v1.json");
  auto d = TemplateSchemaFromOpenApi(apps, DefaultTypes()[5].target);
  ASSERT_TRUE(d.ok());
  const Value* spec = json::FindPath(d->schema, {"properties", "spec", "properties"});
  ASSERT_NE(spec, nullptr);
  EXPECT_TRUE((*json::FindPath(
      *spec, {"template", "properties", "metadata"}))["x-kubernetes-preserve-unknown-fields"]
                  .GetBool());
  EXPECT_TRUE((*json::FindPath(*spec, {"strategy", "properties", "rollingUpdate", "properties",
                                       "maxSurge"}))["x-kubernetes-int-or-string"]
                  .GetBool());
  const Value* containers =
      json::FindPath(*spec, {"template", "properties", "spec", "properties", "containers"});
  ASSERT_NE(containers, nullptr);
  EXPECT_EQ(json::GetString(*containers, "x-kubernetes-list-type"), "map");
  EXPECT_EQ(json::FindPath(*containers, {"items", "properties", "ports", "x-kubernetes-list-type"}),
            nullptr);
}

TEST(CrdgenTest, RealRecursiveSchemaJsonSchemaProps) {
  // CustomResourceDefinition holds JSONSchemaProps, which holds itself: the schema that made
  // `kubefedctl enable` overflow its stack.
  rapidjson::Document openapi = ReadOpenApi("apis_apiextensions.k8s.io_v1.json");
  TargetType crd{"apiextensions.k8s.io",      "v1",  "CustomResourceDefinition",
                 "customresourcedefinitions", false, {"crd"}};
  auto t = TemplateSchemaFromOpenApi(openapi, crd);
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectStructural(t->schema);
  EXPECT_GT(t->stats.cycles, 0u);
  EXPECT_EQ(t->stats.depth_cuts + t->stats.budget_cuts + t->stats.unresolved_refs, 0u);
  const Value* props = json::FindPath(
      t->schema, {"properties", "spec", "properties", "versions", "items", "properties", "schema",
                  "properties", "openAPIV3Schema", "properties"});
  ASSERT_NE(props, nullptr);
  EXPECT_EQ(json::GetString((*props)["type"], "type"), "string");
  // One level down the recursion is cut: any schema is accepted there.
  EXPECT_TRUE((*props)["properties"]["additionalProperties"]["x-kubernetes-preserve-unknown-fields"]
                  .GetBool());
  EXPECT_TRUE((*props)["items"]["x-kubernetes-preserve-unknown-fields"].GetBool());
}

TEST(CrdgenTest, MissingKindIsAnError) {
  rapidjson::Document apps = ReadOpenApi("apis_apps_v1.json");
  auto t = TemplateSchemaFromOpenApi(apps, {"apps", "v1", "Widget", "widgets", true, {}});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      t.status().message(),
      "no schema in the OpenAPI document has x-kubernetes-group-version-kind apps/v1, Kind=Widget");
  EXPECT_FALSE(TemplateSchemaFromOpenApi(Json(R"({"openapi":"3.0.0"})"), kWidget).ok());
}

TEST(CrdgenTest, FederatedCrdShape) {
  auto openapi = WidgetOpenApi(
      R"({"type":"object","properties":{"replicas":{"type":"integer","format":"int64"}}})");
  TemplateSchema t = Template(openapi);
  TargetType widget = kWidget;
  widget.short_names = {"wd"};
  rapidjson::Document crd = FederatedCrd(widget, t.schema);
  EXPECT_EQ(json::GetString(crd["metadata"], "name"), "federatedwidgets.types.kubefed.io");
  EXPECT_EQ(
      json::Serialize(crd["spec"]["names"]),
      R"({"kind":"FederatedWidget","listKind":"FederatedWidgetList","plural":"federatedwidgets",)"
      R"("singular":"federatedwidget","shortNames":["fwd"],"categories":["kubefed"]})");
  EXPECT_EQ(json::GetString(crd["spec"], "scope"), "Namespaced");
  const Value& version = crd["spec"]["versions"][0];
  EXPECT_EQ(json::Serialize(version["subresources"]), R"({"status":{}})");
  const Value& root = version["schema"]["openAPIV3Schema"];
  ExpectStructural(root["properties"]["spec"]["properties"]["template"]);
  EXPECT_EQ(json::Serialize(root["required"]), R"(["spec"])");
  // int64 replicas: no retainReplicas (KubeFed's rule wants int32, as HPA's scale does).
  EXPECT_EQ(json::FindPath(root, {"properties", "spec", "properties", "retainReplicas"}), nullptr);
  const Value* patch = json::FindPath(root, {"properties", "spec", "properties", "overrides",
                                             "items", "properties", "clusterOverrides", "items"});
  ASSERT_NE(patch, nullptr);
  EXPECT_EQ(json::Serialize((*patch)["properties"]["op"]["enum"]), R"(["add","remove","replace"])");
  EXPECT_EQ(json::GetString((*patch)["properties"]["op"], "default"), "replace");
  EXPECT_NE(json::Serialize((*patch)["x-kubernetes-validations"]).find("/metadata/generateName"),
            std::string::npos);
  const Value* overrides = json::FindPath(root, {"properties", "spec", "properties", "overrides"});
  EXPECT_EQ(json::Serialize((*overrides)["x-kubernetes-list-map-keys"]), R"(["clusterName"])");
  const Value* status = json::FindPath(root, {"properties", "status", "properties"});
  ASSERT_NE(status, nullptr);
  for (const char* f : {"observedGeneration", "conditions", "clusters"})
    EXPECT_NE(json::Find(*status, f), nullptr) << f;
  EXPECT_TRUE((*json::FindPath(*status, {"clusters", "items", "properties",
                                         "remoteStatus"}))["x-kubernetes-preserve-unknown-fields"]
                  .GetBool());
  EXPECT_EQ(json::GetString(version["additionalPrinterColumns"][0], "jsonPath"),
            ".status.conditions[?(@.type=='Propagation')].status");

  // Namespaces are cluster-scoped, FederatedNamespace is not.
  rapidjson::Document ns = FederatedCrd(DefaultTypes()[0].target, t.schema);
  EXPECT_EQ(json::GetString(ns["spec"], "scope"), "Namespaced");
  rapidjson::Document cr = FederatedCrd(DefaultTypes()[9].target, t.schema);
  EXPECT_EQ(json::GetString(cr["spec"], "scope"), "Cluster");
}

TEST(CrdgenTest, FederatedTypeConfigs) {
  struct Case {
    size_t index;
    const char* yaml;
  } cases[] = {
      {5,
       "apiVersion: core.kubefed.io/v1beta1\nkind: FederatedTypeConfig\nmetadata:\n  name: "
       "deployments.apps\n"
       "spec:\n  targetType:\n    group: apps\n    version: v1\n    kind: Deployment\n    "
       "pluralName: deployments\n"
       "    scope: Namespaced\n  propagation: Enabled\n  federatedType:\n    group: "
       "types.kubefed.io\n"
       "    version: v1beta1\n    kind: FederatedDeployment\n    pluralName: federateddeployments\n"
       "    scope: Namespaced\n"},
      {0,
       "apiVersion: core.kubefed.io/v1beta1\nkind: FederatedTypeConfig\nmetadata:\n  name: "
       "namespaces\n"
       "spec:\n  targetType:\n    version: v1\n    kind: Namespace\n    pluralName: namespaces\n"
       "    scope: Cluster\n  propagation: Enabled\n  federatedType:\n    group: types.kubefed.io\n"
       "    version: v1beta1\n    kind: FederatedNamespace\n    pluralName: federatednamespaces\n"
       "    scope: Namespaced\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(yaml::ToYaml(FederatedTypeConfig(DefaultTypes()[c.index].target)), c.yaml);
  }
}

TEST(CrdgenTest, PluralNames) {
  struct Case {
    const char* kind;
    const char* plural;
  } cases[] = {
      {"FederatedDeployment", "federateddeployments"},
      {"FederatedIngress", "federatedingresses"},
      {"FederatedPolicy", "federatedpolicies"},
      {"Box", "boxes"},
      {"Match", "matches"},
      {"Mesh", "meshes"},
      {"Quiz", "quizes"},
      {"Echo", "echoes"},
  };
  for (const Case& c : cases) EXPECT_EQ(PluralName(c.kind), c.plural) << c.kind;
}

TEST(CrdgenTest, FromCrd) {
  auto crd = yaml::ParseYaml(R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, shortNames: [wd]}
  scope: Cluster
  versions:
  - name: v1alpha1
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object}}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          spec:
            type: object
            x-kubernetes-validations: [{rule: "self.size > 0"}]
            properties:
              size: {type: integer, format: int32, default: 1, minimum: 0}
              children:
                type: array
                items: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object}
)");
  ASSERT_TRUE(crd.ok()) << crd.status();
  auto target = TargetTypeFromCrd(*crd, "");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->QualifiedName(), "widgets.example.com");
  EXPECT_EQ(target->version, "v1");
  EXPECT_FALSE(target->namespaced);
  EXPECT_EQ(target->short_names, std::vector<std::string>{"wd"});
  auto t = TemplateSchemaFromCrd(*crd, *target);
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectStructural(t->schema);
  EXPECT_EQ(
      json::Serialize(*json::FindPath(t->schema, {"properties", "spec"})),
      R"({"type":"object","properties":{"size":{"type":"integer","format":"int32","minimum":0},)"
      R"("children":{"type":"array","items":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}})");
  EXPECT_EQ(json::FindPath(t->schema, {"properties", "status"}), nullptr);
  EXPECT_FALSE(TargetTypeFromCrd(*crd, "v2").ok());
  EXPECT_FALSE(
      TemplateSchemaFromCrd(*crd, TargetType{"example.com", "v9", "Widget", "widgets", true, {}})
          .ok());
}

}  // namespace
}  // namespace kfed::federated_types
