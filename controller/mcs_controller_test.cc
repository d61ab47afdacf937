#include "controller/mcs_controller.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/errors.h"
#include "status/store.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Eventually;
using ::kfed::testing::Json;
using ::testing::HasSubstr;

// The mcs-api's group-version discovery, as a member with the CRDs answers it.
constexpr char kMcsApiPath[] = "/apis/multicluster.x-k8s.io/v1alpha1";
constexpr char kMcsApiDiscovery[] = R"({"kind":"APIResourceList","groupVersion":
    "multicluster.x-k8s.io/v1alpha1","resources":[{"name":"serviceexports","namespaced":true,
    "kind":"ServiceExport"},{"name":"serviceexports/status"},{"name":"serviceimports",
    "namespaced":true,"kind":"ServiceImport"},{"name":"serviceimports/status"}]})";

class McsControllerTest : public ::testing::Test {
 protected:
  // A member with the mcs-api types served (the fake serves any resource) and namespace demo.
  std::shared_ptr<kube::FakeClient> NewMember(const std::string& name, bool with_namespace = true,
                                              bool with_crds = true) {
    auto client = std::make_shared<kube::FakeClient>(timestamps_);
    if (with_crds) client->SetRaw(kMcsApiPath, kMcsApiDiscovery);
    if (with_namespace)
      Create(*client, kube::NamespacesResource(), "", R"({"metadata":{"name":"demo"}})");
    auto m = std::make_shared<MemberCluster>();
    m->name = name;
    m->ready = true;
    m->client = client;
    m->client_generation = 1;
    registry_.Upsert(m);
    ids_[name] = absl::StrCat("id-", name);
    return client;
  }

  static void Create(kube::Client& c, const kube::GroupVersionResource& gvr, const std::string& ns,
                     const std::string& object) {
    auto out = c.Create(gvr, ns, Json(object), {});
    ASSERT_TRUE(out.ok()) << out.status();
  }

  void ExportService(kube::Client& c, int port, const std::string& name = "web",
                     const std::string& extra_spec = "") {
    Create(c, mcs::ServicesResource(), "demo",
           absl::StrCat(R"({"metadata":{"name":")", name, R"(","namespace":"demo"},"spec":{)",
                        extra_spec, R"("ports":[{"name":"http","port":)", port, "}]}}"));
    Create(c, mcs::ServiceExportsResource(), "demo",
           absl::StrCat(R"({"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceExport",)",
                        R"("metadata":{"name":")", name, R"(","namespace":"demo"}})"));
    timestamps_.Advance(absl::Seconds(10));  // the next export is newer
  }

