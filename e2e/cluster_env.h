// The e2e fixture: real local clusters (a host and members) for tests that talk to Kubernetes.
//
// hack/test.sh brings the clusters up once for the whole e2e run (hack/local-clusters.sh up)
// and passes KFED_E2E_KUBECONFIG / KFED_E2E_RUN_DIR / KFED_KUBE_BIN to the tests. A test
// binary run by hand without them brings up its own clusters in a private run directory and
// tears them down at exit (slower; KFED_E2E_SELF_START=0 turns that off and fails instead).
#ifndef KFED_E2E_CLUSTER_ENV_H_
#define KFED_E2E_CLUSTER_ENV_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rapidjson/document.h"

namespace kfed::e2e {

struct LocalClusters {
  std::string kubeconfig;            // merged kubeconfig; one context per cluster
  std::string run_dir;               // hack/local-clusters.sh state (logs, per-cluster dirs)
  std::string kube_bin;              // directory with kubectl, kube-apiserver, etcd
  std::string launcher;              // path to hack/local-clusters.sh
  std::string host = "host";         // context of the host cluster
  std::vector<std::string> members;  // contexts of the members: member1, member2, ...
  // All clusters, host first.
  std::vector<std::string> All() const;
};

// The clusters for this test binary. The first call may start them (see above); a failure
// to find or start them is a fatal test failure naming what to run.
const LocalClusters& Clusters();

// The host's context (Clusters().host) and member i's (0-based: Clusters().members.at(i)).
const std::string& Host();
const std::string& Member(int i);

// The kfedctl binary: //cli:kfedctl in the test's runfiles (make it a data dependency), else
// bazel-bin/cli/kfedctl for a test binary run by hand from the workspace root.
std::string KfedctlPath();

// Runs `kubectl --kubeconfig <merged> --context <context> <args...>`, feeding `stdin_data`.
// Returns stdout; a non-zero exit becomes an error carrying stderr.
absl::StatusOr<std::string> Kubectl(absl::string_view context, const std::vector<std::string>& args,
                                    absl::string_view stdin_data = "");

// Kubectl(..., args + "-o json") parsed.
absl::StatusOr<rapidjson::Document> KubectlJson(absl::string_view context,
                                                std::vector<std::string> args);

// Runs the launcher (hack/local-clusters.sh) with `args` against this run directory.
absl::Status Launcher(const std::vector<std::string>& args);

// Runs a command; returns stdout, or an error with the exit code and stderr.
absl::StatusOr<std::string> Run(const std::vector<std::string>& argv,
                                absl::string_view stdin_data = "");

// Polls `condition` until it returns OK or `timeout` passes; returns its last error, with
// `what` as context. For waiting on real cluster state: never a fixed sleep.
absl::Status WaitFor(absl::string_view what, absl::Duration timeout,
                     const std::function<absl::Status()>& condition);

// Writes `token` to a file of its own (mode 0600, in the test's temporary directory) for
// --token-file: a token never goes on a command line, which error messages and process
// listings show. Returns its path.
std::string WriteTokenFile(const std::string& name, const std::string& token);

// The YAML of a namespaced CustomResourceDefinition `<plural>.<group>` of kind `kind`, served
// and stored at v1, whose objects have an integer spec.size: the CRD type the suites create.
std::string TestCrdYaml(absl::string_view group, absl::string_view kind, absl::string_view plural);

// A name unique to this process, for namespaces and objects: "<prefix>-<pid>-<counter>".
std::string UniqueName(absl::string_view prefix);

// `text` with every occurrence of each key of `vars` replaced by its value (keys applied in
// map order), for YAML templates such as "metadata: {namespace: %NS%}".
std::string Subst(std::string text, const std::map<std::string, std::string>& vars);

// Readers of objects fetched with KubectlJson. Tolerant of any JSON: a missing or mistyped
// field reads as absent.
// The entry of status.conditions with this `type`, or null.
const rapidjson::Value* FindCondition(const rapidjson::Value& object, absl::string_view type);
// That condition's status ("True", "False", "Unknown"), or "" when it is absent.
std::string ConditionStatus(const rapidjson::Value& object, absl::string_view type);
// For waiting on a Deployment: OK when spec.replicas is `replicas`, as many are available and
// the Available condition is True; else UNAVAILABLE saying what it has.
absl::Status DeploymentAvailable(const rapidjson::Value& deployment, int replicas);

}  // namespace kfed::e2e

#endif  // KFED_E2E_CLUSTER_ENV_H_
