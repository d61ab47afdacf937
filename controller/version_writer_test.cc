// VersionWriter: the PropagatedVersion records written by the version workers after the host
// pass (which only says what they should hold), on in-memory clusters (sync_test_env.h).
#include "controller/version_writer.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "controller/sync_test_env.h"
#include "federated_types/versions.h"
#include "gtest/gtest.h"
#include "kube/errors.h"
#include "kube/resource.h"

namespace kfed::controller {
namespace {

class VersionWriterTest : public SyncTestEnv {
 protected:
  void SetUp() override {
    SyncTestEnv::SetUp();
    host_pass_writes_versions_ = false;  // the tests run the version workers' passes
  }
  // The recorded versions in the PropagatedVersion of demo/web ("" when there is none).
  std::string RecordedVersions() {
    absl::StatusOr<kube::ObjectPtr> pv =
        host_.Get(PropagatedVersionsResource(), "demo", "configmap-web");
    return pv.ok() ? json::Serialize((**pv)["status"]["clusterVersions"]) : "";
  }
  // m1 holds demo/web and the host pass has written Propagation=True.
  void PropagateAndWriteStatus() {
    CreateFederated(FederatedWeb());
    ASSERT_TRUE(MemberPass().ok());
    CacheCatchesUp();
    ASSERT_TRUE(MemberPass().ok());
    ASSERT_TRUE(HostPass().ok());
    const rapidjson::Value* conditions = json::FindPath(*HostObject(), {"status", "conditions"});
    ASSERT_NE(conditions, nullptr) << "no status written";
  }
  // The user deletes demo/web (kfed's finalizer holds it); the host cache shows it deleting.
  void UserDeletes() {
    ASSERT_TRUE(host_.Delete(FederatedResourceOf(options_.type_config), "demo", "web", {}).ok());
    AwaitFederatedCache();
    ASSERT_TRUE(HasDeletionTimestamp(*HostObject()));
  }
};

TEST_F(VersionWriterTest, TheRecordIsWrittenByTheVersionWorkersNotTheHostPass) {
  PropagateAndWriteStatus();
  EXPECT_EQ(RecordedVersions(), "") << "the host pass wrote the record itself";
  EXPECT_EQ(version_writer_->Waiting(), 1u);

  ASSERT_TRUE(VersionPasses().ok());
  EXPECT_EQ(RecordedVersions(),
            absl::StrCat(R"([{"clusterName":"m1","version":")",
                         federated_types::ObjectVersion(*MemberObject()), R"("}])"));
  EXPECT_EQ(version_writer_->Waiting(), 0u);
  // Written once: another host pass at rest asks for the same record, which writes nothing.
  const std::string rv = Meta(*host_.Get(PropagatedVersionsResource(), "demo", "configmap-web").value(),
                              "resourceVersion");
  ASSERT_TRUE(HostPass().ok());
  ASSERT_TRUE(VersionPasses().ok());
  EXPECT_EQ(Meta(*host_.Get(PropagatedVersionsResource(), "demo", "configmap-web").value(),
                 "resourceVersion"),
            rv);
}

TEST_F(VersionWriterTest, NothingIsWrittenForAnObjectBeingDeleted) {
  PropagateAndWriteStatus();
  ASSERT_EQ(version_writer_->Waiting(), 1u);
  UserDeletes();
  ASSERT_TRUE(VersionPasses().ok());
  EXPECT_EQ(RecordedVersions(), "");
  EXPECT_EQ(version_writer_->Waiting(), 0u);
}

TEST_F(VersionWriterTest, AFailedWriteWaitsForTheRetry) {
  PropagateAndWriteStatus();
  host_.InjectError("create", "propagatedversions",
                    absl::UnavailableError("the host apiserver is restarting"));
  absl::StatusOr<ReconcileResult> failed = version_writer_->Reconcile("demo/web");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(failed.status().message(),
            "recording the versions of FederatedConfigMap demo/web: creating propagated version "
            "configmap-web: the host apiserver is restarting");
  EXPECT_EQ(RecordedVersions(), "");
  EXPECT_EQ(version_writer_->Waiting(), 1u);

  ASSERT_TRUE(version_writer_->Reconcile("demo/web").ok());  // the pool's retry
  EXPECT_NE(RecordedVersions(), "");
  EXPECT_EQ(version_writer_->Waiting(), 0u);
}

// The host's PropagatedVersion writes go to `host`, but the object is deleted just before the
// record's create lands (as when the deletion pass ran while the create waited for the host
// limiter).
class DeletedDuringTheCreate : public kube::FakeClient {
 public:
  DeletedDuringTheCreate(kube::FakeClient& host, std::function<void()> deleted)
      : host_(host), delete_(std::move(deleted)) {}
  absl::StatusOr<kube::ObjectPtr> Get(const kube::GroupVersionResource& gvr, absl::string_view ns,
                                      absl::string_view name) override {
    return host_.Get(gvr, ns, name);
  }
  absl::StatusOr<kube::ObjectPtr> Create(const kube::GroupVersionResource& gvr,
                                         absl::string_view ns, const rapidjson::Value& object,
                                         const kube::WriteOptions& options) override {
    delete_();
    return host_.Create(gvr, ns, object, options);
  }
  absl::StatusOr<kube::ObjectPtr> UpdateStatus(const kube::GroupVersionResource& gvr,
                                               absl::string_view ns, const rapidjson::Value& object,
                                               const kube::WriteOptions& options) override {
    return host_.UpdateStatus(gvr, ns, object, options);
  }
  absl::Status Delete(const kube::GroupVersionResource& gvr, absl::string_view ns,
                      absl::string_view name, const kube::DeleteOptions& options) override {
    return host_.Delete(gvr, ns, name, options);
  }

 private:
  kube::FakeClient& host_;
  std::function<void()> delete_;
};

TEST_F(VersionWriterTest, ARecordThatLandsAfterTheDeletionStartedIsDeletedAgain) {
  PropagateAndWriteStatus();
  DeletedDuringTheCreate racing(host_, [this] { UserDeletes(); });
  PropagatedVersionStore store(racing, *propagated_versions_, options_.type_config, "kfed");
  std::vector<std::string> queued;
  VersionWriter writer(store, *federated_, options_.type_config,
                       [&](const std::string& key) { queued.push_back(key); });
  writer.Want("demo/web", {HostObject(), "t", "o", {"m1"}, {{"m1", "1"}}});
  EXPECT_EQ(queued, std::vector<std::string>{"demo/web"});

  absl::StatusOr<ReconcileResult> r = writer.Reconcile("demo/web");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(HasDeletionTimestamp(*HostObject()));
  EXPECT_EQ(RecordedVersions(), "") << "the record outlived the deletion pass";
  EXPECT_EQ(writer.Waiting(), 0u);
}

}  // namespace
}  // namespace kfed::controller
