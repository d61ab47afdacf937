// A federation on the local clusters for e2e tests: kfed's CRDs and the ten default
// FederatedTypeConfigs installed in the host, the members joined, and kfed-controller-manager
// running as a separate process that tests can kill, restart or double.
//
// Privileges (KFED_E2E_PRIVILEGES):
//   least (default): the controller runs with a host ServiceAccount token bound to exactly
//     config/rbac/host/ (cluster.yaml, and namespace.yaml in its --kubefed-namespace), and
//     the members are joined with `kfedctl join` (only the federated types' resources);
//   admin: the controller runs with the admin kubeconfig and the members are joined with
//     hack/join-local.sh (cluster-admin in each member).
// The controller's log verbosity is KFED_E2E_CONTROLLER_VERBOSITY (default 2). Its logs go
// to <run dir>/kfed-controller-manager-<pid>-<n>.log (ControllerLogs()).
#ifndef KFED_E2E_FEDERATION_ENV_H_
#define KFED_E2E_FEDERATION_ENV_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "e2e/cluster_env.h"
#include "rapidjson/document.h"

namespace kfed::e2e {

inline constexpr char kFedNamespace[] = "kube-federation-system";
// The host ServiceAccount the controller runs as in least-privilege mode.
inline constexpr char kControllerServiceAccount[] = "kfed-controller-manager";

enum class Privileges { kLeast, kAdmin };
// From KFED_E2E_PRIVILEGES ("admin" or anything else: least).
Privileges FixturePrivileges();

// Every kfed-controller-manager log in the run directory: this process's and those of test
// binaries that ran before it against the same clusters (hack/test.sh shares one run dir).
std::vector<std::string> ControllerLogs();

// The host ServiceAccount (in kFedNamespace) bound to config/rbac/host/'s
// kfed-status-viewer: reads everything the status API, the dashboard and /metrics show.
inline constexpr char kViewerServiceAccount[] = "kfed-e2e-viewer";

// One running kfed-controller-manager. It serves TLS with a self-signed certificate written
// to --cert-dir (ca_file trusts it), unless extra flags chose --insecure-local or their own
// certificate (ca_file empty: plain HTTP / gRPC, or the caller knows the CA).
struct ControllerProcess {
  pid_t pid = -1;
  std::string log;       // its log file
  int metrics_port = 0;  // also serves the dashboard and its /api/v1
  int status_port = 0;   // the gRPC status API (0 when extra flags chose the address)
  std::string ca_file;   // the CA of its serving certificate
  // "https://127.0.0.1:<metrics_port>" (or http:// when not TLS).
  std::string MetricsUrl() const;
};

class Federation {
 public:
  // Installs CRDs, FTCs, joins every member and starts one controller. Idempotent per process.
  static Federation& Get();
  // Like Get() but joins no member (for tests that join with kfedctl): CRDs, FTCs,
  // KubeFedConfig and one controller. Idempotent per process; not to be mixed with Get().
  static Federation& GetWithoutJoin();

  // Starts another controller process (e.g. a second replica). Extra flags are appended. In
  // least-privilege mode a `--kubefed-namespace NS` flag first grants the controller
  // config/rbac/host/namespace.yaml in NS.
  absl::StatusOr<ControllerProcess> StartController(
      const std::vector<std::string>& extra_flags = {});
  // Sends `signal` (SIGTERM: graceful, SIGKILL: crash) and reaps it.
  void StopController(ControllerProcess& process, int signal);
  ControllerProcess& primary() { return primary_; }
  // Replaces the primary with a fresh process (after StopController).
  absl::Status RestartPrimary();
  // A controller that could not renew its Lease in time exits on purpose (a fresh process
  // campaigns again); its Deployment would restart it. Does that for the primary: true when
  // it had exited and was restarted.
  absl::StatusOr<bool> RestartPrimaryIfExited();

  // A bearer token of kViewerServiceAccount (reads everything the status API shows).
  const std::string& viewer_token() const { return viewer_token_; }
  // A token for host ServiceAccount `ns`/`name` (kubectl create token, valid for a day).
  absl::StatusOr<std::string> CreateToken(const std::string& ns, const std::string& name);
  // GETs `path` (with query) from `process`'s metrics server with `token` (none when empty),
  // trusting its CA: {HTTP status, body}.
  absl::StatusOr<std::pair<int, std::string>> HttpGet(const ControllerProcess& process,
                                                      const std::string& path,
                                                      const std::string& token);

