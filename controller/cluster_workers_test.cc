// ClusterWorkers against in-memory members (kube::FakeClient): workers follow the registry
// (start, restart on a new client, stop), member events reach the right queue with the
// federated key, and the member caches answer lookups.
#include "controller/cluster_workers.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "base/testing.h"
#include "federated_types/type_config.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/errors.h"
#include "kube/resource.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Json;

ft::TypeConfig Type(const std::string& kind) {
  for (const ft::TypeConfig& t : ft::DefaultTypeConfigs()) {
    if (t.target_type.kind == kind) return t;
  }
  return {};
}

std::string ManagedConfigMap(const std::string& name, const std::string& managed = "true") {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")", name,
                      R"(","namespace":"demo","labels":{"kubefed.io/managed":")", managed,
                      R"("}}})");
}

// Records every reconcile (cluster, client, key) and member change; waits without polling.
class Recorder {
 public:
  absl::StatusOr<ReconcileResult> Reconcile(const std::string& cluster, kube::Client& client,
                                            const std::string& key) {
    absl::MutexLock lock(&mu_);
    seen_.insert(absl::StrCat(cluster, " ", key));
    clients_[cluster] = &client;
    return ReconcileResult::Done();
  }
  void Changed(const std::string& key) {
    absl::MutexLock lock(&mu_);
    changed_.insert(key);
  }
  // Waits (a hang guard, not a timing assertion) until `cluster` reconciled `key`.
  bool AwaitReconciled(const std::string& cluster, const std::string& key) {
    const std::string entry = absl::StrCat(cluster, " ", key);
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return seen_.count(entry) > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60));
  }
  bool Reconciled(const std::string& cluster, const std::string& key) {
    absl::MutexLock lock(&mu_);
    return seen_.count(absl::StrCat(cluster, " ", key)) > 0;
  }
  bool SawChange(const std::string& key) const {
    absl::MutexLock lock(&mu_);
    return changed_.count(key) > 0;
  }
  kube::Client* ClientOf(const std::string& cluster) {
    absl::MutexLock lock(&mu_);
    return clients_[cluster];
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    seen_.clear();
  }

 private:
  mutable absl::Mutex mu_;
  std::set<std::string> seen_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> changed_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, kube::Client*> clients_ ABSL_GUARDED_BY(mu_);
};

class ClusterWorkersTest : public ::testing::Test {
 protected:
  void SetUp() override { registry_.MarkSynced(); }
  void TearDown() override {
    if (workers_) workers_->StopAll();
  }

  void Start(const std::string& kind = "ConfigMap",
             std::function<std::vector<std::string>()> federated_keys = nullptr) {
    type_ = Type(kind);
    ASSERT_EQ(type_.target_type.kind, kind);
    ClusterWorkers::Options options;
    options.workers = 2;
    options.federated_keys = std::move(federated_keys);
    workers_ = std::make_unique<ClusterWorkers>(
        type_, registry_, options,
        [this](const std::string& cluster, kube::Client& client, const std::string& key) {
          return recorder_.Reconcile(cluster, client, key);
        },
        [this](const std::string& key) { recorder_.Changed(key); }, metrics_,
        metrics_.Gauge("kfed_member_queue_depth", "test", {"cluster", "type"}), clock_);
  }

  // Registers (or replaces) a member; a new client bumps the client generation.
  std::shared_ptr<kube::FakeClient> Join(const std::string& name, bool ready = true,
                                         bool with_client = true) {
    auto client = with_client ? std::make_shared<kube::FakeClient>(clock_) : nullptr;
    auto member = std::make_shared<MemberCluster>();
    member->name = name;
    member->ready = ready;
    member->client = client;
    member->client_generation = ++generation_;
    registry_.Upsert(member);
    workers_->Sync(name);
    return client;
  }

  // Waits until `cluster`'s cache has synced.
  bool AwaitSynced(const std::string& cluster) {
    return ::kfed::testing::Eventually(
        [&] { return workers_->Lookup(cluster, "demo", "x").synced; });
  }

