// HostReconciler (and DeletionReconciler through it), one pass at a time, on in-memory
// clusters and a fake clock (controller/sync_test_env.h): when status waits and when it is
// written, what it accounts for, the PropagatedVersion, and deletion.
#include "controller/host_reconciler.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/finalizer_reconciler.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "controller/status_assembly.h"
#include "controller/sync_test_env.h"
#include "federated_types/keys.h"
#include "federated_types/versions.h"
#include "gtest/gtest.h"
#include "kube/errors.h"
#include "kube/resource.h"
#include "status/store.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;

class HostReconcilerTest : public SyncTestEnv {
 protected:
  // The state of demo/web in m1 as the status API shows it ("" when not published).
  std::string PublishedState() {
    status::v1::ListObjectsRequest request;
    request.set_type(options_.type_config.name);
    const status::v1::ListObjectsResponse list = store_.ListObjects(request);
    for (const status::v1::FederatedObject& o : list.objects()) {
      if (o.ref().name() != "web") continue;
      for (const status::v1::ClusterState& c : o.clusters()) {
        if (c.cluster() == "m1") return c.state();
      }
      return "(no m1)";
    }
    return "";
  }
  // "status/reason" of the host object's Propagation condition ("" when it has no status).
  std::string Propagation() {
    kube::ObjectPtr fed = HostObject();
    const rapidjson::Value* conditions = json::FindPath(*fed, {"status", "conditions"});
    if (conditions == nullptr) return "";
    const rapidjson::Value& c = (*conditions)[0];
    return json::GetString(c, "status") + "/" + json::GetString(c, "reason");
  }
  // The recorded versions in the PropagatedVersion ("" when there is none).
  std::string RecordedVersions() {
    absl::StatusOr<kube::ObjectPtr> pv =
        host_.Get(PropagatedVersionsResource(), "demo", "configmap-web");
    return pv.ok() ? json::Serialize((**pv)["status"]["clusterVersions"]) : "";
  }
  // Member pass, member cache catches up, member pass: m1 holds the object and its worker
  // recorded the write.
  void Propagate() {
    ASSERT_TRUE(MemberPass().ok());
    CacheCatchesUp();
    ASSERT_TRUE(MemberPass().ok());
    TakeWoken();
  }
};

TEST_F(HostReconcilerTest, StatusWaitsForAWriteInFlightAndLooksAgainOnItsOwn) {
  CreateFederated(FederatedWeb());
  absl::StatusOr<ReconcileResult> result = HostPass();
  ASSERT_TRUE(result.ok()) << result.status();
  // m1 still needs its create: no status yet, but a re-check in 5 s whatever wakes it.
  EXPECT_EQ(result->requeue_after, kPendingStatusRecheck);
  EXPECT_EQ(Propagation(), "");
  EXPECT_EQ(RecordedVersions(), "");
  EXPECT_EQ(PublishedState(), status::kStatePending);
}

TEST_F(HostReconcilerTest, FinishedWorkIsWrittenOnceAndAccountedFor) {
  CreateFederated(FederatedWeb());
  Propagate();
  ASSERT_TRUE(records_.Snapshot("demo/web").clusters["m1"].last.wrote);

  absl::StatusOr<ReconcileResult> result = HostPass();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->requeue_after, absl::ZeroDuration());
  EXPECT_FALSE(result->requeue);
  EXPECT_EQ(Propagation(), "True/");
  EXPECT_EQ(PublishedState(), status::kStatePropagated);
  EXPECT_EQ(RecordedVersions(), absl::StrCat(R"([{"clusterName":"m1","version":")",
                                             ft::ObjectVersion(*MemberObject()), R"("}])"));
  // The write is accounted for: the member's next quiet pass does not wake the host again.
  EXPECT_FALSE(records_.Snapshot("demo/web").clusters["m1"].last.wrote);
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_TRUE(TakeWoken().empty());

  // At rest: another host pass writes nothing.
  AwaitFederatedCache();
  const std::string rv = Meta(*HostObject(), "resourceVersion");
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(HostPass().ok());
  EXPECT_EQ(Meta(*HostObject(), "resourceVersion"), rv);
}