  // A channel to `process`'s gRPC status API: TLS trusting its CA, every call carrying
  // `token` (none when empty); plaintext without a token when it has no CA (--insecure-local:
  // add the metadata to each call).
  std::shared_ptr<grpc::Channel> StatusChannel(const ControllerProcess& process,
                                               const std::string& token);

  // Sum of kfed_member_writes_total across clusters and actions, from `process`'s /metrics.
  absl::StatusOr<double> MemberWrites(const ControllerProcess& process);
  absl::StatusOr<std::string> Metrics(const ControllerProcess& process);
  // Sum of every series of the metric `name` (counters/gauges) from `process`'s /metrics.
  absl::StatusOr<double> MetricSum(const ControllerProcess& process, const std::string& name);

  // The kubeconfig (and its context) the controller runs with: a host ServiceAccount token in
  // least-privilege mode, else the admin kubeconfig.
  const std::string& controller_kubeconfig() const { return controller_kubeconfig_; }
  Privileges privileges() const { return privileges_; }
  // Runs kfedctl (--kubeconfig, --host-cluster-context host, then `args`).
  absl::StatusOr<std::string> Kfedctl(const std::vector<std::string>& args);
  // After a FederatedTypeConfig was added: in least-privilege mode joins every member again
  // so that its ClusterRole covers the new target type (what a user runs, see
  // docs/user-guide.md); a no-op in admin mode (cluster-admin covers everything).
  absl::Status RefreshMemberAccess();
  // Applies config/rbac/host/namespace.yaml in `ns` (least-privilege mode; else a no-op).
  absl::Status GrantControllerNamespace(const std::string& ns);

  // A fresh namespace in the host, federated to every member (FederatedNamespace with an
  // empty clusterSelector) unless `federate` is false.
  std::string NewNamespace(const std::string& prefix, bool federate = true);

  // Waits until `context`'s object matches `predicate` (or is absent when `want_absent`).
  absl::Status WaitForObject(const std::string& context, const std::vector<std::string>& get_args,
                             const std::function<absl::Status(const rapidjson::Value&)>& predicate,
                             absl::Duration timeout = absl::Seconds(60));
  absl::Status WaitForAbsent(const std::string& context, const std::vector<std::string>& get_args,
                             absl::Duration timeout = absl::Seconds(60));

 private:
  Federation() = default;
  absl::Status SetUp();
  absl::Status SetUpControllerCredentials();
  absl::Status SetUpViewer();
  std::string viewer_token_;
  absl::Status JoinMembers();
  bool join_members_ = true;
  Privileges privileges_ = Privileges::kLeast;
  std::string controller_kubeconfig_;
  std::string kfedctl_binary_;
  ControllerProcess primary_;
  std::string controller_binary_;
  int next_port_ = 0;
};

// The fixture of the suites that run against Federation::Get(): SetUp() fails the test unless
// the clusters are there, with at least `min_members` members, and the primary controller
// runs; fed_ is the federation then. A suite that needs more overrides SetUp(), calls
// FederationTest::SetUp() first and returns if HasFatalFailure().
class FederationTest : public ::testing::Test {
 protected:
  explicit FederationTest(size_t min_members = 0) : min_members_(min_members) {}
  void SetUp() override {
    ASSERT_FALSE(Clusters().kubeconfig.empty());
    ASSERT_GE(Clusters().members.size(), min_members_);
    fed_ = &Federation::Get();
    ASSERT_GT(fed_->primary().pid, 0) << "the controller is not running";
  }
  Federation* fed_ = nullptr;

 private:
  const size_t min_members_;
};

// Applies YAML to a context (kubectl apply -f -).
absl::Status Apply(const std::string& context, const std::string& yaml);

// The condition of type Propagation of a federated object's status, or null.
const rapidjson::Value* PropagationCondition(const rapidjson::Value& federated);

// Finds status.clusters[name=cluster], or null.
const rapidjson::Value* ClusterStatus(const rapidjson::Value& federated,
                                      const std::string& cluster);

}  // namespace kfed::e2e

#endif  // KFED_E2E_FEDERATION_ENV_H_