  static void Slice(kube::Client& c, const std::string& name, const std::string& ip) {
    Create(
        c, mcs::EndpointSlicesResource(), "demo",
        absl::StrCat(R"({"metadata":{"name":")", name,
                     R"(","namespace":"demo","labels":{"kubernetes.io/service-name":"web"}},)",
                     R"("addressType":"IPv4","endpoints":[{"addresses":[")", ip,
                     R"("],"conditions":{"ready":true}}],"ports":[{"name":"http","port":8080}]})"));
  }

  void Start(McsOptions options = {}) {
    auto c = McsController::Create(registry_, metrics_, options, [this] { return ids_; });
    ASSERT_TRUE(c.ok()) << c.status();
    controller_ = std::move(*c);
    registry_.MarkSynced();
    controller_->Start();
  }

  // "<type> <ips> <status.clusters>" of the ServiceImport, or the error.
  static std::string Import(kube::Client& c, const std::string& name = "web") {
    auto si = c.Get(mcs::ServiceImportsResource(), "demo", name);
    if (!si.ok()) return std::string(si.status().message());
    const rapidjson::Value* ips = json::FindPath(**si, {"spec", "ips"});
    const rapidjson::Value* clusters = json::FindPath(**si, {"status", "clusters"});
    return absl::StrCat(json::GetString((**si)["spec"], "type"), " ",
                        ips == nullptr ? "-" : json::Serialize(*ips), " ",
                        clusters == nullptr ? "-" : json::Serialize(*clusters));
  }

  // "<status>/<reason>" of a ServiceExport condition.
  static std::string Condition(kube::Client& c, const std::string& type,
                               std::string* message = nullptr, const std::string& name = "web") {
    auto se = c.Get(mcs::ServiceExportsResource(), "demo", name);
    if (!se.ok()) return "";
    const rapidjson::Value* list = json::FindPath(**se, {"status", "conditions"});
    if (list == nullptr) return "";
    for (const rapidjson::Value& cond : list->GetArray()) {
      if (json::GetString(cond, "type") != type) continue;
      if (message != nullptr) *message = json::GetString(cond, "message");
      return absl::StrCat(json::GetString(cond, "status"), "/", json::GetString(cond, "reason"));
    }
    return "";
  }

  // The addresses of kfed's slices for demo/web, sorted.
  static std::string Endpoints(kube::Client& c) {
    auto list = c.List(mcs::EndpointSlicesResource(), "demo", {});
    if (!list.ok()) return "";
    std::set<std::string> ips;
    for (const auto& s : list->items) {
      const rapidjson::Value* src = kube::Label(*s, mcs::kLabelSourceCluster);
      if (src == nullptr) continue;
      for (const rapidjson::Value& e : (*s)["endpoints"].GetArray()) {
        ips.insert(absl::StrCat(e["addresses"][0].GetString(), "@", src->GetString()));
      }
    }
    return absl::StrJoin(ips, ",");
  }

  FakeClock timestamps_;
  std::map<std::string, std::string> ids_;
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  // Declared before the controller, so that it outlives the controller's workers (a store on
  // a test's stack was read by a worker after the test body returned: ASan, stack-use-after-
  // return).
  status::StatusStore store_;
  std::unique_ptr<McsController> controller_;
};