  FakeClock clock_;
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  ft::TypeConfig type_;
  Recorder recorder_;
  uint64_t generation_ = 0;
  std::unique_ptr<ClusterWorkers> workers_;
};

TEST_F(ClusterWorkersTest, MemberChangesReachThatClustersQueueWithTheFederatedKey) {
  Start();
  std::shared_ptr<kube::FakeClient> m1 = Join("m1");
  Join("m2");
  ASSERT_TRUE(AwaitSynced("m1"));
  ASSERT_TRUE(
      m1->Create(kube::ConfigMapsResource(), "demo", Json(ManagedConfigMap("web")), {}).ok());
  ASSERT_TRUE(recorder_.AwaitReconciled("m1", "demo/web"));
  EXPECT_TRUE(recorder_.SawChange("demo/web"));
  EXPECT_FALSE(recorder_.Reconciled("m2", "demo/web"));

  // The cache answers for the member object.
  ASSERT_TRUE(::kfed::testing::Eventually(
      [&] { return workers_->Lookup("m1", "demo", "web").live != nullptr; }));
  ClusterWorkers::MemberCache cache = workers_->Lookup("m1", "demo", "web");
  EXPECT_TRUE(cache.watched);
  EXPECT_TRUE(cache.synced);
  EXPECT_EQ(workers_->Lookup("m2", "demo", "web").live, nullptr);
  EXPECT_FALSE(workers_->Lookup("m3", "demo", "web").watched);
}

TEST_F(ClusterWorkersTest, UnlabelledObjectsAreInvisible) {
  Start();
  std::shared_ptr<kube::FakeClient> m1 = Join("m1");
  ASSERT_TRUE(AwaitSynced("m1"));
  ASSERT_TRUE(m1->Create(kube::ConfigMapsResource(), "demo",
                         Json(R"({"apiVersion":"v1","kind":"ConfigMap",)"
                              R"("metadata":{"name":"mine","namespace":"demo"}})"),
                         {})
                  .ok());
  // An object labelled managed=false is seen (kfed reports ManagedLabelFalse).
  ASSERT_TRUE(m1->Create(kube::ConfigMapsResource(), "demo",
                         Json(ManagedConfigMap("hands-off", "false")), {})
                  .ok());
  ASSERT_TRUE(recorder_.AwaitReconciled("m1", "demo/hands-off"));
  EXPECT_FALSE(recorder_.Reconciled("m1", "demo/mine"));
  EXPECT_EQ(workers_->Lookup("m1", "demo", "mine").live, nullptr);
}

TEST_F(ClusterWorkersTest, EnqueueAllReachesEveryCluster) {
  Start();
  Join("m1");
  Join("m2");
  workers_->EnqueueAll("demo/web");
  EXPECT_TRUE(recorder_.AwaitReconciled("m1", "demo/web"));
  EXPECT_TRUE(recorder_.AwaitReconciled("m2", "demo/web"));
}

// A pass that ran before the member cache synced was only retried on its backoff (up to
// minutes after a slow sync, as a restarted controller under load saw), and an object with
// no member copy gets no event from the cache: once it syncs, every federated key is queued
// for that member.
TEST_F(ClusterWorkersTest, EveryFederatedKeyIsQueuedForAMemberOnceItsCacheHasSynced) {
  Start("ConfigMap", [] { return std::vector<std::string>{"demo/a", "other/b"}; });
  Join("m1");
  ASSERT_TRUE(AwaitSynced("m1"));
  EXPECT_TRUE(recorder_.AwaitReconciled("m1", "demo/a"));
  EXPECT_TRUE(recorder_.AwaitReconciled("m1", "other/b"));
  // A member joining later gets them too, in its own queue.
  Join("m2");
  EXPECT_TRUE(recorder_.AwaitReconciled("m2", "demo/a"));
  EXPECT_TRUE(recorder_.AwaitReconciled("m2", "other/b"));
}

