// kfedctl on the real local clusters, the flow of docs/user-guide.md's kfedctl section:
// join two members (twice), enable a built-in type and a CRD, federate a namespace with its
// contents and see it in both members and in `kfedctl status`, orphan-delete, disable
// (refused while instances exist, then with --delete-crd), unjoin; and the error paths.
// Then `kfedctl status` and `kfedctl dashboard` against the controller's TLS and token checks:
// the viewer's token through a verified connection, what a user without RBAC sees, and the
// errors for a client-certificate context, a wrong token, an unverified server and
// --plaintext to a TLS server.
//
// The members are joined under their own names (cli-member1, cli-member2). KubeFedClusters
// that other suites made (hack/join-local.sh: member1, member2) are set aside for the test
// and put back at the end, so the clusters are left as they were found.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kfed::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// kfedctl --kubeconfig <the clusters'> --host-cluster-context host <args>.
absl::StatusOr<std::string> Kfedctl(const std::vector<std::string>& args) {
  return Federation::GetWithoutJoin().Kfedctl(args);
}

// kfedctl status flags that reach the running controller manager's status API: its address,
// its self-signed certificate's CA (--cert-dir) and the fixture viewer's token.
std::vector<std::string> StatusFlags() {
  Federation& fed = Federation::GetWithoutJoin();
  return {"--status-addr",    absl::StrCat("127.0.0.1:", fed.primary().status_port),
          "--status-ca-file", fed.primary().ca_file,
          "--token-file",     WriteTokenFile("viewer", fed.viewer_token())};
}

// kfedctl status reads the running controller manager's status API.
absl::StatusOr<std::string> KfedctlStatus(std::vector<std::string> args) {
  std::vector<std::string> argv = {"status"};
  for (const std::string& f : StatusFlags()) argv.push_back(f);
  argv.insert(argv.end(), args.begin(), args.end());
  return Kfedctl(argv);
}

absl::Status Exists(const std::string& context, const std::vector<std::string>& get_args) {
  std::vector<std::string> args = {"get"};
  args.insert(args.end(), get_args.begin(), get_args.end());
  return Kubectl(context, args).status();
}

class KfedctlE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Federation::GetWithoutJoin();
    // Set aside KubeFedClusters other suites joined, so no member is joined twice.
    auto kfcs = KubectlJson(Clusters().host, {"get", "kubefedclusters", "-n", kFedNamespace});
    ASSERT_TRUE(kfcs.ok()) << kfcs.status();
    for (const rapidjson::Value& item : (*kfcs)["items"].GetArray()) {
      std::string name = json::GetString(item["metadata"], "name");
      if (absl::StartsWith(name, "cli-")) continue;  // a previous run of this test
      rapidjson::Document keep(rapidjson::kObjectType);
      auto& a = keep.GetAllocator();
      json::SetString(keep, "apiVersion", "core.kubefed.io/v1beta1", a);
      json::SetString(keep, "kind", "KubeFedCluster", a);
      rapidjson::Value& meta = json::EnsureObject(keep, "metadata", a);
      json::SetString(meta, "name", name, a);
      json::SetString(meta, "namespace", kFedNamespace, a);
      json::Set(keep, "spec", item["spec"], a);
      saved_->push_back(json::Serialize(keep));
      ASSERT_TRUE(
          Kubectl(Clusters().host, {"delete", "kubefedcluster", name, "-n", kFedNamespace}).ok());
    }
  }
  static void TearDownTestSuite() {
    // After a failure part way: what the test joined goes (a no-op after success).
    for (size_t i = 0; i < 2 && i < Clusters().members.size(); ++i) {
      (void)Kfedctl({"unjoin", absl::StrCat("cli-member", i + 1), "--cluster-context",
                     Clusters().members[i], "--force"});
    }
    for (const std::string& kfc : *saved_) {
      EXPECT_TRUE(Kubectl(Clusters().host, {"apply", "-f", "-"}, kfc).ok()) << kfc;
    }
  }
  static std::vector<std::string>* saved_;
};

std::vector<std::string>* KfedctlE2eTest::saved_ = new std::vector<std::string>();