TEST_F(McsControllerTest, ExportBecomesImportsAndEndpointSlicesEverywhere) {
  auto m1 = NewMember("member1");
  auto m2 = NewMember("member2");
  ExportService(*m1, 80);
  Slice(*m1, "web-abc", "10.0.0.5");
  Start();

  const std::string want = R"(ClusterSetIP ["240.96.0.1"] [{"cluster":"id-member1"}])";
  EXPECT_TRUE(Eventually([&] { return Import(*m1) == want && Import(*m2) == want; }))
      << Import(*m1) << " | " << Import(*m2);
  EXPECT_TRUE(Eventually([&] { return Endpoints(*m2) == "10.0.0.5@id-member1"; }))
      << Endpoints(*m2);
  EXPECT_EQ(Endpoints(*m1), "10.0.0.5@id-member1");
  EXPECT_TRUE(Eventually([&] { return Condition(*m1, "Ready") == "True/Exported"; }))
      << Condition(*m1, "Ready");
  EXPECT_EQ(Condition(*m1, "Valid"), "True/Valid");
  EXPECT_EQ(Condition(*m1, "Conflict"), "False/NoConflicts");

  // Endpoints follow; a second export with another port conflicts and loses.
  Slice(*m1, "web-def", "10.0.0.6");
  EXPECT_TRUE(Eventually([&] {
    return Endpoints(*m2) == "10.0.0.5@id-member1,10.0.0.6@id-member1";
  })) << Endpoints(*m2);
  ExportService(*m2, 8080);
  Slice(*m2, "web-xyz", "10.1.0.7");
  std::string message;
  EXPECT_TRUE(Eventually([&] {
    return Condition(*m2, "Conflict", &message) == "True/PortConflict";
  })) << Condition(*m2, "Conflict");
  EXPECT_THAT(message, HasSubstr("port \"http\" is 8080/TCP here but 80/TCP in cluster member1"));
  EXPECT_EQ(Condition(*m1, "Conflict"), "False/NoConflicts");
  const std::string both =
      R"(ClusterSetIP ["240.96.0.1"] [{"cluster":"id-member1"},{"cluster":"id-member2"}])";
  EXPECT_TRUE(Eventually([&] { return Import(*m1) == both && Import(*m2) == both; }))
      << Import(*m1);
  EXPECT_TRUE(Eventually([&] {
    return Endpoints(*m1) == "10.0.0.5@id-member1,10.0.0.6@id-member1,10.1.0.7@id-member2";
  })) << Endpoints(*m1);

  // exportedLabels become the ServiceImport's labels, beside kfed's.
  auto se = m1->Get(mcs::ServiceExportsResource(), "demo", "web");
  ASSERT_TRUE(se.ok());
  rapidjson::Document labelled = json::Clone(**se);
  json::Set(json::EnsureObject(labelled, "spec", labelled.GetAllocator()), "exportedLabels",
            Json(R"({"tier":"web"})"), labelled.GetAllocator());
  ASSERT_TRUE(m1->Update(mcs::ServiceExportsResource(), "demo", labelled, {}).ok());
  EXPECT_TRUE(Eventually([&] {
    auto si = m2->Get(mcs::ServiceImportsResource(), "demo", "web");
    const rapidjson::Value* labels =
        si.ok() ? json::FindPath(**si, {"metadata", "labels"}) : nullptr;
    return labels != nullptr &&
           json::Serialize(*labels) == R"({"app.kubernetes.io/managed-by":"kfed","tier":"web"})";
  }));

  // member2 not Ready: its endpoints are withdrawn; back: restored.
  auto down = std::make_shared<MemberCluster>(*registry_.Get("member2"));
  down->ready = false;
  registry_.Upsert(down);
  EXPECT_TRUE(Eventually([&] {
    return Endpoints(*m1) == "10.0.0.5@id-member1,10.0.0.6@id-member1";
  })) << Endpoints(*m1);
  auto up = std::make_shared<MemberCluster>(*down);
  up->ready = true;
  registry_.Upsert(up);
  EXPECT_TRUE(Eventually([&] {
    return Endpoints(*m1) == "10.0.0.5@id-member1,10.0.0.6@id-member1,10.1.0.7@id-member2";
  })) << Endpoints(*m1);

  // Unexport everywhere: imports and slices go, from both members.
  ASSERT_TRUE(m1->Delete(mcs::ServiceExportsResource(), "demo", "web", {}).ok());
  ASSERT_TRUE(m2->Delete(mcs::ServiceExportsResource(), "demo", "web", {}).ok());
  EXPECT_TRUE(Eventually([&] {
    return kube::IsNotFound(m1->Get(mcs::ServiceImportsResource(), "demo", "web").status()) &&
           kube::IsNotFound(m2->Get(mcs::ServiceImportsResource(), "demo", "web").status()) &&
           Endpoints(*m1).empty() && Endpoints(*m2).empty();
  })) << Import(*m1)
      << " " << Endpoints(*m1);
  // The Service's own slices are untouched.
  EXPECT_TRUE(m1->Get(mcs::EndpointSlicesResource(), "demo", "web-abc").ok());
}

