#include "federated_types/render.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "federated_types/keys.h"
#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::Json;

TypeConfig Config(absl::string_view name) {
  for (const TypeConfig& c : DefaultTypeConfigs()) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no default type config " << name;
  return TypeConfig();
}

// Renders and returns the compact JSON of the result ("ERROR: <status>" on failure).
std::string Render(absl::string_view type, absl::string_view federated, const char* live = nullptr,
                   absl::string_view cluster = "c1") {
  const TypeConfig config = Config(type);
  auto fed = Json(federated);
  rapidjson::Document live_doc;
  RenderRequest request;
  request.federated_object = &fed;
  request.type_config = &config;
  request.cluster = std::string(cluster);
  if (live != nullptr) {
    live_doc = Json(live);
    request.live = &live_doc;
  }
  auto rendered = RenderForCluster(request);
  if (!rendered.ok()) return absl::StrCat("ERROR: ", rendered.status().ToString());
  return kfed::json::Serialize(rendered->object);
}

void ExpectJsonEq(const std::string& got, absl::string_view want) {
  auto g = kfed::json::Parse(got);
  ASSERT_TRUE(g.ok()) << got;
  auto w = Json(want);
  EXPECT_TRUE(*g == w) << "got:  " << got << "\nwant: " << kfed::json::Serialize(w);
}

TEST(RenderTest, CreateFromTemplate) {
  ExpectJsonEq(Render("configmaps", R"({"metadata":{"name":"cfg","namespace":"ns1"},
          "spec":{"template":{"metadata":{"labels":{"app":"x"}},"data":{"k":"v"}}}})"),
               R"({"metadata":{"labels":{"app":"x","kubefed.io/managed":"true"},"name":"cfg",
          "namespace":"ns1"},"data":{"k":"v"},"kind":"ConfigMap","apiVersion":"v1"})");
}

TEST(RenderTest, NamespaceFromEmptyTemplateHasNoNamespace) {
  ExpectJsonEq(Render("namespaces", R"({"metadata":{"name":"team","namespace":"team"},"spec":{}})"),
               R"({"metadata":{"name":"team","labels":{"kubefed.io/managed":"true"}},
                   "kind":"Namespace","apiVersion":"v1"})");
}

TEST(RenderTest, ClusterScopedHasNoNamespace) {
  ExpectJsonEq(
      Render(
          "clusterroles.rbac.authorization.k8s.io",
          R"({"metadata":{"name":"viewer"},"spec":{"template":{"metadata":{"namespace":"x"},"rules":[]}}})"),
      R"({"metadata":{"name":"viewer","labels":{"kubefed.io/managed":"true"}},"rules":[],
          "kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1"})");
}

TEST(RenderTest, NameAndNamespaceComeFromTheFederatedObject) {
  ExpectJsonEq(Render("secrets", R"({"metadata":{"name":"s","namespace":"ns1"},
          "spec":{"template":{"metadata":{"name":"other","namespace":"elsewhere"},"type":"Opaque"}}})"),
               R"({"metadata":{"name":"s","namespace":"ns1","labels":{"kubefed.io/managed":"true"}},
          "type":"Opaque","kind":"Secret","apiVersion":"v1"})");
}

TEST(RenderTest, TemplateApiVersionIsKeptAndKindChecked) {
  ExpectJsonEq(Render("deployments.apps", R"({"metadata":{"name":"d","namespace":"n"},
          "spec":{"template":{"apiVersion":"apps/v1beta2","kind":"Deployment"}}})"),
               R"({"metadata":{"name":"d","namespace":"n","labels":{"kubefed.io/managed":"true"}},
          "kind":"Deployment","apiVersion":"apps/v1beta2"})");
  std::string got = Render("deployments.apps", R"({"metadata":{"name":"d","namespace":"n"},
          "spec":{"template":{"kind":"StatefulSet"}}})");
  EXPECT_TRUE(absl::StartsWith(got, "ERROR: INVALID_ARGUMENT")) << got;
  EXPECT_TRUE(absl::StrContains(got, "\"StatefulSet\"")) << got;
  EXPECT_TRUE(absl::StrContains(got, "\"Deployment\"")) << got;
}

