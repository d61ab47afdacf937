// The sync controller under concurrency, against in-memory clusters (kube::FakeClient): one
// host and three members, 4 host workers and 4 workers per member, while several threads
// create, update and delete FederatedConfigMaps at once. Asserts what every member ends up
// holding (names, data, per-cluster overrides, placement) and that deleted objects are gone
// everywhere. Run under TSan by hack/tsan.sh (see docs/reliability.md).
//
// Time is a FakeClock: the controller's delayed work (re-checks, retry backoff, write
// expectations) waits on it, and a driver moves it 50 ms per real millisecond while some thread
// waits for a deadline, so a 5 s re-check costs 0.1 s of the test instead of 5 s, and nothing
// depends on how fast the machine is. The assertions wait for what the clusters hold.
#include "controller/sync_controller.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/cluster_registry.h"
#include "controller/events.h"
#include "controller/metrics.h"
#include "federated_types/type_config.h"
#include "kube/client_fake.h"
#include "kube/informer.h"
#include "kube/resource.h"

namespace kfed::controller {
namespace {

const kube::GroupVersionResource kFederatedConfigMaps{"types.kubefed.io", "v1beta1",
                                                       "federatedconfigmaps", true,
                                                       "FederatedConfigMap"};
const kube::GroupVersionResource kFederatedNamespaces{"types.kubefed.io", "v1beta1",
                                                       "federatednamespaces", true,
                                                       "FederatedNamespace"};
constexpr char kNamespace[] = "demo";
const std::vector<std::string> kMembers = {"member1", "member2", "member3"};
constexpr int kObjects = 24;
constexpr int kWriters = 4;

std::string Name(int i) { return absl::StrCat("cfg-", i); }

// Object i: placed on every member when i % 3 == 0, else on member1 and member(2 + i % 2);
// member2 gets an override of data.v.
std::vector<std::string> Placement(int i) {
  if (i % 3 == 0) return kMembers;
  return {"member1", i % 2 == 0 ? "member2" : "member3"};
}

std::string FederatedConfigMap(int i, const std::string& value) {
  std::string clusters;
  for (const std::string& c : Placement(i)) {
    absl::StrAppend(&clusters, clusters.empty() ? "" : ",", R"({"name":")", c, R"("})");
  }
  return absl::StrCat(
      R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedConfigMap",)",
      R"("metadata":{"name":")", Name(i), R"(","namespace":")", kNamespace, R"("},)",
      R"("spec":{"template":{"data":{"v":")", value, R"("}},)", R"("placement":{"clusters":[)",
      clusters, R"(]},)",
      R"("overrides":[{"clusterName":"member2","clusterOverrides":[{"path":"/data/v","value":"over-)",
      value, R"("}]}]}})");
}

using ::kfed::testing::Eventually;
using ::kfed::testing::Json;

// Moves `clock` while some thread waits on it for a deadline (see the file comment).
class FakeTimeDriver {
 public:
  explicit FakeTimeDriver(FakeClock& clock)
      : thread_([this, &clock] {
          while (!done_.WaitForNotificationWithTimeout(absl::Milliseconds(1))) {
            if (clock.Sleepers() > 0) clock.Advance(absl::Milliseconds(50));
          }
        }) {}
  ~FakeTimeDriver() {
    done_.Notify();
    thread_.join();
  }

 private:
  absl::Notification done_;
  std::thread thread_;
};

class SyncControllerConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& name : kMembers) {
      auto member = std::make_shared<kube::FakeClient>();
      members_[name] = member;
      auto cluster = std::make_shared<MemberCluster>();
      cluster->name = name;
      cluster->ready = true;
      cluster->client = member;
      cluster->client_generation = 1;
      registry_.Upsert(cluster);
    }
    registry_.MarkSynced();
    ASSERT_TRUE(host_.Create(kube::NamespacesResource(), "",
                             Json(absl::StrCat(R"({"apiVersion":"v1","kind":"Namespace",)",
                                               R"("metadata":{"name":")", kNamespace, R"("}})")),
                             {})
                    .ok());
    ASSERT_TRUE(
        host_
            .Create(kFederatedNamespaces, kNamespace,
                    Json(absl::StrCat(
                        R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedNamespace",)",
                        R"("metadata":{"name":")", kNamespace, R"(","namespace":")", kNamespace,
                        R"("},"spec":{"placement":{"clusterSelector":{}}}})")),
                    {})
            .ok());
    auto informer = [this](kube::GroupVersionResource gvr) {
      kube::InformerOptions o;
      o.gvr = std::move(gvr);
      auto i = std::make_unique<kube::Informer>(host_, o, clock_);
      i->Start();
      return i;
    };
    federated_namespaces_ = informer(kFederatedNamespaces);
    propagated_versions_ = informer(
        {"core.kubefed.io", "v1alpha1", "propagatedversions", true, "PropagatedVersion"});
    cluster_propagated_versions_ = informer({"core.kubefed.io", "v1alpha1",
                                             "clusterpropagatedversions", false,
                                             "ClusterPropagatedVersion"});
    namespaces_ = informer(kube::NamespacesResource());

    SyncControllerOptions options;
    for (const federated_types::TypeConfig& t : federated_types::DefaultTypeConfigs()) {
      if (t.target_type.kind == "ConfigMap") options.type_config = t;
    }
    ASSERT_EQ(options.type_config.target_type.kind, "ConfigMap");
    options.host_workers = 4;
    options.cluster_workers = 4;
    events_ = std::make_unique<EventRecorder>(host_, "sync-controller-test", clock_);
    controller_ = std::make_unique<SyncController>(
        host_, registry_,
        HostCaches{federated_namespaces_.get(), propagated_versions_.get(),
                   cluster_propagated_versions_.get(), namespaces_.get()},
        metrics_, *events_, options, clock_);
    driver_ = std::make_unique<FakeTimeDriver>(clock_);
    controller_->Start();
  }

  void TearDown() override {
    controller_->Stop();
    events_->Stop();
    for (auto* i : {federated_namespaces_.get(), propagated_versions_.get(),
                    cluster_propagated_versions_.get(), namespaces_.get()}) {
      i->Stop();
    }
    driver_.reset();
  }

  // name -> data.v of the ConfigMaps kfed manages in `member`.
  std::map<std::string, std::string> MemberData(const std::string& member) {
    std::map<std::string, std::string> out;
    absl::StatusOr<kube::ObjectList> list =
        members_[member]->List(kube::ConfigMapsResource(), kNamespace, {});
    if (!list.ok()) return out;
    for (const kube::ObjectPtr& o : list->items) {
      const rapidjson::Value* data = json::Find(*o, "data");
      out[kube::Name(*o)] = data == nullptr ? "" : json::GetString(*data, "v");
    }
    return out;
  }

  // Declared first: every part below waits on it, and it outlives them.
  FakeClock clock_;
  std::unique_ptr<FakeTimeDriver> driver_;
  kube::FakeClient host_;
  std::map<std::string, std::shared_ptr<kube::FakeClient>> members_;
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  std::unique_ptr<kube::Informer> federated_namespaces_, propagated_versions_,
      cluster_propagated_versions_, namespaces_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<SyncController> controller_;
};

