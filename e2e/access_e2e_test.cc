// Who can see what, on the real clusters (kfed-controller-manager serving TLS with its
// self-signed certificate, as by default):
//   - no token, a wrong one, another scheme or a huge header: 401 on the dashboard's API and
//     on /metrics, UNAUTHENTICATED on gRPC; the controller keeps serving;
//   - a ServiceAccount allowed `get`/`list` on FederatedConfigMaps in namespace A only sees
//     A's objects in list, get and watch (HTTP and gRPC), no clusters, and gets 403 /
//     PERMISSION_DENIED for namespace B's object, the clusters and /metrics;
//   - a FederatedSecret's values (template and override) reach the members but the status
//     API shows "[redacted: N bytes]" in their place;
//   - the controller's certificate is what a client must trust: without its CA, no answer.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"
#include "status/status.grpc.pb.h"

namespace kfed::e2e {
namespace {

namespace v1 = ::kfed::status::v1;
using ::absl::StrCat;

class AccessE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    fed_ = &Federation::Get();
    ASSERT_GT(fed_->primary().pid, 0) << "the controller is not running";
    ASSERT_FALSE(fed_->primary().ca_file.empty()) << "the controller serves TLS by default";
  }

  // A FederatedConfigMap `name` in `ns` on every member, Propagated in the status API.
  void FederateConfigMap(const std::string& ns, const std::string& name) {
    ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: types.kubefed.io/v1beta1\n"
                                     "kind: FederatedConfigMap\nmetadata: {name: ",
                                     name, ", namespace: ", ns,
                                     "}\nspec:\n  template:\n    data: {a: b}\n"
                                     "  placement:\n    clusterSelector: {}\n"))
                    .ok());
    absl::Status seen = WaitFor("the status API lists it", absl::Seconds(60), [&] {
      absl::StatusOr<std::pair<int, std::string>> got =
          Get(StrCat("/api/v1/objects?namespace=", ns), fed_->viewer_token());
      if (!got.ok()) return got.status();
      return absl::StrContains(got->second, StrCat("\"name\":\"", name, "\""))
                 ? absl::OkStatus()
                 : absl::UnavailableError(got->second);
    });
    ASSERT_TRUE(seen.ok()) << seen;
  }

  absl::StatusOr<std::pair<int, std::string>> Get(const std::string& path,
                                                  const std::string& token) {
    return fed_->HttpGet(fed_->primary(), path, token);
  }

  std::unique_ptr<v1::FederationStatus::Stub> Stub(const std::string& token) {
    return v1::FederationStatus::NewStub(fed_->StatusChannel(fed_->primary(), token));
  }

  Federation* fed_ = nullptr;
};