TEST(RenderTest, TemplateFinalizersDroppedWithWarning) {
  const TypeConfig config = Config("configmaps");
  auto fed = Json(R"({"metadata":{"name":"c","namespace":"n"},
      "spec":{"template":{"metadata":{"finalizers":["x/y"]}}}})");
  auto rendered = ObjectFromTemplate(fed, config);
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(kfed::json::FindPath(rendered->object, {"metadata", "finalizers"}), nullptr);
  ASSERT_EQ(rendered->warnings.size(), 1u);
  EXPECT_TRUE(absl::StrContains(rendered->warnings[0], "finalizers"));
}

TEST(RenderTest, UpdateRetainsResourceVersionAndFinalizers) {
  ExpectJsonEq(
      Render("configmaps",
             R"({"metadata":{"name":"c","namespace":"n"},"spec":{"template":{"data":{"a":"1"}}}})",
             R"({"metadata":{"name":"c","namespace":"n","resourceVersion":"42","uid":"u",
                 "finalizers":["member/f"],"labels":{"stale":"x"}},"data":{"a":"0"}})"),
      R"({"metadata":{"name":"c","namespace":"n","resourceVersion":"42","finalizers":["member/f"],
          "labels":{"kubefed.io/managed":"true"}},"data":{"a":"1"},"kind":"ConfigMap","apiVersion":"v1"})");
}

TEST(RenderTest, AnnotationMergeRule) {
  struct Case {
    const char* name;
    const char* template_annotations;  // JSON or nullptr
    const char* live_annotations;      // JSON or nullptr (create)
    const char* want;                  // JSON or "absent"
  };
  const Case cases[] = {
      {"create without annotations", nullptr, nullptr, "absent"},
      {"create with annotations", R"({"b":"2","a":"1"})", nullptr,
       R"({"a":"1","b":"2","kfed.io/template-annotations":"a,b"})"},
      {"member annotations kept (KubeFed behaviour)", nullptr, R"({"m":"x"})", R"({"m":"x"})"},
      {"template wins on conflict", R"({"a":"new"})", R"({"a":"old","m":"x"})",
       R"({"a":"new","m":"x","kfed.io/template-annotations":"a"})"},
      {"removed template annotation removed", R"({"a":"1"})",
       R"({"a":"1","b":"2","m":"x","kfed.io/template-annotations":"a,b"})",
       R"({"a":"1","m":"x","kfed.io/template-annotations":"a"})"},
      {"all template annotations removed", nullptr,
       R"({"a":"1","m":"x","kfed.io/template-annotations":"a"})", R"({"m":"x"})"},
      {"member-only key of same name as a never-templated key kept", R"({"a":"1"})",
       R"({"b":"member","kfed.io/template-annotations":"a"})",
       R"({"a":"1","b":"member","kfed.io/template-annotations":"a"})"},
      {"reserved key in template ignored", R"({"kfed.io/template-annotations":"zzz","a":"1"})",
       nullptr, R"({"a":"1","kfed.io/template-annotations":"a"})"},
  };
  for (const Case& c : cases) {
    std::string fed = R"({"metadata":{"name":"c","namespace":"n"},"spec":{"template":{)";
    if (c.template_annotations != nullptr) {
      fed += absl::StrCat(R"("metadata":{"annotations":)", c.template_annotations, "}");
    }
    fed += "}}}";
    std::string live;
    if (c.live_annotations != nullptr) {
      live = absl::StrCat(R"({"metadata":{"name":"c","namespace":"n","resourceVersion":"1",)",
                          R"("annotations":)", c.live_annotations, "}}");
    }
    std::string got =
        Render("configmaps", fed, c.live_annotations != nullptr ? live.c_str() : nullptr);
    auto doc = kfed::json::Parse(got);
    ASSERT_TRUE(doc.ok()) << c.name << ": " << got;
    const rapidjson::Value* annotations = kfed::json::FindPath(*doc, {"metadata", "annotations"});
    if (absl::string_view(c.want) == "absent") {
      EXPECT_EQ(annotations, nullptr) << c.name << ": " << got;
    } else {
      ASSERT_NE(annotations, nullptr) << c.name << ": " << got;
      EXPECT_TRUE(*annotations == Json(c.want))
          << c.name << ": got " << kfed::json::Serialize(*annotations);
    }
  }
}

