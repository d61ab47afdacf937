// MemberReconciler on in-memory clusters and a fake clock. The member's cache and the member
// kfed writes to are two FakeClients here, so a test decides when the cache "catches up"
// with kfed's write: the write expectations are exercised without racing an informer.
#include "controller/member_reconciler.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/cluster_registry.h"
#include "controller/cluster_workers.h"
#include "controller/events.h"
#include "controller/kubefed_resources.h"
#include "controller/metrics.h"
#include "controller/object_meta.h"
#include "controller/plan_input.h"
#include "controller/propagated_version_store.h"
#include "controller/propagation_records.h"
#include "controller/write_expectations.h"
#include "federated_types/keys.h"
#include "federated_types/type_config.h"
#include "federated_types/versions.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/informer.h"
#include "kube/resource.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Eventually;
using ::kfed::testing::Json;

constexpr char kFederatedWeb[] =
    R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedConfigMap",)"
    R"("metadata":{"name":"web","namespace":"demo","finalizers":["kubefed.io/sync-controller"]},)"
    R"("spec":{"template":{"data":{"v":"1"}},"placement":{"clusters":[{"name":"m1"}]}}})";

class MemberReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const ft::TypeConfig& t : ft::DefaultTypeConfigs()) {
      if (t.target_type.kind == "ConfigMap") options_.type_config = t;
    }
    ASSERT_TRUE(host_
                    .Create(FederatedNamespacesResource(), "demo",
                            Json(R"({"apiVersion":"types.kubefed.io/v1beta1",)"
                                 R"("kind":"FederatedNamespace","metadata":{"name":"demo",)"
                                 R"("namespace":"demo"},"spec":{"placement":)"
                                 R"({"clusterSelector":{}}}})"),
                            {})
                    .ok());
    federated_ = StartInformer(FederatedResourceOf(options_.type_config));
    federated_namespaces_ = StartInformer(FederatedNamespacesResource());
    propagated_versions_ = StartInformer(PropagatedVersionsResource());
    cluster_propagated_versions_ = StartInformer(ClusterPropagatedVersionsResource());
    namespaces_ = StartInformer(kube::NamespacesResource());
    caches_ = {federated_namespaces_.get(), propagated_versions_.get(),
               cluster_propagated_versions_.get(), namespaces_.get()};

    auto member = std::make_shared<MemberCluster>();
    member->name = "m1";
    member->ready = true;
    member->client = cache_source_;
    member->client_generation = 1;
    registry_.Upsert(member);
    registry_.MarkSynced();

    versions_ = std::make_unique<PropagatedVersionStore>(host_, *propagated_versions_,
                                                         options_.type_config, "kfed");
    ClusterWorkers::Options wo;
    wo.workers = 1;
    // The pool's own reconciles do nothing: the test calls the reconciler itself.
    workers_ = std::make_unique<ClusterWorkers>(
        options_.type_config, registry_, wo,
        [](const std::string&, kube::Client&, const std::string&) {
          return absl::StatusOr<ReconcileResult>(ReconcileResult::Done());
        },
        nullptr, metrics_, metrics_.Gauge("queue_depth", "test", {"cluster", "type"}), clock_);
    workers_->Sync("m1");
    ASSERT_TRUE(Eventually([&] { return workers_->Lookup("m1", "demo", "web").synced; }));
    inputs_ = std::make_unique<PlanInputBuilder>(options_, caches_, *versions_, records_, registry_,
                                                 *workers_);
    events_ = std::make_unique<EventRecorder>(host_, "member-reconciler-test");
    MemberReconciler::Metrics m;
    m.dispatch_duration = metrics_.Histogram("d", "test", {"action"});
    m.propagation_latency = metrics_.Histogram("l", "test", {"cluster"});
    m.member_writes = metrics_.Counter("w", "test", {"cluster", "action"});
    m.member_errors = metrics_.Counter("e", "test", {"cluster", "reason"});
    reconciler_ = std::make_unique<MemberReconciler>(
        options_, *federated_, *inputs_, *workers_, records_, expectations_, *events_, m,
        [this](const std::string& key) {
          absl::MutexLock lock(&mu_);
          woken_.push_back(key);
        },
        clock_);

    ASSERT_TRUE(
        host_.Create(FederatedResourceOf(options_.type_config), "demo", Json(kFederatedWeb), {})
            .ok());
    ASSERT_TRUE(Eventually([&] { return federated_->Get("demo", "web") != nullptr; }));
  }

  void TearDown() override {
    events_->Stop();
    workers_->StopAll();
  }

  std::unique_ptr<kube::Informer> StartInformer(kube::GroupVersionResource gvr) {
    kube::InformerOptions o;
    o.gvr = std::move(gvr);
    auto informer = std::make_unique<kube::Informer>(host_, o, clock_);
    informer->Start();
    EXPECT_TRUE(informer->WaitForSync(absl::Seconds(30)));
    return informer;
  }

  absl::StatusOr<ReconcileResult> Pass() {
    return reconciler_->Reconcile("m1", writer_, "demo/web");
  }

  // The ConfigMap in the member kfed writes to (null when absent).
  kube::ObjectPtr Written() {
    absl::StatusOr<kube::ObjectPtr> o = writer_.Get(kube::ConfigMapsResource(), "demo", "web");
    return o.ok() ? *o : nullptr;
  }

  // The member cache catches up: it now holds exactly what kfed wrote.
  void CacheCatchesUp() {
    kube::ObjectPtr written = Written();
    ASSERT_NE(written, nullptr);
    ASSERT_TRUE(cache_source_->Create(kube::ConfigMapsResource(), "demo", *written, {}).ok());
    ASSERT_TRUE(Eventually([&] {
      ClusterWorkers::MemberCache c = workers_->Lookup("m1", "demo", "web");
      return c.live != nullptr;
    }));
    // kfed compares resourceVersions: both fakes count from the same start.
    ASSERT_EQ(Meta(*workers_->Lookup("m1", "demo", "web").live, "resourceVersion"),
              Meta(*written, "resourceVersion"));
  }

  std::vector<std::string> TakeWoken() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    out.swap(woken_);
    return out;
  }

  FakeClock clock_;
  SyncControllerOptions options_;
  kube::FakeClient host_;
  kube::FakeClient writer_;
  std::shared_ptr<kube::FakeClient> cache_source_ = std::make_shared<kube::FakeClient>();
  std::unique_ptr<kube::Informer> federated_, federated_namespaces_, propagated_versions_,
      cluster_propagated_versions_, namespaces_;
  HostCaches caches_;
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  PropagationRecords records_;
  WriteExpectations expectations_{clock_};
  std::unique_ptr<PropagatedVersionStore> versions_;
  std::unique_ptr<ClusterWorkers> workers_;
  std::unique_ptr<PlanInputBuilder> inputs_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<MemberReconciler> reconciler_;
  absl::Mutex mu_;
  std::vector<std::string> woken_ ABSL_GUARDED_BY(mu_);
};

