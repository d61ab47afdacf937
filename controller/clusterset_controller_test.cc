#include "controller/clusterset_controller.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/kubefed_resources.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Eventually;
using ::kfed::testing::Json;
using ::testing::HasSubstr;

class ClusterSetControllerTest : public ::testing::Test {
 protected:
  // A member cluster: a fake API server with a kube-system namespace (its uid is the ID).
  std::shared_ptr<kube::FakeClient> NewMember(std::string* uid) {
    auto client = std::make_shared<kube::FakeClient>();
    // The fake numbers uids per client: objects made first give each member its own uid.
    for (int i = 0; i < members_made_; ++i) {
      (void)client->Create(kube::NamespacesResource(), "",
                           Json(absl::StrCat(R"({"apiVersion":"v1","kind":"Namespace",)",
                                             R"("metadata":{"name":"pad-)", i, R"("}})")),
                           {});
    }
    ++members_made_;
    auto ns = client->Create(kube::NamespacesResource(), "",
                             Json(R"({"apiVersion":"v1","kind":"Namespace",)"
                                  R"("metadata":{"name":"kube-system"}})"),
                             {});
    EXPECT_TRUE(ns.ok()) << ns.status();
    if (ns.ok()) *uid = kube::Uid(**ns);
    return client;
  }

  void Join(const std::string& name, std::shared_ptr<kube::Client> client, bool ready = true,
            uint64_t generation = 1) {
    auto m = std::make_shared<MemberCluster>();
    m->name = name;
    m->ready = ready;
    m->client = std::move(client);
    m->client_generation = generation;
    registry_.Upsert(m);
  }

  // The property's value and whether kfed's label is on it; "" when absent.
  static std::string Property(kube::Client& member, absl::string_view name) {
    auto p = member.Get(ClusterPropertiesResource(), "", name);
    if (!p.ok()) return "";
    const rapidjson::Value* label =
        json::FindPath(**p, {"metadata", "labels", "app.kubernetes.io/managed-by"});
    return absl::StrCat(json::GetString((**p)["spec"], "value"),
                        label != nullptr && label->IsString() ? "/" : "",
                        label != nullptr && label->IsString() ? label->GetString() : "");
  }

  void Start(ClusterSetOptions options = {}) {
    if (options.name == "kfed") options.name = "test-set";
    controller_ = std::make_unique<ClusterSetController>(registry_, metrics_, options);
    registry_.MarkSynced();
    controller_->Start();
  }

  int members_made_ = 0;
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  std::unique_ptr<ClusterSetController> controller_;
};

TEST_F(ClusterSetControllerTest, WritesTheClusterIdAndTheClusterSetName) {
  std::string uid;
  auto member = NewMember(&uid);
  Join("member1", member);
  Start();
  EXPECT_TRUE(Eventually([&] {
    return Property(*member, "cluster.clusterset.k8s.io") == uid + "/kfed" &&
           Property(*member, "clusterset.k8s.io") == "test-set/kfed";
  })) << Property(*member, "cluster.clusterset.k8s.io");
  EXPECT_TRUE(Eventually([&] { return controller_->Members()["member1"].cluster_id == uid; }));
  EXPECT_EQ(controller_->Members()["member1"].problem, "");
}

TEST_F(ClusterSetControllerTest, RevertsEditsAndDeletions) {
  std::string uid;
  auto member = NewMember(&uid);
  Join("member1", member);
  Start();
  ASSERT_TRUE(Eventually([&] { return Property(*member, "clusterset.k8s.io") == "test-set/kfed"; }));
  auto live = member->Get(ClusterPropertiesResource(), "", "clusterset.k8s.io");
  ASSERT_TRUE(live.ok());
  rapidjson::Document edited = json::Clone(**live);
  json::SetString(edited["spec"], "value", "someone-else", edited.GetAllocator());
  ASSERT_TRUE(member->Update(ClusterPropertiesResource(), "", edited, {}).ok());
  EXPECT_TRUE(Eventually([&] { return Property(*member, "clusterset.k8s.io") == "test-set/kfed"; }));

  ASSERT_TRUE(
      member->Delete(ClusterPropertiesResource(), "", "cluster.clusterset.k8s.io", {}).ok());
  EXPECT_TRUE(
      Eventually([&] { return Property(*member, "cluster.clusterset.k8s.io") == uid + "/kfed"; }));
}

