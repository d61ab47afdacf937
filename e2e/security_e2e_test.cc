// Security checks on the real clusters:
//   - no credential the e2e run used (the member ServiceAccount tokens and the controller's
//     token in the host's Secrets, the admin keys in the kubeconfig, a Secret propagated by
//     a FederatedSecret, a wrong token given to a KubeFedCluster) appears in the controller's
//     logs (every kfed-controller-manager log of the run directory, this one at -v=4), in the
//     host's Events, in the status of any federated object, KubeFedCluster,
//     FederatedTypeConfig or PropagatedVersion, on /metrics, or in what the status API and
//     the dashboard serve (its JSON API's lists, watch and rendered objects, gRPC's
//     ListObjects, GetObject and Watch, the dashboard's pages); the scan is shown to find a
//     planted token first;
//   - the controller runs with exactly config/rbac/host/ in the host and the members grant
//     only what `kfedctl join` creates (least-privilege mode, the fixture's default).
// hack/test.sh runs this suite after the other e2e suites (tag e2e_last) so that their logs
// are scanned too.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/json.h"
#include "base/testing.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"
#include "google/protobuf/util/json_util.h"
#include "status/status.grpc.pb.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;
using ::kfed::testing::ReadTextFileOrFail;
using ::kfed::testing::TempPath;

// A credential to look for: its label (never the value) and its value.
struct Needle {
  std::string label;
  std::string value;
};

// Text to look in, and where it came from.
struct Haystack {
  std::string where;
  std::string text;
};

// Shorter strings could occur by chance (and no real credential is that short).
constexpr size_t kMinNeedle = 20;

void AddNeedle(std::vector<Needle>& needles, const std::string& label, const std::string& value) {
  std::string v(absl::StripAsciiWhitespace(value));
  if (v.size() >= kMinNeedle) needles.push_back({label, v});
}

// A base64 secret (a Secret's data value, a kubeconfig's *-data field): the encoded form and
// the decoded one; for a PEM key, each base64 line of its body too (a log may hold a line).
void AddEncodedNeedle(std::vector<Needle>& needles, const std::string& label,
                      const std::string& b64) {
  AddNeedle(needles, label + " (base64)", b64);
  std::string decoded;
  if (!absl::Base64Unescape(b64, &decoded)) return;
  AddNeedle(needles, label, decoded);
  if (absl::StartsWith(decoded, "-----BEGIN")) {
    for (absl::string_view line : absl::StrSplit(decoded, '\n')) {
      if (!absl::StartsWith(line, "-----"))
        AddNeedle(needles, label + " (PEM line)", std::string(line));
    }
  }
}

// Every needle found in every haystack, as "<label> in <where>" (values are never printed).
std::vector<std::string> FindCredentials(const std::vector<Haystack>& haystacks,
                                         const std::vector<Needle>& needles) {
  std::vector<std::string> found;
  for (const Haystack& h : haystacks) {
    for (const Needle& n : needles) {
      if (absl::StrContains(h.text, n.value)) found.push_back(StrCat(n.label, " in ", h.where));
    }
  }
  return found;
}

