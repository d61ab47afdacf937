#include "e2e/cluster_env.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "base/testing.h"

namespace kfed::e2e {
namespace {

using ::kfed::testing::GetEnv;
using ::kfed::testing::Runfile;
using ::kfed::testing::WriteTempFile;

bool FileExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Finds hack/local-clusters.sh: through Bazel runfiles (data dependency), else relative to
// the working directory or KFED_REPO.
std::string FindLauncher() {
  std::vector<std::string> candidates;
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    std::string dir = GetEnv(var);
    if (!dir.empty()) candidates.push_back(dir + "/kfed/hack/local-clusters.sh");
  }
  if (!GetEnv("KFED_REPO").empty())
    candidates.push_back(GetEnv("KFED_REPO") + "/hack/local-clusters.sh");
  candidates.push_back("hack/local-clusters.sh");
  for (const std::string& c : candidates) {
    if (FileExists(c)) return c;
  }
  return "";
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Tears down clusters this process started, after all tests.
class SelfStartedClusters : public ::testing::Environment {
 public:
  explicit SelfStartedClusters(std::string launcher, std::string run_dir)
      : launcher_(std::move(launcher)), run_dir_(std::move(run_dir)) {}
  void TearDown() override {
    setenv("KFED_RUN_DIR", run_dir_.c_str(), 1);
    (void)Run({launcher_, "down"});
  }

 private:
  std::string launcher_;
  std::string run_dir_;
};

LocalClusters* Discover() {
  auto* c = new LocalClusters();
  c->launcher = FindLauncher();
  c->kubeconfig = GetEnv("KFED_E2E_KUBECONFIG");
  c->run_dir = GetEnv("KFED_E2E_RUN_DIR");
  c->kube_bin = GetEnv("KFED_KUBE_BIN");
  if (c->kubeconfig.empty()) {
    if (GetEnv("KFED_E2E_SELF_START") == "0" || c->launcher.empty()) {
      ADD_FAILURE() << "KFED_E2E_KUBECONFIG is not set: run e2e tests through hack/test.sh, or "
                       "start clusters with 'hack/local-clusters.sh up' and export the output of "
                       "'hack/local-clusters.sh env'";
      return c;
    }
    std::string tmp = GetEnv("TEST_TMPDIR");
    if (tmp.empty()) tmp = "/tmp";
    c->run_dir = absl::StrCat(tmp, "/kfed-e2e-clusters-", getpid());
    setenv("KFED_RUN_DIR", c->run_dir.c_str(), 1);
    ::testing::AddGlobalTestEnvironment(new SelfStartedClusters(c->launcher, c->run_dir));
    auto up = Run({c->launcher, "up"});
    if (!up.ok()) {
      ADD_FAILURE() << "starting local clusters failed: " << up.status();
      return c;
    }
    c->kubeconfig = c->run_dir + "/kubeconfig";
  }
  if (c->run_dir.empty()) c->run_dir = c->kubeconfig.substr(0, c->kubeconfig.rfind('/'));
  if (c->kube_bin.empty()) {
    std::vector<std::string> bin = ReadLines(c->run_dir + "/bin");
    if (!bin.empty()) c->kube_bin = bin[0];
  }
  for (const std::string& name : ReadLines(c->run_dir + "/clusters")) {
    if (name != c->host) c->members.push_back(name);
  }
  if (c->members.empty()) c->members = {"member1", "member2"};
  return c;
}

}  // namespace

std::vector<std::string> LocalClusters::All() const {
  std::vector<std::string> all = {host};
  all.insert(all.end(), members.begin(), members.end());
  return all;
}

const LocalClusters& Clusters() {
  static const LocalClusters* clusters = Discover();
  return *clusters;
}

const std::string& Host() { return Clusters().host; }

const std::string& Member(int i) { return Clusters().members.at(i); }

std::string KfedctlPath() {
  const std::string runfile = Runfile("cli/kfedctl");
  return access(runfile.c_str(), X_OK) == 0 ? runfile : "bazel-bin/cli/kfedctl";
}

std::string TestCrdYaml(absl::string_view group, absl::string_view kind, absl::string_view plural) {
  return absl::StrCat(
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ",
      plural, ".", group, "\nspec:\n  group: ", group,
      "\n  scope: Namespaced\n  names: {kind: ", kind, ", plural: ", plural,
      ", singular: ", absl::AsciiStrToLower(kind), ", listKind: ", kind,
      "List}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n"
      "      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n"
      "            type: object\n            properties:\n              size: {type: integer}\n");
}

std::string WriteTokenFile(const std::string& name, const std::string& token) {
  const std::string path = WriteTempFile(absl::StrCat(name, ".token"), token + "\n");
  chmod(path.c_str(), 0600);
  return path;
}

absl::StatusOr<std::string> Run(const std::vector<std::string>& argv,
                                absl::string_view stdin_data) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    return absl::InternalError("pipe failed");
  }
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      close(fd);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Feed stdin and drain stdout/stderr together so neither side blocks.
  signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  if (stdin_data.empty()) {
    close(in_pipe[1]);
    in_pipe[1] = -1;
  } else {
    fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  }
  std::string out, err;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out_pipe[0], POLLIN, 0});
    if (err_open) fds.push_back({err_pipe[0], POLLIN, 0});
    if (in_pipe[1] >= 0) fds.push_back({in_pipe[1], POLLOUT, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_pipe[1]) {
        ssize_t n = write(in_pipe[1], stdin_data.data() + written, stdin_data.size() - written);
        if (n > 0) written += n;
        if (n < 0 || written == stdin_data.size()) {
          close(in_pipe[1]);
          in_pipe[1] = -1;
        }
        continue;
      }
      ssize_t n = read(p.fd, buf, sizeof(buf));
      std::string& sink = p.fd == out_pipe[0] ? out : err;
      bool& open = p.fd == out_pipe[0] ? out_open : err_open;
      if (n <= 0) {
        open = false;
      } else {
        sink.append(buf, n);
      }
    }
  }
  if (in_pipe[1] >= 0) close(in_pipe[1]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  if (code != 0) {
    return absl::UnknownError(absl::StrCat("`", absl::StrJoin(argv, " "), "` exited ", code, ": ",
                                           absl::StripAsciiWhitespace(err)));
  }
  return out;
}

