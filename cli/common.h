// What every kfedctl command shares: the global flags, the resources it writes, clients
// built from kubeconfig contexts, and errors rewritten to say what to do.
//
// Commands are library functions taking `kube::Client&` for the host (and member) so unit
// tests drive them with kube::FakeClient; each command's AddXxxCommand (command.h) binds its
// flags and builds the clients.
#ifndef KFED_CLI_COMMON_H_
#define KFED_CLI_COMMON_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/kubefed_resources.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/resource.h"
#include "rapidjson/document.h"

namespace kfed::cli {

// Exit codes (documented in docs/user-guide.md and `kfedctl --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // the operation failed; the message says why
inline constexpr int kExitUsage = 2;        // bad flags or arguments, unknown context or type
inline constexpr int kExitUnreachable = 3;  // a cluster could not be reached

// The version kfedctl reports (the kfed release).
std::string VersionString();

struct GlobalOptions {
  std::string kubeconfig;    // empty: $KUBECONFIG, ~/.kube/config
  std::string host_context;  // empty: current-context
  std::string kubefed_namespace = "kube-federation-system";
  bool dry_run = false;
  int verbosity = 0;
};

// Resources kfedctl reads and writes.
kube::GroupVersionResource ServiceAccountsResource();
kube::GroupVersionResource ClusterRolesResource();
kube::GroupVersionResource ClusterRoleBindingsResource();
kube::GroupVersionResource RolesResource();
kube::GroupVersionResource RoleBindingsResource();
// KubeFed's own kinds and KEP-2149's ClusterProperty: one definition, shared with the
// controllers (controller/kubefed_resources.h, built from federated_types/keys.h).
using controller::ClusterPropertiesResource;
using controller::FederatedTypeConfigsResource;
using controller::KubeFedClustersResource;
using controller::KubeFedConfigsResource;

// The kubeconfig context actually used for `context` ("" = current-context).
absl::StatusOr<std::string> ResolveContext(const GlobalOptions& global, absl::string_view context);

// The REST config of a kubeconfig context. An unknown context is kInvalidArgument naming
// the contexts that exist.
absl::StatusOr<kube::RestConfig> LoadContext(const GlobalOptions& global,
                                             absl::string_view context);

// A client for a kubeconfig context (RestClient).
absl::StatusOr<std::unique_ptr<kube::Client>> ClientForConfig(const kube::RestConfig& config);

// Rewrites an API error so it says what went wrong in which cluster and what to do:
// unreachable servers, missing RBAC, missing CRDs. `cluster` names the cluster ("host",
// "member cluster member1").
absl::Status Explain(const absl::Status& status, absl::string_view cluster);

// The exit code for a command's error.
int ExitCodeFor(const absl::Status& status);

// What EnsureObject may do to an object that already exists.
enum class ExistingPolicy {
  kKeep,    // leave it as it is (e.g. a token Secret the server fills)
  kUpdate,  // replace it with the desired object (keeping resourceVersion and status)
  kError,   // fail with kAlreadyExists
};

// A write kfedctl made, so a failed command can undo what it created.
struct CreatedObject {
  kube::Client* client;
  kube::GroupVersionResource gvr;
  std::string ns;
  std::string name;
  std::string cluster;  // for messages
};

// Creates `desired` in `ns` unless it exists; then applies `policy` (kUpdate skips the
// write when the object already has what `desired` sets). Prints one progress line
// ("<cluster>: created ServiceAccount ns/name", "... unchanged"). With `dry_run` nothing is written
// and the line says "would create"/"would update". Objects it created are appended to `created`
// when given.
absl::StatusOr<kube::ObjectPtr> EnsureObject(kube::Client& client, absl::string_view cluster,
                                             const kube::GroupVersionResource& gvr,
                                             absl::string_view ns, const rapidjson::Value& desired,
                                             ExistingPolicy policy, bool dry_run, std::ostream& out,
                                             std::vector<CreatedObject>* created = nullptr);

// Deletes `created` in reverse order, ignoring NotFound; used when a command fails half
// way so it leaves nothing half-made. Prints one line per object.
void Rollback(std::vector<CreatedObject>& created, std::ostream& out);

// Deletes an object if present; prints "<cluster>: deleted <Kind> ns/name" (or "would
// delete"). NotFound is OK. Returns whether the object was there.
absl::StatusOr<bool> DeleteIfPresent(kube::Client& client, absl::string_view cluster,
                                     const kube::GroupVersionResource& gvr, absl::string_view ns,
                                     absl::string_view name, bool dry_run, std::ostream& out);

}  // namespace kfed::cli

#endif  // KFED_CLI_COMMON_H_