TEST_F(AccessE2eTest, NoTokenOrABadOneIsRejected) {
  const std::vector<std::string> paths = {"/api/v1/objects", "/api/v1/clusters",
                                          "/api/v1/watch?resume_from=0", "/api/v1/version",
                                          "/metrics"};
  for (const std::string& path : paths) {
    absl::StatusOr<std::pair<int, std::string>> none = Get(path, "");
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_EQ(none->first, 401) << path << ": " << none->second;
    EXPECT_NE(none->second.find("no bearer token"), std::string::npos) << none->second;
    absl::StatusOr<std::pair<int, std::string>> wrong = Get(path, "not-a-valid-token-0123456789");
    ASSERT_TRUE(wrong.ok()) << wrong.status();
    EXPECT_EQ(wrong->first, 401) << path << ": " << wrong->second;
    EXPECT_NE(wrong->second.find("invalid bearer token"), std::string::npos) << wrong->second;
  }
  // Another scheme, a malformed header and a huge one: clear errors, and nothing breaks.
  const std::string url = fed_->primary().MetricsUrl() + "/api/v1/objects";
  for (const std::string& header :
       {std::string("Authorization: Basic dXNlcjpwYXNz"), std::string("Authorization: Bearer"),
        std::string("Authorization: Bearer a b"),
        "Authorization: Bearer " + std::string(7000, 'x'),
        "Authorization: Bearer " + std::string(70000, 'x')}) {
    absl::StatusOr<std::string> out =
        ::kfed::e2e::Run({"curl", "-s", "--max-time", "30", "--cacert", fed_->primary().ca_file, "-H", header,
             "-o", "/dev/null", "-w", "%{http_code}", url});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_TRUE(*out == "401" || *out == "400" || *out == "431") << header.substr(0, 40) << " "
                                                                  << *out;
  }
  absl::StatusOr<std::pair<int, std::string>> still = Get("/api/v1/version", fed_->viewer_token());
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(still->first, 200) << still->second;

  for (const std::string& token : {std::string(), std::string("not-a-valid-token-0123456789")}) {
    auto stub = Stub(token);
    grpc::ClientContext c1, c2, c3;
    v1::ListObjectsResponse objects;
    grpc::Status listed = stub->ListObjects(&c1, {}, &objects);
    EXPECT_EQ(listed.error_code(), grpc::StatusCode::UNAUTHENTICATED) << listed.error_message();
    v1::GetVersionResponse version;
    EXPECT_EQ(stub->GetVersion(&c2, {}, &version).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    auto reader = stub->Watch(&c3, {});
    v1::WatchEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }

  // A client that does not trust the controller's CA gets no answer at all.
  absl::StatusOr<std::string> untrusted = ::kfed::e2e::Run({"curl", "-s", "--max-time", "10", "-o",
                                               "/dev/null", "-w", "%{http_code}", url});
  EXPECT_TRUE(!untrusted.ok() || *untrusted == "000")
      << (untrusted.ok() ? *untrusted : untrusted.status().ToString());
}

TEST_F(AccessE2eTest, ANamespaceReaderSeesItsNamespaceOnly) {
  const std::string a = fed_->NewNamespace("access-a");
  const std::string b = fed_->NewNamespace("access-b");
  FederateConfigMap(a, "in-a");
  FederateConfigMap(b, "in-b");
  // The reader: a ServiceAccount in A with a Role on FederatedConfigMaps in A.
  ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: reader, "
                                   "namespace: ",
                                   a,
                                   "}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
                                   "metadata: {name: read-federated-configmaps, namespace: ",
                                   a,
                                   "}\nrules:\n- apiGroups: [types.kubefed.io]\n  resources: "
                                   "[federatedconfigmaps]\n  verbs: [get, list]\n---\n"
                                   "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
                                   "metadata: {name: reader, namespace: ",
                                   a,
                                   "}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, "
                                   "name: read-federated-configmaps}\nsubjects:\n- {kind: "
                                   "ServiceAccount, name: reader, namespace: ",
                                   a, "}\n"))
                  .ok());
  absl::StatusOr<std::string> token = fed_->CreateToken(a, "reader");
  ASSERT_TRUE(token.ok()) << token.status();

  // HTTP: whoami, list, get, watch.
  absl::StatusOr<std::pair<int, std::string>> whoami = Get("/api/v1/whoami", *token);
  ASSERT_TRUE(whoami.ok()) << whoami.status();
  EXPECT_EQ(whoami->first, 200);
  EXPECT_NE(whoami->second.find(StrCat("system:serviceaccount:", a, ":reader")), std::string::npos)
      << whoami->second;
  absl::StatusOr<std::pair<int, std::string>> list = Get("/api/v1/objects", *token);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->first, 200);
  EXPECT_NE(list->second.find("\"name\":\"in-a\""), std::string::npos) << list->second;
  EXPECT_EQ(list->second.find("\"name\":\"in-b\""), std::string::npos) << list->second;
  EXPECT_EQ(list->second.find(StrCat("\"namespace\":\"", b, "\"")), std::string::npos);
  absl::StatusOr<std::pair<int, std::string>> mine =
      Get(StrCat("/api/v1/object?type=configmaps&namespace=", a, "&name=in-a&cluster=", Member(0)),
          *token);
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(mine->first, 200) << mine->second;
  EXPECT_NE(mine->second.find("renderedJson"), std::string::npos);
  absl::StatusOr<std::pair<int, std::string>> theirs =
      Get(StrCat("/api/v1/object?type=configmaps&namespace=", b, "&name=in-b"), *token);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(theirs->first, 403) << theirs->second;
  absl::StatusOr<rapidjson::Document> error = json::Parse(theirs->second);
  ASSERT_TRUE(error.ok()) << theirs->second;
  EXPECT_EQ(json::GetString(*error, "error"),
            StrCat("user \"system:serviceaccount:", a,
                   ":reader\" may not get federatedconfigmaps.types.kubefed.io \"in-b\" in "
                   "namespace \"",
                   b, "\""));
  absl::StatusOr<std::pair<int, std::string>> watch = Get("/api/v1/watch?resume_from=0", *token);
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(watch->first, 200);
  EXPECT_NE(watch->second.find("\"name\":\"in-a\""), std::string::npos);
  EXPECT_EQ(watch->second.find("\"name\":\"in-b\""), std::string::npos);
  EXPECT_EQ(watch->second.find("\"cluster\":{"), std::string::npos) << "clusters need RBAC";
  for (const char* forbidden : {"/api/v1/clusters", "/metrics"}) {
    absl::StatusOr<std::pair<int, std::string>> got = Get(forbidden, *token);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->first, 403) << forbidden << ": " << got->second;
  }
  // The viewer (kfed-status-viewer) sees both namespaces, the clusters and /metrics.
  absl::StatusOr<std::pair<int, std::string>> all = Get("/api/v1/objects", fed_->viewer_token());
  ASSERT_TRUE(all.ok());
  EXPECT_NE(all->second.find("\"name\":\"in-b\""), std::string::npos);
  EXPECT_EQ(Get("/api/v1/clusters", fed_->viewer_token())->first, 200);

  // gRPC: the same rules.
  auto stub = Stub(*token);
  grpc::ClientContext c1, c2, c3, c4;
  v1::ListObjectsResponse objects;
  ASSERT_TRUE(stub->ListObjects(&c1, {}, &objects).ok());
  std::vector<std::string> names;
  for (const v1::FederatedObject& o : objects.objects()) names.push_back(o.ref().name());
  EXPECT_EQ(names, (std::vector<std::string>{"in-a"}));
  v1::GetObjectRequest get;
  get.mutable_ref()->set_type("configmaps");
  get.mutable_ref()->set_namespace_(b);
  get.mutable_ref()->set_name("in-b");
  v1::GetObjectResponse object;
  EXPECT_EQ(stub->GetObject(&c2, get, &object).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ListClustersResponse clusters;
  EXPECT_EQ(stub->ListClusters(&c3, {}, &clusters).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto reader = stub->Watch(&c4, {});
  v1::WatchEvent event;
  std::vector<std::string> watched;
  while (reader->Read(&event) && event.type() != v1::WatchEvent::BOOKMARK) {
    EXPECT_FALSE(event.has_cluster()) << event.ShortDebugString();
    if (event.has_object()) watched.push_back(event.object().ref().name());
  }
  EXPECT_EQ(watched, (std::vector<std::string>{"in-a"}));
  // A change in B after the initial state is not sent; one in A is.
  FederateConfigMap(b, "later-in-b");
  FederateConfigMap(a, "later-in-a");
  std::string next;
  while (reader->Read(&event)) {
    if (event.has_object()) {
      next = event.object().ref().name();
      if (next == "later-in-a" || next == "later-in-b") break;
    }
  }
  EXPECT_EQ(next, "later-in-a");
  c4.TryCancel();
  reader->Finish();
}

TEST_F(AccessE2eTest, SecretValuesAreRedacted) {
  const std::string ns = fed_->NewNamespace("access-secret");
  const std::string value = StrCat("hunter2-", UniqueName("v"), "-TOPSECRET");
  const std::string override_value = StrCat("hunter3-", UniqueName("v"), "-TOPSECRET");
  ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedSecret\n"
                                   "metadata: {name: db, namespace: ",
                                   ns, "}\nspec:\n  template:\n    stringData: {password: ", value,
                                   "}\n  placement:\n    clusterSelector: {}\n  overrides:\n"
                                   "  - clusterName: ",
                                   Member(1),
                                   "\n    clusterOverrides:\n    - {path: /stringData/extra, "
                                   "value: ",
                                   override_value, "}\n"))
                  .ok());
  // The members hold the values (kfed delivers them where they belong).
  absl::Status delivered = fed_->WaitForObject(
      Member(1), {"secret", "db", "-n", ns}, [&](const rapidjson::Value& s) -> absl::Status {
        std::string got;
        const rapidjson::Value* extra = json::FindPath(s, {"data", "extra"});
        if (extra == nullptr || !absl::Base64Unescape(extra->GetString(), &got) ||
            got != override_value) {
          return absl::UnavailableError("no override yet");
        }
        return absl::OkStatus();
      });
  ASSERT_TRUE(delivered.ok()) << delivered;
  // The status API shows keys and sizes, never the values.
  absl::StatusOr<std::pair<int, std::string>> got =
      Get(StrCat("/api/v1/object?type=secrets&namespace=", ns, "&name=db&cluster=", Member(1)),
          fed_->viewer_token());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->first, 200) << got->second;
  EXPECT_EQ(got->second.find("TOPSECRET"), std::string::npos) << got->second;
  EXPECT_NE(got->second.find(StrCat("[redacted: ", value.size(), " bytes]")), std::string::npos)
      << got->second;
  EXPECT_NE(got->second.find(StrCat("[redacted: ", override_value.size(), " bytes]")),
            std::string::npos)
      << got->second;
  grpc::ClientContext context;
  v1::GetObjectRequest request;
  request.mutable_ref()->set_type("secrets");
  request.mutable_ref()->set_namespace_(ns);
  request.mutable_ref()->set_name("db");
  request.set_cluster(Member(1));
  v1::GetObjectResponse response;
  grpc::Status rendered = Stub(fed_->viewer_token())->GetObject(&context, request, &response);
  ASSERT_TRUE(rendered.ok()) << rendered.error_message();
  EXPECT_NE(response.rendered_json().find("\"password\""), std::string::npos);
  EXPECT_EQ(response.rendered_json().find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(response.overrides_json().find("TOPSECRET"), std::string::npos);
  EXPECT_TRUE(Kubectl(Host(), {"delete", "federatedsecret", "db", "-n", ns}).ok());
}

}  // namespace
}  // namespace kfed::e2e