absl::Status ClusterReady(const rapidjson::Value& kfc) {
  const rapidjson::Value* conditions = json::FindPath(kfc, {"status", "conditions"});
  if (conditions != nullptr && conditions->IsArray()) {
    for (const rapidjson::Value& c : conditions->GetArray()) {
      if (json::GetString(c, "type") == "Ready" && json::GetString(c, "status") == "True") {
        return absl::OkStatus();
      }
    }
  }
  return absl::UnavailableError("not Ready yet");
}

TEST_F(KfedctlE2eTest, JoinEnableFederateStatusOrphanDisableUnjoin) {
  const LocalClusters& c = Clusters();
  Federation& fed = Federation::GetWithoutJoin();
  const std::vector<std::string> members = {"cli-member1", "cli-member2"};
  ASSERT_GE(c.members.size(), 2u);

  // --- error paths that must leave nothing behind
  auto unknown = Kfedctl({"join", "cli-x", "--cluster-context", "no-such-context"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("context \"no-such-context\" not found"));
  EXPECT_FALSE(Exists(c.host, {"kubefedcluster", "cli-x", "-n", kFedNamespace}).ok());
  auto bad_host =
      ::kfed::e2e::Run({KfedctlPath(), "--kubeconfig", c.kubeconfig, "--host-cluster-context",
                        "nowhere", "orphaning-deletion", "status", "configmaps", "x"});
  ASSERT_FALSE(bad_host.ok());
  EXPECT_THAT(std::string(bad_host.status().message()), HasSubstr("contexts: host"));

  // --- --dry-run writes nothing
  auto dry = Kfedctl({"--dry-run", "join", "cli-dry", "--cluster-context", c.members[0]});
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_THAT(*dry, HasSubstr("would create KubeFedCluster"));
  EXPECT_FALSE(Exists(c.host, {"kubefedcluster", "cli-dry", "-n", kFedNamespace}).ok());
  EXPECT_FALSE(
      Exists(c.members[0], {"serviceaccount", "cli-dry-" + c.host, "-n", kFedNamespace}).ok());

  // --- join, twice
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < 2; ++i) {
      auto joined = Kfedctl({"join", members[i], "--cluster-context", c.members[i]});
      ASSERT_TRUE(joined.ok()) << joined.status();
      EXPECT_THAT(*joined, HasSubstr("joined " + members[i]));
    }
  }
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        fed.WaitForObject(c.host, {"kubefedcluster", members[i], "-n", kFedNamespace}, ClusterReady)
            .ok());
    auto kfc = KubectlJson(c.host, {"get", "kubefedcluster", members[i], "-n", kFedNamespace});
    ASSERT_TRUE(kfc.ok());
    auto uid = KubectlJson(c.members[i], {"get", "namespace", "kube-system"});
    ASSERT_TRUE(uid.ok());
    EXPECT_EQ(json::GetString((*kfc)["metadata"]["annotations"], "kfed.io/cluster-id"),
              json::GetString((*uid)["metadata"], "uid"));
    EXPECT_TRUE(Exists(c.members[i],
                       {"clusterrole", "kubefed-controller-manager:" + members[i] + "-" + c.host})
                    .ok());
  }
  auto error_on_existing =
      Kfedctl({"join", members[0], "--cluster-context", c.members[0], "--error-on-existing"});
  ASSERT_FALSE(error_on_existing.ok());
  EXPECT_THAT(std::string(error_on_existing.status().message()), HasSubstr("already exists"));

  // --- enable a built-in type and a CRD (the CRD exists in every cluster)
  for (const std::string& ctx : c.All()) {
    ASSERT_TRUE(
        Kubectl(ctx, {"apply", "-f", "-"}, TestCrdYaml("e2e.kfed.io", "CliWidget", "cliwidgets"))
            .ok());
    ASSERT_TRUE(Kubectl(ctx, {"wait", "--for=condition=Established", "--timeout=60s",
                              "crd/cliwidgets.e2e.kfed.io"})
                    .ok());
  }
  auto enabled = Kfedctl({"enable", "statefulsets.apps"});
  ASSERT_TRUE(enabled.ok()) << enabled.status();
  EXPECT_THAT(*enabled, HasSubstr("enabled statefulsets.apps (FederatedStatefulSet)"));
  enabled = Kfedctl({"enable", "cliwidgets.e2e.kfed.io"});
  ASSERT_TRUE(enabled.ok()) << enabled.status();
  EXPECT_TRUE(
      Exists(c.host, {"federatedtypeconfig", "cliwidgets.e2e.kfed.io", "-n", kFedNamespace}).ok());
  const bool had_daemonsets = Exists(c.host, {"crd", "federateddaemonsets.types.kubefed.io"}).ok();
  auto printed = Kfedctl({"enable", "daemonsets.apps", "-o", "yaml"});
  ASSERT_TRUE(printed.ok()) << printed.status();
  EXPECT_THAT(*printed, HasSubstr("name: federateddaemonsets.types.kubefed.io"));
  EXPECT_EQ(Exists(c.host, {"crd", "federateddaemonsets.types.kubefed.io"}).ok(), had_daemonsets);
  auto not_served = Kfedctl({"enable", "gizmos.nowhere.io"});
  ASSERT_FALSE(not_served.ok());
  EXPECT_THAT(std::string(not_served.status().message()), HasSubstr("is not served"));
  // The members grant only the types that existed when they joined: join again for the new
  // ones (docs/user-guide.md, "RBAC").
  for (size_t i = 0; i < 2; ++i) {
    auto rejoined = Kfedctl({"join", members[i], "--cluster-context", c.members[i]});
    ASSERT_TRUE(rejoined.ok()) << rejoined.status();
  }
  for (size_t i = 0; i < 2; ++i) {
    auto role = KubectlJson(
        c.members[i],
        {"get", "clusterrole", "kubefed-controller-manager:" + members[i] + "-" + c.host});
    ASSERT_TRUE(role.ok());
    EXPECT_THAT(json::Serialize((*role)["rules"]), HasSubstr(R"("resources":["cliwidgets"])"));
    EXPECT_THAT(json::Serialize((*role)["rules"]), Not(HasSubstr(R"("*")")));
  }

  // --- federate a namespace with its contents
  const std::string ns = UniqueName("cli-e2e");
  ASSERT_TRUE(Kubectl(c.host, {"create", "namespace", ns}).ok());
  ASSERT_TRUE(Kubectl(c.host, {"-n", ns, "create", "configmap", "cm1", "--from-literal=k=v"}).ok());
  ASSERT_TRUE(Kubectl(c.host, {"-n", ns, "apply", "-f", "-"},
                      "apiVersion: e2e.kfed.io/v1\nkind: CliWidget\nmetadata: {name: w1}\n"
                      "spec: {size: 3}\n")
                  .ok());
  auto not_enabled = Kfedctl({"federate", "daemonsets.apps", "x", "-n", ns});
  ASSERT_FALSE(not_enabled.ok());
  EXPECT_THAT(std::string(not_enabled.status().message()), HasSubstr("is not enabled"));
  auto federated = Kfedctl({"federate", "namespaces", ns, "--contents"});
  ASSERT_TRUE(federated.ok()) << federated.status();
  EXPECT_THAT(*federated, HasSubstr("created FederatedConfigMap " + ns + "/cm1"));
  EXPECT_THAT(*federated, HasSubstr("created FederatedCliWidget " + ns + "/w1"));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(fed.WaitForObject(c.members[i], {"configmap", "cm1", "-n", ns},
                                  [](const rapidjson::Value& cm) -> absl::Status {
                                    if (json::GetString(cm["data"], "k") == "v") {
                                      return absl::OkStatus();
                                    }
                                    return absl::NotFoundError("data.k");
                                  })
                    .ok());
    absl::Status widget = fed.WaitForObject(
        c.members[i], {"cliwidgets.e2e.kfed.io", "w1", "-n", ns},
        [](const rapidjson::Value& w) -> absl::Status {
          const rapidjson::Value* size = json::FindPath(w, {"spec", "size"});
          if (size != nullptr && size->IsInt() && size->GetInt() == 3) return absl::OkStatus();
          return absl::NotFoundError(absl::StrCat("spec.size in ", json::Serialize(w)));
        });
    EXPECT_TRUE(widget.ok()) << widget;
  }
  // --- kfedctl status shows each object in each member
  absl::Status status_ok = WaitFor("kfedctl status", absl::Seconds(60), [&]() -> absl::Status {
    auto table = KfedctlStatus({"-n", ns});
    if (!table.ok()) return table.status();
    for (const std::string& m : members) {
      for (const std::string& row :
           {absl::StrCat("configmaps"), absl::StrCat("cliwidgets.e2e.kfed.io")}) {
        bool found = false;
        for (absl::string_view line : absl::StrSplit(*table, '\n')) {
          if (absl::StartsWith(line, row + " ") && absl::StrContains(line, " " + m + " ") &&
              absl::StrContains(line, "Propagated")) {
            found = true;
          }
        }
        if (!found) return absl::NotFoundError(absl::StrCat(row, " on ", m, " in\n", *table));
      }
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(status_ok.ok()) << status_ok;
  auto as_json = KfedctlStatus({"configmaps", "cm1", "-n", ns, "-o", "json"});
  ASSERT_TRUE(as_json.ok()) << as_json.status();
  EXPECT_THAT(*as_json, HasSubstr("\"cluster\": \"cli-member2\""));

  // --- orphaning deletion: deleting the federated object leaves the copies
  auto orphan = Kfedctl({"orphaning-deletion", "enable", "configmaps", "cm1", "-n", ns});
  ASSERT_TRUE(orphan.ok()) << orphan.status();
  auto orphan_status = Kfedctl({"orphaning-deletion", "status", "configmaps", "cm1", "-n", ns});
  ASSERT_TRUE(orphan_status.ok());
  EXPECT_THAT(*orphan_status, HasSubstr("Enabled"));
  ASSERT_TRUE(Kubectl(c.host, {"-n", ns, "delete", "federatedconfigmap", "cm1"}).ok());
  ASSERT_TRUE(fed.WaitForAbsent(c.host, {"federatedconfigmap", "cm1", "-n", ns}).ok());
  for (const std::string& m : c.members) {
    if (m != c.members[0] && m != c.members[1]) continue;
    EXPECT_TRUE(Exists(m, {"configmap", "cm1", "-n", ns}).ok()) << m;
  }

  // --- disable: refused while a FederatedCliWidget exists, then with --delete-crd
  auto refused = Kfedctl({"disable", "cliwidgets.e2e.kfed.io"});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("1 FederatedCliWidget objects still exist (" + ns + "/w1)"));
  ASSERT_TRUE(Kubectl(c.host, {"-n", ns, "delete", "federatedcliwidget", "w1"}).ok());
  ASSERT_TRUE(fed.WaitForAbsent(c.host, {"federatedcliwidget", "w1", "-n", ns}).ok());
  EXPECT_TRUE(fed.WaitForAbsent(c.members[0], {"cliwidgets.e2e.kfed.io", "w1", "-n", ns}).ok());
  auto disabled = Kfedctl({"disable", "cliwidgets.e2e.kfed.io", "--delete-crd"});
  ASSERT_TRUE(disabled.ok()) << disabled.status();
  EXPECT_FALSE(Exists(c.host, {"crd", "federatedcliwidgets.types.kubefed.io"}).ok());
  EXPECT_FALSE(
      Exists(c.host, {"federatedtypeconfig", "cliwidgets.e2e.kfed.io", "-n", kFedNamespace}).ok());
  disabled = Kfedctl({"disable", "statefulsets.apps", "--delete-crd"});
  ASSERT_TRUE(disabled.ok()) << disabled.status();

  // --- clean up the namespace while the members are joined, then unjoin
  ASSERT_TRUE(Kubectl(c.host, {"-n", ns, "delete", "federatednamespace", ns}).ok());
  ASSERT_TRUE(fed.WaitForAbsent(c.host, {"federatednamespace", ns, "-n", ns}).ok());
  ASSERT_TRUE(Kubectl(c.host, {"delete", "namespace", ns, "--wait=false"}).ok());
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(fed.WaitForAbsent(c.members[i], {"namespace", ns}, absl::Seconds(120)).ok());
  }
  for (size_t i = 0; i < 2; ++i) {
    auto unjoined = Kfedctl({"unjoin", members[i], "--cluster-context", c.members[i]});
    ASSERT_TRUE(unjoined.ok()) << unjoined.status();
    EXPECT_FALSE(Exists(c.host, {"kubefedcluster", members[i], "-n", kFedNamespace}).ok());
    EXPECT_FALSE(
        Exists(c.members[i], {"serviceaccount", members[i] + "-" + c.host, "-n", kFedNamespace})
            .ok());
  }
  auto again = Kfedctl({"unjoin", members[0], "--cluster-context", c.members[0]});
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("is not joined"));
  for (const std::string& ctx : c.All()) {
    EXPECT_TRUE(
        Kubectl(ctx, {"delete", "crd", "cliwidgets.e2e.kfed.io", "--ignore-not-found"}).ok());
  }
}

