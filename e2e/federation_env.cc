#include "e2e/federation_env.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "base/testing.h"
#include "e2e/sanitizer_reports.h"

namespace kfed::e2e {
namespace {

using ::kfed::testing::GetEnv;
using ::kfed::testing::ReadTextFile;
using ::kfed::testing::Runfile;

// A free loopback port: bind to 0 and read it back.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// At the end of the test program, under a sanitizer build: stops the primary controller
// with SIGTERM so that its exit-time checks (LeakSanitizer) run and report (see
// e2e/sanitizer_reports.h). A controller that does not exit within 60 s is a failure.
void StopPrimaryAtExit(Federation* f) {
  if (!BuiltWithSanitizer()) return;
  AddSanitizerShutdownHook([f] {
    ControllerProcess& p = f->primary();
    if (p.pid <= 0) return;
    kill(p.pid, SIGTERM);
    absl::Status exited = WaitFor("kfed-controller-manager to exit after SIGTERM",
                                  absl::Seconds(60), [&]() -> absl::Status {
                                    int status = 0;
                                    if (waitpid(p.pid, &status, WNOHANG) == p.pid)
                                      return absl::OkStatus();
                                    return absl::UnavailableError("still running");
                                  });
    if (!exited.ok()) {
      ADD_FAILURE() << exited << "; see " << p.log;
      kill(p.pid, SIGKILL);
      waitpid(p.pid, nullptr, 0);
    }
    p.pid = -1;
  });
}

}  // namespace

Privileges FixturePrivileges() {
  return GetEnv("KFED_E2E_PRIVILEGES") == "admin" ? Privileges::kAdmin : Privileges::kLeast;
}

std::vector<std::string> ControllerLogs() {
  std::vector<std::string> logs;
  const std::string dir = Clusters().run_dir;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return logs;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (absl::StartsWith(name, "kfed-controller-manager-") && absl::EndsWith(name, ".log")) {
      logs.push_back(absl::StrCat(dir, "/", name));
    }
  }
  closedir(d);
  std::sort(logs.begin(), logs.end());
  return logs;
}

absl::Status Apply(const std::string& context, const std::string& yaml) {
  return Kubectl(context, {"apply", "-f", "-"}, yaml).status();
}

const rapidjson::Value* PropagationCondition(const rapidjson::Value& federated) {
  return FindCondition(federated, "Propagation");
}

const rapidjson::Value* ClusterStatus(const rapidjson::Value& federated,
                                      const std::string& cluster) {
  const rapidjson::Value* clusters = json::FindPath(federated, {"status", "clusters"});
  if (clusters == nullptr || !clusters->IsArray()) return nullptr;
  for (const rapidjson::Value& c : clusters->GetArray()) {
    if (json::GetString(c, "name") == cluster) return &c;
  }
  return nullptr;
}

Federation& Federation::Get() {
  static Federation* federation = [] {
    auto* f = new Federation();
    absl::Status s = f->SetUp();
    if (!s.ok()) ADD_FAILURE() << "setting up the federation failed: " << s;
    StopPrimaryAtExit(f);
    return f;
  }();
  return *federation;
}

Federation& Federation::GetWithoutJoin() {
  static Federation* federation = [] {
    auto* f = new Federation();
    f->join_members_ = false;
    absl::Status s = f->SetUp();
    if (!s.ok()) ADD_FAILURE() << "setting up the federation failed: " << s;
    StopPrimaryAtExit(f);
    return f;
  }();
  return *federation;
}