class SecurityE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The most detailed logs the controller writes, for the credential scan.
    setenv("KFED_E2E_CONTROLLER_VERBOSITY", "4", 1);
  }
  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    fed_ = &Federation::Get();
    ASSERT_GT(fed_->primary().pid, 0) << "the controller is not running";
  }

  // The credentials the run used: every Secret's data in the host's federation namespace
  // (member tokens, the controller's token), and the kubeconfigs' keys and tokens.
  std::vector<Needle> RunCredentials() {
    std::vector<Needle> needles;
    auto secrets = KubectlJson(Host(), {"get", "secrets", "-n", kFedNamespace});
    EXPECT_TRUE(secrets.ok()) << secrets.status();
    if (secrets.ok()) {
      for (const rapidjson::Value& s : (*secrets)["items"].GetArray()) {
        const rapidjson::Value* data = json::Find(s, "data");
        if (data == nullptr || !data->IsObject()) continue;
        for (const auto& m : data->GetObject()) {
          // A token Secret also holds the cluster's CA and its namespace: public.
          const std::string key = m.name.GetString();
          if (!m.value.IsString() || key == "ca.crt" || key == "namespace") continue;
          AddEncodedNeedle(needles,
                           StrCat("host Secret ", json::GetString(s["metadata"], "name"), " key ",
                                  m.name.GetString()),
                           m.value.GetString());
        }
      }
    }
    for (const std::string& path : {Clusters().kubeconfig, fed_->controller_kubeconfig()}) {
      auto view = ::kfed::e2e::Run({Clusters().kube_bin + "/kubectl", "--kubeconfig", path,
                                    "config", "view", "--raw", "-o", "json"});
      EXPECT_TRUE(view.ok()) << view.status();
      if (!view.ok()) continue;
      auto doc = json::Parse(*view);
      if (!doc.ok() || !doc->HasMember("users")) continue;
      for (const rapidjson::Value& u : (*doc)["users"].GetArray()) {
        const std::string who = StrCat("kubeconfig ", path, " user ", json::GetString(u, "name"));
        const rapidjson::Value* user = json::Find(u, "user");
        if (user == nullptr) continue;
        AddNeedle(needles, who + " token", json::GetString(*user, "token"));
        const std::string key = json::GetString(*user, "client-key-data");
        if (!key.empty()) AddEncodedNeedle(needles, who + " client key", key);
      }
    }
    return needles;
  }

  // Where credentials must never show: the controller logs of the run, the host's Events,
  // the status of everything kfed writes status to, and /metrics.
  std::vector<Haystack> Exposures() {
    std::vector<Haystack> haystacks;
    for (const std::string& log : ControllerLogs())
      haystacks.push_back({log, ReadTextFileOrFail(log)});
    auto events = Kubectl(Host(), {"get", "events", "-A", "-o", "json"});
    EXPECT_TRUE(events.ok()) << events.status();
    if (events.ok()) haystacks.push_back({"host Events", *events});
    std::vector<std::string> kinds = {
        "kubefedclusters.core.kubefed.io", "federatedtypeconfigs.core.kubefed.io",
        "propagatedversions.core.kubefed.io", "clusterpropagatedversions.core.kubefed.io"};
    auto ftcs = KubectlJson(Host(), {"get", "federatedtypeconfigs", "-A"});
    EXPECT_TRUE(ftcs.ok()) << ftcs.status();
    if (ftcs.ok()) {
      for (const rapidjson::Value& ftc : (*ftcs)["items"].GetArray()) {
        const rapidjson::Value* t = json::FindPath(ftc, {"spec", "federatedType"});
        if (t == nullptr) continue;
        kinds.push_back(
            StrCat(json::GetString(*t, "pluralName"), ".", json::GetString(*t, "group")));
      }
    }
    for (const std::string& kind : kinds) {
      auto list = KubectlJson(Host(), {"get", kind, "-A"});
      if (!list.ok()) continue;  // e.g. a type whose CRD a test removed
      std::string statuses;
      for (const rapidjson::Value& o : (*list)["items"].GetArray()) {
        if (o.HasMember("status")) absl::StrAppend(&statuses, json::Serialize(o["status"]), "\n");
      }
      haystacks.push_back({StrCat("status of every ", kind), statuses});
    }
    auto metrics = fed_->Metrics(fed_->primary());
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    if (metrics.ok()) haystacks.push_back({"/metrics", *metrics});
    return haystacks;
  }

  // What the status API, the dashboard and kfedctl status serve about federated object
  // `type` `ns`/`name` (rendered for each member), as the viewer (who may read everything)
  // gets it.
  std::vector<Haystack> ApiExposures(const std::string& type, const std::string& ns,
                                     const std::string& name) {
    namespace v1 = ::kfed::status::v1;
    std::vector<Haystack> haystacks;
    std::vector<std::string> paths = {"/", "/app.js", "/api/v1/objects",
                                      "/api/v1/watch?resume_from=0"};
    for (const std::string& m : Clusters().members) {
      paths.push_back(StrCat("/api/v1/object?type=", type, "&namespace=", ns, "&name=", name,
                             "&cluster=", m));
    }
    for (const std::string& path : paths) {
      absl::StatusOr<std::pair<int, std::string>> got =
          fed_->HttpGet(fed_->primary(), path, fed_->viewer_token());
      EXPECT_TRUE(got.ok() && got->first == 200)
          << path << ": " << (got.ok() ? got->second : got.status().ToString());
      if (got.ok()) haystacks.push_back({StrCat("dashboard GET ", path), got->second});
    }
    auto stub = v1::FederationStatus::NewStub(
        fed_->StatusChannel(fed_->primary(), fed_->viewer_token()));
    auto text = [](const google::protobuf::Message& m) {
      std::string out;
      (void)google::protobuf::util::MessageToJsonString(m, &out);
      return out;
    };
    {
      grpc::ClientContext c;
      v1::ListObjectsResponse objects;
      EXPECT_TRUE(stub->ListObjects(&c, {}, &objects).ok());
      haystacks.push_back({"gRPC ListObjects", text(objects)});
    }
    for (const std::string& m : Clusters().members) {
      grpc::ClientContext c;
      v1::GetObjectRequest request;
      request.mutable_ref()->set_type(type);
      request.mutable_ref()->set_namespace_(ns);
      request.mutable_ref()->set_name(name);
      request.set_cluster(m);
      v1::GetObjectResponse object;
      grpc::Status got = stub->GetObject(&c, request, &object);
      EXPECT_TRUE(got.ok()) << got.error_message();
      haystacks.push_back({StrCat("gRPC GetObject ", type, " on ", m), text(object)});
    }
    grpc::ClientContext c;
    auto reader = stub->Watch(&c, {});
    v1::WatchEvent event;
    std::string events;
    while (reader->Read(&event) && event.type() != v1::WatchEvent::BOOKMARK) {
      absl::StrAppend(&events, text(event), "\n");
    }
    c.TryCancel();
    reader->Finish();
    haystacks.push_back({"gRPC Watch", events});
    for (const char* output : {"json", "yaml"}) {
      absl::StatusOr<std::string> status = fed_->Kfedctl(
          {"status", "--status-addr", StrCat("127.0.0.1:", fed_->primary().status_port),
           "--status-ca-file", fed_->primary().ca_file, "--token-file",
           WriteTokenFile("viewer", fed_->viewer_token()), "-n", ns, "-o", output});
      EXPECT_TRUE(status.ok()) << status.status();
      if (status.ok()) haystacks.push_back({StrCat("kfedctl status -o ", output), *status});
    }
    return haystacks;
  }

  Federation* fed_ = nullptr;
};