TEST_F(ClusterWorkersTest, NewCredentialsRestartTheWorkersWithTheNewClient) {
  Start();
  std::shared_ptr<kube::FakeClient> old_client = Join("m1");
  workers_->EnqueueAll("demo/a");
  ASSERT_TRUE(recorder_.AwaitReconciled("m1", "demo/a"));
  EXPECT_EQ(recorder_.ClientOf("m1"), old_client.get());

  // The same client generation again: nothing restarts.
  workers_->Sync("m1");
  std::shared_ptr<kube::FakeClient> new_client = Join("m1");
  workers_->EnqueueAll("demo/b");
  ASSERT_TRUE(recorder_.AwaitReconciled("m1", "demo/b"));
  EXPECT_EQ(recorder_.ClientOf("m1"), new_client.get());
}

TEST_F(ClusterWorkersTest, AClusterThatLeavesOrLosesItsClientStops) {
  Start();
  Join("m1");
  Join("m2");
  Join("m3", /*ready=*/false, /*with_client=*/false);  // ConfigMalformed: no client
  EXPECT_FALSE(workers_->Lookup("m3", "demo", "x").watched);

  registry_.Remove("m1");
  workers_->Sync("m1");
  EXPECT_FALSE(workers_->Lookup("m1", "demo", "x").watched);
  Join("m2", /*ready=*/false, /*with_client=*/false);
  EXPECT_FALSE(workers_->Lookup("m2", "demo", "x").watched);

  workers_->EnqueueAll("demo/web");
  Join("m4");
  workers_->EnqueueAll("demo/last");
  ASSERT_TRUE(recorder_.AwaitReconciled("m4", "demo/last"));
  EXPECT_FALSE(recorder_.Reconciled("m1", "demo/web"));
  EXPECT_FALSE(recorder_.Reconciled("m2", "demo/web"));
}

TEST_F(ClusterWorkersTest, NothingStartsAfterStopAll) {
  Start();
  Join("m1");
  workers_->StopAll();
  workers_->StopAll();  // idempotent
  EXPECT_FALSE(workers_->Lookup("m1", "demo", "x").watched);
  Join("m2");
  EXPECT_FALSE(workers_->Lookup("m2", "demo", "x").watched);
}

TEST_F(ClusterWorkersTest, MembersSyncedIgnoresUnreadyMembersAndReportsListErrors) {
  Start();
  auto forbidden = std::make_shared<kube::FakeClient>(clock_);
  // The member refuses to list the type (its informer retries on the fake clock, which does
  // not move: it stays unsynced).
  forbidden->InjectError(
      "list", "configmaps",
      kube::WithReason(absl::PermissionDeniedError("configmaps is forbidden"), "Forbidden", 403),
      /*count=*/1000);
  auto member = std::make_shared<MemberCluster>();
  member->name = "m1";
  member->ready = true;
  member->client = forbidden;
  member->client_generation = ++generation_;
  registry_.Upsert(member);
  workers_->Sync("m1");
  ASSERT_TRUE(::kfed::testing::Eventually(
      [&] { return !workers_->Lookup("m1", "demo", "x").list_error.ok(); }));
  ClusterWorkers::MemberCache cache = workers_->Lookup("m1", "demo", "x");
  EXPECT_FALSE(cache.synced);
  EXPECT_TRUE(kube::IsForbidden(cache.list_error)) << cache.list_error;
  EXPECT_FALSE(workers_->MembersSynced());

  // Not ready: its cache is not waited for.
  member = std::make_shared<MemberCluster>(*member);
  member->ready = false;
  registry_.Upsert(member);
  EXPECT_TRUE(workers_->MembersSynced());
}

TEST_F(ClusterWorkersTest, NamespacesAreKeyedByTheirOwnName) {
  Start("Namespace");
  std::shared_ptr<kube::FakeClient> m1 = Join("m1");
  ASSERT_TRUE(m1->Create(kube::NamespacesResource(), "",
                         Json(R"({"apiVersion":"v1","kind":"Namespace","metadata":)"
                              R"({"name":"team","labels":{"kubefed.io/managed":"true"}}})"),
                         {})
                  .ok());
  EXPECT_TRUE(recorder_.AwaitReconciled("m1", "team/team"));
}

}  // namespace
}  // namespace kfed::controller
