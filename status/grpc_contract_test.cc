// The gRPC contract of the status API (status.proto) against an in-process server with the
// real store: lists and filters, GetObject, Watch from 0, resume from a List revision, a
// resume point too old, a client that never reads, the health service, reflection and TLS.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "base/testing.h"
#include "google/protobuf/descriptor.pb.h"
#include "status/access_fake.h"
#include "status/service.h"
#include "status/status.grpc.pb.h"
#include "status/store.h"
#include "status/testdata/grpc_wire.pb.h"

namespace kfed::status {
namespace {

using ::kfed::testing::Eventually;
using ::kfed::testing::ReadTextFileOrFail;

constexpr int64_t kStart = 5000;

v1::FederatedObject Object(const std::string& type, const std::string& ns, const std::string& name,
                           const std::string& state, const std::string& reason = "",
                           const std::string& message = "") {
  v1::FederatedObject o;
  o.mutable_ref()->set_type(type);
  o.mutable_ref()->set_kind("Federated" + type);
  o.mutable_ref()->set_namespace_(ns);
  o.mutable_ref()->set_name(name);
  o.set_generation(1);
  o.set_propagation(state == "Propagated" ? "True" : "False");
  v1::ClusterState* c = o.add_clusters();
  c->set_cluster("member1");
  c->set_state(state);
  c->set_reason(reason);
  c->set_message(message);
  return o;
}

v1::Cluster ClusterOf(const std::string& name) {
  v1::Cluster c;
  c.set_name(name);
  c.set_health("Ready");
  c.set_reason("ClusterReady");
  c.set_kubernetes_version("v1.36.3");
  return c;
}

// How long the server may take to get to a state the test waits for.
constexpr absl::Duration kWait = absl::Seconds(60);

std::string Describe(const v1::WatchEvent& e) {
  std::string subject = e.has_cluster()  ? "cluster " + e.cluster().name()
                        : e.has_object() ? "object " + e.object().ref().name()
                                         : "-";
  return absl::StrCat(v1::WatchEvent::Type_Name(e.type()), " ", e.revision(), " ", subject);
}

StoreOptions Options(size_t history = 100, size_t queue = 100) {
  StoreOptions o;
  o.initial_revision = kStart;
  o.history_size = history;
  o.watcher_queue_size = queue;
  return o;
}

// A call made with the token of a user who may read everything.
class AuthedContext : public grpc::ClientContext {
 public:
  AuthedContext() { AddMetadata("authorization", "Bearer root-token"); }
};

TypeInfo ConfigMapsType() {
  return TypeInfo{"types.kubefed.io", "federatedconfigmaps", true, Sensitivity::kNone};
}

class GrpcContractTest : public ::testing::Test {
 protected:
  void StartServer(StoreOptions store_options = Options(), bool serving_at_start = true) {
    MakeStore(store_options);
    StatusServerOptions options;
    options.access = access_.get();
    options.address = "127.0.0.1:0";
    options.version = "0.1.0-test";
    options.bookmark_interval = absl::Hours(1);  // only the BOOKMARK after the initial state
    options.serving_at_start = serving_at_start;
    absl::StatusOr<std::unique_ptr<StatusServer>> server = StatusServer::Start(*store_, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::FederationStatus::NewStub(channel_);
  }

  // The store, with its types registered, and access control over it: "root-token" may
  // read everything.
  void MakeStore(StoreOptions store_options) {
    store_ = std::make_unique<StatusStore>(store_options, clock_);
    reviewer_.AddToken("root-token", "root");
    reviewer_.AllowAll("root");
    access_ = std::make_unique<AccessControl>(reviewer_, *store_, AccessOptions{}, clock_);
    for (const char* type : {"configmaps", "secrets"}) {
      store_->SetRenderer(type, ConfigMapsType(), nullptr);
    }
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  // Reads `n` events from a stream (fails the test when it ends first).
  static std::vector<std::string> ReadEvents(grpc::ClientReader<v1::WatchEvent>& reader, int n) {
    std::vector<std::string> events;
    v1::WatchEvent e;
    for (int i = 0; i < n; ++i) {
      if (!reader.Read(&e)) {
        ADD_FAILURE() << "the stream ended after " << events.size() << " events";
        break;
      }
      events.push_back(Describe(e));
    }
    return events;
  }

  FakeClock clock_;
  testing::FakeAccessReviewer reviewer_;
  std::unique_ptr<StatusStore> store_;
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<StatusServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FederationStatus::Stub> stub_;
};

TEST_F(GrpcContractTest, VersionClustersAndObjectsWithFilters) {
  StartServer();
  store_->UpsertCluster(ClusterOf("member1"));
  store_->UpsertCluster(ClusterOf("member2"));
  store_->UpsertObject(Object("configmaps", "a", "one", "Propagated"));
  store_->UpsertObject(Object("configmaps", "b", "two", "Error", "ApplyOverridesFailed", "path"));
  store_->UpsertObject(Object("secrets", "a", "three", "Pending"));

  AuthedContext c1;
  v1::GetVersionResponse version;
  ASSERT_TRUE(stub_->GetVersion(&c1, {}, &version).ok());
  EXPECT_EQ(version.version(), "0.1.0-test");

  AuthedContext c2;
  v1::ListClustersResponse clusters;
  ASSERT_TRUE(stub_->ListClusters(&c2, {}, &clusters).ok());
  ASSERT_EQ(clusters.clusters_size(), 2);
  EXPECT_EQ(clusters.clusters(0).name(), "member1");
  EXPECT_EQ(clusters.clusters(0).kubernetes_version(), "v1.36.3");
  EXPECT_EQ(clusters.revision(), kStart + 5);

  struct Case {
    std::string type, ns, state;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"", "", "", {"one", "two", "three"}},
      {"configmaps", "", "", {"one", "two"}},
      {"", "a", "", {"one", "three"}},
      {"", "", "Error", {"two"}},
      {"secrets", "b", "", {}},
  };
  for (const Case& c : cases) {
    AuthedContext context;
    v1::ListObjectsRequest request;
    request.set_type(c.type);
    request.set_namespace_(c.ns);
    request.set_state(c.state);
    v1::ListObjectsResponse response;
    ASSERT_TRUE(stub_->ListObjects(&context, request, &response).ok());
    std::vector<std::string> got;
    for (const auto& o : response.objects()) got.push_back(o.ref().name());
    EXPECT_EQ(got, c.want) << c.type << "|" << c.ns << "|" << c.state;
    EXPECT_EQ(response.revision(), kStart + 5);
  }
  AuthedContext bad;
  v1::ListObjectsRequest bad_state;
  bad_state.set_state("Sideways");
  v1::ListObjectsResponse ignored;
  EXPECT_EQ(stub_->ListObjects(&bad, bad_state, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcContractTest, GetObjectRendersOrIsNotFound) {
  StartServer();
  store_->UpsertObject(Object("configmaps", "a", "one", "Error", "ApplyOverridesFailed",
                              "overrides[0]: path /data/x not found"));
  store_->SetRenderer("configmaps", ConfigMapsType(),
                      [](const std::string&, const std::string&,
                         const std::string& cluster) -> absl::StatusOr<RenderResult> {
                        if (cluster == "member1") {
                          return RenderResult{
                              "", "[{\"path\":\"/data/x\",\"op\":\"remove\"}]",
                              "ApplyOverridesFailed: overrides[0]: path /data/x not found"};
                        }
                        return RenderResult{"{\"kind\":\"ConfigMap\"}", "[]", ""};
                      });
  v1::GetObjectRequest request;
  request.mutable_ref()->set_type("configmaps");
  request.mutable_ref()->set_namespace_("a");
  request.mutable_ref()->set_name("one");
  request.set_cluster("member1");
  AuthedContext c1;
  v1::GetObjectResponse response;
  ASSERT_TRUE(stub_->GetObject(&c1, request, &response).ok());
  EXPECT_EQ(response.object().clusters(0).reason(), "ApplyOverridesFailed");
  EXPECT_EQ(response.rendered_json(), "");
  EXPECT_EQ(response.overrides_json(), "[{\"path\":\"/data/x\",\"op\":\"remove\"}]");
  EXPECT_EQ(response.render_error(), "ApplyOverridesFailed: overrides[0]: path /data/x not found");

  request.set_cluster("member2");
  AuthedContext c2;
  ASSERT_TRUE(stub_->GetObject(&c2, request, &response).ok());
  EXPECT_EQ(response.rendered_json(), "{\"kind\":\"ConfigMap\"}");

  request.mutable_ref()->set_name("missing");
  AuthedContext c3;
  grpc::Status missing = stub_->GetObject(&c3, request, &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "no federated object configmaps a/missing");
  store_->RemoveRenderer("configmaps");
}

TEST_F(GrpcContractTest, WatchFromZeroSendsTheStateABookmarkThenChanges) {
  StartServer();
  store_->UpsertCluster(ClusterOf("member1"));
  store_->UpsertObject(Object("configmaps", "a", "one", "Pending"));
  AuthedContext context;
  v1::WatchRequest request;
  request.set_resume_from(0);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&context, request);
  EXPECT_EQ(ReadEvents(*reader, 3),
            (std::vector<std::string>{"ADDED 5002 cluster member1", "ADDED 5002 object one",
                                      "BOOKMARK 5002 -"}));
  store_->UpsertObject(Object("configmaps", "a", "one", "Propagated"));
  store_->RemoveCluster("member1");
  v1::WatchEvent e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(Describe(e), "MODIFIED 5003 object one");
  EXPECT_EQ(e.object().clusters(0).state(), "Propagated");
  EXPECT_EQ(e.object().revision(), kStart + 3);
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(Describe(e), "DELETED 5004 cluster member1");
  context.TryCancel();
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GrpcContractTest, IdleStreamsGetPeriodicBookmarks) {
  MakeStore(Options());
  StatusServerOptions options;
  options.address = "127.0.0.1:0";
  options.access = access_.get();
  options.bookmark_interval = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<StatusServer>> server = StatusServer::Start(*store_, options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  store_->UpsertObject(Object("configmaps", "a", "one", "Pending"));
  auto stub = v1::FederationStatus::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  AuthedContext context;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub->Watch(&context, {});
  EXPECT_EQ(ReadEvents(*reader, 2),
            (std::vector<std::string>{"ADDED 5001 object one", "BOOKMARK 5001 -"}));
  // Nothing changes: the stream keeps getting bookmarks at the current revision.
  EXPECT_EQ(ReadEvents(*reader, 2),
            (std::vector<std::string>{"BOOKMARK 5001 -", "BOOKMARK 5001 -"}));
  store_->UpsertObject(Object("configmaps", "a", "one", "Propagated"));
  std::vector<std::string> next = ReadEvents(*reader, 1);
  while (!next.empty() && next[0] == "BOOKMARK 5001 -") next = ReadEvents(*reader, 1);
  EXPECT_EQ(next, (std::vector<std::string>{"MODIFIED 5002 object one"}));
  context.TryCancel();
  reader->Finish();
}

TEST_F(GrpcContractTest, WatchResumedFromAListRevisionGetsExactlyTheLaterChanges) {
  StartServer();
  store_->UpsertObject(Object("configmaps", "a", "one", "Pending"));
  AuthedContext list_context;
  v1::ListObjectsResponse list;
  ASSERT_TRUE(stub_->ListObjects(&list_context, {}, &list).ok());
  ASSERT_EQ(list.revision(), kStart + 1);
  store_->UpsertObject(Object("configmaps", "a", "two", "Pending"));
  store_->UpsertObject(Object("configmaps", "a", "one", "Propagated"));
  store_->UpsertObject(Object("configmaps", "a", "one", "Propagated"));  // no change: no event
  store_->RemoveObject(Object("configmaps", "a", "two", "").ref());

  AuthedContext context;
  v1::WatchRequest request;
  request.set_resume_from(list.revision());
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&context, request);
  EXPECT_EQ(ReadEvents(*reader, 4),
            (std::vector<std::string>{"ADDED 5002 object two", "MODIFIED 5003 object one",
                                      "DELETED 5004 object two", "BOOKMARK 5004 -"}));
  store_->UpsertObject(Object("configmaps", "a", "three", "Pending"));
  EXPECT_EQ(ReadEvents(*reader, 1), (std::vector<std::string>{"ADDED 5005 object three"}));
  context.TryCancel();
  reader->Finish();
}

TEST_F(GrpcContractTest, ResumeOlderThanTheHistoryIsOutOfRange) {
  StartServer(Options(/*history=*/3));
  for (int i = 0; i < 10; ++i)
    store_->UpsertObject(Object("configmaps", "a", "o" + std::to_string(i), "Pending"));
  for (int64_t resume : {kStart + 1, kStart + 6, kStart + 11}) {
    AuthedContext context;
    v1::WatchRequest request;
    request.set_resume_from(resume);
    std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&context, request);
    v1::WatchEvent e;
    EXPECT_FALSE(reader->Read(&e)) << resume;
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << resume;
    EXPECT_NE(status.error_message().find("list again and watch from the list's revision"),
              std::string::npos)
        << status.error_message();
  }
  // The oldest revision still in the history resumes.
  AuthedContext context;
  v1::WatchRequest request;
  request.set_resume_from(kStart + 7);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&context, request);
  EXPECT_EQ(ReadEvents(*reader, 4),
            (std::vector<std::string>{"ADDED 5008 object o7", "ADDED 5009 object o8",
                                      "ADDED 5010 object o9", "BOOKMARK 5010 -"}));
  context.TryCancel();
  reader->Finish();
}

TEST_F(GrpcContractTest, AClientThatNeverReadsIsCutOffWhilePublishingGoesOn) {
  constexpr size_t kQueue = 256;
  constexpr size_t kHistory = 64;
  StartServer(Options(kHistory, kQueue));
  AuthedContext context;
  v1::WatchRequest request;
  request.set_resume_from(0);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&context, request);
  // Wait for the stream to be registered before publishing (WatcherCount counts it).
  EXPECT_TRUE(Eventually([&] { return store_->WatcherCount() == 1; }, kWait))
      << "the watch did not start";