absl::StatusOr<std::string> Kubectl(absl::string_view context, const std::vector<std::string>& args,
                                    absl::string_view stdin_data) {
  const LocalClusters& c = Clusters();
  std::string kubectl = c.kube_bin.empty() ? "kubectl" : c.kube_bin + "/kubectl";
  std::vector<std::string> argv = {kubectl, "--kubeconfig", c.kubeconfig, "--context",
                                   std::string(context)};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, stdin_data);
}

absl::StatusOr<rapidjson::Document> KubectlJson(absl::string_view context,
                                                std::vector<std::string> args) {
  args.push_back("-o");
  args.push_back("json");
  absl::StatusOr<std::string> out = Kubectl(context, args);
  if (!out.ok()) return out.status();
  return json::Parse(*out);
}

absl::Status Launcher(const std::vector<std::string>& args) {
  const LocalClusters& c = Clusters();
  if (c.launcher.empty()) return absl::FailedPreconditionError("hack/local-clusters.sh not found");
  setenv("KFED_RUN_DIR", c.run_dir.c_str(), 1);
  if (!c.kube_bin.empty()) setenv("KFED_KUBE_BIN", c.kube_bin.c_str(), 1);
  std::vector<std::string> argv = {c.launcher};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv).status();
}

absl::Status WaitFor(absl::string_view what, absl::Duration timeout,
                     const std::function<absl::Status()>& condition) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration backoff = absl::Milliseconds(50);
  absl::Status last;
  while (true) {
    last = condition();
    if (last.ok()) return last;
    if (absl::Now() >= deadline) break;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
  return absl::DeadlineExceededError(absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                                                  " waiting for ", what, ": ", last.message()));
}

std::string UniqueName(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "-", getpid(), "-", counter.fetch_add(1));
}

std::string Subst(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars) {
    for (size_t at; (at = text.find(k)) != std::string::npos;) text.replace(at, k.size(), v);
  }
  return text;
}

const rapidjson::Value* FindCondition(const rapidjson::Value& object, absl::string_view type) {
  const rapidjson::Value* conditions = json::FindPath(object, {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return nullptr;
  for (const rapidjson::Value& c : conditions->GetArray()) {
    if (json::GetString(c, "type") == type) return &c;
  }
  return nullptr;
}

std::string ConditionStatus(const rapidjson::Value& object, absl::string_view type) {
  const rapidjson::Value* c = FindCondition(object, type);
  return c == nullptr ? "" : json::GetString(*c, "status");
}

absl::Status DeploymentAvailable(const rapidjson::Value& deployment, int replicas) {
  const rapidjson::Value* spec = json::FindPath(deployment, {"spec", "replicas"});
  const rapidjson::Value* n = json::FindPath(deployment, {"status", "availableReplicas"});
  const int asked = spec != nullptr && spec->IsInt() ? spec->GetInt() : -1;
  const int got = n != nullptr && n->IsInt() ? n->GetInt() : 0;
  const std::string condition = ConditionStatus(deployment, "Available");
  if (asked != replicas || got != replicas || condition != "True") {
    return absl::UnavailableError(absl::StrCat("spec.replicas ", asked, ", ", got, "/", replicas,
                                               " available, Available=", condition));
  }
  return absl::OkStatus();
}

}  // namespace kfed::e2e