// A running `kfedctl dashboard --port 0`: its pid and the address it printed.
struct DashboardProcess {
  pid_t pid = -1;
  std::string url;
  std::string output;  // what it printed before the address
};

absl::StatusOr<DashboardProcess> StartDashboard(const std::vector<std::string>& args) {
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> argv = {KfedctlPath(),
                                   "--kubeconfig",
                                   Clusters().kubeconfig,
                                   "--host-cluster-context",
                                   Clusters().host,
                                   "dashboard",
                                   "--port",
                                   "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  DashboardProcess p;
  p.pid = fork();
  if (p.pid < 0) return absl::InternalError("fork failed");
  if (p.pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(out[0]);
    close(out[1]);
    std::vector<char*> cargs;
    for (const std::string& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
    cargs.push_back(nullptr);
    execv(cargs[0], cargs.data());
    _exit(127);
  }
  close(out[1]);
  // Read until the address line, the process ends, or the deadline.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  char buf[4096];
  while (absl::Now() < deadline) {
    pollfd fd{out[0], POLLIN, 0};
    if (poll(&fd, 1, 1000) <= 0) continue;
    ssize_t n = read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    p.output.append(buf, n);
    const size_t at = p.output.find("Dashboard: ");
    if (at != std::string::npos && p.output.find('\n', at) != std::string::npos) {
      p.url = p.output.substr(at + 11, p.output.find('\n', at) - at - 11);
      break;
    }
  }
  close(out[0]);
  if (p.url.empty()) {
    kill(p.pid, SIGTERM);
    waitpid(p.pid, nullptr, 0);
    return absl::UnavailableError(absl::StrCat("kfedctl dashboard printed no address: ", p.output));
  }
  return p;
}

void StopDashboard(const DashboardProcess& p) {
  kill(p.pid, SIGTERM);
  waitpid(p.pid, nullptr, 0);
}

// GET through the proxy: "<HTTP code>\n<body>".
absl::StatusOr<std::string> CurlThrough(const std::string& url,
                                        const std::vector<std::string>& headers = {}) {
  std::vector<std::string> argv = {"curl", "-s", "--max-time", "30", "-w", "\n%{http_code}"};
  for (const std::string& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  argv.push_back(url);
  return Run(argv);
}

TEST(KfedctlAuthE2eTest, StatusAndDashboardSignInAndVerifyTheController) {
  Federation& fed = Federation::GetWithoutJoin();
  const ControllerProcess& controller = fed.primary();
  ASSERT_FALSE(controller.ca_file.empty()) << "the controller serves TLS by default";
  ASSERT_FALSE(fed.viewer_token().empty());
  const std::string addr = absl::StrCat("127.0.0.1:", controller.status_port);
  const std::string viewer_file = WriteTokenFile("viewer", fed.viewer_token());

  // The viewer, verified: the controller answers (a table or "No federated objects found.").
  auto table = KfedctlStatus({});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(absl::StartsWith(*table, "TYPE ") || absl::StartsWith(*table, "No federated"))
      << *table;

  // A user the host knows but whose RBAC grants nothing sees nothing (lists filter silently).
  ASSERT_TRUE(Kubectl(Clusters().host, {"apply", "-f", "-"},
                      absl::StrCat("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: "
                                   "kfed-e2e-nobody\n  namespace: ",
                                   kFedNamespace, "\n"))
                  .ok());
  absl::StatusOr<std::string> nobody = fed.CreateToken(kFedNamespace, "kfed-e2e-nobody");
  ASSERT_TRUE(nobody.ok()) << nobody.status();
  auto hidden = Kfedctl({"status", "--status-addr", addr, "--status-ca-file", controller.ca_file,
                         "--token-file", WriteTokenFile("nobody", *nobody)});
  ASSERT_TRUE(hidden.ok()) << hidden.status();
  EXPECT_EQ(*hidden, "No federated objects found.\n");

  // The host context of the local clusters signs in with a client certificate: no token.
  auto no_token =
      Kfedctl({"status", "--status-addr", addr, "--status-ca-file", controller.ca_file});
  ASSERT_FALSE(no_token.ok());
  EXPECT_THAT(std::string(no_token.status().message()), HasSubstr("client certificate"));
  EXPECT_THAT(std::string(no_token.status().message()), HasSubstr("Pass --token"));

  // A token the host does not know.
  auto wrong = Kfedctl({"status", "--status-addr", addr, "--status-ca-file", controller.ca_file,
                        "--token-file", WriteTokenFile("wrong", "not-a-token-the-host-knows")});
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("rejected --token-file"));
  EXPECT_THAT(std::string(wrong.status().message()),
              HasSubstr("check --host-cluster-context or pass --token"));

  // The controller's certificate is self-signed: not trusted without its CA...
  auto untrusted = Kfedctl({"status", "--status-addr", addr, "--token-file", viewer_file});
  ASSERT_FALSE(untrusted.ok());
  EXPECT_THAT(std::string(untrusted.status().message()), HasSubstr("--status-ca-file"));
  // ... unless the user says so (with a warning on stderr).
  auto skipped = Kfedctl(
      {"status", "--status-addr", addr, "--token-file", viewer_file, "--insecure-skip-tls-verify"});
  EXPECT_TRUE(skipped.ok()) << skipped.status();
  // --plaintext cannot talk to a controller serving TLS, and says what to do.
  auto plaintext =
      Kfedctl({"status", "--status-addr", addr, "--token-file", viewer_file, "--plaintext"});
  ASSERT_FALSE(plaintext.ok());
  EXPECT_THAT(std::string(plaintext.status().message()), HasSubstr("drop --plaintext"));

  // kfedctl dashboard: the page and its API through the proxy, as the viewer.
  absl::StatusOr<DashboardProcess> proxy =
      StartDashboard({"--dashboard-addr", controller.MetricsUrl(), "--dashboard-ca-file",
                      controller.ca_file, "--token-file", viewer_file});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const std::string viewer_name =
      absl::StrCat("system:serviceaccount:", kFedNamespace, ":", kViewerServiceAccount);
  EXPECT_THAT(proxy->output, HasSubstr("Signed in as " + viewer_name));
  EXPECT_TRUE(absl::StartsWith(proxy->url, "http://127.0.0.1:")) << proxy->url;
  // The browser's own Authorization is replaced by the user's token.
  auto who = CurlThrough(proxy->url + "api/v1/whoami",
                         {"Authorization: Bearer not-a-token-the-host-knows"});
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_THAT(*who, HasSubstr("\"username\":\"" + viewer_name + "\""));
  EXPECT_TRUE(absl::EndsWith(*who, "\n200")) << *who;
  auto clusters = CurlThrough(proxy->url + "api/v1/clusters");
  ASSERT_TRUE(clusters.ok()) << clusters.status();
  EXPECT_TRUE(absl::EndsWith(*clusters, "\n200")) << *clusters;
  auto page = CurlThrough(proxy->url);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(*page, HasSubstr("<title>kfed"));
  StopDashboard(*proxy);

  // A rejected token stops kfedctl dashboard at once, saying why.
  auto rejected = Kfedctl({"dashboard", "--port", "0", "--dashboard-addr", controller.MetricsUrl(),
                           "--dashboard-ca-file", controller.ca_file, "--token-file",
                           WriteTokenFile("wrong", "not-a-token-the-host-knows")});
  ASSERT_FALSE(rejected.ok());
  EXPECT_THAT(std::string(rejected.status().message()), HasSubstr("rejected the token"));
}

}  // namespace
}  // namespace kfed::e2e
