// A federation on the local clusters for e2e tests: kfed's CRDs and the ten default
// FederatedTypeConfigs installed in the host, the members joined (hack/join-local.sh), and
// kfed-controller-manager running as a separate process that tests can kill, restart or
// double.
#ifndef KFED_E2E_FEDERATION_ENV_H_
#define KFED_E2E_FEDERATION_ENV_H_

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

// One running kfed-controller-manager.
struct ControllerProcess {
  pid_t pid = -1;
  std::string log;       // its log file
  int metrics_port = 0;  // also serves the dashboard and its /api/v1
  int status_port = 0;   // the gRPC status API (0 when extra flags chose the address)
};

class Federation {
 public:
  // Installs CRDs, FTCs, joins every member and starts one controller. Idempotent per process.
  static Federation& Get();
  // Like Get() but joins no member (for tests that join with kfedctl): CRDs, FTCs,
  // KubeFedConfig and one controller. Idempotent per process; not to be mixed with Get().
  static Federation& GetWithoutJoin();

  // Starts another controller process (e.g. a second replica). Extra flags are appended.
  absl::StatusOr<ControllerProcess> StartController(
      const std::vector<std::string>& extra_flags = {});
  // Sends `signal` (SIGTERM: graceful, SIGKILL: crash) and reaps it.
  void StopController(ControllerProcess& process, int signal);
  ControllerProcess& primary() { return primary_; }
  // Replaces the primary with a fresh process (after StopController).
  absl::Status RestartPrimary();

  // Sum of kfed_member_writes_total across clusters and actions, from `process`'s /metrics.
  absl::StatusOr<double> MemberWrites(const ControllerProcess& process);
  absl::StatusOr<std::string> Metrics(const ControllerProcess& process);
  // Sum of every series of the metric `name` (counters/gauges) from `process`'s /metrics.
  absl::StatusOr<double> MetricSum(const ControllerProcess& process, const std::string& name);

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
  bool join_members_ = true;
  ControllerProcess primary_;
  std::string controller_binary_;
  int next_port_ = 0;
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
