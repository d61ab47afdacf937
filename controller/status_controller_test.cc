// The status controller (KubeFed's FederatedServiceStatus) on in-memory clusters
// (kube::FakeClient): the status object's clusterStatus from the member caches of the type's
// ClusterWorkers, kept up to date as member status and cluster readiness change, owned by the
// federated object, and not rewritten at rest. Run under TSan by hack/tsan.sh.
#include "controller/status_controller.h"

#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/cluster_registry.h"
#include "controller/cluster_workers.h"
#include "controller/kubefed_resources.h"
#include "controller/metrics.h"
#include "federated_types/type_config.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Eventually;
using ::kfed::testing::Json;

const kube::GroupVersionResource kStatusGvr{"core.kubefed.io", "v1alpha1",
                                            "federatedservicestatuses", true,
                                            "FederatedServiceStatus"};

ft::TypeConfig ServicesWithStatus() {
  for (ft::TypeConfig t : ft::DefaultTypeConfigs()) {
    if (t.name != "services") continue;
    t.status_collection_enabled = true;
    t.status_type = ft::ApiResource{"core.kubefed.io", "v1alpha1", "FederatedServiceStatus",
                                    "federatedservicestatuses", ft::Scope::kNamespaced};
    return t;
  }
  ADD_FAILURE() << "no services type";
  return {};
}

std::string ManagedService(const std::string& status) {
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"demo",
      "labels":{"kubefed.io/managed":"true"}},"spec":{"ports":[{"port":80}]},"status":)" +
         status + "}";
}

TEST(ClusterStatusOfTest, SortedByClusterWithEmptyOrMissingStatusLeftOut) {
  rapidjson::Document with = Json(R"({"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}})");
  rapidjson::Document empty = Json(R"({"status":{}})");
  rapidjson::Document out = ClusterStatusOf({{"m2", &with}, {"m1", nullptr}, {"m3", &empty}});
  EXPECT_EQ(json::Serialize(out),
            R"([{"clusterName":"m1"},{"clusterName":"m2","status":{"loadBalancer":)"
            R"({"ingress":[{"ip":"1.2.3.4"}]}}},{"clusterName":"m3"}])");
  EXPECT_EQ(json::Serialize(ClusterStatusOf({})), "[]");
}

class StatusControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.MarkSynced();
    type_ = ServicesWithStatus();
    ClusterWorkers::Options options;
    options.workers = 1;
    workers_ = std::make_unique<ClusterWorkers>(
        type_, registry_, options,
        [](const std::string&, kube::Client&, const std::string&) {
          return absl::StatusOr<ReconcileResult>(ReconcileResult::Done());
        },
        nullptr, metrics_, metrics_.Gauge("kfed_member_queue_depth", "test", {"cluster", "type"}),
        clock_);
    m1_ = Join("m1", true);
    m2_ = Join("m2", true);
    ASSERT_TRUE(Eventually([this] {
      return workers_->Lookup("m1", "demo", "web").synced &&
             workers_->Lookup("m2", "demo", "web").synced;
    }));
  }

  void TearDown() override {
    if (controller_ != nullptr) controller_->Stop();
    workers_->StopAll();
  }

  std::shared_ptr<kube::FakeClient> Join(const std::string& name, bool ready,
                                         std::shared_ptr<kube::FakeClient> client = nullptr) {
    if (client == nullptr) client = std::make_shared<kube::FakeClient>(clock_);
    auto member = std::make_shared<MemberCluster>();
    member->name = name;
    member->ready = ready;
    member->client = client;
    member->client_generation = 1;
    registry_.Upsert(member);
    workers_->Sync(name);
    return client;
  }

  void StartController(int workers = 2) {
    StatusControllerOptions o;
    o.type_config = type_;
    o.workers = workers;
    controller_ = std::make_unique<StatusController>(host_, registry_, *workers_, metrics_, o,
                                                     clock_);
    controller_->Start();
    ASSERT_TRUE(controller_->WaitForCachesSynced());
  }

  kube::ObjectPtr StatusObject() {
    absl::StatusOr<kube::ObjectPtr> got = host_.Get(kStatusGvr, "demo", "web");
    return got.ok() ? *got : nullptr;
  }
  std::string ClusterStatus() {
    kube::ObjectPtr o = StatusObject();
    const rapidjson::Value* cs = o ? json::Find(*o, "clusterStatus") : nullptr;
    return cs ? json::Serialize(*cs) : "";
  }

  FakeClock clock_;
  kube::FakeClient host_{clock_};
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  ft::TypeConfig type_;
  std::unique_ptr<ClusterWorkers> workers_;
  std::shared_ptr<kube::FakeClient> m1_, m2_;
  std::unique_ptr<StatusController> controller_;
};