absl::Status Federation::SetUp() {
  const LocalClusters& c = Clusters();
  if (c.kubeconfig.empty()) return absl::FailedPreconditionError("no clusters");
  privileges_ = FixturePrivileges();
  controller_binary_ = Runfile("controller/kfed-controller-manager");
  kfedctl_binary_ = KfedctlPath();
  // The static CRDs, the namespace, then each default type's CRD and FederatedTypeConfig.
  auto crds = Kubectl(c.host, {"apply", "--server-side", "--force-conflicts", "-f",
                               Runfile("federated_types/crds")});
  if (!crds.ok()) return crds.status();
  (void)Kubectl(c.host, {"create", "namespace", kFedNamespace});  // may exist
  auto types = Kubectl(c.host, {"apply", "--server-side", "--force-conflicts", "-n", kFedNamespace,
                                "-f", Runfile("federated_types/crds/generated")});
  if (!types.ok()) return types.status();
  // Faster health checks and leader election than KubeFed's defaults, so that tests which stop
  // a member or kill the leader converge in seconds. The probe timeout is KubeFed's 3 s, not
  // shorter: two probes in a row slower than the timeout on a busy machine make a running
  // member not Ready, and the replica scheduler then moves its replicas.
  // Right after the CRDs the apiserver may answer 503 "Resource kind ... not found" for a
  // short while, even once they are Established: retried for up to a minute.
  const std::string kubefed_config = absl::StrCat(R"(apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata:
  name: kubefed
  namespace: )",
                                     kFedNamespace, R"(
spec:
  scope: Cluster
  leaderElect:
    leaseDuration: 4s
    renewDeadline: 3s
    retryPeriod: 1s
  clusterHealthCheck:
    period: 1s
    failureThreshold: 2
    successThreshold: 1
    timeout: 3s
)");
  absl::Status config = WaitFor("the KubeFedConfig to be accepted", absl::Seconds(60),
                                [&]() -> absl::Status {
                                  return Kubectl(c.host, {"apply", "-f", "-"}, kubefed_config)
                                      .status();
                                });
  if (!config.ok()) return config;
  if (join_members_) {
    absl::Status joined = JoinMembers();
    if (!joined.ok()) return joined;
  }
  absl::Status credentials = SetUpControllerCredentials();
  if (!credentials.ok()) return credentials;
  absl::Status viewer = SetUpViewer();
  if (!viewer.ok()) return viewer;
  absl::StatusOr<ControllerProcess> p = StartController();
  if (!p.ok()) return p.status();
  primary_ = *p;
  // Ready once the members are Ready in the host.
  for (const std::string& m : join_members_ ? c.members : std::vector<std::string>{}) {
    absl::Status ready = WaitForObject(
        c.host, {"kubefedcluster", m, "-n", kFedNamespace},
        [](const rapidjson::Value& kfc) -> absl::Status {
          const rapidjson::Value* conditions = json::FindPath(kfc, {"status", "conditions"});
          if (conditions != nullptr && conditions->IsArray()) {
            for (const rapidjson::Value& cond : conditions->GetArray()) {
              if (json::GetString(cond, "type") == "Ready" &&
                  json::GetString(cond, "status") == "True") {
                return absl::OkStatus();
              }
            }
          }
          return absl::UnavailableError("not Ready yet");
        });
    if (!ready.ok()) return ready;
  }
  return absl::OkStatus();
}

absl::Status Federation::JoinMembers() {
  const LocalClusters& c = Clusters();
  for (const std::string& m : c.members) {
    absl::StatusOr<std::string> joined;
    if (privileges_ == Privileges::kLeast) {
      joined = Kfedctl({"join", m, "--cluster-context", m});
    } else {
      setenv("KUBECTL", (c.kube_bin + "/kubectl").c_str(), 1);
      joined = Run({Runfile("hack/join-local.sh"), "--kubeconfig", c.kubeconfig, m});
    }
    if (!joined.ok()) return joined.status();
  }
  return absl::OkStatus();
}

absl::Status Federation::RefreshMemberAccess() {
  if (privileges_ != Privileges::kLeast || !join_members_) return absl::OkStatus();
  return JoinMembers();
}

