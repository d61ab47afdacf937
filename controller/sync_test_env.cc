#include "controller/sync_test_env.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "federated_types/type_config.h"
#include "kube/resource.h"

namespace kfed::controller {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Eventually;
using ::kfed::testing::Json;

std::string SyncTestEnv::FederatedWeb(const std::string& value) {
  return absl::StrCat(
      R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedConfigMap",)",
      R"("metadata":{"name":"web","namespace":"demo","finalizers":["kubefed.io/sync-controller"]},)",
      R"("spec":{"template":{"data":{"v":")", value,
      R"("}},"placement":{"clusters":[{"name":"m1"}]}}})");
}

std::unique_ptr<kube::Informer> SyncTestEnv::StartInformer(kube::GroupVersionResource gvr) {
  kube::InformerOptions o;
  o.gvr = std::move(gvr);
  auto informer = std::make_unique<kube::Informer>(host_, o, clock_);
  informer->Start();
  EXPECT_TRUE(informer->WaitForSync(absl::Seconds(30)));
  return informer;
}

void SyncTestEnv::SetUp() {
  for (const ft::TypeConfig& t : ft::DefaultTypeConfigs()) {
    if (t.target_type.kind == "ConfigMap") options_.type_config = t;
  }
  ASSERT_EQ(options_.type_config.target_type.kind, "ConfigMap");
  options_.status_store = &store_;
  member_cache_ = split_member_cache_ ? std::make_shared<kube::FakeClient>() : member_;
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
  member->client = member_cache_;
  member->client_generation = 1;
  registry_.Upsert(member);
  registry_.MarkSynced();

  versions_ = std::make_unique<PropagatedVersionStore>(host_, *propagated_versions_,
                                                       options_.type_config, "kfed");
  ClusterWorkers::Options wo;
  wo.workers = 1;
  // The pool's own reconciles do nothing: the tests run the passes themselves.
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
  publisher_ = std::make_unique<StatusPublisher>(options_, *federated_, *inputs_);
  publisher_->Open();
  events_ = std::make_unique<EventRecorder>(host_, "sync-test");
  MemberReconciler::Metrics m;
  m.dispatch_duration = metrics_.Histogram("dispatch", "test", {"action"});
  m.propagation_latency = metrics_.Histogram("latency", "test", {"cluster"});
  m.member_writes = metrics_.Counter("writes", "test", {"cluster", "action"});
  m.member_errors = metrics_.Counter("errors", "test", {"cluster", "reason"});
  member_reconciler_ = std::make_unique<MemberReconciler>(
      options_, *federated_, *inputs_, *workers_, records_, expectations_, *events_, m,
      [this](const std::string& key) {
        absl::MutexLock lock(&mu_);
        woken_.push_back(key);
      },
      clock_);
  deletion_ =
      std::make_unique<DeletionReconciler>(host_, options_, *inputs_, *workers_, records_,
                                           expectations_, *versions_, *publisher_, *events_);
  HostReconciler::Queues queues;
  queues.add_finalizer = [this](const std::string& key) {
    absl::MutexLock lock(&mu_);
    finalizer_queue_.push_back(key);
  };
  queues.recheck_after = [this](const std::string& key, absl::Duration) {
    absl::MutexLock lock(&mu_);
    rechecks_.push_back(key);
  };
  version_writer_ = std::make_unique<VersionWriter>(
      *versions_, *federated_, options_.type_config, [this](const std::string& key) {
        absl::MutexLock lock(&mu_);
        version_queue_.push_back(key);
      });
  host_reconciler_ = std::make_unique<HostReconciler>(
      host_, options_, *federated_, *inputs_, *workers_, records_, *version_writer_, *publisher_,
      *deletion_, std::move(queues), metrics_.Histogram("host", "test", {}), clock_);
}

void SyncTestEnv::TearDown() {
  publisher_->Close();
  events_->Stop();
  workers_->StopAll();
}

void SyncTestEnv::CreateFederated(const std::string& json) {
  ASSERT_TRUE(host_.Create(FederatedResourceOf(options_.type_config), "demo", Json(json), {}).ok());
  AwaitFederatedCache();
}

void SyncTestEnv::AwaitFederatedCache() {
  kube::ObjectPtr want = HostObject();
  ASSERT_TRUE(Eventually([&] {
    kube::ObjectPtr cached = federated_->Get("demo", "web");
    if (want == nullptr || cached == nullptr) return want == cached;
    return Meta(*cached, "resourceVersion") == Meta(*want, "resourceVersion");
  }));
}

absl::StatusOr<ReconcileResult> SyncTestEnv::MemberPass() {
  return member_reconciler_->Reconcile("m1", *member_, "demo/web");
}

absl::StatusOr<ReconcileResult> SyncTestEnv::HostPass() {
  absl::StatusOr<ReconcileResult> result = host_reconciler_->Reconcile("demo/web");
  if (host_pass_writes_versions_) {
    absl::Status versions = VersionPasses();
    EXPECT_TRUE(versions.ok()) << "the version workers' pass after the host pass: " << versions;
  }
  return result;
}

absl::Status SyncTestEnv::VersionPasses() {
  std::vector<std::string> keys;
  {
    absl::MutexLock lock(&mu_);
    keys = std::exchange(version_queue_, {});
  }
  absl::Status first;
  for (const std::string& key : keys) {
    absl::StatusOr<ReconcileResult> r = version_writer_->Reconcile(key);
    if (!r.ok() && first.ok()) first = r.status();
  }
  return first;
}

kube::ObjectPtr SyncTestEnv::MemberObject() {
  absl::StatusOr<kube::ObjectPtr> o = member_->Get(kube::ConfigMapsResource(), "demo", "web");
  return o.ok() ? *o : nullptr;
}

kube::ObjectPtr SyncTestEnv::HostObject() {
  absl::StatusOr<kube::ObjectPtr> o =
      host_.Get(FederatedResourceOf(options_.type_config), "demo", "web");
  return o.ok() ? *o : nullptr;
}

void SyncTestEnv::CacheCatchesUp() {
  kube::ObjectPtr want = MemberObject();
  if (split_member_cache_) {
    ASSERT_NE(want, nullptr);
    ASSERT_TRUE(member_cache_->Create(kube::ConfigMapsResource(), "demo", *want, {}).ok());
  }
  ASSERT_TRUE(Eventually([&] {
    kube::ObjectPtr cached = workers_->Lookup("m1", "demo", "web").live;
    if (want == nullptr || cached == nullptr) return want == cached;
    return Meta(*cached, "resourceVersion") == Meta(*want, "resourceVersion");
  })) << "the member cache did not catch up (a split cache catches up with a first create only)";
}

std::vector<std::string> SyncTestEnv::TakeWoken() {
  absl::MutexLock lock(&mu_);
  return std::exchange(woken_, {});
}

std::vector<std::string> SyncTestEnv::TakeFinalizerQueue() {
  absl::MutexLock lock(&mu_);
  return std::exchange(finalizer_queue_, {});
}

std::vector<std::string> SyncTestEnv::TakeRechecks() {
  absl::MutexLock lock(&mu_);
  return std::exchange(rechecks_, {});
}

}  // namespace kfed::controller
