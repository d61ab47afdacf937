// The status API (gRPC and the dashboard's HTTP JSON) of a kfed-controller-manager running
// against the real local clusters: both members listed Ready with their version, a federated
// ConfigMap Propagated per cluster with a latency, a broken override seen through Watch as
// Error/ApplyOverridesFailed naming the path, GetObject rendering the member object with the
// override applied, and the HTTP endpoints answering the same as gRPC.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "status/status.grpc.pb.h"
#include "status/testdata/grpc_wire.pb.h"

namespace kfed::e2e {
namespace {

namespace v1 = ::kfed::status::v1;
using ::absl::StrCat;

const v1::ClusterState* StateIn(const v1::FederatedObject& o, const std::string& cluster) {
  for (const v1::ClusterState& c : o.clusters()) {
    if (c.cluster() == cluster) return &c;
  }
  return nullptr;
}

class StatusE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    fed_ = &Federation::Get();
    ASSERT_GT(fed_->primary().pid, 0) << "the controller is not running";
    ASSERT_GT(fed_->primary().status_port, 0);
    ASSERT_FALSE(fed_->primary().ca_file.empty()) << "the controller serves TLS by default";
    channel_ = fed_->StatusChannel(fed_->primary(), fed_->viewer_token());
    api_ = v1::FederationStatus::NewStub(channel_);
  }

  // GET on the dashboard's HTTP API with the viewer's token: the status code and the body.
  absl::StatusOr<std::pair<int, std::string>> HttpGet(const std::string& path_and_query) {
    return fed_->HttpGet(fed_->primary(), path_and_query, fed_->viewer_token());
  }

  template <typename M>
  absl::StatusOr<M> HttpProto(const std::string& path_and_query) {
    absl::StatusOr<std::pair<int, std::string>> got = HttpGet(path_and_query);
    if (!got.ok()) return got.status();
    if (got->first != 200) {
      return absl::InternalError(StrCat(path_and_query, ": HTTP ", got->first, ": ", got->second));
    }
    M message;
    auto parsed = google::protobuf::util::JsonStringToMessage(got->second, &message);
    if (!parsed.ok()) return absl::InternalError(StrCat("parsing ", got->second));
    return message;
  }

  absl::StatusOr<v1::ListObjectsResponse> ListObjects(const std::string& ns) {
    grpc::ClientContext context;
    v1::ListObjectsRequest request;
    request.set_namespace_(ns);
    v1::ListObjectsResponse response;
    grpc::Status s = api_->ListObjects(&context, request, &response);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return response;
  }

  absl::StatusOr<v1::FederatedObject> GetFederated(const std::string& ns, const std::string& name) {
    absl::StatusOr<v1::ListObjectsResponse> list = ListObjects(ns);
    if (!list.ok()) return list.status();
    for (const v1::FederatedObject& o : list->objects()) {
      if (o.ref().type() == "configmaps" && o.ref().name() == name) return o;
    }
    return absl::NotFoundError(StrCat("configmaps ", ns, "/", name, " not in the status API"));
  }

  Federation* fed_ = nullptr;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FederationStatus::Stub> api_;
};