absl::StatusOr<std::string> Federation::Kfedctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kfedctl_binary_, "--kubeconfig", Clusters().kubeconfig,
                                   "--host-cluster-context", Clusters().host};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

absl::Status Federation::GrantControllerNamespace(const std::string& ns) {
  if (privileges_ != Privileges::kLeast) return absl::OkStatus();
  return Kubectl(Clusters().host,
                 {"apply", "-n", ns, "-f", Runfile("config/rbac/host/namespace.yaml")})
      .status();
}

// Least privilege: the ServiceAccount and RBAC of config/rbac/host/, a long-lived token for
// it, and a kubeconfig holding only that token (mode 0600, in the run directory).
absl::Status Federation::SetUpControllerCredentials() {
  const LocalClusters& c = Clusters();
  if (privileges_ == Privileges::kAdmin) {
    controller_kubeconfig_ = c.kubeconfig;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> applied =
      Kubectl(c.host, {"apply", "-f", Runfile("config/rbac/host/cluster.yaml")});
  if (!applied.ok()) return applied.status();
  absl::Status granted = GrantControllerNamespace(kFedNamespace);
  if (!granted.ok()) return granted;
  const std::string secret = absl::StrCat(kControllerServiceAccount, "-token");
  absl::Status made =
      Apply(c.host,
            absl::StrCat("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\n"
                         "metadata:\n  name: ",
                         secret, "\n  namespace: ", kFedNamespace,
                         "\n  annotations:\n    kubernetes.io/service-account.name: ",
                         kControllerServiceAccount, "\n"));
  if (!made.ok()) return made;
  std::string token;
  absl::Status filled = WaitFor("the controller's token", absl::Seconds(60), [&]() -> absl::Status {
    absl::StatusOr<rapidjson::Document> s =
        KubectlJson(c.host, {"get", "secret", secret, "-n", kFedNamespace});
    if (!s.ok()) return s.status();
    const rapidjson::Value* data = json::FindPath(*s, {"data", "token"});
    if (data == nullptr || !data->IsString() || !absl::Base64Unescape(data->GetString(), &token) ||
        token.empty()) {
      return absl::UnavailableError("token not filled yet");
    }
    return absl::OkStatus();
  });
  if (!filled.ok()) return filled;
  absl::StatusOr<rapidjson::Document> view =
      KubectlJson(c.host, {"config", "view", "--raw", "--minify", "--flatten"});
  if (!view.ok()) return view.status();
  const rapidjson::Value* clusters = json::Find(*view, "clusters");
  if (clusters == nullptr || !clusters->IsArray() || clusters->Empty()) {
    return absl::InternalError("kubectl config view --minify shows no cluster for the host");
  }
  const rapidjson::Value& cluster = (*clusters)[0]["cluster"];
  controller_kubeconfig_ =
      absl::StrCat(c.run_dir, "/kfed-controller-manager-", getpid(), ".kubeconfig");
  int fd = open(controller_kubeconfig_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::InternalError("cannot write " + controller_kubeconfig_);
  const std::string text = absl::StrCat(
      "apiVersion: v1\nkind: Config\nclusters:\n- name: ", c.host,
      "\n  cluster:\n    server: ", json::GetString(cluster, "server"),
      "\n    certificate-authority-data: ", json::GetString(cluster, "certificate-authority-data"),
      "\nusers:\n- name: ", kControllerServiceAccount, "\n  user:\n    token: ", token,
      "\ncontexts:\n- name: ", c.host, "\n  context:\n    cluster: ", c.host,
      "\n    user: ", kControllerServiceAccount, "\ncurrent-context: ", c.host, "\n");
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!written) return absl::InternalError("cannot write " + controller_kubeconfig_);
  return absl::OkStatus();
}

std::string ControllerProcess::MetricsUrl() const {
  return absl::StrCat(ca_file.empty() ? "http" : "https", "://127.0.0.1:", metrics_port);
}

absl::StatusOr<std::string> Federation::CreateToken(const std::string& ns,
                                                    const std::string& name) {
  absl::StatusOr<std::string> token =
      Kubectl(Clusters().host, {"create", "token", name, "-n", ns, "--duration", "24h"});
  if (!token.ok()) return token.status();
  return std::string(absl::StripAsciiWhitespace(*token));
}

// The viewer: config/rbac/host/'s kfed-status-viewer ClusterRole bound to a ServiceAccount.
absl::Status Federation::SetUpViewer() {
  const LocalClusters& c = Clusters();
  absl::StatusOr<std::string> applied =
      Kubectl(c.host, {"apply", "-f", Runfile("config/rbac/host/cluster.yaml")});
  if (!applied.ok()) return applied.status();
  absl::Status made = Apply(
      c.host, absl::StrCat("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ",
                           kViewerServiceAccount, "\n  namespace: ", kFedNamespace,
                           "\n---\napiVersion: rbac.authorization.k8s.io/v1\n"
                           "kind: ClusterRoleBinding\nmetadata:\n  name: ",
                           kViewerServiceAccount,
                           "\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: "
                           "ClusterRole\n  name: kfed-status-viewer\nsubjects:\n- kind: "
                           "ServiceAccount\n  name: ",
                           kViewerServiceAccount, "\n  namespace: ", kFedNamespace, "\n"));
  if (!made.ok()) return made;
  absl::StatusOr<std::string> token = CreateToken(kFedNamespace, kViewerServiceAccount);
  if (!token.ok()) return token.status();
  viewer_token_ = *token;
  return absl::OkStatus();
}

absl::StatusOr<ControllerProcess> Federation::StartController(
    const std::vector<std::string>& extra_flags) {
  const LocalClusters& c = Clusters();
  for (size_t i = 0; i + 1 < extra_flags.size(); ++i) {
    if (extra_flags[i] == "--kubefed-namespace" && extra_flags[i + 1] != kFedNamespace) {
      absl::Status granted = GrantControllerNamespace(extra_flags[i + 1]);
      if (!granted.ok()) return granted;
    }
  }
  const std::string verbosity = GetEnv("KFED_E2E_CONTROLLER_VERBOSITY").empty()
                                    ? "2"
                                    : GetEnv("KFED_E2E_CONTROLLER_VERBOSITY");
  ControllerProcess p;
  p.metrics_port = FreePort();
  int healthz_port = FreePort();
  // Every controller gets its own status port, so replicas do not collide on :9091.
  bool status_addr_given = false;
  for (const std::string& f : extra_flags) {
    if (absl::StartsWith(f, "--status-addr")) status_addr_given = true;
  }
  if (!status_addr_given) p.status_port = FreePort();
  p.log = absl::StrCat(c.run_dir, "/kfed-controller-manager-", getpid(), "-", next_port_++, ".log");
  WatchLogForSanitizerReports(p.log);
  std::vector<std::string> argv = {controller_binary_,
                                   "--kubeconfig",
                                   controller_kubeconfig_,
                                   "--context",
                                   c.host,
                                   "--metrics-addr",
                                   absl::StrCat("127.0.0.1:", p.metrics_port),
                                   "--healthz-addr",
                                   absl::StrCat("127.0.0.1:", healthz_port),
                                   "-v",
                                   verbosity};
  if (p.status_port != 0) {
    argv.push_back("--status-addr");
    argv.push_back(absl::StrCat("127.0.0.1:", p.status_port));
  }
  bool own_tls = false;
  for (const std::string& f : extra_flags) {
    if (f == "--insecure-local" || absl::StartsWith(f, "--tls-cert-file") ||
        absl::StartsWith(f, "--cert-dir")) {
      own_tls = true;
    }
  }
  if (!own_tls) {
    const std::string cert_dir = absl::StrCat(p.log, ".certs");
    argv.push_back("--cert-dir");
    argv.push_back(cert_dir);
    p.ca_file = cert_dir + "/ca.crt";
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  // The Lease holder "<hostname>_<pid>" (kfed's default is hostname_<UUID>, as KubeFed), so
  // that the tests can tell which process leads: the child writes its own pid into the flag's
  // reserved tail (no allocation after fork).
  bool identity_given = false;
  for (const std::string& f : argv) {
    if (absl::StartsWith(f, "--leader-election-identity")) identity_given = true;
  }
  char host_name[256] = "e2e";
  gethostname(host_name, sizeof(host_name) - 1);
  const std::string identity_prefix = absl::StrCat("--leader-election-identity=", host_name, "_");
  std::string identity_flag = identity_prefix + std::string(24, '\0');
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  if (!identity_given) args.push_back(identity_flag.data());
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    if (!identity_given) {
      char digits[24];
      int n = 0;
      for (long v = static_cast<long>(getpid()); v > 0 && n < 23; v /= 10) {
        digits[n++] = static_cast<char>('0' + v % 10);
      }
      char* out = identity_flag.data() + identity_prefix.size();
      while (n > 0) *out++ = digits[--n];
      *out = '\0';
    }
    int fd = open(p.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  p.pid = pid;
  absl::Status up = WaitFor("controller /metrics", absl::Seconds(30), [&]() -> absl::Status {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return absl::AbortedError(absl::StrCat("kfed-controller-manager exited; see ", p.log));
    }
    return Metrics(p).status();
  });
  if (!up.ok()) return up;
  return p;
}

void Federation::StopController(ControllerProcess& process, int signal) {
  if (process.pid <= 0) return;
  kill(process.pid, signal);
  int status = 0;
  waitpid(process.pid, &status, 0);
  process.pid = -1;
}

absl::Status Federation::RestartPrimary() {
  absl::StatusOr<ControllerProcess> p = StartController();
  if (!p.ok()) return p.status();
  primary_ = *p;
  return absl::OkStatus();
}

absl::StatusOr<bool> Federation::RestartPrimaryIfExited() {
  int status = 0;
  // 0: still running. Its pid, or -1 (already reaped by the caller): gone.
  if (primary_.pid > 0 && waitpid(primary_.pid, &status, WNOHANG) == 0) return false;
  primary_.pid = -1;
  absl::Status restarted = RestartPrimary();
  if (!restarted.ok()) return restarted;
  return true;
}

absl::StatusOr<std::pair<int, std::string>> Federation::HttpGet(const ControllerProcess& process,
                                                                const std::string& path,
                                                                const std::string& token) {
  std::vector<std::string> argv = {"curl", "-s", "--max-time", "70", "-w", "\n%{http_code}"};
  if (!process.ca_file.empty()) {
    argv.push_back("--cacert");
    argv.push_back(process.ca_file);
  }
  if (!token.empty()) {
    argv.push_back("-H");
    argv.push_back("Authorization: Bearer " + token);
  }
  argv.push_back(process.MetricsUrl() + path);
  absl::StatusOr<std::string> out = Run(argv);
  if (!out.ok()) return out.status();
  const size_t nl = out->rfind('\n');
  int code = 0;
  if (nl == std::string::npos || !absl::SimpleAtoi(out->substr(nl + 1), &code) || code == 0) {
    return absl::UnavailableError(absl::StrCat("GET ", path, ": no HTTP answer"));
  }
  return std::make_pair(code, out->substr(0, nl));
}

namespace {

// Adds `authorization: Bearer <token>` to every call of a TLS channel.
class BearerToken : public grpc::MetadataCredentialsPlugin {
 public:
  explicit BearerToken(std::string token) : token_(std::move(token)) {}
  bool IsBlocking() const override { return false; }
  grpc::Status GetMetadata(grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
                           std::multimap<grpc::string, grpc::string>* metadata) override {
    metadata->insert({"authorization", "Bearer " + token_});
    return grpc::Status::OK;
  }

 private:
  const std::string token_;
};

}  // namespace

std::shared_ptr<grpc::Channel> Federation::StatusChannel(const ControllerProcess& process,
                                                         const std::string& token) {
  const std::string target = absl::StrCat("127.0.0.1:", process.status_port);
  if (process.ca_file.empty()) {
    return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadTextFile(process.ca_file);
  if (ca.ok()) ssl.pem_root_certs = *ca;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(ssl);
  if (!token.empty()) {
    credentials = grpc::CompositeChannelCredentials(
        credentials, grpc::MetadataCredentialsFromPlugin(std::make_unique<BearerToken>(token)));
  }
  return grpc::CreateChannel(target, credentials);
}

absl::StatusOr<std::string> Federation::Metrics(const ControllerProcess& process) {
  absl::StatusOr<std::pair<int, std::string>> got = HttpGet(process, "/metrics", viewer_token_);
  if (!got.ok()) return got.status();
  if (got->first != 200) {
    return absl::UnavailableError(
        absl::StrCat("GET /metrics: HTTP ", got->first, ": ", got->second));
  }
  return got->second;
}

absl::StatusOr<double> Federation::MemberWrites(const ControllerProcess& process) {
  return MetricSum(process, "kfed_member_writes_total");
}

absl::StatusOr<double> Federation::MetricSum(const ControllerProcess& process,
                                             const std::string& name) {
  absl::StatusOr<std::string> metrics = Metrics(process);
  if (!metrics.ok()) return metrics.status();
  double total = 0;
  for (absl::string_view line : absl::StrSplit(*metrics, '\n')) {
    if (!absl::StartsWith(line, name + "{") && !absl::StartsWith(line, name + " ")) continue;
    double v = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) total += v;
  }
  return total;
}

std::string Federation::NewNamespace(const std::string& prefix, bool federate) {
  const std::string ns = UniqueName(prefix);
  EXPECT_TRUE(Kubectl(Clusters().host, {"create", "namespace", ns}).ok());
  if (federate) {
    EXPECT_TRUE(
        Apply(Clusters().host,
              absl::StrCat("apiVersion: types.kubefed.io/v1beta1\nkind: FederatedNamespace\n"
                           "metadata: {name: ",
                           ns, ", namespace: ", ns,
                           "}\nspec:\n  placement:\n    clusterSelector: {}\n"))
            .ok());
  }
  return ns;
}

absl::Status Federation::WaitForObject(
    const std::string& context, const std::vector<std::string>& get_args,
    const std::function<absl::Status(const rapidjson::Value&)>& predicate, absl::Duration timeout) {
  std::vector<std::string> args = {"get"};
  args.insert(args.end(), get_args.begin(), get_args.end());
  return WaitFor(absl::StrCat(context, ": ", absl::StrJoin(get_args, " ")), timeout,
                 [&]() -> absl::Status {
                   absl::StatusOr<rapidjson::Document> doc = KubectlJson(context, args);
                   if (!doc.ok()) return doc.status();
                   return predicate(*doc);
                 });
}

absl::Status Federation::WaitForAbsent(const std::string& context,
                                       const std::vector<std::string>& get_args,
                                       absl::Duration timeout) {
  std::vector<std::string> args = {"get"};
  args.insert(args.end(), get_args.begin(), get_args.end());
  args.push_back("--ignore-not-found");
  args.push_back("-o");
  args.push_back("name");
  return WaitFor(absl::StrCat(context, ": ", absl::StrJoin(get_args, " "), " absent"), timeout,
                 [&]() -> absl::Status {
                   absl::StatusOr<std::string> out = Kubectl(context, args);
                   if (!out.ok()) return out.status();
                   return out->empty() ? absl::OkStatus()
                                       : absl::UnavailableError("still present: " + *out);
                 });
}

}  // namespace kfed::e2e