TEST_F(McsControllerTest, BadInputGetsReasonsAndDisturbsNothing) {
  auto m1 = NewMember("member1");
  auto m2 = NewMember("member2", /*with_namespace=*/false);
  // An export without a Service, an ExternalName one, and a good headless one.
  Create(*m1, mcs::ServiceExportsResource(), "demo",
         R"({"metadata":{"name":"ghost","namespace":"demo"}})");
  ExportService(*m1, 53, "ext", R"("type":"ExternalName","externalName":"example.com",)");
  ExportService(*m1, 80, "db", R"("clusterIP":"None",)");
  // A ServiceImport another tool made is left alone.
  Create(*m1, mcs::ServiceImportsResource(), "demo",
         R"({"metadata":{"name":"db","namespace":"demo"},"spec":{"type":"Headless","ports":[]}})");
  Start();

  std::string message;
  EXPECT_TRUE(
      Eventually([&] { return Condition(*m1, "Valid", &message, "ghost") == "False/NoService"; }));
  EXPECT_THAT(message, HasSubstr("Service demo/ghost does not exist in cluster member1"));
  EXPECT_TRUE(Eventually(
      [&] { return Condition(*m1, "Valid", &message, "ext") == "False/InvalidServiceType"; }));
  EXPECT_EQ(Condition(*m1, "Ready", nullptr, "ext"), "False/Failed");
  EXPECT_TRUE(Eventually([&] { return !Condition(*m1, "Ready", &message, "db").empty(); }));
  EXPECT_THAT(message, HasSubstr("namespace demo does not exist in member2"));
  EXPECT_THAT(message, HasSubstr("a ServiceImport not made by kfed is in member1"));
  EXPECT_TRUE(kube::IsNotFound(m1->Get(mcs::ServiceImportsResource(), "demo", "ghost").status()));
  EXPECT_TRUE(kube::IsNotFound(m1->Get(mcs::ServiceImportsResource(), "demo", "ext").status()));
  auto foreign = m1->Get(mcs::ServiceImportsResource(), "demo", "db");
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(kube::Label(**foreign, "app.kubernetes.io/managed-by"), nullptr);

  // The namespace appears in member2: the Headless import follows, without an IP.
  Create(*m2, kube::NamespacesResource(), "", R"({"metadata":{"name":"demo"}})");
  EXPECT_TRUE(Eventually([&] {
    return Import(*m2, "db") == R"(Headless - [{"cluster":"id-member1"}])";
  })) << Import(*m2, "db");
}

TEST_F(McsControllerTest, AMemberThatCannotBeReadStopsNothingElseAndDeletesNothing) {
  auto m1 = NewMember("member1");
  auto m2 = NewMember("member2");
  auto m3 = NewMember("member3");
  m3->InjectError("list", "serviceexports",
                  kube::WithReason(absl::PermissionDeniedError("serviceexports is forbidden"),
                                   "Forbidden", 403),
                  /*count=*/1000000);
  ExportService(*m1, 80);
  McsOptions options;
  options.problem_recheck = absl::Seconds(1);
  Start(options);
  const std::string want = R"(ClusterSetIP ["240.96.0.1"] [{"cluster":"id-member1"}])";
  EXPECT_TRUE(Eventually([&] { return Import(*m2) == want; })) << Import(*m2);
  EXPECT_TRUE(kube::IsNotFound(m3->Get(mcs::ServiceImportsResource(), "demo", "web").status()));

  // The last export goes while member3's exports are unknown: nothing is deleted.
  ASSERT_TRUE(m1->Delete(mcs::ServiceExportsResource(), "demo", "web", {}).ok());
  // Wait until the controller saw the deletion (the service left its view), then check that
  // the imports stayed.
  EXPECT_TRUE(Eventually([&] { return controller_->Services().count("demo/web") == 0; }));
  EXPECT_EQ(Import(*m2), want);
  EXPECT_EQ(Import(*m1), want);

  // member3 readable again: the imports go.
  m3->ClearInjectedErrors();
  EXPECT_TRUE(Eventually([&] {
    return kube::IsNotFound(m1->Get(mcs::ServiceImportsResource(), "demo", "web").status()) &&
           kube::IsNotFound(m2->Get(mcs::ServiceImportsResource(), "demo", "web").status());
  })) << Import(*m2);
}

TEST_F(McsControllerTest, ClusterSetIpsSurviveARestart) {
  auto m1 = NewMember("member1");
  ExportService(*m1, 80, "a");
  ExportService(*m1, 80, "b");
  Start();
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(Import(*m1, "a"), "240.96.0.") &&
           absl::StrContains(Import(*m1, "b"), "240.96.0.");
  }));
  const std::string a = Import(*m1, "a");
  const std::string b = Import(*m1, "b");
  EXPECT_NE(a, b);
  controller_->Stop();
  controller_.reset();

  // A new controller, and a third service exported while it was down.
  ExportService(*m1, 80, "c");
  Start();
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(Import(*m1, "c"), "240.96.0."); }));
  EXPECT_EQ(Import(*m1, "a"), a);
  EXPECT_EQ(Import(*m1, "b"), b);
  EXPECT_NE(Import(*m1, "c"), a);
  EXPECT_NE(Import(*m1, "c"), b);
}

