#include "controller/propagated_version_store.h"

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "federated_types/type_config.h"
#include "federated_types/versions.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/errors.h"
#include "kube/informer.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Eventually;
using ::kfed::testing::Json;

using Versions = std::map<std::string, std::string>;

ft::TypeConfig ConfigMaps() {
  for (const ft::TypeConfig& t : ft::DefaultTypeConfigs()) {
    if (t.target_type.kind == "ConfigMap") return t;
  }
  return {};
}

const char kFederated[] = R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedConfigMap",)"
                          R"("metadata":{"name":"web","namespace":"demo","uid":"fed-uid"}})";

class PropagatedVersionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { StartCache(host_); }

  // The store reads from an informer on `client` (the host itself, or a client whose
  // contents lag behind the host's).
  void StartCache(kube::FakeClient& client) {
    if (cache_) cache_->Stop();
    kube::InformerOptions o;
    o.gvr = PropagatedVersionsResource();
    cache_ = std::make_unique<kube::Informer>(client, o);
    cache_->Start();
    ASSERT_TRUE(cache_->WaitForSync(absl::Seconds(30)));
    store_ = std::make_unique<PropagatedVersionStore>(host_, *cache_, type_, "kfed");
  }

  // The record in the host ("" when absent).
  std::string RecordedStatus() {
    absl::StatusOr<kube::ObjectPtr> pv =
        host_.Get(PropagatedVersionsResource(), "demo", "configmap-web");
    if (!pv.ok()) return "";
    return json::Serialize((**pv)["status"]);
  }
  std::string ResourceVersion() {
    absl::StatusOr<kube::ObjectPtr> pv =
        host_.Get(PropagatedVersionsResource(), "demo", "configmap-web");
    return pv.ok() ? Meta(**pv, "resourceVersion") : "";
  }
  // Waits until the cache shows what the host holds.
  void AwaitCache() {
    const std::string rv = ResourceVersion();
    ASSERT_TRUE(Eventually([&] {
      kube::ObjectPtr cached = cache_->Get("demo", "configmap-web");
      return cached != nullptr && Meta(*cached, "resourceVersion") == rv;
    }));
  }

  ft::TypeConfig type_ = ConfigMaps();
  kube::FakeClient host_;
  kube::FakeClient lagging_;  // holds nothing
  rapidjson::Document fed_ = Json(kFederated);
  std::unique_ptr<kube::Informer> cache_;
  std::unique_ptr<PropagatedVersionStore> store_;
};

TEST_F(PropagatedVersionStoreTest, CreatesTheRecordAndReadsItBack) {
  EXPECT_TRUE(store_->Recorded("demo", "web", "t1", "o1").empty());
  ASSERT_TRUE(
      store_->Update(fed_, "demo/web", "t1", "o1", {"m1", "m2"}, {{"m1", "gen:1"}, {"m2", "gen:1"}})
          .ok());
  EXPECT_EQ(RecordedStatus(),
            R"({"templateVersion":"t1","overridesVersion":"o1","clusterVersions":[)"
            R"({"clusterName":"m1","version":"gen:1"},{"clusterName":"m2","version":"gen:1"}]})");
  absl::StatusOr<kube::ObjectPtr> pv =
      host_.Get(PropagatedVersionsResource(), "demo", "configmap-web");
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(json::Serialize((**pv)["metadata"]["ownerReferences"][0]["uid"]), R"("fed-uid")");
  AwaitCache();
  EXPECT_EQ(store_->Recorded("demo", "web", "t1", "o1"),
            (Versions{{"m1", "gen:1"}, {"m2", "gen:1"}}));
  // Recorded for another template or overrides: nothing counts.
  EXPECT_TRUE(store_->Recorded("demo", "web", "t2", "o1").empty());
  EXPECT_TRUE(store_->Recorded("demo", "web", "t1", "o2").empty());
}

TEST_F(PropagatedVersionStoreTest, WritesOnlyWhatChanged) {
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}}).ok());
  AwaitCache();
  const std::string rv = ResourceVersion();
  // The same record: no write at all.
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}}).ok());
  EXPECT_EQ(ResourceVersion(), rv);
  // A cluster the new versions do not name keeps its recorded version while selected.
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1", "m2"}, {{"m2", "gen:4"}}).ok());
  EXPECT_NE(ResourceVersion(), rv);
  AwaitCache();
  EXPECT_EQ(store_->Recorded("demo", "web", "t1", "o1"),
            (Versions{{"m1", "gen:1"}, {"m2", "gen:4"}}));
  // A new template starts over.
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t2", "o1", {"m1", "m2"}, {{"m1", "gen:2"}}).ok());
  AwaitCache();
  EXPECT_EQ(store_->Recorded("demo", "web", "t2", "o1"), (Versions{{"m1", "gen:2"}}));
}

TEST_F(PropagatedVersionStoreTest, CacheBehindTheHostUpdatesTheExistingRecord) {
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}}).ok());
  // A cache that has not seen the record: the create finds it exists and writes onto it.
  StartCache(lagging_);
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:2"}}).ok());
  EXPECT_EQ(RecordedStatus(),
            R"({"templateVersion":"t1","overridesVersion":"o1","clusterVersions":[)"
            R"({"clusterName":"m1","version":"gen:2"}]})");
}