TEST_F(MemberReconcilerTest, NoSecondWriteBeforeTheCacheShowsTheFirst) {
  absl::StatusOr<ReconcileResult> first = Pass();
  ASSERT_TRUE(first.ok()) << first.status();
  kube::ObjectPtr created = Written();
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(json::GetString((*created)["data"], "v"), "1");
  EXPECT_EQ(TakeWoken(), std::vector<std::string>{"demo/web"});

  // The cache still shows nothing: deciding from it would create (or adopt) again.
  clock_.Advance(kWriteExpectationTimeout - absl::Seconds(1));
  ASSERT_TRUE(Pass().ok());
  EXPECT_EQ(Meta(*Written(), "resourceVersion"), Meta(*created, "resourceVersion"));
  EXPECT_TRUE(TakeWoken().empty());

  // Once it does, the object is up to date: nothing to write, and the host is woken (a write
  // is settled that no status has accounted for).
  CacheCatchesUp();
  ASSERT_TRUE(Pass().ok());
  EXPECT_EQ(Meta(*Written(), "resourceVersion"), Meta(*created, "resourceVersion"));
  EXPECT_EQ(TakeWoken(), std::vector<std::string>{"demo/web"});
  EXPECT_EQ(expectations_.size(), 0u);
  ObjectRecord record = records_.Snapshot("demo/web");
  EXPECT_EQ(record.clusters["m1"].last.status, "");
  EXPECT_EQ(record.versions["m1"], ft::ObjectVersion(*created));
}

TEST_F(MemberReconcilerTest, AWriteTheCacheNeverShowsStopsHoldingBackAfterTheTimeout) {
  ASSERT_TRUE(Pass().ok());
  kube::ObjectPtr created = Written();
  ASSERT_NE(created, nullptr);
  // Someone edits the member copy; the cache shows neither kfed's create nor the edit.
  rapidjson::Document edited = json::Clone(*created);
  edited["data"]["v"].SetString("edited", edited.GetAllocator());
  ASSERT_TRUE(writer_.Update(kube::ConfigMapsResource(), "demo", edited, {}).ok());

  clock_.Advance(kWriteExpectationTimeout - absl::Seconds(1));
  ASSERT_TRUE(Pass().ok());
  EXPECT_EQ(json::GetString((*Written())["data"], "v"), "edited");  // held back

  // After the timeout the pass acts on what the cache shows (nothing): the create finds the
  // object and adopts it, which writes the desired data; still the same object.
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(Pass().ok());
  kube::ObjectPtr now = Written();
  EXPECT_EQ(json::GetString((*now)["data"], "v"), "1");
  EXPECT_EQ(Meta(*now, "uid"), Meta(*created, "uid"));
}

TEST_F(MemberReconcilerTest, AFailedWriteIsRecordedAndReturnedForRetry) {
  writer_.InjectError("create", "configmaps", absl::UnavailableError("connection refused"));
  absl::StatusOr<ReconcileResult> result = Pass();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(result.status().message(),
                               "FederatedConfigMap demo/web in cluster m1: creating demo/web"))
      << result.status();
  EXPECT_EQ(Written(), nullptr);
  EXPECT_EQ(records_.Snapshot("demo/web").clusters["m1"].last.status, ft::kCreationFailed);
  EXPECT_EQ(TakeWoken(), std::vector<std::string>{"demo/web"});
  // Nothing was written, so nothing is expected: the retry acts at once.
  ASSERT_TRUE(Pass().ok());
  EXPECT_NE(Written(), nullptr);
}

TEST_F(MemberReconcilerTest, NothingHappensBeforeTheFinalizer) {
  absl::StatusOr<kube::ObjectPtr> fed =
      host_.Get(FederatedResourceOf(options_.type_config), "demo", "web");
  ASSERT_TRUE(fed.ok());
  rapidjson::Document copy = json::Clone(**fed);
  SetFinalizer(copy, ft::kSyncControllerFinalizer, false);
  ASSERT_TRUE(host_.Update(FederatedResourceOf(options_.type_config), "demo", copy, {}).ok());
  ASSERT_TRUE(Eventually([&] {
    kube::ObjectPtr cached = federated_->Get("demo", "web");
    return cached != nullptr && !HasFinalizer(*cached, ft::kSyncControllerFinalizer);
  }));
  ASSERT_TRUE(Pass().ok());
  EXPECT_EQ(Written(), nullptr);
}

}  // namespace
}  // namespace kfed::controller