TEST_F(McsControllerTest, AnExhaustedRangeIsAFailedReadyCondition) {
  auto m1 = NewMember("member1");
  ExportService(*m1, 80, "a");
  McsOptions options;
  options.clusterset_ip_range = "240.96.0.1/32";
  Start(options);
  EXPECT_TRUE(Eventually([&] { return Condition(*m1, "Ready", nullptr, "a") == "True/Exported"; }));
  ExportService(*m1, 80, "b");
  std::string message;
  // Until the member's Service cache has the new Service (its watch and the ServiceExports'
  // are separate streams), the export may first fail with "Service demo/b does not exist".
  EXPECT_TRUE(Eventually([&] {
    return Condition(*m1, "Ready", &message, "b") == "False/Failed" &&
           absl::StrContains(message, "is exhausted");
  }));
  EXPECT_THAT(message, HasSubstr("the ClusterSetIP range 240.96.0.1/32 is exhausted"));
  EXPECT_TRUE(kube::IsNotFound(m1->Get(mcs::ServiceImportsResource(), "demo", "b").status()));
}

TEST_F(McsControllerTest, AMemberWithoutTheCrdsTakesPartOnceTheyAppear) {
  auto m1 = NewMember("member1");
  auto m2 = NewMember("member2", /*with_namespace=*/true, /*with_crds=*/false);
  ExportService(*m1, 80);
  Slice(*m1, "web-abc", "10.0.0.5");
  status::StatusStore& store = store_;
  McsOptions options;
  options.problem_recheck = absl::Milliseconds(200);
  options.status_store = &store;
  Start(options);
  const std::string want = R"(ClusterSetIP ["240.96.0.1"] [{"cluster":"id-member1"}])";
  EXPECT_TRUE(Eventually([&] { return Import(*m1) == want; })) << Import(*m1);
  EXPECT_TRUE(Eventually([&] { return controller_->Members()["member2"].state == "NoCrds"; }));
  EXPECT_THAT(controller_->Members()["member2"].message,
              HasSubstr("does not serve the mcs-api CRDs"));
  EXPECT_TRUE(kube::IsNotFound(m2->Get(mcs::ServiceImportsResource(), "demo", "web").status()));
  // The status store shows both members' part.
  EXPECT_TRUE(Eventually([&] {
    status::v1::ListMultiClusterServicesResponse list = store.ListMultiClusterServices({});
    return list.members_size() == 2 && list.members(0).state() == "Active" &&
           list.members(1).state() == "NoCrds";
  }));

  // The CRDs appear: member2 takes part at the next look.
  m2->SetRaw(kMcsApiPath, kMcsApiDiscovery);
  EXPECT_TRUE(Eventually([&] { return Import(*m2) == want; })) << Import(*m2);
  EXPECT_TRUE(Eventually([&] { return Endpoints(*m2) == "10.0.0.5@id-member1"; }));
  EXPECT_TRUE(Eventually([&] { return controller_->Members()["member2"].state == "Active"; }));

  // They go again (lists answer 404): back to looking for them, its informers stopped.
  m2->SetRawHandler(kMcsApiPath, [] {
    return absl::StatusOr<std::string>(
        kube::WithReason(absl::NotFoundError("the server could not find the requested resource"),
                         "NotFound", 404));
  });
  for (const char* verb : {"watch", "list"}) {
    m2->InjectError(verb, "serviceexports",
                    kube::WithReason(absl::NotFoundError("serviceexports not found"), "NotFound",
                                     404),
                    /*count=*/1000000);
  }
  m2->CloseWatches();
  EXPECT_TRUE(Eventually([&] { return controller_->Members()["member2"].state == "NoCrds"; }));
  // member1's import stays: a member without the CRDs exports nothing, and deletes nothing.
  EXPECT_EQ(Import(*m1), want);
}

