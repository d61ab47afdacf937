// kfedctl status: federated objects by member cluster, read from the controller manager's
// gRPC status API (status/status.proto; --status-addr, default 127.0.0.1:9091). With --watch
// it follows the API's Watch stream and prints the table again whenever it changes.
#ifndef KFED_CLI_STATUS_H_
#define KFED_CLI_STATUS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
  // PEM roots to verify a TLS status API with; "" = plaintext.
  std::string status_ca_file;
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

// Connects to options.status_addr (TLS with status_ca_file) and runs PrintStatus.
absl::Status RunStatus(const StatusOptions& options, std::ostream& out);

}  // namespace kfed::cli

#endif  // KFED_CLI_STATUS_H_