// The scan finds a token planted where the real scan looks: in a host Event, in a copy of a
// controller log, and in a federated ConfigMap (not sensitive: the status API shows its
// values) through the status API and the dashboard's API. Without this, a scan that looked
// nowhere would pass.
TEST_F(SecurityE2eTest, ScanFindsAPlantedToken) {
  const std::string planted = StrCat("planted-token-", UniqueName("x"), "-0123456789abcdef");
  std::vector<Needle> needles = {{"planted token", planted}};
  const std::string ns = fed_->NewNamespace("planted", /*federate=*/false);
  const std::string event = UniqueName("planted");
  ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: v1\nkind: Event\nmetadata: {name: ", event,
                                   ", namespace: ", ns,
                                   "}\ninvolvedObject: {kind: ConfigMap, name: x, namespace: ", ns,
                                   "}\nreason: Planted\nmessage: \"Authorization: Bearer ", planted,
                                   "\"\ntype: Warning\n"))
                  .ok());
  const std::string log_copy = TempPath(StrCat("planted-", getpid(), ".log"));
  {
    std::ofstream out(log_copy);
    out << ReadTextFileOrFail(fed_->primary().log) << "W0000 transport.cc] request with token "
        << planted << "\n";
  }
  const std::string api_ns = fed_->NewNamespace("planted-api");
  ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: types.kubefed.io/v1beta1\n"
                                   "kind: FederatedConfigMap\nmetadata: {name: planted, "
                                   "namespace: ",
                                   api_ns, "}\nspec:\n  template:\n    data: {token: ", planted,
                                   "}\n  placement:\n    clusters: [{name: ", Member(0), "}]\n"))
                  .ok());
  ASSERT_TRUE(fed_->WaitForObject(Member(0), {"configmap", "planted", "-n", api_ns},
                                  [](const rapidjson::Value&) { return absl::OkStatus(); })
                  .ok());
  std::vector<Haystack> haystacks = Exposures();
  haystacks.push_back({log_copy, ReadTextFileOrFail(log_copy)});
  for (Haystack& h : ApiExposures("configmaps", api_ns, "planted")) haystacks.push_back(h);
  std::vector<std::string> found = FindCredentials(haystacks, needles);
  EXPECT_EQ(found,
            (std::vector<std::string>{
                "planted token in host Events", StrCat("planted token in ", log_copy),
                StrCat("planted token in dashboard GET /api/v1/object?type=configmaps&namespace=",
                       api_ns, "&name=planted&cluster=", Member(0)),
                StrCat("planted token in gRPC GetObject configmaps on ", Member(0))}));
  (void)Kubectl(Host(), {"delete", "namespace", api_ns, "--wait=false"});
  EXPECT_TRUE(Kubectl(Host(), {"delete", "event", event, "-n", ns}).ok());
  (void)Kubectl(Host(), {"delete", "namespace", ns, "--wait=false"});
}