TEST_F(McsControllerTest, PublishesEachServiceToTheStatusStore) {
  auto m1 = NewMember("member1");
  auto m2 = NewMember("member2");
  ExportService(*m1, 80);
  Slice(*m1, "web-abc", "10.0.0.5");
  Create(*m1, mcs::EndpointSlicesResource(), "demo",
         R"({"metadata":{"name":"web-def","namespace":"demo","labels":{"kubernetes.io/service-name":"web"}},
             "addressType":"IPv4","endpoints":[{"addresses":["10.0.0.6"],"conditions":{"ready":false}}],
             "ports":[{"name":"http","port":8080}]})");
  ExportService(*m2, 81);  // newer, another port number under the same name: a PortConflict
  status::StatusStore& store = store_;
  McsOptions options;
  options.status_store = &store;
  Start(options);

  auto service = [&]() -> status::v1::MultiClusterService {
    status::v1::ListMultiClusterServicesRequest request;
    request.set_namespace_("demo");
    status::v1::ListMultiClusterServicesResponse list = store.ListMultiClusterServices(request);
    return list.services_size() == 1 ? list.services(0) : status::v1::MultiClusterService();
  };
  EXPECT_TRUE(Eventually([&] {
    status::v1::MultiClusterService s = service();
    return s.importing_clusters_size() == 2 && s.exports_size() == 2 &&
           s.exports(1).conditions_size() == 3 && s.exports(0).conditions_size() == 3 &&
           s.exports(0).conditions(2).reason() == "Exported";
  })) << service().DebugString();
  status::v1::MultiClusterService s = service();
  EXPECT_EQ(s.name(), "web");
  EXPECT_EQ(s.type(), "ClusterSetIP");
  ASSERT_EQ(s.ips_size(), 1);
  EXPECT_EQ(s.ips(0), "240.96.0.1");
  ASSERT_EQ(s.ports_size(), 1);
  EXPECT_EQ(s.ports(0).port(), 80);
  EXPECT_EQ(s.exports(0).cluster(), "member1");  // the oldest first
  EXPECT_EQ(s.exports(0).cluster_id(), "id-member1");
  EXPECT_EQ(s.exports(1).cluster(), "member2");
  EXPECT_EQ(s.exports(1).conditions(0).type(), "Valid");
  EXPECT_EQ(s.exports(1).conditions(1).type(), "Conflict");
  EXPECT_EQ(s.exports(1).conditions(1).status(), "True");
  EXPECT_EQ(s.exports(1).conditions(1).reason(), "PortConflict");
  EXPECT_THAT(s.exports(1).conditions(1).message(), HasSubstr("http"));
  ASSERT_EQ(s.endpoints_size(), 2);
  EXPECT_EQ(s.endpoints(0).cluster(), "member1");
  EXPECT_EQ(s.endpoints(0).ready(), 1);
  EXPECT_EQ(s.endpoints(0).total(), 2);
  EXPECT_EQ(s.endpoints(1).cluster(), "member2");
  EXPECT_EQ(s.endpoints(1).total(), 0);
  EXPECT_EQ(s.importing_clusters(0), "member1");
  EXPECT_EQ(s.importing_clusters(1), "member2");

  // Unexported everywhere: the service leaves the store.
  ASSERT_TRUE(m1->Delete(mcs::ServiceExportsResource(), "demo", "web", {}).ok());
  ASSERT_TRUE(m2->Delete(mcs::ServiceExportsResource(), "demo", "web", {}).ok());
  EXPECT_TRUE(Eventually([&] { return store.ListMultiClusterServices({}).services_size() == 0; }));
}

TEST_F(McsControllerTest, RejectsABadRange) {
  McsOptions options;
  options.clusterset_ip_range = "240.96.0.0";
  auto c = McsController::Create(registry_, metrics_, options,
                                 [] { return std::map<std::string, std::string>{}; });
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kfed::controller