TEST_F(SyncControllerConcurrencyTest, ManyKeysAndClustersConverge) {
  // Writers create every object, then update each once, and delete every fourth, all while
  // the controller propagates.
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w] {
      for (int i = w; i < kObjects; i += kWriters) {
        EXPECT_TRUE(host_.Create(kFederatedConfigMaps, kNamespace,
                                 Json(FederatedConfigMap(i, absl::StrCat("a", i))), {})
                        .ok());
      }
      for (int i = w; i < kObjects; i += kWriters) {
        absl::StatusOr<kube::ObjectPtr> current = host_.Get(kFederatedConfigMaps, kNamespace, Name(i));
        ASSERT_TRUE(current.ok()) << current.status();
        rapidjson::Document updated = Json(FederatedConfigMap(i, absl::StrCat("b", i)));
        // Keep what the controller added (finalizers) and the resourceVersion to update.
        rapidjson::Document copy = json::Clone(**current);
        copy["spec"].CopyFrom(updated["spec"], copy.GetAllocator());
        absl::StatusOr<kube::ObjectPtr> written =
            host_.Update(kFederatedConfigMaps, kNamespace, copy, {});
        for (int attempt = 0; !written.ok() && attempt < 20; ++attempt) {
          current = host_.Get(kFederatedConfigMaps, kNamespace, Name(i));
          ASSERT_TRUE(current.ok());
          copy = json::Clone(**current);
          copy["spec"].CopyFrom(updated["spec"], copy.GetAllocator());
          written = host_.Update(kFederatedConfigMaps, kNamespace, copy, {});
        }
        EXPECT_TRUE(written.ok()) << written.status();
        if (i % 4 == 3) {
          EXPECT_TRUE(host_.Delete(kFederatedConfigMaps, kNamespace, Name(i), {}).ok());
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();

  // What each member must hold: live objects only, with the final value (member2 overridden).
  std::map<std::string, std::map<std::string, std::string>> want;
  for (int i = 0; i < kObjects; ++i) {
    if (i % 4 == 3) continue;
    for (const std::string& c : Placement(i)) {
      want[c][Name(i)] = c == "member2" ? absl::StrCat("over-b", i) : absl::StrCat("b", i);
    }
  }
  for (const std::string& member : kMembers) {
    EXPECT_TRUE(Eventually([&] { return MemberData(member) == want[member]; }, absl::Minutes(2)))
        << member << " holds " << MemberData(member).size() << " ConfigMaps, want "
        << want[member].size();
  }
  // Deleted federated objects are gone from the host (their finalizer was removed once
  // every member copy was deleted).
  EXPECT_TRUE(Eventually(
      [&] {
        absl::StatusOr<kube::ObjectList> left = host_.List(kFederatedConfigMaps, kNamespace, {});
        return left.ok() && left->items.size() == static_cast<size_t>(kObjects - kObjects / 4);
      },
      absl::Minutes(2)));
  // Every member object carries kfed's managed label.
  for (const std::string& member : kMembers) {
    absl::StatusOr<kube::ObjectList> list =
        members_[member]->List(kube::ConfigMapsResource(), kNamespace, {});
    ASSERT_TRUE(list.ok());
    for (const kube::ObjectPtr& o : list->items) {
      const rapidjson::Value* managed = kube::Label(*o, "kubefed.io/managed");
      ASSERT_NE(managed, nullptr) << kube::Name(*o);
      EXPECT_STREQ(managed->GetString(), "true");
    }
  }
}

}  // namespace
}  // namespace kfed::controller