TEST(RenderTest, ServiceRetainsAllocatedFields) {
  const char* fed = R"({"metadata":{"name":"svc","namespace":"n"},"spec":{"template":{"spec":{
      "type":"NodePort","ports":[
        {"name":"http","port":80,"protocol":"TCP"},
        {"name":"https","port":443},
        {"name":"dns","port":53,"protocol":"UDP"},
        {"name":"metrics","port":9090,"nodePort":30999}]}}}})";
  const char* live = R"({"metadata":{"name":"svc","namespace":"n","resourceVersion":"7"},"spec":{
      "type":"NodePort","clusterIP":"10.0.0.5","clusterIPs":["10.0.0.5"],"healthCheckNodePort":31000,
      "ports":[
        {"name":"http","port":80,"protocol":"TCP","nodePort":30080},
        {"name":"https","port":443,"protocol":"TCP","nodePort":30443},
        {"name":"dns","port":53,"protocol":"TCP","nodePort":30053},
        {"name":"metrics","port":9090,"protocol":"TCP","nodePort":30090}]}})";
  ExpectJsonEq(Render("services", fed, live),
               R"({"metadata":{"name":"svc","namespace":"n","resourceVersion":"7",
                   "labels":{"kubefed.io/managed":"true"}},
                   "spec":{"type":"NodePort","clusterIP":"10.0.0.5","clusterIPs":["10.0.0.5"],
                   "healthCheckNodePort":31000,"ports":[
                     {"name":"http","port":80,"protocol":"TCP","nodePort":30080},
                     {"name":"https","port":443,"nodePort":30443},
                     {"name":"dns","port":53,"protocol":"UDP"},
                     {"name":"metrics","port":9090,"nodePort":30090}]},
                   "kind":"Service","apiVersion":"v1"})");
}

TEST(RenderTest, ServiceWithoutAllocationsKeepsTemplate) {
  ExpectJsonEq(
      Render(
          "services",
          R"({"metadata":{"name":"s","namespace":"n"},"spec":{"template":{"spec":{"clusterIP":"None"}}}})",
          R"({"metadata":{"resourceVersion":"1"},"spec":{"clusterIP":"","healthCheckNodePort":0}})"),
      R"({"metadata":{"name":"s","namespace":"n","resourceVersion":"1","labels":{"kubefed.io/managed":"true"}},
          "spec":{"clusterIP":"None"},"kind":"Service","apiVersion":"v1"})");
}

TEST(RenderTest, ServiceAccountSecrets) {
  const char* live = R"({"metadata":{"resourceVersion":"3"},"secrets":[{"name":"sa-token-abc"}]})";
  ExpectJsonEq(Render("serviceaccounts",
                      R"({"metadata":{"name":"sa","namespace":"n"},"spec":{"template":{}}})", live),
               R"({"metadata":{"name":"sa","namespace":"n","resourceVersion":"3",
                   "labels":{"kubefed.io/managed":"true"}},"secrets":[{"name":"sa-token-abc"}],
                   "kind":"ServiceAccount","apiVersion":"v1"})");
  ExpectJsonEq(
      Render(
          "serviceaccounts",
          R"({"metadata":{"name":"sa","namespace":"n"},"spec":{"template":{"secrets":[{"name":"mine"}]}}})",
          live),
      R"({"metadata":{"name":"sa","namespace":"n","resourceVersion":"3",
                   "labels":{"kubefed.io/managed":"true"}},"secrets":[{"name":"mine"}],
                   "kind":"ServiceAccount","apiVersion":"v1"})");
}

TEST(RenderTest, JobKeepsGeneratedSelectorAndPodLabels) {
  const char* live = R"({"metadata":{"resourceVersion":"4"},"spec":{
      "selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u1"}},
      "template":{"metadata":{"labels":{"batch.kubernetes.io/controller-uid":"u1",
                                        "batch.kubernetes.io/job-name":"j","app":"old"}},
                  "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})";
  const std::string rendered = Render(
      "jobs.batch",
      R"({"metadata":{"name":"j","namespace":"n"},"spec":{"template":{"metadata":{"labels":{"tier":"t2"}},
          "spec":{"template":{"metadata":{"labels":{"app":"new"}},
                              "spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}}})",
      live);
  EXPECT_TRUE(absl::StrContains(
      rendered, R"("selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u1"}})"))
      << rendered;
  EXPECT_TRUE(absl::StrContains(rendered, R"("batch.kubernetes.io/job-name":"j")")) << rendered;
  EXPECT_TRUE(absl::StrContains(rendered, R"("app":"new")"))
      << rendered;  // the template's value wins
  // With manualSelector the template owns the selector.
  const std::string manual = Render(
      "jobs.batch",
      R"({"metadata":{"name":"j","namespace":"n"},"spec":{"template":{"spec":{"manualSelector":true,
          "selector":{"matchLabels":{"mine":"yes"}},"template":{"metadata":{"labels":{"mine":"yes"}}}}}}})",
      live);
  EXPECT_FALSE(absl::StrContains(manual, "controller-uid")) << manual;
}

