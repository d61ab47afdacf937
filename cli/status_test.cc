// kfedctl status against an in-process status API: the real store and gRPC server (plaintext
// on loopback) for the table and the watch; a TLS server that checks the bearer token for the
// transport and authentication flags.
#include "cli/status.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "base/testing.h"
#include "gmock/gmock.h"
#include "kube/test_pki.h"
#include "status/access.h"
#include "status/access_fake.h"
#include "status/service.h"
#include "status/store.h"

namespace kfed::cli {
namespace {

using ::kfed::testing::Eventually;
using ::kfed::testing::WriteTempFile;
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
    // Access control as the controller manager has it, with the host's reviews faked:
    // "root-token" may read everything; "alice-token" only FederatedConfigMaps in ns1.
    reviewer_.AddToken("root-token", "root");
    reviewer_.AllowAll("root");
    reviewer_.AddToken("alice-token", "alice");
    reviewer_.Allow("alice", {"get", "types.kubefed.io", "federatedconfigmaps", "ns1", "", ""});
    access_ = std::make_unique<status::AccessControl>(reviewer_, *store_, status::AccessOptions{},
                                                      clock_);
    store_->SetRenderer("configmaps", {"types.kubefed.io", "federatedconfigmaps", true}, nullptr);
    store_->SetRenderer("secrets", {"types.kubefed.io", "federatedsecrets", true}, nullptr);
    status::StatusServerOptions options;
    options.access = access_.get();
    options.address = "127.0.0.1:0";
    auto server = status::StatusServer::Start(*store_, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    options_.status_addr = absl::StrCat("127.0.0.1:", server_->port());
    options_.plaintext = true;
    options_.token = [] { return absl::StatusOr<std::string>("root-token"); };
    store_->UpsertObject(Object("configmaps", "FederatedConfigMap", "ns1", "c1", "True",
                                {{"m1", "Propagated", "", ""}, {"m2", "Propagated", "", ""}}));
    store_->UpsertObject(Object("secrets", "FederatedSecret", "ns2", "s1", "False",
                                {{"m1", "Error", "UpdateFailed", "denied"}}));
  }
  void TearDown() override { server_->Stop(); }

