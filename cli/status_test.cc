// kfedctl status against an in-process status API (the real store and gRPC server).
#include "cli/status.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "status/service.h"
#include "status/store.h"

namespace kfed::cli {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::kfed::status::v1;

v1::FederatedObject Object(const std::string& type, const std::string& kind, const std::string& ns,
                           const std::string& name, const std::string& propagation,
                           std::vector<std::vector<std::string>> clusters) {
  v1::FederatedObject o;
  o.mutable_ref()->set_type(type);
  o.mutable_ref()->set_kind(kind);
  o.mutable_ref()->set_namespace_(ns);
  o.mutable_ref()->set_name(name);
  o.set_propagation(propagation);
  for (const auto& c : clusters) {
    v1::ClusterState* s = o.add_clusters();
    s->set_cluster(c[0]);
    s->set_state(c[1]);
    s->set_reason(c[2]);
    s->set_message(c[3]);
  }
  return o;
}

TEST(StatusRowsTest, RowsPerClusterAndObjectsOnNoCluster) {
  std::vector<StatusRow> rows =
      RowsFor(Object("configmaps", "FederatedConfigMap", "ns1", "c1", "False",
                     {{"m1", "Propagated", "", ""},
                      {"m2", "Error", "CreationFailed", "quota exceeded"},
                      {"m3", "Pending", "", ""}}));
  for (StatusRow& r : RowsFor(Object("configmaps", "FederatedConfigMap", "ns1", "c2", "False", {})))
    rows.push_back(r);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(RenderTable(rows),
            "TYPE         NAMESPACE   NAME   CLUSTER   STATE            REASON\n"
            "configmaps   ns1         c1     m1        Propagated\n"
            "configmaps   ns1         c1     m2        CreationFailed   quota exceeded\n"
            "configmaps   ns1         c1     m3        Pending\n"
            "configmaps   ns1         c2     -         Pending          placed on no cluster\n");
  EXPECT_THAT(RenderJson(rows), HasSubstr(R"("state": "CreationFailed")"));
  EXPECT_THAT(RenderYaml(rows), HasSubstr("cluster: m2"));
}

TEST(StatusRowsTest, TypeAliases) {
  v1::ObjectRef ref;
  ref.set_type("deployments.apps");
  ref.set_kind("FederatedDeployment");
  for (const char* t : {"deployments.apps", "deployments", "deployment", "Deployment",
                        "FederatedDeployment", "federateddeployment"}) {
    EXPECT_TRUE(TypeMatches(ref, t)) << t;
  }
  for (const char* t : {"configmaps", "deploy", "apps", ""}) EXPECT_FALSE(TypeMatches(ref, t)) << t;
}

class StatusCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    status::StoreOptions so;
    so.initial_revision = 100;
    store_ = std::make_unique<status::StatusStore>(so, clock_);
    status::StatusServerOptions options;
    options.address = "127.0.0.1:0";
    auto server = status::StatusServer::Start(*store_, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    options_.status_addr = absl::StrCat("127.0.0.1:", server_->port());
    store_->UpsertObject(Object("configmaps", "FederatedConfigMap", "ns1", "c1", "True",
                                {{"m1", "Propagated", "", ""}, {"m2", "Propagated", "", ""}}));
    store_->UpsertObject(Object("secrets", "FederatedSecret", "ns2", "s1", "False",
                                {{"m1", "Error", "UpdateFailed", "denied"}}));
  }
  void TearDown() override { server_->Stop(); }

  FakeClock clock_;
  std::unique_ptr<status::StatusStore> store_;
  std::unique_ptr<status::StatusServer> server_;
  StatusOptions options_;
};

TEST_F(StatusCommandTest, PrintsTheTableWithFilters) {
  std::ostringstream out;
  ASSERT_TRUE(RunStatus(options_, out).ok());
  EXPECT_EQ(out.str(),
            "TYPE         NAMESPACE   NAME   CLUSTER   STATE          REASON\n"
            "configmaps   ns1         c1     m1        Propagated\n"
            "configmaps   ns1         c1     m2        Propagated\n"
            "secrets      ns2         s1     m1        UpdateFailed   denied\n");
  struct Case {
    std::string type, name, ns;
    std::vector<std::string> want_names;
  };
  const std::vector<Case> cases = {
      {"configmap", "", "", {"c1", "c1"}},
      {"secrets", "", "", {"s1"}},
      {"", "", "ns2", {"s1"}},
      {"FederatedSecret", "s1", "ns2", {"s1"}},
      {"deployments.apps", "", "", {}},
  };
  auto api = status::v1::FederationStatus::NewStub(
      grpc::CreateChannel(options_.status_addr, grpc::InsecureChannelCredentials()));
  for (const Case& c : cases) {
    StatusOptions o = options_;
    o.type = c.type;
    o.name = c.name;
    o.ns = c.ns;
    absl::StatusOr<std::vector<StatusRow>> rows = CollectStatus(*api, o);
    ASSERT_TRUE(rows.ok()) << rows.status();
    std::vector<std::string> names;
    for (const StatusRow& r : *rows) names.push_back(r.name);
    EXPECT_EQ(names, c.want_names) << c.type << "|" << c.name << "|" << c.ns;
  }
  StatusOptions missing = options_;
  missing.name = "zzz";
  EXPECT_TRUE(absl::IsNotFound(CollectStatus(*api, missing).status()));
  StatusOptions as_json = options_;
  as_json.name = "c1";
  as_json.output = "json";
  std::ostringstream json;
  ASSERT_TRUE(RunStatus(as_json, json).ok());
  EXPECT_THAT(json.str(), HasSubstr(R"("cluster": "m2")"));
}

TEST_F(StatusCommandTest, WatchPrintsAgainWhenTheTableChanges) {
  StatusOptions o = options_;
  o.watch = true;
  o.type = "configmaps";
  o.max_prints = 2;
  std::ostringstream out;
  std::thread watcher([&] { EXPECT_TRUE(RunStatus(o, out).ok()); });
  // Once the watch is open, change a configmap (the secret change is filtered out).
  while (store_->WatcherCount() == 0) absl::SleepFor(absl::Milliseconds(5));
  store_->UpsertObject(
      Object("secrets", "FederatedSecret", "ns2", "s1", "True", {{"m1", "Propagated", "", ""}}));
  store_->UpsertObject(Object(
      "configmaps", "FederatedConfigMap", "ns1", "c1", "False",
      {{"m1", "Propagated", "", ""}, {"m2", "Error", "ApplyOverridesFailed", "path /data/x"}}));
  watcher.join();
  EXPECT_EQ(out.str(),
            "TYPE         NAMESPACE   NAME   CLUSTER   STATE        REASON\n"
            "configmaps   ns1         c1     m1        Propagated\n"
            "configmaps   ns1         c1     m2        Propagated\n"
            "TYPE         NAMESPACE   NAME   CLUSTER   STATE                  REASON\n"
            "configmaps   ns1         c1     m1        Propagated\n"
            "configmaps   ns1         c1     m2        ApplyOverridesFailed   path /data/x\n");
}

TEST(StatusUnreachableTest, NamesTheAddressAndWhatToDo) {
  StatusOptions o;
  o.status_addr = "127.0.0.1:1";  // nothing listens on port 1
  std::ostringstream out;
  absl::Status s = RunStatus(o, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("cannot reach the kfed status API at 127.0.0.1:1"));
  EXPECT_THAT(s.message(), HasSubstr("--status-addr HOST:PORT"));
}

}  // namespace
}  // namespace kfed::cli
