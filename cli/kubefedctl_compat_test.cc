// Every kubefedctl command line of KubeFed v0.10's docs (docs/*.md of the KubeFed source,
// placeholders filled in) is accepted by kfedctl: it parses, and fails only where it should
// (here: reaching a host that is not there, exit 3), never with a usage error. The global
// flags may stand before or after the subcommand, as with kubefedctl. No cluster is needed:
// the kubeconfig points at a loopback port nothing listens on.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/testing.h"
#include "e2e/cluster_env.h"

namespace kfed::cli {
namespace {

using ::kfed::e2e::KfedctlPath;
using ::kfed::testing::ReadTextFile;
using ::kfed::testing::TempPath;
using ::kfed::testing::WriteTempFile;

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Result RunKfedctl(const std::string& kubeconfig, const std::string& command_line) {
  const std::string out = TempPath("kfedctl.out");
  // The docs' command lines are shell words: run them through the shell as a user would.
  const std::string shell = absl::StrCat("KUBECONFIG=", kubeconfig, " ", KfedctlPath(), " ",
                                         command_line, " </dev/null >", out, " 2>&1");
  const int status = std::system(shell.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  absl::StatusOr<std::string> text = ReadTextFile(out);
  r.output = text.ok() ? *text : "";
  return r;
}

// A kubeconfig with the contexts KubeFed's docs use (cluster1, cluster2, mycluster, host),
// all pointing at a loopback port that refuses connections.
std::string Kubeconfig() {
  std::string text =
      "apiVersion: v1\nkind: Config\nclusters:\n- name: nowhere\n  cluster:\n"
      "    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\nusers:\n"
      "- name: u\n  user:\n    token: t\ncontexts:\n";
  for (const char* c : {"cluster1", "cluster2", "mycluster", "host"}) {
    absl::StrAppend(&text, "- name: ", c,
                    "\n  context: {cluster: nowhere, user: u, namespace: demo}\n");
  }
  absl::StrAppend(&text, "current-context: cluster1\n");
  return WriteTempFile("kubefedctl.kubeconfig", text);
}

TEST(KubefedctlCompatTest, EveryCommandLineOfKubeFedsDocsParses) {
  const std::string kubeconfig = Kubeconfig();
  // From KubeFed v0.10.0's docs/ (userguide.md, cluster-registration.md, ...), with their
  // placeholders filled in.
  const std::vector<std::string> command_lines = {
      "join cluster1 --cluster-context cluster1 --host-cluster-context cluster1 --v=2",
      "join cluster2 --cluster-context cluster2 --host-cluster-context cluster1 --v=2",
      "join mycluster --cluster-context mycluster --host-cluster-context cluster1 "
      "--kubefed-namespace kube-federation-system --v=2",
      "join cluster2 --cluster-context cluster2 --host-cluster-context cluster1 "
      "--secret-name cluster2-secret --error-on-existing=false",
      "unjoin cluster2 --cluster-context cluster2 --host-cluster-context cluster1 --v=2",
      "unjoin cluster2 --cluster-context cluster2 --host-cluster-context cluster1 --force",
      "enable deployments.apps",
      "enable customresourcedefinitions",
      "enable deployments.example.com --federated-group kubefed.example.com",
      "enable deployments.apps --output=yaml",
      "enable deployments.apps --version v1 --federated-version v1beta1",
      "disable deployments.apps",
      "disable deployments.apps --delete-crd",
      "disable deployments.example.com --federated-group kubefed.example.com --version v1",
      "federate configmaps my-configmap -n my-namespace",
      "federate configmap my-configmap --enable-type",
      "federate configmap my-configmap -t",
      "federate namespace my-namespace",
      "federate namespace my-namespace --contents --skip-api-resources \"configmaps,apps\"",
      "federate namespace my-namespace -c -s configmaps,apps",
      "federate crd mytype.mygroup.mydomain.io",
      "federate --filename ./my-file",
      "federate configmaps my-configmap -o yaml",
      "orphaning-deletion enable federateddeployments my-deployment -n my-namespace",
      "orphaning-deletion disable federateddeployments my-deployment",
      "orphaning-deletion status federateddeployments my-deployment",
      // Global flags before the subcommand work too.
      "--host-cluster-context cluster1 --v=2 join cluster1 --cluster-context cluster1",
      "--kubefed-namespace kube-federation-system --dry-run federate namespace my-namespace",
  };
  for (const std::string& line : command_lines) {
    Result r = RunKfedctl(kubeconfig, line);
    EXPECT_FALSE(absl::StrContains(r.output, "not expected") ||
                 absl::StrContains(r.output, "Run with --help") ||
                 absl::StrContains(r.output, "is required"))
        << "kfedctl " << line << "\n" << r.output;
    // Parsed: what fails is reaching the host (exit 3), or reading ./my-file (exit 2, a
    // message naming it) for the -f example.
    if (absl::StrContains(line, "my-file")) {
      EXPECT_NE(r.output.find("cannot read ./my-file"), std::string::npos) << r.output;
    } else {
      EXPECT_EQ(r.exit_code, 3) << "kfedctl " << line << "\n" << r.output;
    }
  }
  // kubefedctl's `version` and help work without a cluster.
  EXPECT_EQ(RunKfedctl(kubeconfig, "version").exit_code, 0);
  // A flag kfedctl does not know is still a usage error that says so.
  Result bogus = RunKfedctl(kubeconfig, "join cluster1 --no-such-flag");
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_NE(bogus.output.find("--no-such-flag"), std::string::npos) << bogus.output;
}

TEST(KubefedctlCompatTest, FilenameDashReadsStandardInput) {
  const std::string kubeconfig = Kubeconfig();
  // An unparseable document on stdin is reported as such: proof that `-f -` read it.
  const std::string out = TempPath("stdin.out");
  const std::string shell = absl::StrCat("printf 'kind: [' | KUBECONFIG=", kubeconfig, " ",
                                         KfedctlPath(), " federate -f - >", out, " 2>&1");
  std::system(shell.c_str());
  absl::StatusOr<std::string> text = ReadTextFile(out);
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(absl::StrContains(*text, "cannot read -")) << *text;
}

}  // namespace
}  // namespace kfed::cli
