// Where a cluster is and how to authenticate to it: kubeconfig files (client-go's loading
// rules), in-cluster service-account config, and KubeFedCluster objects.
//
// Errors name the source and field (`kubeconfig /x/config: context "foo" not found`) and
// never contain tokens, keys or certificates.
#ifndef KFED_KUBE_CONFIG_H_
#define KFED_KUBE_CONFIG_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rapidjson/document.h"

namespace kfed::kube {

// A client-go credential plugin (`users[].user.exec`).
struct ExecConfig {
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
};

// Everything the transport needs to reach one API server.
struct RestConfig {
  std::string server;  // "https://host:port" (optionally with a path prefix)
  std::string ca_data;  // PEM; empty: the system trust store
  std::string client_cert_data;  // PEM
  std::string client_key_data;   // PEM
  std::string bearer_token;
  // When set, the token is read from this file (and re-read every minute, since bound
  // service-account tokens rotate); takes precedence over bearer_token.
  std::string bearer_token_file;
  // A credential plugin: run when the kubeconfig is loaded, and again by the transport when
  // the token it returned expires (status.expirationTimestamp) or the server answers 401.
  std::optional<ExecConfig> exec;
  absl::Time exec_expiry = absl::InfiniteFuture();
  // Disables all TLS verification. Only when explicitly configured; the transport logs a
  // warning each time it is used.
  bool insecure_skip_tls_verify = false;
  // Accepts a certificate whose names do not match the host (KubeFed `SubjectName`).
  bool skip_hostname_verification = false;
  // Accepts an expired or not-yet-valid certificate (KubeFed `ValidityPeriod`; implemented
  // with OpenSSL's X509_V_FLAG_NO_CHECK_TIME).
  bool skip_validity_period = false;
  std::string tls_server_name;  // SNI / name to verify instead of the URL host
  std::string proxy_url;
  std::string default_namespace = "default";  // the context's namespace

  // Client-side limits. qps <= 0 disables the limiter. Defaults are higher than client-go's
  // 5/10 because one kfed process drives whole clusters.
  double qps = 50;
  int burst = 100;
  absl::Duration timeout = absl::Seconds(30);  // per request, not for watches
  int max_retries = 5;  // for 429, 5xx and transport errors on idempotent requests
  std::string user_agent;  // empty: "kfed/<version>"

  // Where this came from, for error messages ("kubeconfig /x/config", "in-cluster", ...).
  std::string source;
};

// Paths from $KUBECONFIG (':'-separated, empties dropped), else ~/.kube/config.
std::vector<std::string> DefaultKubeconfigPaths();

struct KubeconfigOptions {
  std::vector<std::string> paths;  // empty: DefaultKubeconfigPaths()
  std::string context;  // empty: current-context
  // Runs exec credential plugins (tests may turn this off).
  bool run_exec_plugins = true;
};

// Loads and merges kubeconfig files the way client-go does: for clusters, users and contexts
// the first file that defines a name wins; current-context comes from the first file that
// sets it. Relative file paths are resolved against the file that names them. Missing
// files in a list are skipped (client-go semantics) unless none exists.
absl::StatusOr<RestConfig> LoadKubeconfig(const KubeconfigOptions& options);

// One kubeconfig given as text; `source` names it in errors, `base_dir` resolves relative
// paths.
absl::StatusOr<RestConfig> LoadKubeconfigFromString(absl::string_view yaml,
                                                    absl::string_view context,
                                                    absl::string_view source,
                                                    absl::string_view base_dir,
                                                    bool run_exec_plugins = true);

// The contexts a kubeconfig defines (merged as above), sorted.
absl::StatusOr<std::vector<std::string>> KubeconfigContexts(const KubeconfigOptions& options);

struct InClusterOptions {
  // Environment lookup (tests inject); default getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// Config for a pod: KUBERNETES_SERVICE_HOST/PORT and the mounted token, CA and namespace.
absl::StatusOr<RestConfig> InClusterConfig(const InClusterOptions& options = {});

// Config from a KubeFedCluster (core.kubefed.io/v1beta1) and its credentials Secret:
// spec.apiEndpoint, spec.caBundle (base64 PEM), spec.proxyURL, the Secret's data.token
// (base64), spec.disabledTLSValidations: "*" -> no verification, "SubjectName" -> host
// name not checked, "ValidityPeriod" -> certificate dates not checked.
absl::StatusOr<RestConfig> ConfigFromKubeFedCluster(const rapidjson::Value& cluster,
                                                    const rapidjson::Value& secret);

// Runs an exec plugin with the ExecCredential protocol and fills the token or client
// certificate of `config` (and config.exec_expiry from status.expirationTimestamp).
// Errors name the command, not its output.
absl::Status RunExecPlugin(const ExecConfig& exec, absl::string_view context,
                           RestConfig& config);

// Validates PEM text; `what` names the field in the error.
absl::Status ValidatePemCertificates(absl::string_view pem, absl::string_view what);
absl::Status ValidatePemPrivateKey(absl::string_view pem, absl::string_view what);

}  // namespace kfed::kube

#endif  // KFED_KUBE_CONFIG_H_