// A full propagation cycle at -v=4 with credentials in play (a FederatedSecret, a
// KubeFedCluster with a wrong token, a token rotation), then the scan: no credential appears
// anywhere.
TEST_F(SecurityE2eTest, NoCredentialInLogsEventsStatusOrMetrics) {
  const std::string ns = fed_->NewNamespace("secrets");
  const std::string secret_value = StrCat("kfed-secret-value-", UniqueName("s"), "-do-not-log");
  const std::string both =
      StrCat("    clusters:\n    - name: ", Member(0), "\n    - name: ", Member(1), "\n");
  // A FederatedSecret (created, updated with an override, deleted), and an object that fails.
  ASSERT_TRUE(Apply(Host(), StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedSecret\n"
                                   "metadata: {name: creds, namespace: ",
                                   ns, "}\nspec:\n  template:\n    stringData: {password: ",
                                   secret_value, "}\n  placement:\n", both))
                  .ok());
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(fed_->WaitForObject(Member(i), {"secret", "creds", "-n", ns},
                                    [](const rapidjson::Value&) { return absl::OkStatus(); })
                    .ok());
  }
  ASSERT_TRUE(
      Apply(Host(), StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedSecret\n"
                           "metadata: {name: creds, namespace: ",
                           ns, "}\nspec:\n  template:\n    stringData: {password: ", secret_value,
                           "}\n  placement:\n", both, "  overrides:\n  - clusterName: ", Member(1),
                           "\n    clusterOverrides:\n    - {path: /stringData/extra, value: ",
                           secret_value, "-2}\n    - {path: /type, value: 7}\n"))
          .ok());
  // A KubeFedCluster with a wrong token: 401s from the member, at -v=4.
  const std::string wrong_token = StrCat("wrong-token-", UniqueName("t"), "-0123456789");
  auto view = KubectlJson(Member(0), {"config", "view", "--raw", "--minify", "--flatten"});
  ASSERT_TRUE(view.ok()) << view.status();
  const rapidjson::Value& cluster = (*view)["clusters"][0]["cluster"];
  const std::string bad = UniqueName("bad-token");
  absl::Cleanup remove_bad = [&] {
    (void)Kubectl(Host(), {"delete", "kubefedcluster", bad, "-n", kFedNamespace});
    (void)Kubectl(Host(), {"delete", "secret", bad + "-secret", "-n", kFedNamespace});
  };
  ASSERT_TRUE(
      Apply(Host(), StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: ", bad,
                           "-secret, namespace: ", kFedNamespace,
                           "}\ndata: {token: ", absl::Base64Escape(wrong_token),
                           "}\n---\napiVersion: core.kubefed.io/v1beta1\nkind: "
                           "KubeFedCluster\nmetadata: {name: ",
                           bad, ", namespace: ", kFedNamespace,
                           "}\nspec:\n  apiEndpoint: ", json::GetString(cluster, "server"),
                           "\n  caBundle: ", json::GetString(cluster, "certificate-authority-data"),
                           "\n  secretRef: {name: ", bad, "-secret}\n"))
          .ok());
  ASSERT_TRUE(fed_->WaitForObject(
                      Host(), {"kubefedcluster", bad, "-n", kFedNamespace},
                      [](const rapidjson::Value& kfc) -> absl::Status {
                        const rapidjson::Value* c = json::FindPath(kfc, {"status", "conditions"});
                        return c != nullptr && c->IsArray() && !c->Empty()
                                   ? absl::OkStatus()
                                   : absl::UnavailableError("no conditions");
                      })
                  .ok());
  // The failing update (type 7 is not a string) and the other member's success are reported.
  absl::Status reported =
      fed_->WaitForObject(Host(), {"federatedsecret", "creds", "-n", ns},
                          [&](const rapidjson::Value& o) -> absl::Status {
                            const rapidjson::Value* c = ClusterStatus(o, Member(1));
                            return c != nullptr && json::GetString(*c, "status") == "UpdateFailed"
                                       ? absl::OkStatus()
                                       : absl::UnavailableError("not UpdateFailed yet");
                          });
  EXPECT_TRUE(reported.ok()) << reported;
  // What the status API and the dashboard serve while the Secret and its override exist.
  std::vector<Haystack> api = ApiExposures("secrets", ns, "creds");
  ASSERT_TRUE(
      Kubectl(Host(), {"delete", "federatedsecret", "creds", "-n", ns, "--wait=false"}).ok());
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(fed_->WaitForAbsent(Member(i), {"secret", "creds", "-n", ns}).ok());
  EXPECT_TRUE(fed_->WaitForAbsent(Host(), {"federatedsecret", "creds", "-n", ns}).ok());

  std::vector<Needle> needles = RunCredentials();
  AddNeedle(needles, "the FederatedSecret's value", secret_value);
  AddNeedle(needles, "the FederatedSecret's value (base64)", absl::Base64Escape(secret_value));
  AddNeedle(needles, "the wrong token given to a KubeFedCluster", wrong_token);
  size_t tokens = 0;
  for (const Needle& n : needles) tokens += absl::StrContains(n.label, "key token") ? 1 : 0;
  EXPECT_GE(tokens, Clusters().members.size()) << "the member tokens were not collected";
  std::vector<Haystack> haystacks = Exposures();
  haystacks.insert(haystacks.end(), api.begin(), api.end());
  size_t bytes = 0;
  for (const Haystack& h : haystacks) bytes += h.text.size();
  std::vector<std::string> found = FindCredentials(haystacks, needles);
  EXPECT_TRUE(found.empty()) << "credentials exposed:\n" << absl::StrJoin(found, "\n");
  std::cout << "scanned " << haystacks.size() << " sources (" << bytes << " bytes, "
            << ControllerLogs().size() << " controller logs) for " << needles.size()
            << " credential strings: " << found.size() << " found\n";
}

