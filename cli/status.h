// kfedctl status: federated objects by member cluster, read from the controller manager's
// gRPC status API (status/status.proto; --status-addr, default 127.0.0.1:9091). With --watch
// it follows the API's Watch stream and prints the table again whenever it changes.
//
// The API serves TLS by default and checks a bearer token on every call (TokenReview against
// the host, then the host's RBAC): kfedctl verifies the server certificate (--status-ca-file,
// or --insecure-skip-tls-verify with a warning) and sends `authorization: Bearer <token>` as
// call metadata. --plaintext is for a controller manager started with --insecure-local and is
// refused for addresses that are not loopback.
#ifndef KFED_CLI_STATUS_H_
#define KFED_CLI_STATUS_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/command.h"
#include "status/status.grpc.pb.h"

namespace kfed::cli {

struct StatusRow {
  std::string type;  // the FTC name ("configmaps", "deployments.apps")
  std::string ns;
  std::string name;
  std::string cluster;  // "-" when the object is on no cluster (yet)
  // Propagated, else the cluster's KubeFed status (CreationFailed, ApplyOverridesFailed, ...),
  // else the status API's coarse state (Pending, Deleting).
  std::string state;
  std::string reason;  // the cluster's message, or the Propagation condition's reason
};

// Rows for one federated object (pure).
std::vector<StatusRow> RowsFor(const status::v1::FederatedObject& object);

// Whether `type` (as a user types it: "configmaps", "configmap", "deployments.apps",
// "deployments", "FederatedDeployment") names the object's type.
bool TypeMatches(const status::v1::ObjectRef& ref, const std::string& type);

// TYPE NAMESPACE NAME CLUSTER STATE REASON, aligned like `kubectl get`.
std::string RenderTable(const std::vector<StatusRow>& rows);
// A JSON array of {type, namespace, name, cluster, state, reason}.
std::string RenderJson(const std::vector<StatusRow>& rows);
std::string RenderYaml(const std::vector<StatusRow>& rows);

struct StatusOptions {
  std::string type;    // "" = every type
  std::string name;    // "" = every object
  std::string ns;      // "" = every namespace
  std::string output;  // "" (table), json, yaml
  bool watch = false;
  std::string status_addr = "127.0.0.1:9091";
  // PEM roots to verify the server certificate with; "" = the system's roots.
  std::string status_ca_file;
  // TLS without verifying the server (RunStatus warns on `err`).
  bool insecure_skip_tls_verify = false;
  // No TLS (a controller manager with --insecure-local); loopback addresses only.
  bool plaintext = false;
  // The bearer token sent with every call; null: none. Called before each call, so a token
  // that rotates (a file, an exec plugin) stays fresh during --watch.
  std::function<absl::StatusOr<std::string>()> token;
  // Where the token comes from, for error messages (`the token of context "host"`).
  std::string token_origin;
  // --watch: stop after printing this many times (0: until killed). For tests.
  int max_prints = 0;
};

// The rows matching the filters, sorted, from one ListObjects call. NOT_FOUND when a NAME
// was given and nothing matches; UNAVAILABLE (naming the address) when the API is not there.
absl::StatusOr<std::vector<StatusRow>> CollectStatus(
    status::v1::FederationStatus::StubInterface& api, const StatusOptions& options);

// Prints once, or with `watch` again whenever the rows change (following the Watch stream,
// re-listing when the server says the client fell behind).
absl::Status PrintStatus(status::v1::FederationStatus::StubInterface& api,
                         const StatusOptions& options, std::ostream& out);

// Whether a status address ("host:port", "[::1]:port", "dns:///host:port") names this machine:
// localhost, 127.0.0.0/8 or ::1.
bool IsLoopbackAddress(const std::string& address);

// Connects to options.status_addr (TLS unless `plaintext`) and runs PrintStatus. Warnings
// (--insecure-skip-tls-verify) go to `err`. kInvalidArgument for conflicting transport flags
// or --plaintext to an address that is not loopback; kUnauthenticated, kPermissionDenied and
// kUnavailable say what to do.
absl::Status RunStatus(const StatusOptions& options, std::ostream& out, std::ostream& err);

// `kfedctl status [TYPE [NAME]]`: the subcommand, its flags, and a callback running RunStatus
// with the bearer token of --token / --token-file or the host context (bearer_token.h).
void AddStatusCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_STATUS_H_
