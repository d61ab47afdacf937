// The dashboard in headless Chromium against kfed-controller-manager on the real local
// clusters: the page loads, shows both members Ready, its filters work, a federated ConfigMap
// with a broken override shows Error / ApplyOverridesFailed naming the path in the detail view,
// and after the override is fixed on the host the cell turns Propagated without a reload; a
// Service exported from member1 (Multi-Cluster Services) shows in the "Multi-cluster services"
// panel with its conditions, its endpoint count and both members importing it.
//
// This file prepares the federation and the objects; the browser half is
// e2e/browser/dashboard_test.js (playwright-core driving Debian's /usr/bin/chromium; see
// docs/development.md#browser-tests). Screenshots land in $TEST_UNDECLARED_OUTPUTS_DIR.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "base/testing.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"
#include "e2e/mcs_fixture.h"

namespace kfed::e2e {
namespace {

using absl::StrCat;
using ::kfed::testing::Runfile;

constexpr char kBadPath[] = "/data/missing/deeper";

// A JSON array of strings (the fix command for the script).
std::string JsonArgv(const std::vector<std::string>& argv) {
  std::vector<std::string> quoted;
  for (const std::string& a : argv) {
    quoted.push_back(StrCat("\"", absl::StrReplaceAll(a, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\""));
  }
  return StrCat("[", absl::StrJoin(quoted, ","), "]");
}

// Runs `argv` with `env` added to this process's environment, its output going to the test
// log as it comes. Returns the exit status (or -1 when it did not exit normally).
int RunInheritingOutput(const std::vector<std::string>& argv,
                        const std::vector<std::pair<std::string, std::string>>& env) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::string ConfigMap(const std::string& ns, const std::string& name,
                      const std::vector<std::string>& clusters, const std::string& overrides) {
  std::string placement;
  for (const std::string& c : clusters) absl::StrAppend(&placement, "    - name: ", c, "\n");
  return StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedConfigMap\nmetadata:\n",
                "  name: ", name, "\n  namespace: ", ns, "\nspec:\n  template:\n",
                "    data:\n      color: blue\n  placement:\n    clusters:\n", placement,
                overrides);
}

TEST(DashboardBrowserTest, ShowsMembersFiltersAnErrorAndTheFixLive) {
  Federation& fed = Federation::Get();
  const LocalClusters& c = Clusters();
  ASSERT_EQ(c.members.size(), 2u) << "the test expects member1 and member2";
  ASSERT_GT(fed.primary().metrics_port, 0);
  const std::string host = c.host;
  const std::string member1 = c.members[0];
  const std::string member2 = c.members[1];
  const std::string ns = fed.NewNamespace("dashboard");

  ASSERT_TRUE(Apply(host, ConfigMap(ns, "good", {member1, member2}, "")).ok());
  ASSERT_TRUE(Apply(host, ConfigMap(ns, "broken", {member1, member2},
                                    StrCat("  overrides:\n  - clusterName: ", member2,
                                           "\n    clusterOverrides:\n    - op: replace\n",
                                           "      path: ", kBadPath, "\n      value: fixed\n")))
                  .ok());
  ASSERT_TRUE(Apply(host, StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedSecret\n",
                                 "metadata:\n  name: token\n  namespace: ", ns, "\nspec:\n",
                                 "  template:\n    data:\n      key: dmFsdWU=\n",
                                 "  placement:\n    clusters:\n    - name: ", member1, "\n"))
                  .ok());
  // The controller itself must report the broken override first; otherwise a failure below
  // would blame the page for the controller.
  absl::Status reported = fed.WaitForObject(
      host, {"federatedconfigmap", "broken", "-n", ns},
      [&](const rapidjson::Value& obj) -> absl::Status {
        const rapidjson::Value* s = ClusterStatus(obj, member2);
        if (s == nullptr || json::GetString(*s, "status") != "ApplyOverridesFailed") {
          return absl::UnavailableError("member2 not ApplyOverridesFailed yet");
        }
        return absl::OkStatus();
      });
  ASSERT_TRUE(reported.ok()) << reported;

  // Multi-Cluster Services: the mcs-api CRDs in both members, and a Service exported from
  // member1 with one kwok pod; kfed must have exported it before the page is asked.
  for (const std::string& member : c.members) {
    for (const char* file : kCrdFiles) {
      absl::StatusOr<std::string> yaml = ReadFile(StrCat(CrdDir(), "/", file));
      ASSERT_TRUE(yaml.ok()) << yaml.status();
      ASSERT_TRUE(Kubectl(member, {"apply", "-f", "-"}, *yaml).ok());
    }
    for (const char* crd :
         {"serviceexports.multicluster.x-k8s.io", "serviceimports.multicluster.x-k8s.io"}) {
      ASSERT_TRUE(Kubectl(member, {"wait", "--for=condition=Established", "--timeout=60s",
                                   StrCat("crd/", crd)})
                      .ok());
    }
    ASSERT_TRUE(WaitFor(StrCat("namespace ", ns, " in ", member), absl::Seconds(60), [&] {
                  return Kubectl(member, {"get", "namespace", ns}).status();
                }).ok());
  }
  ASSERT_TRUE(Apply(member1, DeploymentYaml(ns, "web", 1)).ok());
  ASSERT_TRUE(Apply(member1, ServiceYaml(ns, "web", 80)).ok());
  ASSERT_TRUE(Apply(member1, ExportYaml(ns, "web")).ok());
  absl::Status exported = WaitFor("member1's export Ready", absl::Seconds(120), [&] {
    auto ready = Kubectl(member1, {"get", "serviceexports.multicluster.x-k8s.io", "web", "-n", ns,
                                   "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}"});
    if (!ready.ok()) return ready.status();
    return *ready == "Exported" ? absl::OkStatus() : absl::UnavailableError(*ready);
  });
  ASSERT_TRUE(exported.ok()) << exported;

  const std::vector<std::string> fix = {
      c.kube_bin + "/kubectl",
      "--kubeconfig",
      c.kubeconfig,
      "--context",
      host,
      "patch",
      "federatedconfigmap",
      "broken",
      "-n",
      ns,
      "--type=json",
      "-p",
      R"([{"op":"replace","path":"/spec/overrides/0/clusterOverrides/0/path","value":"/data/color"}])"};
  // The controller serves TLS with its own certificate and asks for a token: the page signs in
  // with the fixture viewer's, as a user would paste it.
  ASSERT_FALSE(fed.viewer_token().empty());
  const std::string url = fed.primary().MetricsUrl() + "/";
  int exit_code = RunInheritingOutput(
      {"node", Runfile("e2e/browser/dashboard_test.js")},
      {{"KFED_DASHBOARD_URL", url},
       {"KFED_DASHBOARD_NAMESPACE", ns},
       {"KFED_DASHBOARD_BAD_PATH", kBadPath},
       {"KFED_DASHBOARD_FIX", JsonArgv(fix)},
       {"KFED_DASHBOARD_SERVICE", StrCat(ns, "/web")},
       {"KFED_DASHBOARD_TOKEN", fed.viewer_token()},
       {"KFED_DASHBOARD_USER",
        StrCat("system:serviceaccount:", kFedNamespace, ":", kViewerServiceAccount)}});
  EXPECT_EQ(exit_code, 0) << "the browser checks failed (see the lines above and "
                             "dashboard-failure.png in the test outputs); controller log: "
                          << fed.primary().log;
}

}  // namespace
}  // namespace kfed::e2e