// The controller runs as the ServiceAccount of config/rbac/host/ (no admin credential in
// its kubeconfig), which may do what the controller needs and nothing more; the members'
// ServiceAccounts (from `kfedctl join`) may touch the federated types and nothing else.
TEST_F(SecurityE2eTest, ControllerAndMembersHaveLeastPrivilege) {
  if (fed_->privileges() != Privileges::kLeast) GTEST_SKIP() << "KFED_E2E_PRIVILEGES=admin";
  const std::string kubeconfig = ReadTextFileOrFail(fed_->controller_kubeconfig());
  EXPECT_NE(fed_->controller_kubeconfig(), Clusters().kubeconfig);
  EXPECT_FALSE(absl::StrContains(kubeconfig, "client-key")) << "the controller holds a key";
  EXPECT_TRUE(absl::StrContains(kubeconfig, "token: "));

  auto can = [](const std::string& context, const std::string& who,
                const std::vector<std::string>& what) {
    std::vector<std::string> args = {"auth", "can-i", "--as", who};
    args.insert(args.end(), what.begin(), what.end());
    absl::StatusOr<std::string> out = Kubectl(context, args);
    // `kubectl auth can-i` exits 1 for "no".
    return out.ok() && absl::StripAsciiWhitespace(*out) == "yes";
  };
  const std::string controller =
      StrCat("system:serviceaccount:", kFedNamespace, ":", kControllerServiceAccount);
  struct Check {
    std::vector<std::string> what;
    bool allowed;
  };
  const std::vector<Check> host_checks = {
      {{"list", "federatedconfigmaps.types.kubefed.io", "-A"}, true},
      {{"update", "federateddeployments.types.kubefed.io", "--subresource=status", "-n", "any"},
       true},
      {{"update", "kubefedclusters.core.kubefed.io", "--subresource=status", "-n", kFedNamespace},
       true},
      {{"watch", "secrets", "-n", kFedNamespace}, true},
      {{"create", "events", "-n", "any"}, true},
      {{"watch", "replicaschedulingpreferences.scheduling.kubefed.io", "-A"}, true},
      {{"patch", "federateddeployments.types.kubefed.io", "-n", "any"}, true},
      {{"patch", "federatedconfigmaps.types.kubefed.io", "-n", "any"}, false},
      {{"update", "replicaschedulingpreferences.scheduling.kubefed.io", "-n", "any"}, false},
      // The status controller writes FederatedServiceStatuses; the garbage collector deletes.
      {{"create", "federatedservicestatuses.core.kubefed.io", "-n", "any"}, true},
      {{"delete", "federatedservicestatuses.core.kubefed.io", "-n", "any"}, false},
      {{"update", "leases.coordination.k8s.io/kubefed-controller-manager", "-n", kFedNamespace},
       true},
      {{"get", "secrets", "-n", "default"}, false},
      {{"create", "secrets", "-n", kFedNamespace}, false},
      {{"update", "kubefedclusters.core.kubefed.io", "-n", kFedNamespace}, false},
      {{"delete", "federatedconfigmaps.types.kubefed.io", "-n", "any"}, false},
      {{"update", "leases.coordination.k8s.io/other", "-n", kFedNamespace}, false},
      {{"list", "pods", "-A"}, false},
      {{"create", "clusterrolebindings"}, false},
      {{"impersonate", "users"}, false},
  };
  for (const Check& c : host_checks) {
    EXPECT_EQ(can(Host(), controller, c.what), c.allowed)
        << "host: " << absl::StrJoin(c.what, " ") << " for " << controller;
  }
  for (int i = 0; i < 2; ++i) {
    const std::string sa =
        StrCat("system:serviceaccount:", kFedNamespace, ":", Member(i), "-", Host());
    const std::vector<Check> member_checks = {
        {{"create", "configmaps", "-n", "any"}, true},
        {{"delete", "deployments.apps", "-n", "any"}, true},
        {{"patch", "namespaces"}, true},
        {{"escalate", "clusterroles"}, true},  // ClusterRoles are a federated type
        // The RSP scheduler's pod analysis lists pods (deployments are federated); no more.
        {{"list", "pods", "-A"}, true},
        {{"get", "pods", "-n", "any"}, false},
        {{"watch", "pods", "-A"}, false},
        {{"create", "pods", "-n", "any"}, false},
        {{"create", "serviceaccounts", "--subresource=token", "-n", "any"}, false},
        {{"create", "clusterrolebindings"}, false},
        {{"bind", "clusterroles"}, false},
        {{"impersonate", "users"}, false},
        {{"create", "nodes"}, false},
        // Multi-Cluster Services (controller/mcs_controller.h): users' exports are read and
        // only their status written; imports and imported EndpointSlices are kfed's.
        {{"watch", "serviceexports.multicluster.x-k8s.io", "-A"}, true},
        {{"update", "serviceexports.multicluster.x-k8s.io", "--subresource=status", "-n", "any"},
         true},
        {{"update", "serviceexports.multicluster.x-k8s.io", "-n", "any"}, false},
        {{"delete", "serviceexports.multicluster.x-k8s.io", "-n", "any"}, false},
        {{"create", "serviceimports.multicluster.x-k8s.io", "-n", "any"}, true},
        {{"create", "endpointslices.discovery.k8s.io", "-n", "any"}, true},
        {{"watch", "services", "-A"}, true},
    };
    for (const Check& c : member_checks) {
      EXPECT_EQ(can(Member(i), sa, c.what), c.allowed)
          << Member(i) << ": " << absl::StrJoin(c.what, " ") << " for " << sa;
    }
  }
}

}  // namespace
}  // namespace kfed::e2e