// KubeFed's RawResourceStatusCollection: the member object's `status` is copied into
// status.clusters[].remoteStatus; a member status change wakes the host through the member
// pass, and an unchanged one wakes nothing and writes nothing.
TEST_F(HostReconcilerTest, RemoteStatusFollowsTheMemberStatusWithoutWritesAtRest) {
  options_.raw_resource_status_collection = true;
  options_.type_config.status_collection_enabled = true;
  CreateFederated(FederatedWeb());
  Propagate();
  // The member copy gets a status (as a member controller would write it).
  auto set_member_status = [this](const std::string& status) {
    rapidjson::Document copy = json::Clone(*MemberObject());
    json::Set(copy, "status", kfed::testing::Json(status), copy.GetAllocator());
    ASSERT_TRUE(member_->UpdateStatus(kube::ConfigMapsResource(), "demo", copy, {}).ok());
    CacheCatchesUp();
  };
  set_member_status(R"({"readyReplicas":2,"availableReplicas":2})");
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_EQ(TakeWoken(), std::vector<std::string>{"demo/web"});
  ASSERT_TRUE(HostPass().ok());
  AwaitFederatedCache();
  const rapidjson::Value* clusters = json::FindPath(*HostObject(), {"status", "clusters"});
  ASSERT_NE(clusters, nullptr);
  EXPECT_EQ(json::Serialize(*clusters),
            R"([{"name":"m1","remoteStatus":{"readyReplicas":2,"availableReplicas":2}}])");
  EXPECT_EQ(Propagation(), "True/");

  // Nothing changed in the member: no wake-up, no write.
  const std::string rv = Meta(*HostObject(), "resourceVersion");
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_TRUE(TakeWoken().empty());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(HostPass().ok());
  EXPECT_EQ(Meta(*HostObject(), "resourceVersion"), rv);

  // The member status changes: the host follows.
  set_member_status(R"({"readyReplicas":1,"availableReplicas":1})");
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_EQ(TakeWoken(), std::vector<std::string>{"demo/web"});
  ASSERT_TRUE(HostPass().ok());
  AwaitFederatedCache();
  EXPECT_EQ(json::Serialize(*json::FindPath(*HostObject(), {"status", "clusters"})),
            R"([{"name":"m1","remoteStatus":{"readyReplicas":1,"availableReplicas":1}}])");

  // The gate turned off (a restart with it Disabled): remoteStatus is dropped.
  options_.raw_resource_status_collection = false;
  ASSERT_TRUE(HostPass().ok());
  AwaitFederatedCache();
  EXPECT_EQ(json::Serialize(*json::FindPath(*HostObject(), {"status", "clusters"})),
            R"([{"name":"m1"}])");
}

// As KubeFed: with collection on, a propagated cluster whose member object has no status
// keeps the Propagation condition at CheckClusters.
TEST_F(HostReconcilerTest, RemoteStatusMissingIsCheckClusters) {
  options_.raw_resource_status_collection = true;
  options_.type_config.status_collection_enabled = true;
  CreateFederated(FederatedWeb());
  Propagate();
  ASSERT_TRUE(HostPass().ok());
  AwaitFederatedCache();
  EXPECT_EQ(Propagation(), "False/CheckClusters");
  const rapidjson::Value* condition = json::FindPath(*HostObject(), {"status", "conditions"});
  ASSERT_NE(condition, nullptr);
  EXPECT_EQ(json::GetString((*condition)[0], "message"),
            "1 of 1 clusters not propagated (m1: no remote status)");
}

TEST_F(HostReconcilerTest, AFailedStatusWriteIsRetriedAndAccountsForNothing) {
  CreateFederated(FederatedWeb());
  Propagate();
  host_.InjectError("updatestatus", "federatedconfigmaps",
                    kube::ConflictError("the object has been modified"));
  absl::StatusOr<ReconcileResult> result = HostPass();
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(kube::IsConflict(result.status()) ||
              result.status().code() == absl::StatusCode::kAborted)
      << result.status();
  EXPECT_TRUE(absl::StartsWith(result.status().message(),
                               "writing the status of FederatedConfigMap demo/web: "))
      << result.status();
  EXPECT_TRUE(records_.Snapshot("demo/web").clusters["m1"].last.wrote);
  EXPECT_EQ(RecordedVersions(), "");
  // The retry succeeds.
  ASSERT_TRUE(HostPass().ok());
  EXPECT_EQ(Propagation(), "True/");
}

