// MemberReconciler, one pass at a time, on in-memory clusters and a fake clock
// (controller/sync_test_env.h). The member cache is a client of its own here, so each test
// decides when it shows kfed's write.
#include "controller/member_reconciler.h"

#include <string>
#include <vector>

#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "controller/sync_test_env.h"
#include "controller/write_expectations.h"
#include "federated_types/keys.h"
#include "federated_types/versions.h"
#include "gtest/gtest.h"
#include "kube/resource.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;

class MemberReconcilerTest : public SyncTestEnv {
 protected:
  void SetUp() override {
    split_member_cache_ = true;
    SyncTestEnv::SetUp();
    CreateFederated(FederatedWeb());
  }
};

TEST_F(MemberReconcilerTest, NoSecondWriteBeforeTheCacheShowsTheFirst) {
  absl::StatusOr<ReconcileResult> first = MemberPass();
  ASSERT_TRUE(first.ok()) << first.status();
  kube::ObjectPtr created = MemberObject();
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(json::GetString((*created)["data"], "v"), "1");
  EXPECT_EQ(TakeWoken(), std::vector<std::string>{"demo/web"});

  // The cache still shows nothing: deciding from it would create (or adopt) again.
  clock_.Advance(kWriteExpectationTimeout - absl::Seconds(1));
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_EQ(Meta(*MemberObject(), "resourceVersion"), Meta(*created, "resourceVersion"));
  EXPECT_TRUE(TakeWoken().empty());

  // Once it does, the object is up to date: nothing to write, and the host is woken (a write
  // is settled that no status has accounted for).
  CacheCatchesUp();
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_EQ(Meta(*MemberObject(), "resourceVersion"), Meta(*created, "resourceVersion"));
  EXPECT_EQ(TakeWoken(), std::vector<std::string>{"demo/web"});
  EXPECT_EQ(expectations_.size(), 0u);
  ObjectRecord record = records_.Snapshot("demo/web");
  EXPECT_EQ(record.clusters["m1"].last.status, "");
  EXPECT_EQ(record.versions["m1"], ft::ObjectVersion(*created));
}

TEST_F(MemberReconcilerTest, AWriteTheCacheNeverShowsStopsHoldingBackAfterTheTimeout) {
  ASSERT_TRUE(MemberPass().ok());
  kube::ObjectPtr created = MemberObject();
  ASSERT_NE(created, nullptr);
  // Someone edits the member copy; the cache shows neither kfed's create nor the edit.
  rapidjson::Document edited = json::Clone(*created);
  edited["data"]["v"].SetString("edited", edited.GetAllocator());
  ASSERT_TRUE(member_->Update(kube::ConfigMapsResource(), "demo", edited, {}).ok());

  clock_.Advance(kWriteExpectationTimeout - absl::Seconds(1));
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_EQ(json::GetString((*MemberObject())["data"], "v"), "edited");  // held back

  // After the timeout the pass acts on what the cache shows (nothing): the create finds the
  // object and adopts it, which writes the desired data; still the same object.
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(MemberPass().ok());
  kube::ObjectPtr now = MemberObject();
  EXPECT_EQ(json::GetString((*now)["data"], "v"), "1");
  EXPECT_EQ(Meta(*now, "uid"), Meta(*created, "uid"));
}

TEST_F(MemberReconcilerTest, AFailedWriteIsRecordedAndReturnedForRetry) {
  member_->InjectError("create", "configmaps", absl::UnavailableError("connection refused"));
  absl::StatusOr<ReconcileResult> result = MemberPass();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(result.status().message(), "CreationFailed: creating demo/web: connection refused");
  EXPECT_EQ(MemberObject(), nullptr);
  EXPECT_EQ(records_.Snapshot("demo/web").clusters["m1"].last.status, ft::kCreationFailed);
  EXPECT_EQ(TakeWoken(), std::vector<std::string>{"demo/web"});
  // Nothing was written, so nothing is expected: the retry acts at once.
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_NE(MemberObject(), nullptr);
}

TEST_F(MemberReconcilerTest, NothingHappensBeforeTheFinalizer) {
  rapidjson::Document copy = json::Clone(*HostObject());
  SetFinalizer(copy, ft::kSyncControllerFinalizer, false);
  ASSERT_TRUE(host_.Update(FederatedResourceOf(options_.type_config), "demo", copy, {}).ok());
  AwaitFederatedCache();
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_EQ(MemberObject(), nullptr);
}

}  // namespace
}  // namespace kfed::controller