TEST(RenderTest, RetainReplicas) {
  const char* live = R"({"metadata":{"resourceVersion":"9"},"spec":{"replicas":7}})";
  const std::string retained = Render(
      "deployments.apps",
      R"({"metadata":{"name":"d","namespace":"n"},"spec":{"retainReplicas":true,"template":{"spec":{"replicas":2}}}})",
      live);
  EXPECT_TRUE(absl::StrContains(retained, R"("replicas":7)")) << retained;
  const std::string not_retained = Render(
      "deployments.apps",
      R"({"metadata":{"name":"d","namespace":"n"},"spec":{"retainReplicas":false,"template":{"spec":{"replicas":2}}}})",
      live);
  EXPECT_TRUE(absl::StrContains(not_retained, R"("replicas":2)")) << not_retained;
}

TEST(RenderTest, OverridesAppliedAfterRetentionAndLabelLast) {
  const char* fed = R"({"metadata":{"name":"d","namespace":"n"},"spec":{"retainReplicas":true,
      "template":{"spec":{"replicas":2}},
      "overrides":[{"clusterName":"c1","clusterOverrides":[
          {"path":"/spec/replicas","value":5},
          {"op":"add","path":"/metadata/labels","value":{"kubefed.io/managed":"false","o":"1"}}]},
        {"clusterName":"c2","clusterOverrides":[{"path":"/spec/replicas","value":9}]}]}})";
  const char* live = R"({"metadata":{"resourceVersion":"9"},"spec":{"replicas":7}})";
  ExpectJsonEq(Render("deployments.apps", fed, live, "c1"),
               R"({"metadata":{"name":"d","namespace":"n","resourceVersion":"9",
                   "labels":{"kubefed.io/managed":"true","o":"1"}},"spec":{"replicas":5},
                   "kind":"Deployment","apiVersion":"apps/v1"})");
  ExpectJsonEq(Render("deployments.apps", fed, nullptr, "c3"),
               R"({"metadata":{"name":"d","namespace":"n","labels":{"kubefed.io/managed":"true"}},
                   "spec":{"replicas":2},"kind":"Deployment","apiVersion":"apps/v1"})");
}

TEST(RenderTest, FailuresCarryThePropagationStatus) {
  struct Case {
    const char* name;
    const char* type;
    const char* fed;
    const char* live;
    const char* want_status;
  };
  const Case cases[] = {
      {"template not an object", "configmaps", R"({"spec":{"template":[]}})", nullptr,
       "ComputeResourceFailed"},
      {"kind mismatch", "configmaps", R"({"spec":{"template":{"kind":"Secret"}}})", nullptr,
       "ComputeResourceFailed"},
      {"labels not an object", "configmaps",
       R"({"spec":{"template":{"metadata":{"labels":["a"]}}}})", nullptr, "ComputeResourceFailed"},
      {"bad nodePort type", "services", R"({"spec":{"template":{}}})",
       R"({"spec":{"healthCheckNodePort":"x"}})", "FieldRetentionFailed"},
      {"bad replicas type", "deployments.apps", R"({"spec":{"retainReplicas":true,"template":{}}})",
       R"({"spec":{"replicas":"x"}})", "FieldRetentionFailed"},
      {"bad override", "configmaps",
       R"({"spec":{"template":{},"overrides":[{"clusterName":"c1","clusterOverrides":[{"op":"remove","path":"/nope"}]}]}})",
       nullptr, "ApplyOverridesFailed"},
  };
  for (const Case& c : cases) {
    const TypeConfig config = Config(c.type);
    auto fed = Json(c.fed);
    rapidjson::Document live;
    RenderRequest request;
    request.federated_object = &fed;
    request.type_config = &config;
    request.cluster = "c1";
    if (c.live != nullptr) {
      live = Json(c.live);
      request.live = &live;
    }
    auto rendered = RenderForCluster(request);
    ASSERT_FALSE(rendered.ok()) << c.name;
    EXPECT_EQ(RenderFailureStatus(rendered.status()), c.want_status)
        << c.name << ": " << rendered.status();
  }
}