  FakeClock clock_;
  status::testing::FakeAccessReviewer reviewer_;
  std::unique_ptr<status::StatusStore> store_;
  std::unique_ptr<status::AccessControl> access_;
  std::unique_ptr<status::StatusServer> server_;
  StatusOptions options_;
  std::ostringstream err_;
};

TEST_F(StatusCommandTest, PrintsTheTableWithFilters) {
  std::ostringstream out;
  ASSERT_TRUE(RunStatus(options_, out, err_).ok());
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
  ASSERT_TRUE(RunStatus(as_json, json, err_).ok());
  EXPECT_THAT(json.str(), HasSubstr(R"("cluster": "m2")"));
}

TEST_F(StatusCommandTest, ShowsWhatTheTokensUserMayReadAndRefusesOtherTokens) {
  StatusOptions alice = options_;
  alice.token = [] { return absl::StatusOr<std::string>("alice-token"); };
  std::ostringstream out;
  absl::Status s = RunStatus(alice, out, err_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.str(),
            "TYPE         NAMESPACE   NAME   CLUSTER   STATE        REASON\n"
            "configmaps   ns1         c1     m1        Propagated\n"
            "configmaps   ns1         c1     m2        Propagated\n");

  StatusOptions stranger = options_;
  stranger.token = [] { return absl::StatusOr<std::string>("nobody-knows-this"); };
  stranger.token_origin = "--token";
  s = RunStatus(stranger, out, err_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_THAT(s.message(), HasSubstr("rejected --token"));

  StatusOptions none = options_;
  none.token = nullptr;
  EXPECT_EQ(RunStatus(none, out, err_).code(), absl::StatusCode::kUnauthenticated);

  reviewer_.Fail(absl::UnavailableError("the host cluster is unreachable"));
  StatusOptions fresh = options_;
  fresh.token = [] { return absl::StatusOr<std::string>("not-reviewed-yet"); };
  s = RunStatus(fresh, out, err_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("try again when the host is reachable"));
}

TEST_F(StatusCommandTest, WatchPrintsAgainWhenTheTableChanges) {
  StatusOptions o = options_;
  o.watch = true;
  o.type = "configmaps";
  o.max_prints = 2;
  std::ostringstream out;
  std::thread watcher([&] { EXPECT_TRUE(RunStatus(o, out, err_).ok()); });
  // Once the watch is open, change a configmap (the secret change is filtered out).
  ASSERT_TRUE(Eventually([&] { return store_->WatcherCount() > 0; }));
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
  std::ostringstream out, err;
  absl::Status s = RunStatus(o, out, err);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("cannot reach the kfed status API at 127.0.0.1:1"));
  EXPECT_THAT(s.message(), HasSubstr("--status-addr HOST:PORT"));
}

TEST(StatusAddressTest, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1:9091", "localhost:9091", "LOCALHOST:1", "[::1]:9091",
                        "127.1.2.3:80", "dns:///localhost:9091", "ipv4:127.0.0.1:9091"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a :
       {"10.0.0.1:9091", "kfed.example.com:9091", "[::]:9091", ":9091", "0.0.0.0:9091",
        "127.0.0.1.example.com:9091", "[2001:db8::1]:9091", "128.0.0.1:9091", "127.0.0.256:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

// A status API that checks the bearer token as the controller manager does: "good-token"
// may read, "denied-token" is authenticated but may not, "host-down" gets UNAVAILABLE as when
// the host cannot review tokens, anything else is UNAUTHENTICATED. Records what it saw.
class CheckingService final : public v1::FederationStatus::Service {
 public:
  grpc::Status ListObjects(grpc::ServerContext* context, const v1::ListObjectsRequest*,
                           v1::ListObjectsResponse* response) override {
    grpc::Status auth = Check(context);
    if (!auth.ok()) return auth;
    *response->add_objects() = Object("configmaps", "FederatedConfigMap", "ns1", "c1", "True",
                                      {{"m1", "Propagated", "", ""}});
    response->set_revision(7);
    return grpc::Status::OK;
  }
  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchRequest*,
                     grpc::ServerWriter<v1::WatchEvent>* writer) override {
    grpc::Status auth = Check(context);
    if (!auth.ok()) return auth;
    v1::WatchEvent event;
    event.set_type(v1::WatchEvent::MODIFIED);
    *event.mutable_object() = Object("configmaps", "FederatedConfigMap", "ns1", "c1", "False",
                                     {{"m1", "Error", "UpdateFailed", "denied"}});
    writer->Write(event);
    return grpc::Status::OK;
  }
  std::vector<std::string> Seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  grpc::Status Check(grpc::ServerContext* context) {
    std::string auth;
    const auto& md = context->client_metadata();
    auto it = md.find("authorization");
    if (it != md.end()) auth = std::string(it->second.data(), it->second.size());
    {
      absl::MutexLock lock(&mu_);
      seen_.push_back(auth);
    }
    if (auth == "Bearer good-token") return grpc::Status::OK;
    if (auth == "Bearer denied-token") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "user \"viewer\" may not list federatedconfigmaps");
    }
    if (auth == "Bearer host-down") {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "cannot check the token: the host API server did not answer "
                          "(Failed to connect to 127.0.0.1 port 6443: Connection refused); "
                          "try again later");
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token");
  }

  absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

class StatusAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const kube::testing::KeyPair ca = kube::testing::MakeCa("kfed-test-ca");
    const kube::testing::KeyPair leaf = kube::testing::MakeLeaf(
        ca, "kfed-controller-manager", {"DNS:localhost", "IP:127.0.0.1"}, /*client=*/false);
    ca_file_ = WriteTempFile("status-ca.crt", ca.cert_pem);
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({leaf.key_pem, leaf.cert_pem});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    options_.status_addr = absl::StrCat("127.0.0.1:", port);
    options_.status_ca_file = ca_file_;
    options_.token_origin = "the token of context \"host\"";
    Token("good-token");
  }
  void TearDown() override { server_->Shutdown(); }

  void Token(const std::string& token) {
    options_.token = [token]() -> absl::StatusOr<std::string> { return token; };
  }
  absl::Status Run(const StatusOptions& o) {
    out_.str("");
    err_.str("");
    return RunStatus(o, out_, err_);
  }

  CheckingService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string ca_file_;
  StatusOptions options_;
  std::ostringstream out_, err_;
};

TEST_F(StatusAuthTest, VerifiesTheServerAndSendsTheTokenOnEveryCall) {
  StatusOptions o = options_;
  o.watch = true;
  o.max_prints = 2;
  absl::Status s = Run(o);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(out_.str(), HasSubstr("configmaps   ns1         c1     m1        Propagated"));
  EXPECT_THAT(out_.str(), HasSubstr("UpdateFailed   denied"));
  EXPECT_EQ(err_.str(), "");
  // ListObjects and Watch, each with the token.
  EXPECT_EQ(service_.Seen(), std::vector<std::string>(2, "Bearer good-token"));
}

TEST_F(StatusAuthTest, UnverifiedServerIsRefusedUnlessTheUserSaysSo) {
  StatusOptions o = options_;
  o.status_ca_file = "";  // the system's roots do not know the test CA
  absl::Status s = Run(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("--status-ca-file"));
  EXPECT_THAT(s.message(), HasSubstr("--insecure-skip-tls-verify"));
  EXPECT_TRUE(service_.Seen().empty()) << "the token went to an unverified server";

  o.insecure_skip_tls_verify = true;
  ASSERT_TRUE(Run(o).ok());
  EXPECT_THAT(out_.str(), HasSubstr("Propagated"));
  EXPECT_THAT(err_.str(), HasSubstr("warning: --insecure-skip-tls-verify"));

  const std::string other_ca =
      WriteTempFile("other-ca.crt", kube::testing::MakeCa("someone-else").cert_pem);
  o = options_;
  o.status_ca_file = other_ca;
  EXPECT_EQ(Run(o).code(), absl::StatusCode::kUnavailable);
  o.status_ca_file = WriteTempFile("not-pem.crt", "hello");
  EXPECT_EQ(Run(o).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StatusAuthTest, RejectedTokensSayWhatToDo) {
  Token("stale-token");
  absl::Status s = Run(options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(s.message(), HasSubstr("rejected the token of context \"host\": invalid bearer "
                                     "token (check --host-cluster-context or pass --token"));

  Token("denied-token");
  s = Run(options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("may not list federatedconfigmaps"));
  EXPECT_THAT(s.message(), HasSubstr("RBAC"));

  Token("host-down");
  s = Run(options_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("is unavailable: cannot check the token: the host API "
                                     "server did not answer"));
  EXPECT_THAT(s.message(), HasSubstr("try again when the host is reachable"));

  StatusOptions none = options_;
  none.token = nullptr;
  EXPECT_EQ(Run(none).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_.Seen().back(), "");

  StatusOptions failing = options_;
  failing.token = []() -> absl::StatusOr<std::string> {
    return absl::FailedPreconditionError("the exec plugin failed");
  };
  EXPECT_EQ(Run(failing).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StatusAuthTest, PlaintextOnlyToLoopbackAndNotToATlsServer) {
  StatusOptions o = options_;
  o.status_ca_file = "";
  o.plaintext = true;
  o.status_addr = "10.11.12.13:9091";  // never dialled: refused before connecting
  absl::Status s = Run(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unencrypted"));
  EXPECT_THAT(s.message(), HasSubstr("--insecure-local"));

  o.status_addr = options_.status_addr;  // loopback, but the server speaks TLS
  s = Run(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("drop --plaintext"));

  o.status_ca_file = ca_file_;
  EXPECT_EQ(Run(o).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kfed::cli
