// kfedctl join: registers a member cluster with the federation.
//
// In the member: the federation namespace, a ServiceAccount `<cluster>-<host cluster>`, a
// ClusterRole and ClusterRoleBinding `kubefed-controller-manager:<service account>` and a
// long-lived token Secret `<service account>-token` of type
// kubernetes.io/service-account-token, waited for until the token controller fills it
// (clusters since Kubernetes 1.24 make no token by themselves).
//
// RBAC (docs/user-guide.md, "RBAC"): by default (MemberRbac::kTypes) the ClusterRole grants
// what the controller does with each target type of the host's FederatedTypeConfigs (get,
// list, watch, create, update, patch, delete; escalate/bind where RBAC objects are
// propagated) and GET on /healthz, /readyz and /version; nothing else. A type enabled later
// needs join to run again. MemberRbac::kAll grants all verbs on all resources, as KubeFed
// did. When the host's KubeFedConfig says `scope: Namespaced`, the ClusterRole only grants the
// health endpoints and a Role/RoleBinding of the same name grants the same rules (namespaced
// types only) in the federation namespace.
// In the host: a Secret holding that token and the KubeFedCluster (apiEndpoint, caBundle,
// proxyURL, secretRef), annotated with the member's cluster ID (the kube-system namespace
// UID, as SIG-Multicluster's ClusterProperty `cluster.clusterset.k8s.io` recommends).
//
// Safe to run twice: existing objects are kept or updated in place. A failure part way
// deletes what this run created, so nothing is left half-made.
#ifndef KFED_CLI_JOIN_H_
#define KFED_CLI_JOIN_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/command.h"
#include "federated_types/type_config.h"
#include "kube/client.h"

namespace kfed::cli {

// On the KubeFedCluster: the member's kube-system namespace UID.
inline constexpr char kClusterIdAnnotation[] = "kfed.io/cluster-id";
// On the KubeFedCluster: the member's ServiceAccount (namespace/name), for unjoin.
inline constexpr char kServiceAccountAnnotation[] = "kfed.io/service-account";

// What join grants the member's ServiceAccount.
enum class MemberRbac {
  kTypes,  // the federated types' target resources only (least privilege; the default)
  kAll,    // '*' on '*' (KubeFed's behaviour)
};

struct JoinOptions {
  std::string cluster_name;        // NAME: the KubeFedCluster's name
  std::string host_cluster_name;   // names the member's ServiceAccount; required
  std::string secret_name;         // the host Secret; empty: "<cluster>-secret"
  bool error_on_existing = false;  // fail if the KubeFedCluster already exists
  std::string kubefed_namespace = "kube-federation-system";
  bool dry_run = false;
  absl::Duration token_timeout = absl::Seconds(60);
  MemberRbac member_rbac = MemberRbac::kTypes;
};

// Where the host reaches the member (from the member's kubeconfig context).
struct MemberEndpoint {
  std::string api_endpoint;  // https://host:port
  std::string ca_pem;        // empty: the CA from the member's token Secret
  std::string proxy_url;
};

// "<cluster>-<host cluster>" (KubeFed's naming).
std::string ServiceAccountName(absl::string_view cluster_name, absl::string_view host_cluster_name);
// "kubefed-controller-manager:<service account>".
std::string ClusterRoleName(absl::string_view service_account);

// The RBAC rules (a JSON array) that let the controller propagate `types` in a member:
// one rule per API group over the target resources, with the verbs the sync controller uses,
// `escalate` on roles/clusterroles when those are propagated (their rules may grant what the
// ServiceAccount does not hold), `bind` on roles/clusterroles when bindings are propagated.
// Sorted, so the same types always give the same rules. `namespaced_only` drops
// cluster-scoped targets (for a Role).
std::string MemberTypeRules(const std::vector<federated_types::TypeConfig>& types,
                            bool namespaced_only);

// Errors are explained (kfed::cli::Explain): unreachable member, missing RBAC, host
// without kfed installed, a name already used by another cluster, a token never filled.
absl::Status Join(kube::Client& host, kube::Client& member, const MemberEndpoint& endpoint,
                  const JoinOptions& options, std::ostream& out);

// `kfedctl join NAME`: the subcommand, its flags, and a callback running Join with clients for
// the host and the member (--cluster-context, default NAME) contexts.
void AddJoinCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_JOIN_H_