TEST_F(StatusControllerTest, StatusObjectListsEachReadyClustersMemberStatus) {
  absl::StatusOr<kube::ObjectPtr> fed = host_.Create(
      FederatedResourceOf(type_), "demo",
      Json(R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedService",
               "metadata":{"name":"web","namespace":"demo"},"spec":{}})"),
      {});
  ASSERT_TRUE(fed.ok()) << fed.status();
  ASSERT_TRUE(m1_->Create(TargetResourceOf(type_), "demo",
                          Json(ManagedService(R"({"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}})")),
                          {})
                  .ok());
  StartController();

  const std::string both =
      R"([{"clusterName":"m1","status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}}},)"
      R"({"clusterName":"m2"}])";
  ASSERT_TRUE(Eventually([&] { return ClusterStatus() == both; })) << ClusterStatus();
  kube::ObjectPtr status = StatusObject();
  EXPECT_EQ(json::GetString(*status, "apiVersion"), "core.kubefed.io/v1alpha1");
  EXPECT_EQ(json::GetString(*status, "kind"), "FederatedServiceStatus");
  // Owned by the federated object, so the garbage collector deletes it with it.
  const rapidjson::Value* owners = json::FindPath(*status, {"metadata", "ownerReferences"});
  ASSERT_NE(owners, nullptr);
  ASSERT_EQ(owners->Size(), 1u);
  EXPECT_EQ(json::GetString((*owners)[0], "kind"), "FederatedService");
  EXPECT_EQ(json::GetString((*owners)[0], "apiVersion"), "types.kubefed.io/v1beta1");
  EXPECT_EQ(json::GetString((*owners)[0], "uid"),
            json::GetString(*json::Find(**fed, "metadata"), "uid"));

  // At rest: a pass writes nothing.
  const std::string rv = json::GetString(*json::Find(*status, "metadata"), "resourceVersion");
  absl::StatusOr<ReconcileResult> again = controller_->Reconcile("demo/web");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(json::GetString(*json::Find(*StatusObject(), "metadata"), "resourceVersion"), rv);

  // The member status changes: the status object follows (member informer -> listener).
  ASSERT_TRUE(m2_->Create(TargetResourceOf(type_), "demo",
                          Json(ManagedService(R"({"loadBalancer":{"ingress":[{"ip":"10.0.0.2"}]}})")),
                          {})
                  .ok());
  const std::string updated =
      R"([{"clusterName":"m1","status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}}},)"
      R"({"clusterName":"m2","status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.2"}]}}}])";
  ASSERT_TRUE(Eventually([&] { return ClusterStatus() == updated; })) << ClusterStatus();

  // A cluster that is no longer Ready leaves the list (KubeFed: ready clusters only).
  Join("m2", false, m2_);
  const std::string m1_only =
      R"([{"clusterName":"m1","status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}}}])";
  ASSERT_TRUE(Eventually([&] { return ClusterStatus() == m1_only; })) << ClusterStatus();
}

TEST_F(StatusControllerTest, EditedStatusObjectIsPutRightAndNothingWithoutFederatedObject) {
  StartController(/*workers=*/1);
  // No federated object: no status object.
  absl::StatusOr<ReconcileResult> none = controller_->Reconcile("demo/web");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(StatusObject(), nullptr);

  ASSERT_TRUE(host_.Create(FederatedResourceOf(type_), "demo",
                           Json(R"({"apiVersion":"types.kubefed.io/v1beta1",
                                    "kind":"FederatedService","metadata":{"name":"web",
                                    "namespace":"demo"},"spec":{}})"),
                           {})
                  .ok());
  const std::string want = R"([{"clusterName":"m1"},{"clusterName":"m2"}])";
  ASSERT_TRUE(Eventually([&] { return ClusterStatus() == want; })) << ClusterStatus();
  rapidjson::Document edited = json::Clone(*StatusObject());
  json::Set(edited, "clusterStatus", Json(R"([{"clusterName":"bogus"}])"),
            edited.GetAllocator());
  ASSERT_TRUE(host_.Update(kStatusGvr, "demo", edited, {}).ok());
  ASSERT_TRUE(Eventually([&] { return ClusterStatus() == want; })) << ClusterStatus();
}

}  // namespace
}  // namespace kfed::controller