TEST_F(ClusterSetControllerTest, LeavesPropertiesOfOtherToolsAlone) {
  std::string uid;
  auto member = NewMember(&uid);
  for (const char* p : {R"({"apiVersion":"about.k8s.io/v1alpha1","kind":"ClusterProperty",
                           "metadata":{"name":"cluster.clusterset.k8s.io"},
                           "spec":{"value":"prod-eu-1"}})",
                        R"({"apiVersion":"about.k8s.io/v1alpha1","kind":"ClusterProperty",
                           "metadata":{"name":"clusterset.k8s.io"},
                           "spec":{"value":"other-set"}})"}) {
    ASSERT_TRUE(member->Create(ClusterPropertiesResource(), "", Json(p), {}).ok());
  }
  Join("member1", member);
  Start();
  // The ID another tool gave the cluster is kept and used; the foreign ClusterSet is reported.
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(controller_->Members()["member1"].problem, "other-set");
  })) << controller_->Members()["member1"].problem;
  EXPECT_EQ(controller_->Members()["member1"].cluster_id, "prod-eu-1");
  EXPECT_EQ(Property(*member, "cluster.clusterset.k8s.io"), "prod-eu-1");
  EXPECT_EQ(Property(*member, "clusterset.k8s.io"), "other-set");
}

TEST_F(ClusterSetControllerTest, OneClusterJoinedTwiceGetsOneIdentity) {
  std::string uid;
  auto member = NewMember(&uid);
  Join("first", member);
  Start();
  ASSERT_TRUE(Eventually([&] { return controller_->Members()["first"].cluster_id == uid; }));
  Join("second", member);  // the same API server under another name
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(controller_->Members()["second"].problem, "already holds");
  }));
  EXPECT_THAT(controller_->Members()["second"].problem, HasSubstr("member first"));
  // Once `first` leaves, `second` is the cluster's one member.
  registry_.Remove("first");
  EXPECT_TRUE(Eventually([&] {
    auto members = controller_->Members();
    return members.count("first") == 0 && members["second"].cluster_id == uid &&
           members["second"].problem.empty();
  }));
}

TEST_F(ClusterSetControllerTest, MissingCrdIsReportedWithWhatToDo) {
  std::string uid;
  auto member = NewMember(&uid);
  member->InjectError("list", "clusterproperties",
                      absl::NotFoundError("the server could not find the requested resource"),
                      /*count=*/1000);
  Join("member1", member);
  Start();
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(controller_->Members()["member1"].problem, "kfedctl join");
  })) << controller_->Members()["member1"].problem;
  EXPECT_EQ(Property(*member, "clusterset.k8s.io"), "");
}

TEST_F(ClusterSetControllerTest, NothingIsWrittenToAClusterThatIsNotReady) {
  std::string uid;
  auto ready = NewMember(&uid);
  std::string uid2;
  auto down = NewMember(&uid2);
  Join("down", down, /*ready=*/false);
  Join("up", ready);
  Start();
  ASSERT_TRUE(Eventually([&] { return Property(*ready, "clusterset.k8s.io") == "test-set/kfed"; }));
  ASSERT_NE(uid, uid2);
  EXPECT_EQ(Property(*down, "clusterset.k8s.io"), "");
  Join("down", down, /*ready=*/true);
  EXPECT_TRUE(Eventually([&] { return Property(*down, "clusterset.k8s.io") == "test-set/kfed"; }));
}

TEST(ClusterSetNameTest, MustBeAnObjectNameAndALabelValue) {
  EXPECT_TRUE(ClusterSetController::ValidateName("kfed").ok());
  EXPECT_TRUE(ClusterSetController::ValidateName("prod.example.com").ok());
  EXPECT_THAT(std::string(ClusterSetController::ValidateName("Prod Set").message()),
              HasSubstr("ClusterSet name \"Prod Set\""));
  EXPECT_FALSE(ClusterSetController::ValidateName("").ok());
  EXPECT_FALSE(ClusterSetController::ValidateName(std::string(64, 'a')).ok());
}

}  // namespace
}  // namespace kfed::controller