  // Publish large changes without reading. The server's writes stall once the transport's
  // flow-control window is full; the watcher's queue then overflows and the store drops it.
  // Publishing never waits for the client: this loop would hang if it did.
  const std::string big(2048, 'x');
  int published = 0;
  absl::Duration slowest;
  while (store_->WatcherCount() > 0 && published < 200000) {
    const absl::Time start = absl::Now();
    store_->UpsertObject(
        Object("configmaps", "a", "o" + std::to_string(published), "Error", "UpdateFailed", big));
    slowest = std::max(slowest, absl::Now() - start);
    ++published;
  }
  ASSERT_EQ(store_->WatcherCount(), 0u) << "the watcher was not dropped after " << published;
  EXPECT_LE(store_->HistorySize(), kHistory);
  std::cerr << "dropped after " << published << " changes; slowest publish " << slowest << "\n";
  // Publishing goes on for everyone else.
  store_->UpsertObject(Object("configmaps", "a", "after", "Pending"));
  EXPECT_EQ(store_->Revision(), kStart + published + 1);

  // The client now reads what was in flight, then the stream ends with OUT_OF_RANGE.
  v1::WatchEvent e;
  int received = 0;
  while (reader->Read(&e)) ++received;
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(status.error_message(), kFellBehindMessage);
  EXPECT_LT(received, published);
  std::cerr << "the client received " << received << " events before OUT_OF_RANGE\n";
  // The service no longer holds the stream.
  EXPECT_TRUE(Eventually([&] { return server_->service().ActiveWatches() == 0; }, kWait))
      << "the stream is still held";
}

TEST_F(GrpcContractTest, HealthFollowsPushedReadiness) {
  StartServer(Options(), /*serving_at_start=*/false);
  auto check = [&](const std::string& service) {
    AuthedContext context;
    testing::HealthCheckRequest request;
    request.set_service(service);
    testing::HealthCheckResponse response;
    grpc::Status status = grpc::internal::BlockingUnaryCall(
        channel_.get(),
        grpc::internal::RpcMethod("/grpc.health.v1.Health/Check",
                                  grpc::internal::RpcMethod::NORMAL_RPC),
        &context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  };
  EXPECT_EQ(check(""), testing::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(check("kfed.status.v1.FederationStatus"), testing::HealthCheckResponse::NOT_SERVING);
  // Pushed: the very next check sees it (no poll period to wait for).
  server_->SetServing(true);
  EXPECT_EQ(check("kfed.status.v1.FederationStatus"), testing::HealthCheckResponse::SERVING);
  EXPECT_EQ(check(""), testing::HealthCheckResponse::SERVING);
  server_->SetServing(false);
  EXPECT_EQ(check(""), testing::HealthCheckResponse::NOT_SERVING);
  server_->Stop();
  server_->SetServing(true);  // after Stop: ignored, no crash
}

TEST_F(GrpcContractTest, ListSchedulingPreferencesFollowsRbac) {
  StartServer();
  for (const char* ns : {"demo", "other"}) {
    v1::SchedulingPreference p;
    p.set_namespace_(ns);
    p.set_name("web");
    p.set_target_kind("FederatedDeployment");
    p.set_total_replicas(4);
    v1::ReplicaDistribution* c = p.add_clusters();
    c->set_cluster("member1");
    c->set_planned_replicas(4);
    store_->UpsertSchedulingPreference(p);
  }
  AuthedContext root;
  v1::ListSchedulingPreferencesResponse all;
  grpc::Status status = stub_->ListSchedulingPreferences(&root, {}, &all);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(all.preferences_size(), 2);
  EXPECT_EQ(all.preferences(0).namespace_(), "demo");
  EXPECT_EQ(all.preferences(0).clusters(0).planned_replicas(), 4);

  // May get RSPs in demo only.
  reviewer_.AddToken("alice-token", "alice");
  reviewer_.Allow("alice",
                  {"get", "scheduling.kubefed.io", "replicaschedulingpreferences", "demo", "", ""});
  grpc::ClientContext alice;
  alice.AddMetadata("authorization", "Bearer alice-token");
  v1::ListSchedulingPreferencesResponse seen;
  ASSERT_TRUE(stub_->ListSchedulingPreferences(&alice, {}, &seen).ok());
  ASSERT_EQ(seen.preferences_size(), 1);
  EXPECT_EQ(seen.preferences(0).namespace_(), "demo");

  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->ListSchedulingPreferences(&anonymous, {}, &seen).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcContractTest, ListMultiClusterServicesFollowsRbac) {
  StartServer();
  for (const char* ns : {"demo", "other"}) {
    v1::MultiClusterService s;
    s.set_namespace_(ns);
    s.set_name("web");
    s.set_type("Headless");
    v1::SourceEndpoints* e = s.add_endpoints();
    e->set_cluster("member1");
    e->set_ready(1);
    e->set_total(2);
    store_->UpsertMultiClusterService(s);
  }
  v1::McsMember member;
  member.set_cluster("member2");
  member.set_state("NoCrds");
  store_->SetMcsMembers({member});
  AuthedContext root;
  v1::ListMultiClusterServicesResponse all;
  grpc::Status status = stub_->ListMultiClusterServices(&root, {}, &all);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(all.services_size(), 2);
  EXPECT_EQ(all.services(0).namespace_(), "demo");
  EXPECT_EQ(all.services(0).endpoints(0).total(), 2);
  ASSERT_EQ(all.members_size(), 1);
  EXPECT_EQ(all.members(0).state(), "NoCrds");

  // May get serviceexports in demo only, and may not list clusters.
  reviewer_.AddToken("alice-token", "alice");
  reviewer_.Allow("alice", {"get", "multicluster.x-k8s.io", "serviceexports", "demo", "", ""});
  grpc::ClientContext alice;
  alice.AddMetadata("authorization", "Bearer alice-token");
  v1::ListMultiClusterServicesResponse seen;
  ASSERT_TRUE(stub_->ListMultiClusterServices(&alice, {}, &seen).ok());
  ASSERT_EQ(seen.services_size(), 1);
  EXPECT_EQ(seen.services(0).namespace_(), "demo");
  EXPECT_EQ(seen.members_size(), 0);

  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->ListMultiClusterServices(&anonymous, {}, &seen).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcContractTest, ReflectionListsAndDescribesTheService) {
  StartServer();
  AuthedContext context;
  std::unique_ptr<
      grpc::ClientReaderWriter<testing::ServerReflectionRequest, testing::ServerReflectionResponse>>
      stream(grpc::internal::ClientReaderWriterFactory<testing::ServerReflectionRequest,
                                                       testing::ServerReflectionResponse>::
                 Create(channel_.get(),
                        grpc::internal::RpcMethod(
                            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                            grpc::internal::RpcMethod::BIDI_STREAMING),
                        &context));
  testing::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(stream->Write(list));
  testing::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.push_back(s.name());
  EXPECT_NE(std::find(services.begin(), services.end(), "kfed.status.v1.FederationStatus"),
            services.end())
      << ::testing::PrintToString(services);

  // What grpcurl asks next: the file defining the service, with its messages.
  testing::ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("kfed.status.v1.FederationStatus");
  ASSERT_TRUE(stream->Write(symbol));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0)
      << response.DebugString();
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "kfed.status.v1");
  ASSERT_EQ(file.service_size(), 1);
  EXPECT_EQ(file.service(0).method_size(), 7);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// --- TLS ----------------------------------------------------------------------------------

TEST_F(GrpcContractTest, ServesOverTlsWhenGivenACertificate) {
  char dir_template[] = "/tmp/kfed-status-tls-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  ASSERT_NE(dir, nullptr);
  const std::string cert = absl::StrCat(dir, "/tls.crt"), key = absl::StrCat(dir, "/tls.key");
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ",
      key, " -out ", cert, " >/dev/null 2>&1");
  ASSERT_EQ(system(command.c_str()), 0) << command;

  MakeStore(Options());
  StatusServerOptions options;
  options.address = "127.0.0.1:0";
  options.version = "0.1.0-tls";
  options.access = access_.get();
  options.tls_cert_pem = ReadTextFileOrFail(cert);
  options.tls_key_pem = ReadTextFileOrFail(key);
  absl::StatusOr<std::unique_ptr<StatusServer>> server = StatusServer::Start(*store_, options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  EXPECT_TRUE(server_->tls());

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadTextFileOrFail(cert);
  auto tls_stub = v1::FederationStatus::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl)));
  AuthedContext c1;
  v1::GetVersionResponse version;
  grpc::Status ok = tls_stub->GetVersion(&c1, {}, &version);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(version.version(), "0.1.0-tls");

  auto plain_stub = v1::FederationStatus::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  AuthedContext c2;
  c2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  EXPECT_FALSE(plain_stub->GetVersion(&c2, {}, &version).ok());

  // Only one of the two is an error.
  options.tls_key_pem = "";
  EXPECT_EQ(StatusServer::Start(*store_, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  unlink(cert.c_str());
  unlink(key.c_str());
  rmdir(dir);
}

TEST_F(GrpcContractTest, AnAddressInUseIsAClearError) {
  StartServer();
  StatusServerOptions options;
  options.address = absl::StrCat("127.0.0.1:", server_->port());
  options.access = access_.get();
  absl::StatusOr<std::unique_ptr<StatusServer>> second = StatusServer::Start(*store_, options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("cannot serve the status API on 127.0.0.1:"),
            std::string::npos)
      << second.status();
}

// --- Authentication and authorization -------------------------------------------------------

TEST_F(GrpcContractTest, EveryCallNeedsAValidToken) {
  StartServer();
  for (const char* header : {"", "Bearer wrong-token", "Basic YTpi"}) {
    auto context = [&] {
      auto c = std::make_unique<grpc::ClientContext>();
      if (*header != '\0') c->AddMetadata("authorization", header);
      return c;
    };
    v1::GetVersionResponse version;
    EXPECT_EQ(stub_->GetVersion(context().get(), {}, &version).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << header;
    v1::ListClustersResponse clusters;
    EXPECT_EQ(stub_->ListClusters(context().get(), {}, &clusters).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::ListObjectsResponse objects;
    EXPECT_EQ(stub_->ListObjects(context().get(), {}, &objects).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::GetObjectRequest get;
    v1::GetObjectResponse object;
    EXPECT_EQ(stub_->GetObject(context().get(), get, &object).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    auto watch_context = context();
    auto reader = stub_->Watch(watch_context.get(), {});
    v1::WatchEvent e;
    EXPECT_FALSE(reader->Read(&e));
    grpc::Status finished = reader->Finish();
    EXPECT_EQ(finished.error_code(), grpc::StatusCode::UNAUTHENTICATED) << header;
    EXPECT_FALSE(finished.error_message().empty());
  }
}

TEST_F(GrpcContractTest, ANamespaceReaderListsAndWatchesItsNamespaceOnly) {
  StartServer();
  reviewer_.AddToken("alice-token", "alice");
  reviewer_.Allow("alice", {"get", "types.kubefed.io", "federatedconfigmaps", "a", "", ""});
  v1::Cluster cluster;
  cluster.set_name("member1");
  store_->UpsertCluster(cluster);
  store_->UpsertObject(Object("configmaps", "a", "one", "Propagated"));
  store_->UpsertObject(Object("configmaps", "b", "two", "Propagated"));

  auto alice = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", "Bearer alice-token");
    return c;
  };
  v1::ListObjectsResponse objects;
  ASSERT_TRUE(stub_->ListObjects(alice().get(), {}, &objects).ok());
  ASSERT_EQ(objects.objects_size(), 1);
  EXPECT_EQ(objects.objects(0).ref().name(), "one");
  v1::ListClustersResponse clusters;
  grpc::Status denied = stub_->ListClusters(alice().get(), {}, &clusters);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(denied.error_message().find("may not list kubefedclusters"), std::string::npos);
  v1::GetObjectRequest get;
  get.mutable_ref()->set_type("configmaps");
  get.mutable_ref()->set_namespace_("b");
  get.mutable_ref()->set_name("two");
  v1::GetObjectResponse object;
  EXPECT_EQ(stub_->GetObject(alice().get(), get, &object).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The watch: no cluster, only namespace a, also for changes after the initial state (a
  // namespace never seen before needs a review the pump must not wait for).
  clock_.Advance(absl::Minutes(1));  // nothing cached: the stream asks as it goes
  auto context = alice();
  auto reader = stub_->Watch(context.get(), {});
  EXPECT_EQ(ReadEvents(*reader, 2),
            (std::vector<std::string>{"ADDED 5003 object one", "BOOKMARK 5003 -"}));
  store_->UpsertObject(Object("configmaps", "c", "three", "Pending"));
  store_->UpsertObject(Object("configmaps", "b", "two", "Error"));
  store_->UpsertObject(Object("configmaps", "a", "one", "Pending"));
  EXPECT_EQ(ReadEvents(*reader, 1), (std::vector<std::string>{"MODIFIED 5006 object one"}));
  context->TryCancel();
  reader->Finish();
}

TEST_F(GrpcContractTest, TheHostBeingDownFailsClosed) {
  StartServer();
  reviewer_.Fail(absl::UnavailableError("connection refused"));
  AuthedContext context;
  v1::ListObjectsResponse objects;
  grpc::Status down = stub_->ListObjects(&context, {}, &objects);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(down.error_message().find("cannot verify the bearer token"), std::string::npos)
      << down.error_message();
  EXPECT_EQ(objects.objects_size(), 0);
}

}  // namespace
}  // namespace kfed::status