// A host pass before the host cache shows kfed's own last status write (a member event woke
// it): it builds on that write, not on the cached object. Before, it wrote the same status
// again with the cached, stale resourceVersion: 409 Conflict, retried (issue 21).
TEST_F(HostReconcilerTest, APassBeforeTheCacheShowsTheLastStatusWriteWritesNothing) {
  CreateFederated(FederatedWeb());
  Propagate();
  // From here the host caches show neither the status nor the PropagatedVersion.
  federated_->Stop();
  propagated_versions_->Stop();
  ASSERT_TRUE(HostPass().ok());
  ASSERT_EQ(Propagation(), "True/");
  const std::string rv = Meta(*HostObject(), "resourceVersion");
  absl::StatusOr<kube::ObjectPtr> pv =
      host_.Get(PropagatedVersionsResource(), "demo", "configmap-web");
  ASSERT_TRUE(pv.ok());
  const std::string pv_rv = Meta(**pv, "resourceVersion");

  absl::StatusOr<ReconcileResult> again = HostPass();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Meta(*HostObject(), "resourceVersion"), rv);
  pv = host_.Get(PropagatedVersionsResource(), "demo", "configmap-web");
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(Meta(**pv, "resourceVersion"), pv_rv);
  EXPECT_EQ(Propagation(), "True/");
}

// The host pass queues the key for the finalizer whenever its cache shows none, so the
// finalizer pass can run again before the cache shows the finalizer it added: it adds nothing
// then. Before, it wrote again with the stale resourceVersion: 409 Conflict, retried.
TEST_F(HostReconcilerTest, TheFinalizerIsAddedOnceWhileTheCacheLags) {
  CreateFederated(absl::StrReplaceAll(FederatedWeb(),
                                      {{R"(,"finalizers":["kubefed.io/sync-controller"])", ""}}));
  federated_->Stop();  // shows the object without the finalizer from here on
  FinalizerReconciler finalizers(host_, options_, *federated_, *events_);
  ASSERT_TRUE(finalizers.Reconcile("demo/web").ok());
  ASSERT_TRUE(HasFinalizer(*HostObject(), ft::kSyncControllerFinalizer));
  const std::string rv = Meta(*HostObject(), "resourceVersion");
  absl::StatusOr<ReconcileResult> again = finalizers.Reconcile("demo/web");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Meta(*HostObject(), "resourceVersion"), rv);
}

TEST_F(HostReconcilerTest, WithoutTheFinalizerOnlyTheFinalizerQueueActs) {
  CreateFederated(absl::StrReplaceAll(FederatedWeb(),
                                      {{R"(,"finalizers":["kubefed.io/sync-controller"])", ""}}));
  ASSERT_FALSE(HasFinalizer(*HostObject(), ft::kSyncControllerFinalizer));
  absl::StatusOr<ReconcileResult> result = HostPass();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(TakeFinalizerQueue(), std::vector<std::string>{"demo/web"});
  EXPECT_EQ(Propagation(), "");
}

TEST_F(HostReconcilerTest, DeletionWaitsForTheCopyThenDropsTheRecordAndTheFinalizer) {
  CreateFederated(FederatedWeb());
  Propagate();
  ASSERT_TRUE(HostPass().ok());
  ASSERT_NE(RecordedVersions(), "");
  // The user deletes the federated object: the finalizer holds it.
  ASSERT_TRUE(host_.Delete(FederatedResourceOf(options_.type_config), "demo", "web", {}).ok());
  AwaitFederatedCache();
  ASSERT_TRUE(HasDeletionTimestamp(*HostObject()));

  // m1 still holds its copy: nothing is removed from the host yet.
  ASSERT_TRUE(HostPass().ok());
  EXPECT_NE(HostObject(), nullptr);
  EXPECT_EQ(PublishedState(), status::kStateDeleting);

  // The member pass deletes the copy; once the cache shows it gone, the host pass finishes.
  ASSERT_TRUE(MemberPass().ok());
  EXPECT_EQ(MemberObject(), nullptr);
  CacheCatchesUp();
  ASSERT_TRUE(HostPass().ok());
  EXPECT_EQ(HostObject(), nullptr);  // finalizer removed: the object is gone
  EXPECT_EQ(RecordedVersions(), "");
  EXPECT_EQ(PublishedState(), "");
  EXPECT_EQ(records_.size(), 0u);
}

}  // namespace
}  // namespace kfed::controller