// Replacing a parent of a forbidden path must not rename or move the member object.
TEST(RenderTest, OverridesMayNotChangeWhatNamesTheObject) {
  auto fed = [](absl::string_view override_) {
    return absl::StrCat(R"({"metadata":{"name":"cfg","namespace":"ns1"},"spec":{"template":{},
      "overrides":[{"clusterName":"c1","clusterOverrides":[)",
                        override_, "]}]}}");
  };
  struct Case {
    const char* override_;
    const char* want;
  };
  const Case cases[] = {
      {R"({"path":"/metadata","value":{"name":"other"}})",
       R"(change metadata.name from "cfg" to "other")"},
      {R"({"path":"/metadata","value":{"name":"cfg","namespace":"ns2"}})",
       R"(change metadata.namespace from "ns1" to "ns2")"},
      {R"({"path":"/metadata","value":{"name":"cfg","namespace":"ns1","generateName":"x-"}})",
       "change metadata.generateName"},
      {R"({"path":"/metadata","value":"flat"})", "change metadata.name"},
  };
  for (const Case& c : cases) {
    const std::string got = Render("configmaps", fed(c.override_));
    EXPECT_TRUE(absl::StartsWith(got, "ERROR: INVALID_ARGUMENT: overrides for cluster \"c1\""))
        << got;
    EXPECT_TRUE(absl::StrContains(got, c.want)) << got;
  }
  // Overriding inside metadata stays allowed.
  EXPECT_FALSE(absl::StartsWith(
      Render("configmaps", fed(R"({"op":"add","path":"/metadata/labels","value":{"a":"b"}})")),
      "ERROR"));
}

TEST(NeedsUpdateTest, Table) {
  struct Case {
    const char* name;
    const char* desired;
    const char* live;
    const char* recorded;
    bool want;
  };
  const char* desired = R"({"metadata":{"name":"a","namespace":"n","labels":{"x":"1"},
      "annotations":{"y":"2"}},"spec":{"replicas":1}})";
  const Case cases[] = {
      {"no recorded version", desired,
       R"({"metadata":{"name":"a","namespace":"n","generation":3,"labels":{"x":"1"},"annotations":{"y":"2"}}})",
       "", true},
      {"generation matches, meta equal, spec differs", desired,
       R"({"metadata":{"name":"a","namespace":"n","generation":3,"resourceVersion":"9",
           "labels":{"x":"1"},"annotations":{"y":"2"}},"spec":{"replicas":5,"extra":true}})",
       "gen:3", false},
      {"generation changed", desired,
       R"({"metadata":{"name":"a","namespace":"n","generation":4,"labels":{"x":"1"},"annotations":{"y":"2"}}})",
       "gen:3", true},
      {"labels differ", desired,
       R"({"metadata":{"name":"a","namespace":"n","generation":3,"labels":{"x":"2"},"annotations":{"y":"2"}}})",
       "gen:3", true},
      {"annotations differ", desired,
       R"({"metadata":{"name":"a","namespace":"n","generation":3,"labels":{"x":"1"},"annotations":{"y":"2","z":"3"}}})",
       "gen:3", true},
      {"rv based ignores metadata", desired,
       R"({"metadata":{"name":"a","namespace":"n","resourceVersion":"8","labels":{"other":"1"}}})",
       "rv:8", false},
      {"rv changed", desired, R"({"metadata":{"name":"a","namespace":"n","resourceVersion":"9"}})",
       "rv:8", true},
      {"empty and absent maps are equivalent", R"({"metadata":{"name":"a","labels":{}}})",
       R"({"metadata":{"name":"a","generation":1,"annotations":{}}})", "gen:1", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NeedsUpdate(Json(c.desired), Json(c.live), c.recorded), c.want) << c.name;
  }
}

}  // namespace
}  // namespace kfed::federated_types