// kfed's own writes reach the cache some milliseconds after they return. Writes in that window
// are based on kfed's last write, not on the older cached record: before, the second status
// update below went out with the first one's resourceVersion and failed with 409 Conflict
// (issue 21: hundreds per benchmark run), and a create the cache had yet to show was created
// again (409 AlreadyExists).
TEST_F(PropagatedVersionStoreTest, WritesInTheCacheLagBuildOnKfedsOwnLastWrite) {
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}}).ok());
  AwaitCache();
  cache_->Stop();  // the cache shows the first record and nothing after it
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1", "m2"}, {{"m2", "gen:1"}}).ok());
  absl::Status third =
      store_->Update(fed_, "demo/web", "t1", "o1", {"m1", "m2"}, {{"m2", "gen:2"}});
  ASSERT_TRUE(third.ok()) << third;
  EXPECT_EQ(RecordedStatus(),
            R"({"templateVersion":"t1","overridesVersion":"o1","clusterVersions":[)"
            R"({"clusterName":"m1","version":"gen:1"},{"clusterName":"m2","version":"gen:2"}]})");
  // The same record again: nothing to write, although the cache still shows the first one.
  const std::string rv = ResourceVersion();
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1", "m2"}, {{"m2", "gen:2"}}).ok());
  EXPECT_EQ(ResourceVersion(), rv);
  EXPECT_EQ(store_->PendingOwnWrites(), 1u);
}

TEST_F(PropagatedVersionStoreTest, ACreateTheCacheHasNotShownIsNotCreatedAgain) {
  cache_->Stop();  // synced and empty: it never shows the record
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}}).ok());
  // No second create (it would fail here; on a real host with 409 AlreadyExists): the record
  // kfed created is updated in place.
  host_.InjectError("create", "propagatedversions", absl::UnavailableError("a second create"));
  absl::Status second = store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:2"}});
  ASSERT_TRUE(second.ok()) << second;
  host_.ClearInjectedErrors();
  EXPECT_EQ(RecordedStatus(),
            R"({"templateVersion":"t1","overridesVersion":"o1","clusterVersions":[)"
            R"({"clusterName":"m1","version":"gen:2"}]})");
}

TEST_F(PropagatedVersionStoreTest, TheCacheWinsOnceItCatchesUpOrSomeoneElseWrote) {
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}}).ok());
  AwaitCache();
  // Someone else rewrites the record; the cache shows it (a newer resourceVersion than kfed's).
  absl::StatusOr<kube::ObjectPtr> pv =
      host_.Get(PropagatedVersionsResource(), "demo", "configmap-web");
  ASSERT_TRUE(pv.ok());
  rapidjson::Document other = json::Clone(**pv);
  json::Set(other, "status",
            Json(R"({"templateVersion":"t1","overridesVersion":"o1","clusterVersions":[)"
                 R"({"clusterName":"m1","version":"gen:9"}]})"),
            other.GetAllocator());
  ASSERT_TRUE(host_.UpdateStatus(PropagatedVersionsResource(), "demo", other, {"other"}).ok());
  AwaitCache();
  EXPECT_EQ(store_->Recorded("demo", "web", "t1", "o1"), (Versions{{"m1", "gen:9"}}));
  absl::Status next = store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:10"}});
  ASSERT_TRUE(next.ok()) << next;
  AwaitCache();
  EXPECT_EQ(store_->Recorded("demo", "web", "t1", "o1"), (Versions{{"m1", "gen:10"}}));
}

TEST_F(PropagatedVersionStoreTest, ARecordTheHostRefusesIsNotRetried) {
  host_.InjectError("create", "propagatedversions",
                    kube::InvalidError("metadata.name: must be no more than 253 characters"));
  EXPECT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}}).ok());
  EXPECT_EQ(RecordedStatus(), "");
}

TEST_F(PropagatedVersionStoreTest, OtherFailuresAreReturnedWithContext) {
  host_.InjectError("create", "propagatedversions", absl::UnavailableError("connection refused"));
  absl::Status created = store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}});
  EXPECT_EQ(created.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(created.message(), "creating propagated version configmap-web: connection refused");

  host_.InjectError("updatestatus", "propagatedversions", kube::ConflictError("changed"));
  absl::Status updated = store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}});
  EXPECT_TRUE(kube::IsConflict(updated)) << updated;
  EXPECT_TRUE(absl::StartsWith(updated.message(),
                               "updating the status of propagated version configmap-web: "))
      << updated;
}

TEST_F(PropagatedVersionStoreTest, Delete) {
  ASSERT_TRUE(store_->Update(fed_, "demo/web", "t1", "o1", {"m1"}, {{"m1", "gen:1"}}).ok());
  EXPECT_TRUE(store_->Delete("demo/web").ok());
  EXPECT_EQ(RecordedStatus(), "");
  EXPECT_TRUE(store_->Delete("demo/web").ok());  // already gone
  host_.InjectError("delete", "propagatedversions", absl::UnavailableError("down"));
  EXPECT_EQ(store_->Delete("demo/web").code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kfed::controller