TEST_F(StatusE2eTest, ClustersAreReadyWithTheirVersionAndHealthIsServing) {
  absl::Status listed = WaitFor("both members Ready in the status API", absl::Seconds(60), [&] {
    grpc::ClientContext context;
    v1::ListClustersResponse clusters;
    grpc::Status s = api_->ListClusters(&context, {}, &clusters);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    for (const std::string& m : Clusters().members) {
      absl::StatusOr<rapidjson::Document> version = KubectlJson(m, {"version"});
      if (!version.ok()) return version.status();
      const std::string want = json::GetString((*version)["serverVersion"], "gitVersion");
      bool found = false;
      for (const v1::Cluster& c : clusters.clusters()) {
        if (c.name() != m) continue;
        found = c.health() == "Ready" && c.reason() == "ClusterReady" &&
                c.kubernetes_version() == want && !c.api_endpoint().empty() &&
                c.last_transition_unix_ms() > 0;
        if (!found) return absl::UnavailableError(StrCat(m, ": ", c.ShortDebugString()));
      }
      if (!found) return absl::NotFoundError(StrCat(m, " not listed"));
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(listed.ok()) << listed;

  // The standard health service says SERVING once the controller is ready (readiness is
  // pushed when the last cache syncs, which may come just after the clusters are listed).
  absl::Status serving = WaitFor("gRPC health SERVING", absl::Seconds(30), [&]() -> absl::Status {
    grpc::ClientContext context;
    kfed::status::testing::HealthCheckRequest request;
    request.set_service("kfed.status.v1.FederationStatus");
    kfed::status::testing::HealthCheckResponse health;
    grpc::Status s = grpc::internal::BlockingUnaryCall(
        channel_.get(),
        grpc::internal::RpcMethod("/grpc.health.v1.Health/Check",
                                  grpc::internal::RpcMethod::NORMAL_RPC),
        &context, request, &health);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    if (health.status() != kfed::status::testing::HealthCheckResponse::SERVING) {
      return absl::UnavailableError(StrCat("health status ", health.status()));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(serving.ok()) << serving;

  // The dashboard's JSON says the same as gRPC.
  absl::Status same = WaitFor("/api/v1/clusters equals ListClusters", absl::Seconds(30), [&] {
    grpc::ClientContext c;
    v1::ListClustersResponse grpc_clusters;
    if (!api_->ListClusters(&c, {}, &grpc_clusters).ok()) return absl::UnavailableError("gRPC");
    absl::StatusOr<v1::ListClustersResponse> http =
        HttpProto<v1::ListClustersResponse>("/api/v1/clusters");
    if (!http.ok()) return http.status();
    if (!google::protobuf::util::MessageDifferencer::Equals(*http, grpc_clusters)) {
      return absl::UnavailableError(
          StrCat("HTTP ", http->ShortDebugString(), "\ngRPC ", grpc_clusters.ShortDebugString()));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(same.ok()) << same;
  absl::StatusOr<v1::GetVersionResponse> version =
      HttpProto<v1::GetVersionResponse>("/api/v1/version");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_FALSE(version->version().empty());
}

TEST_F(StatusE2eTest, PropagationErrorsRenderingAndHttpJson) {
  const std::string ns = fed_->NewNamespace("status");
  const std::string m1 = Clusters().members.at(0), m2 = Clusters().members.at(1);
  const std::string cm = "status-cm";
  auto manifest = [&](const std::string& override_op) {
    return StrCat(R"(apiVersion: types.kubefed.io/v1beta1
kind: FederatedConfigMap
metadata: {name: )",
                  cm, ", namespace: ", ns, R"(}
spec:
  template:
    data: {greeting: hello, color: blue}
  placement:
    clusterSelector: {}
  overrides:
  - clusterName: )",
                  m2, R"(
    clusterOverrides:
)",
                  override_op);
  };
  const std::string good = "    - {path: /data/color, value: red}\n";
  ASSERT_TRUE(Apply(Clusters().host, manifest(good)).ok());

  // Propagated in both members, with a measured latency and the generation.
  absl::Status propagated = WaitFor("Propagated in both members", absl::Seconds(60), [&] {
    absl::StatusOr<v1::FederatedObject> o = GetFederated(ns, cm);
    if (!o.ok()) return o.status();
    for (const std::string& m : {m1, m2}) {
      const v1::ClusterState* c = StateIn(*o, m);
      if (c == nullptr || c->state() != "Propagated" || c->propagation_latency_seconds() <= 0) {
        return absl::UnavailableError(o->ShortDebugString());
      }
    }
    if (o->propagation() != "True" || o->generation() != 1) {
      return absl::UnavailableError(o->ShortDebugString());
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(propagated.ok()) << propagated;

  // At rest the object makes no new revisions: a 5 s long poll from the list's revision brings
  // no event for it (other objects in the federation may still be settling).
  absl::StatusOr<v1::ListObjectsResponse> settled = ListObjects(ns);
  ASSERT_TRUE(settled.ok()) << settled.status();
  absl::StatusOr<std::pair<int, std::string>> quiet =
      HttpGet(StrCat("/api/v1/watch?resume_from=", settled->revision(), "&timeout_seconds=5"));
  ASSERT_TRUE(quiet.ok() && quiet->first == 200) << quiet.status();
  EXPECT_FALSE(absl::StrContains(quiet->second, StrCat("\"namespace\":\"", ns, "\"")))
      << quiet->second;

  // GetObject renders the member object with the cluster's override applied.
  grpc::ClientContext get_context;
  v1::GetObjectRequest get;
  get.mutable_ref()->set_type("configmaps");
  get.mutable_ref()->set_namespace_(ns);
  get.mutable_ref()->set_name(cm);
  get.set_cluster(m2);
  v1::GetObjectResponse detail;
  grpc::Status got = api_->GetObject(&get_context, get, &detail);
  ASSERT_TRUE(got.ok()) << got.error_message();
  EXPECT_EQ(detail.render_error(), "");
  absl::StatusOr<rapidjson::Document> rendered = json::Parse(detail.rendered_json());
  ASSERT_TRUE(rendered.ok()) << detail.rendered_json();
  EXPECT_EQ(json::GetString((*rendered)["data"], "color"), "red");
  EXPECT_EQ(json::GetString((*rendered)["data"], "greeting"), "hello");
  EXPECT_EQ(json::GetString((*rendered)["metadata"]["labels"], "kubefed.io/managed"), "true");
  EXPECT_EQ(json::GetString(*rendered, "kind"), "ConfigMap");
  EXPECT_NE(detail.overrides_json().find("/data/color"), std::string::npos)
      << detail.overrides_json();
  // ... and it is what the member holds.
  absl::StatusOr<rapidjson::Document> live = KubectlJson(m2, {"-n", ns, "get", "configmap", cm});
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(json::GetString((*live)["data"], "color"), "red");

  // The same detail over HTTP.
  absl::StatusOr<v1::GetObjectResponse> http_detail = HttpProto<v1::GetObjectResponse>(
      StrCat("/api/v1/object?type=configmaps&namespace=", ns, "&name=", cm, "&cluster=", m2));
  ASSERT_TRUE(http_detail.ok()) << http_detail.status();
  EXPECT_EQ(http_detail->rendered_json(), detail.rendered_json());
  absl::StatusOr<std::pair<int, std::string>> unknown =
      HttpGet(StrCat("/api/v1/object?type=configmaps&namespace=", ns, "&name=no-such-object"));
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->first, 404);
  EXPECT_TRUE(absl::StrContains(unknown->second, "\"error\"")) << unknown->second;

  // Watch from the list's revision; break the override: the stream shows member2 in Error.
  absl::StatusOr<v1::ListObjectsResponse> list = ListObjects(ns);
  ASSERT_TRUE(list.ok()) << list.status();
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(90));
  v1::WatchRequest watch;
  watch.set_resume_from(list->revision());
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> stream = api_->Watch(&watch_context, watch);
  const std::string bad = "    - {op: remove, path: /data/nope}\n";
  ASSERT_TRUE(Apply(Clusters().host, manifest(bad)).ok());
  v1::WatchEvent event;
  const v1::ClusterState* broken = nullptr;
  while (broken == nullptr && stream->Read(&event)) {
    if (!event.has_object() || event.object().ref().name() != cm) continue;
    const v1::ClusterState* c = StateIn(event.object(), m2);
    if (c != nullptr && c->state() == "Error") broken = c;
  }
  ASSERT_NE(broken, nullptr) << "the watch ended without member2 in Error: "
                             << stream->Finish().error_message();
  EXPECT_EQ(broken->reason(), "ApplyOverridesFailed");
  EXPECT_TRUE(absl::StrContains(broken->message(), "/data/nope")) << broken->message();
  EXPECT_GT(broken->last_transition_unix_ms(), 0);
  const v1::ClusterState* other = StateIn(event.object(), m1);
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other->state(), "Error");
  watch_context.TryCancel();
  (void)stream->Finish();

  // The detail names the render error; the HTTP list filtered on Error has it too.
  grpc::ClientContext broken_context;
  v1::GetObjectResponse broken_detail;
  ASSERT_TRUE(api_->GetObject(&broken_context, get, &broken_detail).ok());
  EXPECT_EQ(broken_detail.rendered_json(), "");
  EXPECT_TRUE(absl::StrContains(broken_detail.render_error(), "/data/nope"))
      << broken_detail.render_error();
  absl::Status errors = WaitFor("HTTP objects?state=Error lists it", absl::Seconds(30), [&] {
    absl::StatusOr<v1::ListObjectsResponse> http = HttpProto<v1::ListObjectsResponse>(
        StrCat("/api/v1/objects?namespace=", ns, "&state=Error"));
    if (!http.ok()) return http.status();
    if (http->objects_size() != 1 || http->objects(0).ref().name() != cm) {
      return absl::UnavailableError(http->ShortDebugString());
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(errors.ok()) << errors;

  // The HTTP list equals the gRPC list (retried until no change falls between the two).
  absl::Status same = WaitFor("/api/v1/objects equals ListObjects", absl::Seconds(30), [&] {
    absl::StatusOr<v1::ListObjectsResponse> grpc_list = ListObjects(ns);
    if (!grpc_list.ok()) return grpc_list.status();
    absl::StatusOr<v1::ListObjectsResponse> http =
        HttpProto<v1::ListObjectsResponse>(StrCat("/api/v1/objects?namespace=", ns));
    if (!http.ok()) return http.status();
    if (!google::protobuf::util::MessageDifferencer::Equals(*http, *grpc_list)) {
      return absl::UnavailableError(
          StrCat("HTTP ", http->ShortDebugString(), "\ngRPC ", grpc_list->ShortDebugString()));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(same.ok()) << same;

  // The HTTP long poll: from the current revision, fixing the override ends it with the change.
  absl::StatusOr<std::pair<int, std::string>> first = HttpGet("/api/v1/watch?resume_from=0");
  ASSERT_TRUE(first.ok() && first->first == 200) << first.status();
  absl::StatusOr<rapidjson::Document> first_doc = json::Parse(first->second);
  ASSERT_TRUE(first_doc.ok());
  std::string revision = json::GetString(*first_doc, "revision");
  ASSERT_TRUE(Apply(Clusters().host, manifest(good)).ok());
  absl::Status healed = WaitFor(
      "the long poll shows member2 Propagated again", absl::Seconds(60), [&]() -> absl::Status {
        absl::StatusOr<std::pair<int, std::string>> poll =
            HttpGet(StrCat("/api/v1/watch?resume_from=", revision, "&timeout_seconds=20"));
        if (!poll.ok()) return poll.status();
        if (poll->first != 200) return absl::InternalError(poll->second);
        absl::StatusOr<rapidjson::Document> doc = json::Parse(poll->second);
        if (!doc.ok()) return doc.status();
        revision = json::GetString(*doc, "revision");
        for (const rapidjson::Value& e : (*doc)["events"].GetArray()) {
          const rapidjson::Value* o = json::Find(e, "object");
          if (o == nullptr || json::GetString((*o)["ref"], "name") != cm) continue;
          for (const rapidjson::Value& c : (*o)["clusters"].GetArray()) {
            if (json::GetString(c, "cluster") == m2 &&
                json::GetString(c, "state") == "Propagated") {
              return absl::OkStatus();
            }
          }
        }
        return absl::UnavailableError(poll->second);
      });
  EXPECT_TRUE(healed.ok()) << healed;
  absl::StatusOr<std::pair<int, std::string>> gone =
      HttpGet("/api/v1/watch?resume_from=1&timeout_seconds=0");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->first, 410) << gone->second;

  // Deleting the federated object removes it from the status API.
  ASSERT_TRUE(Kubectl(Clusters().host, {"-n", ns, "delete", "federatedconfigmap", cm}).ok());
  absl::Status removed = WaitFor("the object leaves the status API", absl::Seconds(60), [&] {
    absl::StatusOr<v1::FederatedObject> o = GetFederated(ns, cm);
    if (absl::IsNotFound(o.status())) return absl::OkStatus();
    return o.ok() ? absl::UnavailableError(o->ShortDebugString()) : o.status();
  });
  EXPECT_TRUE(removed.ok()) << removed;
}

}  // namespace
}  // namespace kfed::e2e
